//! The `confide` command: runs the server and (later) administers it.

use clap::{Parser, Subcommand};
use confide_protocol::WidgetKey;
use confide_server::{assets::Assets, store::Store, AppState, Config};
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
}

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
        Command::Serve { demo } => runtime.block_on(serve(config, demo)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("confide: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let store = Store::open(&config.database_url).await?;
    if demo {
        let key = WidgetKey::parse("demo").map_err(|e| anyhow::anyhow!(e))?;
        if store.ensure_widget(&key, "Demo widget").await? {
            tracing::info!("created the demo widget");
        }
    }
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
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "Confide listening on http://{addr}")?;
        if demo {
            writeln!(out, "  demo site page:  http://{addr}/")?;
            writeln!(out, "  operator console: http://{addr}/console")?;
        }
        out.flush()?;
    }
    let state = AppState {
        store: store.clone(),
        assets: Arc::new(assets),
        demo,
    };
    confide_server::serve(listener, state, shutdown_signal()).await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
