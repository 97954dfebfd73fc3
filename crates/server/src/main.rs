//! The `confide` command: runs the server and (later) administers it.

use clap::{Parser, Subcommand};
use confide_protocol::accounts::OperatorChange;
use confide_protocol::WidgetKey;
use confide_server::auth::Password;
use confide_server::crypto::MasterKey;
use confide_server::keystore::{KeyRing, KeyStore};
use confide_server::store::audit::{AuditAction, AuditCheck, AuditEntry};
use confide_server::store::StoreError;
use confide_server::{assets::Assets, geo::Geo, hub::Hub, store::Store, AppState, Config};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "confide",
    version,
    about = "Confide: a privacy-first live-chat server"
)]
struct Cli {
    /// Configuration file (TOML). Default: $CONFIDE_CONFIG, else ./confide.toml if present.
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the widget, the console and the chat API.
    Serve {
        /// Also serve a demo site page at / and create a demo widget (key "demo") once.
        #[arg(long)]
        demo: bool,
    },
    /// Manage operator accounts.
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
    /// Manage the master key that wraps every visitor's data key.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The console's IP allowlist.
    Access {
        #[command(subcommand)]
        command: AccessCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AccessCommand {
    /// Print the addresses and ranges the console answers (none: every address).
    Show,
    /// Empty the list, so that the console answers every address again (when a list shut
    /// everyone out).
    Reset,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check that every entry follows the one before it and matches its hash; name the first
    /// that does not (exit 1). Prints the newest entry's hash, to keep elsewhere.
    Verify,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Write a new master key file (mode 0600). Keep it outside the data folder and its
    /// backups; without it nothing sealed can be read.
    Generate {
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
    },
    /// Re-wrap every data key under the configured key (encryption_key_file), unwrapping with
    /// it or with previous_encryption_key_files. In batches; run again to resume.
    Rotate {
        #[arg(long, default_value_t = 500)]
        batch: u32,
    },
}

#[derive(Debug, Subcommand)]
enum OperatorCommand {
    /// Add an operator. The password is read from a prompt, or from the first line of
    /// standard input when it is not a terminal; with --link, the operator sets it through a
    /// one-time link printed instead.
    Add {
        #[arg(long)]
        email: String,
        /// The real name: shown in the console and the audit log only.
        #[arg(long)]
        name: String,
        /// What visitors see instead of the name; the name's first word when not given.
        #[arg(long)]
        alias: Option<String>,
        /// A role's name: admin, agent, or one defined in the console.
        #[arg(long, default_value = "agent")]
        role: String,
        /// Print a one-time link (24 hours) for the operator to set their password.
        #[arg(long)]
        link: bool,
    },
    /// List the operators: id, email, role, state, second factor.
    List,
    /// Change an operator: their role, disabled or enabled, second factor cleared (a lost
    /// phone). Never leaves no enabled operator who may manage operators.
    Change {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: Option<String>,
        /// Disabled operators cannot sign in; their sessions end at once.
        #[arg(long, conflicts_with = "enable")]
        disable: bool,
        #[arg(long)]
        enable: bool,
        /// Removes their authenticator app and recovery codes.
        #[arg(long)]
        clear_second_factor: bool,
    },
    /// Reset an operator's password: it stops working, their sessions end, and a one-time
    /// link (24 hours) to set a new one is printed.
    ResetPassword {
        #[arg(long)]
        email: String,
    },
    /// Remove an operator. Their sessions end at once, open consoles included; their past
    /// messages stay in the transcripts.
    Remove {
        #[arg(long)]
        email: String,
    },
}

/// The demo operator `--demo` creates once.
const DEMO_OPERATOR_EMAIL: &str = "demo@confide.example";

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_process(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("confide: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    confide_server::telemetry::init(&config.log);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("confide: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Serve { demo } => {
            // Opened once, before anything is served: a bad database stops the server.
            let geo = match Geo::from_config(&config) {
                Ok(g) => g,
                Err(e) => {
                    eprintln!("confide: configuration error: {e}");
                    return ExitCode::from(2);
                }
            };
            // The key store opens before the database: a wrong or missing key stops the
            // server before a byte of the database changes.
            let keys = match runtime.block_on(open_keys(&config, demo)) {
                Ok(k) => k,
                Err(e) => {
                    eprintln!("confide: {e}");
                    return ExitCode::from(2);
                }
            };
            runtime.block_on(serve(config, demo, geo, keys))
        }
        Command::Keys {
            command: KeysCommand::Generate { out },
        } => generate_key(&out),
        Command::Keys {
            command: KeysCommand::Rotate { batch },
        } => runtime.block_on(rotate_keys(&config, batch)),
        Command::Operator {
            command:
                OperatorCommand::Add {
                    email,
                    name,
                    alias,
                    role,
                    link,
                },
        } => runtime.block_on(add_operator(config, email, name, alias, role, link)),
        Command::Operator {
            command: OperatorCommand::List,
        } => runtime.block_on(list_operators(config)),
        Command::Operator {
            command:
                OperatorCommand::Change {
                    email,
                    role,
                    disable,
                    enable,
                    clear_second_factor,
                },
        } => {
            let change = OperatorChange {
                role,
                disabled: (disable || enable).then_some(disable),
                clear_second_factor,
                ..OperatorChange::default()
            };
            runtime.block_on(change_operator(config, email, change))
        }
        Command::Operator {
            command: OperatorCommand::ResetPassword { email },
        } => runtime.block_on(reset_password(config, email)),
        Command::Operator {
            command: OperatorCommand::Remove { email },
        } => runtime.block_on(remove_operator(config, email)),
        Command::Audit {
            command: AuditCommand::Verify,
        } => runtime.block_on(verify_audit(config)),
        Command::Access { command } => runtime.block_on(access(config, command)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("confide: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The demo's master key, kept beside its data for convenience only.
const DEMO_KEY_FILE: &str = "demo-master.key";

/// The configured master keys. With `--demo` and no key configured, the demo's own key
/// file in the data folder (created once), with a plain warning.
fn key_ring(config: &Config, demo: bool) -> anyhow::Result<KeyRing> {
    if let Some(primary) = config.encryption_key.clone() {
        return Ok(KeyRing {
            primary,
            others: config.previous_keys.clone(),
        });
    }
    if !demo {
        anyhow::bail!(
            "no encryption key: messages and what visitors type are sealed with it. Create one \
             with `confide keys generate --out /etc/confide/master.key` (outside the data \
             folder and its backups) and set encryption_key_file (CONFIDE_ENCRYPTION_KEY_FILE)"
        );
    }
    confide_server::files::private_dir(&config.data_dir)?;
    let path = config.data_dir.join(DEMO_KEY_FILE);
    let key = if path.exists() {
        MasterKey::read_file(&path)?
    } else {
        let key = MasterKey::generate()?;
        key.write_file(&path)?;
        key
    };
    eprintln!(
        "confide: demo: the master key is {} beside the data it protects. That is for the \
         demo only: in production keep the key elsewhere (encryption_key_file), or a copy of \
         the data folder opens everything.",
        path.display()
    );
    Ok(KeyRing::new(key))
}

async fn open_keys(config: &Config, demo: bool) -> anyhow::Result<Arc<KeyStore>> {
    let ring = key_ring(config, demo)?;
    let keys = match config.key_store_url.as_ref().and_then(|u| u.postgres()) {
        Some(url) => KeyStore::open_postgres(url, ring).await,
        None => {
            KeyStore::open(
                &config.key_store,
                ring,
                config.durability == confide_server::store::Durability::Full,
            )
            .await
        }
    }
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Arc::new(keys))
}

fn generate_key(out: &std::path::Path) -> anyhow::Result<()> {
    let key = MasterKey::generate()?;
    key.write_file(out)?;
    println!(
        "wrote master key {} to {} (mode 0600); set encryption_key_file to it",
        key.id,
        out.display()
    );
    Ok(())
}

async fn rotate_keys(config: &Config, batch: u32) -> anyhow::Result<()> {
    let keys = open_keys(config, false).await?;
    let mut done = 0;
    loop {
        let n = keys.rotate(batch.max(1)).await?;
        if n == 0 {
            break;
        }
        done += n;
        println!("re-wrapped {done} keys under {}", keys.primary_id());
    }
    let left = keys.not_rotated().await?;
    keys.close().await;
    println!(
        "done: {done} keys re-wrapped, {left} left under other keys; previous_encryption_key_files can go"
    );
    Ok(())
}

async fn serve(config: Config, demo: bool, geo: Geo, keys: Arc<KeyStore>) -> anyhow::Result<()> {
    let bus_key = keys.bus_key()?;
    let store = Store::open_sealed(
        &config.database_url,
        Arc::new(confide_server::clock::SystemClock),
        (&config).into(),
        keys,
    )
    .await?;
    let hub = Arc::new(Hub::new());
    if store.postgres_pool().is_some() {
        // Any number of nodes may share this database: events cross between them.
        confide_server::cluster::start(store.clone(), Arc::clone(&hub), bus_key)?;
    }
    if demo {
        let key = WidgetKey::parse("demo").map_err(|e| anyhow::anyhow!(e))?;
        if store.ensure_widget(&key, "Demo widget").await? {
            tracing::info!("created the demo widget");
        }
    }
    let demo_password = if demo && store.operator_count().await? == 0 {
        let generated = confide_server::auth::new_token()?[..20].to_owned();
        let hash = Password::new(generated.clone())
            .map_err(|e| anyhow::anyhow!(e))?
            .hash()?;
        store
            .add_operator_with_alias(DEMO_OPERATOR_EMAIL, "Demo Operator", "Sam", "admin", &hash)
            .await?;
        Some(generated)
    } else {
        None
    };
    let assets = Assets::load(&config.assets_dir);
    if assets.widget.is_none() || assets.console.is_none() {
        tracing::warn!(
            dir = %config.assets_dir.display(),
            "widget or console bundle missing; run `cargo xtask build`"
        );
    }
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?;
    let addr = listener.local_addr()?;
    // Install the signal handlers before announcing readiness, so a SIGTERM that follows the
    // banner always means a graceful stop.
    let shutdown = shutdown_signal()?;
    // The banner is for people; if nobody reads stdout (a closed pipe), keep serving.
    let _ = (|| -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "Confide listening on http://{addr}")?;
        if demo {
            writeln!(out, "  demo site page:  http://{addr}/")?;
            writeln!(out, "  operator console: http://{addr}/console")?;
            match &demo_password {
                Some(p) => writeln!(
                    out,
                    "  sign in as {DEMO_OPERATOR_EMAIL} with password {p} (shown this once; it is not stored in clear)"
                )?,
                None => writeln!(
                    out,
                    "  sign in with an operator account (the demo operator is {DEMO_OPERATOR_EMAIL}; its password was printed on the first run;\n  add another with `confide operator add --email ... --name ...`)"
                )?,
            }
        }
        out.flush()
    })();
    let state = AppState {
        store: store.clone(),
        assets: Arc::new(assets),
        hub,
        demo,
        geo: Arc::new(geo),
        limits: Arc::new(confide_server::limits::Limits::new(&config)),
        config: Arc::new(config),
    };
    confide_server::serve(listener, state, shutdown).await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// A display name from the command line: trimmed, 1 to `MAX_NAME_CHARS`, nothing hidden.
fn display_name(flag: &str, name: &str) -> anyhow::Result<String> {
    confide_protocol::accounts::checked_display_name(name)
        .map_err(|e| anyhow::anyhow!("{flag}: {e}"))
}

async fn add_operator(
    config: Config,
    email: String,
    name: String,
    alias: Option<String>,
    role: String,
    link: bool,
) -> anyhow::Result<()> {
    let email = email.trim().to_owned();
    if !confide_protocol::details::is_plausible_email(&email) {
        anyhow::bail!("--email: not an email address");
    }
    let name = display_name("--name", &name)?;
    let alias = match alias {
        Some(alias) => display_name("--alias", &alias)?,
        None => confide_protocol::chat::default_alias(&name),
    };
    let hash = if link {
        String::new()
    } else {
        let password = read_password()?;
        let password = Password::new(password).map_err(|e| anyhow::anyhow!("password: {e}"))?;
        password.hash()?
    };
    let store = Store::open(&config.database_url).await?;
    if !confide_protocol::roles::is_role_name(&role) || store.role(&role).await.is_err() {
        store.close().await;
        anyhow::bail!("--role: not a role here (admin, agent, or one defined in the console)");
    }
    let result = match store
        .add_operator_with_alias(&email, &name, &alias, &role, &hash)
        .await
    {
        Ok(id) => store
            .audit(cli_entry(AuditAction::OperatorAdded, id))
            .await
            .map(|_| id),
        Err(e) => Err(e),
    };
    let result = match result {
        Ok(id) if link => print_link(&config, &store, id, false).await.map(|_| id),
        other => other,
    };
    store.close().await;
    match result {
        Ok(id) => {
            println!("added operator {id} ({role})");
            Ok(())
        }
        Err(StoreError::Conflict) => anyhow::bail!("an operator with that email exists"),
        Err(e) => Err(e.into()),
    }
}

/// Makes a one-time link for the operator (with `reset`, their password and sessions end)
/// and prints it: under `public_url`, or the address the server binds.
async fn print_link(
    config: &Config,
    store: &Store,
    operator: i64,
    reset: bool,
) -> Result<(), StoreError> {
    use confide_protocol::accounts::LINK_TTL_HOURS;
    let token = confide_server::auth::new_token()
        .map_err(|e| StoreError::Other(sqlx::Error::Protocol(e.to_string())))?;
    store
        .issue_link(
            operator,
            &confide_server::auth::token_hash(&token),
            LINK_TTL_HOURS * 3600 * 1000,
            reset,
        )
        .await?;
    store
        .audit(cli_entry(AuditAction::PasswordLinkIssued, operator))
        .await?;
    let base = config.public_url.as_ref().map_or_else(
        || format!("http://{}", config.bind),
        |u| u.as_str().to_owned(),
    );
    println!("one-time link to set the password (works once, within {LINK_TTL_HOURS} hours):");
    println!("  {base}/console/set-password#{token}");
    Ok(())
}

async fn operator_id(store: &Store, email: &str) -> anyhow::Result<i64> {
    match store.operator_by_email(email.trim()).await {
        Ok(op) => Ok(op.id),
        Err(StoreError::NotFound) => anyhow::bail!("no operator with that email"),
        Err(e) => Err(e.into()),
    }
}

async fn list_operators(config: Config) -> anyhow::Result<()> {
    let store = Store::open(&config.database_url).await?;
    let list = store.operator_views().await;
    store.close().await;
    for op in list? {
        let state = match (op.disabled, op.password_set) {
            (true, _) => "disabled",
            (false, false) => "waiting for a password",
            (false, true) => "active",
        };
        let totp = if op.totp { ", authenticator app" } else { "" };
        println!("{}\t{}\t{}\t{state}{totp}", op.id, op.email, op.role);
    }
    Ok(())
}

async fn change_operator(
    config: Config,
    email: String,
    change: OperatorChange,
) -> anyhow::Result<()> {
    let store = Store::open(&config.database_url).await?;
    let result = async {
        let id = operator_id(&store, &email).await?;
        if let Some(role) = &change.role {
            if !confide_protocol::roles::is_role_name(role) || store.role(role).await.is_err() {
                anyhow::bail!("--role: not a role here (admin, agent, or one defined in the console)");
            }
        }
        match store.change_operator(id, &change).await {
            Ok(_) => {}
            Err(StoreError::Conflict) => anyhow::bail!(
                "this would leave no enabled operator whose role may manage operators; give another operator such a role first"
            ),
            Err(e) => return Err(e.into()),
        }
        if change.role.is_some() || change.disabled.is_some() {
            store.audit(cli_entry(AuditAction::OperatorChanged, id)).await?;
        }
        if change.clear_second_factor {
            store
                .audit(cli_entry(AuditAction::SecondFactorRemoved, id))
                .await?;
        }
        Ok(())
    }
    .await;
    store.close().await;
    result?;
    // A running server notices ended sessions within a second and closes their sockets.
    println!("changed the operator");
    Ok(())
}

async fn reset_password(config: Config, email: String) -> anyhow::Result<()> {
    let store = Store::open(&config.database_url).await?;
    let result = async {
        let id = operator_id(&store, &email).await?;
        print_link(&config, &store, id, true).await?;
        anyhow::Ok(())
    }
    .await;
    store.close().await;
    result
}

async fn remove_operator(config: Config, email: String) -> anyhow::Result<()> {
    let store = Store::open(&config.database_url).await?;
    let removed = match store.remove_operator(email.trim()).await {
        Ok(Some(id)) => store
            .audit(cli_entry(AuditAction::OperatorRemoved, id))
            .await
            .map(|_| Some(id)),
        other => other,
    };
    store.close().await;
    match removed {
        Ok(Some(_)) => {
            // A running server notices within a second and closes the operator's sockets.
            println!("removed the operator; their sessions have ended");
            Ok(())
        }
        Ok(None) => anyhow::bail!("no operator with that email"),
        Err(StoreError::Conflict) => anyhow::bail!(
            "this is the last operator whose role may manage operators; add another admin first"
        ),
        Err(e) => Err(e.into()),
    }
}

/// An audit entry for a change made on the command line (no operator is signed in).
fn cli_entry(action: AuditAction, operator: i64) -> AuditEntry {
    AuditEntry {
        operator_id: None,
        action,
        target: format!("operator:{operator}"),
        count: None,
    }
}

async fn access(config: Config, command: AccessCommand) -> anyhow::Result<()> {
    let store = Store::open(&config.database_url).await?;
    let result = async {
        match command {
            AccessCommand::Show => {
                let list = store.console_allowlist().await?;
                if list.is_empty() {
                    println!("the console answers every address (the allowlist is empty)");
                } else {
                    println!("the console answers only: {}", list.join(", "));
                }
            }
            AccessCommand::Reset => {
                store.save_console_allowlist(&[]).await?;
                store
                    .audit(AuditEntry {
                        operator_id: None,
                        action: AuditAction::AccessReset,
                        target: String::new(),
                        count: None,
                    })
                    .await?;
                println!("the allowlist is empty: the console answers every address again");
            }
        }
        Ok::<(), StoreError>(())
    }
    .await;
    store.close().await;
    result.map_err(Into::into)
}

async fn verify_audit(config: Config) -> anyhow::Result<()> {
    let store = Store::open(&config.database_url).await?;
    let check = store.verify_audit().await;
    store.close().await;
    match check? {
        AuditCheck::Intact { entries, newest } => {
            match newest {
                Some((id, hash)) => println!(
                    "audit log intact: {entries} entries; the newest, {id}, has hash {hash}"
                ),
                None => println!("audit log intact: no entries"),
            }
            Ok(())
        }
        AuditCheck::Broken { entry, why } => {
            anyhow::bail!("audit log broken at entry {entry}: it {why}")
        }
    }
}

fn read_password() -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Again: ")?;
        if first != again {
            anyhow::bail!("the passwords differ");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are registered when this is called.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let ctrl_c = tokio::signal::ctrl_c();
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
    })
}
