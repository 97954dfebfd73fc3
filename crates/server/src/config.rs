//! Server configuration: defaults, then an optional TOML file, then `CONFIDE_*` environment
//! variables, which win. Unknown keys and bad values are errors that name the key.

use std::ffi::OsString;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Every setting's file key. Its variable is `CONFIDE_` and the key in upper case
/// (`bind` → `CONFIDE_BIND`); a variable wins over the file. Any other `CONFIDE_*` variable
/// and any other file key is an error, so a typo (`CONFIDE_BINDD`) stops the server instead
/// of being silently ignored.
pub const SETTINGS: &[&str] = &[
    "bind",
    "data_dir",
    "database_url",
    "assets_dir",
    "log",
    "geoip_database",
    "client_ip_header",
    "country_header",
    "durability",
    "public_url",
    "cookie_secure",
    "session_idle_minutes",
    "purge_interval_minutes",
    "audit_retention_months",
    "logins_per_minute",
    "logins_per_client_per_minute",
    "hellos_per_widget_per_minute",
    "hellos_per_client_per_minute",
    "leave_messages_per_widget_per_minute",
    "leave_messages_per_client_per_minute",
    "messages_per_socket_per_minute",
    "typing_per_socket_per_minute",
    "messages_per_conversation",
    "conversations_per_visitor_per_day",
    "data_requests_per_operator_per_minute",
    "sockets_per_visitor",
    "max_sockets",
    "max_connections",
    "header_timeout_secs",
    "request_timeout_secs",
    "encryption_key_file",
    "encryption_key",
    "previous_encryption_key_files",
    "key_store",
];

/// The variable that names the configuration file (not a setting itself).
pub const CONFIG_VAR: &str = "CONFIDE_CONFIG";

/// The variable of a setting.
pub fn env_name(key: &str) -> String {
    format!("CONFIDE_{}", key.to_ascii_uppercase())
}

/// The file read when neither `--config` nor `CONFIDE_CONFIG` names one, if it exists.
pub const DEFAULT_FILE: &str = "confide.toml";

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Where conversations are stored.
    pub database_url: DatabaseUrl,
    /// Folder for the embedded SQLite database and other local state.
    pub data_dir: PathBuf,
    /// Folder holding the built `widget/` and `console/` bundles (`cargo xtask build`).
    pub assets_dir: PathBuf,
    /// Log filter, in `tracing_subscriber::EnvFilter` syntax.
    pub log: String,
    /// A MaxMind-format country database (GeoIP2 or GeoLite2 Country or City) for the
    /// country routers get; opened once at start-up. None: no GeoIP.
    pub geoip_database: Option<PathBuf>,
    /// A header set by a trusted proxy whose first address is the client's (such as
    /// `x-forwarded-for`), used for the GeoIP lookup only. None: the socket peer's address.
    /// Lower case.
    pub client_ip_header: Option<String>,
    /// A header set by a trusted proxy that carries the client's country (such as
    /// `cf-ipcountry`); wins over GeoIP. Lower case.
    pub country_header: Option<String>,
    /// What an acknowledged message survives (`full`: power loss; `normal`: a crash of the
    /// process, not a power loss).
    pub durability: Durability,
    /// Where browsers reach this server (scheme, host and port), such as
    /// `https://chat.example.com`. Socket handshakes and signed-in writes must come from it.
    /// None: from the origin the request's `Host` names.
    pub public_url: Option<PublicOrigin>,
    /// The session cookie is `Secure` (and named with the `__Host-` prefix). Off only for
    /// plain-http local use.
    pub cookie_secure: bool,
    /// A console session ends after this long without the operator doing anything.
    pub session_idle_minutes: u32,
    /// How often the retention purge runs (the first run is a minute after start).
    pub purge_interval_minutes: u32,
    /// How long audit entries are kept (months of 30 days); the purge removes older ones from
    /// the old end of the chain.
    pub audit_retention_months: u32,
    /// Sign-in attempts the whole server takes a minute (each hashes a password).
    pub logins_per_minute: u32,
    /// Sign-in attempts one client (by address, held in memory only) may make a minute.
    pub logins_per_client_per_minute: u32,
    /// Visitor `hello`s a widget takes a minute, from everyone together.
    pub hellos_per_widget_per_minute: u32,
    /// Visitor `hello`s one client may make a minute.
    pub hellos_per_client_per_minute: u32,
    pub leave_messages_per_widget_per_minute: u32,
    pub leave_messages_per_client_per_minute: u32,
    /// Messages one socket (visitor or operator) may send a minute.
    pub messages_per_socket_per_minute: u32,
    /// Typing and live-preview frames one socket may send a minute (each kind).
    pub typing_per_socket_per_minute: u32,
    /// Messages one conversation holds at most.
    pub messages_per_conversation: u32,
    /// Conversations one visitor may start a day.
    pub conversations_per_visitor_per_day: u32,
    /// Requests one operator may make a minute to the history, data requests and audit log.
    pub data_requests_per_operator_per_minute: u32,
    /// Sockets one visitor (token) may have open at once.
    pub sockets_per_visitor: u32,
    /// WebSockets this process holds at once.
    pub max_sockets: u32,
    /// TCP connections this process holds at once (sockets included); past it, new ones wait.
    pub max_connections: u32,
    /// A request's headers must have arrived this long after the connection is ready for one
    /// (slow or idle clients are disconnected).
    pub header_timeout_secs: u32,
    /// An HTTP request (not a socket) is answered within this long, or gets 408.
    pub request_timeout_secs: u32,
    /// The master key (from `encryption_key_file`, or `encryption_key` itself): it wraps
    /// every visitor's data key. Never stored in the database. Its `Debug` shows its id only.
    pub encryption_key: Option<crate::crypto::MasterKey>,
    /// Master keys being rotated away from: they still unwrap, they wrap nothing new.
    pub previous_keys: Vec<crate::crypto::MasterKey>,
    /// The key store (visitors' wrapped data keys), a file apart from the database...
    pub key_store: PathBuf,
    /// ...or a PostgreSQL database apart from the main one, which several nodes share
    /// (`key_store = postgres://…`).
    pub key_store_url: Option<DatabaseUrl>,
}

/// An origin: `http(s)://host[:port]`, lower case, without a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicOrigin(String);

impl PublicOrigin {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim().trim_end_matches('/');
        let lower = s.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
            .ok_or("expected http:// or https:// and a host, such as https://chat.example.com")?;
        if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
            return Err(
                "expected only a scheme, a host and an optional port, such as https://chat.example.com"
                    .into(),
            );
        }
        Ok(Self(lower))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }
}

impl Default for Config {
    fn default() -> Self {
        let data_dir = PathBuf::from("data");
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: DatabaseUrl::sqlite_in(&data_dir),
            data_dir,
            assets_dir: PathBuf::from("dist"),
            log: "info".to_owned(),
            geoip_database: None,
            client_ip_header: None,
            country_header: None,
            durability: Durability::Full,
            public_url: None,
            cookie_secure: true,
            session_idle_minutes: 30,
            purge_interval_minutes: 60,
            audit_retention_months: 24,
            logins_per_minute: 60,
            logins_per_client_per_minute: 10,
            hellos_per_widget_per_minute: 1200,
            hellos_per_client_per_minute: 60,
            leave_messages_per_widget_per_minute: 60,
            leave_messages_per_client_per_minute: 10,
            messages_per_socket_per_minute: 60,
            typing_per_socket_per_minute: 240,
            messages_per_conversation: 5000,
            conversations_per_visitor_per_day: 20,
            data_requests_per_operator_per_minute: 120,
            sockets_per_visitor: 5,
            max_sockets: 20_000,
            max_connections: 25_000,
            header_timeout_secs: 10,
            request_timeout_secs: 30,
            encryption_key: None,
            previous_keys: Vec::new(),
            key_store: PathBuf::from("data").join("keys.db"),
            key_store_url: None,
        }
    }
}

/// A database URL. Its `Debug` hides credentials, so it can sit in a logged struct.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.starts_with("sqlite:") {
            if s.trim_start_matches("sqlite:")
                .trim_start_matches("//")
                .is_empty()
            {
                return Err("a sqlite URL needs a file path, e.g. sqlite://data/confide.db".into());
            }
            Ok(Self(s.to_owned()))
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(Self(s.to_owned()))
        } else {
            Err("expected a sqlite:// or postgres:// URL, e.g. sqlite://data/confide.db".into())
        }
    }

    fn sqlite_in(dir: &Path) -> Self {
        Self(format!("sqlite://{}", dir.join("confide.db").display()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL itself when it names a PostgreSQL database.
    pub fn postgres(&self) -> Option<&str> {
        (self.0.starts_with("postgres://") || self.0.starts_with("postgresql://"))
            .then_some(self.0.as_str())
    }

    /// The file path of a sqlite URL, without query parameters.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self.0.strip_prefix("sqlite:")?;
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let path = rest.split('?').next().unwrap_or(rest);
        (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0.find("://"), self.0.rfind('@')) {
            (Some(s), Some(at)) if at > s => {
                write!(f, "DatabaseUrl({}://***{})", &self.0[..s], &self.0[at..])
            }
            _ => write!(f, "DatabaseUrl({})", self.0),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("config file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("{key}: {message}")]
    Value { key: String, message: String },
    #[error("{key}: unknown setting; known CONFIDE_* variables are {CONFIG_VAR}, {}", SETTINGS.iter().map(|k| env_name(k)).collect::<Vec<_>>().join(", "))]
    UnknownEnv { key: String },
}

impl Config {
    /// How long a console session may stay without activity, in milliseconds.
    pub fn session_idle_ms(&self) -> i64 {
        i64::from(self.session_idle_minutes) * 60 * 1000
    }

    /// Loads the configuration for this process: `cli_file` (from `--config`) or
    /// `CONFIDE_CONFIG` or `./confide.toml` if present, then the process environment.
    pub fn from_process(cli_file: Option<&Path>) -> Result<Self, ConfigError> {
        let env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
        let env_file = env
            .iter()
            .find(|(k, _)| k == CONFIG_VAR)
            .map(|(_, v)| PathBuf::from(v));
        let file = match (cli_file, env_file) {
            (Some(p), _) => Some(p.to_path_buf()),
            (None, Some(p)) => Some(p),
            (None, None) => Some(PathBuf::from(DEFAULT_FILE)).filter(|p| p.exists()),
        };
        Self::load(file.as_deref(), env)
    }

    /// Defaults, then `file` (which must exist when given), then `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (OsString, OsString)>,
    ) -> Result<Self, ConfigError> {
        let mut cfg = Config::default();
        let mut explicit_db = false;
        let mut explicit_keys = false;

        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
            let table: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::File {
                path: path.to_path_buf(),
                // The full text shows the offending line, so the key is always named.
                message: e.to_string().trim_end().to_owned(),
            })?;
            for (key, value) in &table {
                if !SETTINGS.contains(&key.as_str()) {
                    return Err(ConfigError::File {
                        path: path.to_path_buf(),
                        message: format!(
                            "unknown field `{key}`, expected one of {}",
                            SETTINGS
                                .iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    });
                }
                let text = match value {
                    toml::Value::String(v) => v.clone(),
                    toml::Value::Integer(v) => v.to_string(),
                    toml::Value::Float(v) => v.to_string(),
                    toml::Value::Boolean(v) => v.to_string(),
                    _ => {
                        return Err(ConfigError::Value {
                            key: key.clone(),
                            message: "expected a string, a number or true/false".into(),
                        })
                    }
                };
                explicit_db |= key == "database_url";
                explicit_keys |= key == "key_store";
                cfg.set(key, key, &text)?;
            }
        }

        let mut vars: Vec<(String, String)> = Vec::new();
        for (k, v) in env {
            let Some(k) = k.to_str() else { continue };
            if !k.starts_with("CONFIDE_") || k == CONFIG_VAR {
                continue;
            }
            if !SETTINGS.iter().any(|s| env_name(s) == k) {
                return Err(ConfigError::UnknownEnv { key: k.to_owned() });
            }
            let v = v.into_string().map_err(|_| ConfigError::Value {
                key: k.to_owned(),
                message: "not valid UTF-8".into(),
            })?;
            vars.push((k.to_owned(), v));
        }
        // In the settings' order, so CONFIDE_DATA_DIR is known before the default database URL.
        for key in SETTINGS {
            let name = env_name(key);
            if let Some((_, v)) = vars.iter().find(|(k, _)| *k == name) {
                explicit_db |= *key == "database_url";
                explicit_keys |= *key == "key_store";
                cfg.set(key, &name, v)?;
            }
        }
        if !explicit_db {
            cfg.database_url = DatabaseUrl::sqlite_in(&cfg.data_dir);
        }
        if !explicit_keys {
            cfg.key_store = cfg.data_dir.join("keys.db");
        }
        Ok(cfg)
    }

    /// Sets one setting from its text; `name` (the file key or the variable) names it in errors.
    fn set(&mut self, key: &str, name: &str, v: &str) -> Result<(), ConfigError> {
        match key {
            "bind" => self.bind = parse_bind(name, v)?,
            "data_dir" => self.data_dir = non_empty_path(name, PathBuf::from(v))?,
            "database_url" => self.database_url = parse_db(name, v)?,
            "assets_dir" => self.assets_dir = non_empty_path(name, PathBuf::from(v))?,
            "log" => self.log = parse_log(name, v)?,
            "geoip_database" => self.geoip_database = Some(non_empty_path(name, PathBuf::from(v))?),
            "client_ip_header" => self.client_ip_header = Some(parse_header(name, v)?),
            "country_header" => self.country_header = Some(parse_header(name, v)?),
            "durability" => {
                self.durability =
                    Durability::parse(v.trim()).map_err(|message| ConfigError::Value {
                        key: name.to_owned(),
                        message,
                    })?
            }
            "public_url" => {
                self.public_url =
                    Some(
                        PublicOrigin::parse(v).map_err(|message| ConfigError::Value {
                            key: name.to_owned(),
                            message,
                        })?,
                    )
            }
            "cookie_secure" => self.cookie_secure = parse_bool(name, v)?,
            "session_idle_minutes" => {
                self.session_idle_minutes = parse_number(name, v, 1, 24 * 60)?
            }
            "purge_interval_minutes" => {
                self.purge_interval_minutes = parse_number(name, v, 1, 7 * 24 * 60)?
            }
            "audit_retention_months" => {
                self.audit_retention_months = parse_number(name, v, 1, 120)?
            }
            "logins_per_minute" => self.logins_per_minute = parse_number(name, v, 1, 100_000)?,
            "logins_per_client_per_minute" => {
                self.logins_per_client_per_minute = parse_number(name, v, 1, 100_000)?
            }
            "hellos_per_widget_per_minute" => {
                self.hellos_per_widget_per_minute = parse_number(name, v, 1, 1_000_000)?
            }
            "hellos_per_client_per_minute" => {
                self.hellos_per_client_per_minute = parse_number(name, v, 1, 1_000_000)?
            }
            "leave_messages_per_widget_per_minute" => {
                self.leave_messages_per_widget_per_minute = parse_number(name, v, 1, 1_000_000)?
            }
            "leave_messages_per_client_per_minute" => {
                self.leave_messages_per_client_per_minute = parse_number(name, v, 1, 1_000_000)?
            }
            "messages_per_socket_per_minute" => {
                self.messages_per_socket_per_minute = parse_number(name, v, 1, 1_000_000)?
            }
            "typing_per_socket_per_minute" => {
                self.typing_per_socket_per_minute = parse_number(name, v, 1, 1_000_000)?
            }
            "messages_per_conversation" => {
                self.messages_per_conversation = parse_number(name, v, 1, 10_000_000)?
            }
            "conversations_per_visitor_per_day" => {
                self.conversations_per_visitor_per_day = parse_number(name, v, 1, 100_000)?
            }
            "data_requests_per_operator_per_minute" => {
                self.data_requests_per_operator_per_minute = parse_number(name, v, 1, 1_000_000)?
            }
            "sockets_per_visitor" => self.sockets_per_visitor = parse_number(name, v, 1, 1000)?,
            "max_sockets" => self.max_sockets = parse_number(name, v, 1, 10_000_000)?,
            "max_connections" => self.max_connections = parse_number(name, v, 1, 10_000_000)?,
            "header_timeout_secs" => self.header_timeout_secs = parse_number(name, v, 1, 3600)?,
            "request_timeout_secs" => self.request_timeout_secs = parse_number(name, v, 1, 3600)?,
            "encryption_key_file" => {
                self.encryption_key = Some(read_key_file(name, v)?);
            }
            // The value is never echoed: it is the key.
            "encryption_key" => {
                self.encryption_key =
                    Some(
                        crate::crypto::MasterKey::parse(v).map_err(|e| ConfigError::Value {
                            key: name.to_owned(),
                            message: e.to_string(),
                        })?,
                    )
            }
            "previous_encryption_key_files" => {
                self.previous_keys = v
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| read_key_file(name, p))
                    .collect::<Result<_, _>>()?
            }
            "key_store" if v.starts_with("postgres://") || v.starts_with("postgresql://") => {
                self.key_store_url = Some(parse_db(name, v)?);
            }
            "key_store" => self.key_store = non_empty_path(name, PathBuf::from(v))?,
            _ => {
                return Err(ConfigError::Value {
                    key: name.to_owned(),
                    message: "unknown setting".into(),
                })
            }
        }
        Ok(())
    }
}

/// A master key file (0600 or stricter; the error names the fix).
fn read_key_file(key: &str, v: &str) -> Result<crate::crypto::MasterKey, ConfigError> {
    let path = non_empty_path(key, PathBuf::from(v.trim()))?;
    crate::crypto::MasterKey::read_file(&path).map_err(|e| ConfigError::Value {
        key: key.to_owned(),
        message: e.to_string(),
    })
}

fn parse_bool(key: &str, v: &str) -> Result<bool, ConfigError> {
    match v.trim() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Value {
            key: key.to_owned(),
            message: "expected true or false".into(),
        }),
    }
}

/// A whole number from `min` to `max`.
fn parse_number<T: TryFrom<u64>>(key: &str, v: &str, min: u64, max: u64) -> Result<T, ConfigError> {
    v.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| ConfigError::Value {
            key: key.to_owned(),
            message: format!("expected a whole number from {min} to {max}"),
        })
}

fn parse_bind(key: &str, v: &str) -> Result<SocketAddr, ConfigError> {
    v.trim().parse().map_err(|_| ConfigError::Value {
        key: key.to_owned(),
        message: format!("{v:?} is not a socket address; expected e.g. 127.0.0.1:8080"),
    })
}

fn parse_db(key: &str, v: &str) -> Result<DatabaseUrl, ConfigError> {
    // The value is not echoed: a database URL may carry a password.
    DatabaseUrl::parse(v.trim()).map_err(|message| ConfigError::Value {
        key: key.to_owned(),
        message,
    })
}

fn parse_log(key: &str, v: &str) -> Result<String, ConfigError> {
    tracing_subscriber::EnvFilter::try_new(v)
        .map(|_| v.to_owned())
        .map_err(|e| ConfigError::Value {
            key: key.to_owned(),
            message: format!("not a valid log filter: {e}"),
        })
}

/// An HTTP header name, lower-cased (`X-Forwarded-For` → `x-forwarded-for`).
fn parse_header(key: &str, v: &str) -> Result<String, ConfigError> {
    axum::http::HeaderName::from_bytes(v.trim().as_bytes())
        .map(|name| name.as_str().to_owned())
        .map_err(|_| ConfigError::Value {
            key: key.to_owned(),
            message: "not an HTTP header name; expected e.g. X-Forwarded-For".into(),
        })
}

fn non_empty_path(key: &str, v: PathBuf) -> Result<PathBuf, ConfigError> {
    if v.as_os_str().is_empty() {
        return Err(ConfigError::Value {
            key: key.to_owned(),
            message: "must not be empty".into(),
        });
    }
    Ok(v)
}

/// What an acknowledged write survives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Every commit (one per batch of messages) is fsynced before it is acknowledged: an
    /// acknowledged message survives a power loss.
    #[default]
    Full,
    /// Commits reach the WAL file before the acknowledgement and the disk at checkpoints:
    /// a crash of the process loses nothing, a power loss may lose the last second or so.
    Normal,
}

impl Durability {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "full" => Ok(Durability::Full),
            "normal" => Ok(Durability::Normal),
            _ => Err("expected full or normal".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn env(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs
            .iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect()
    }

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(text.as_bytes()).expect("write");
        f
    }

    #[test]
    fn audit_entries_are_kept_24_months_unless_set_from_1_to_120() {
        let cfg = Config::load(None, env(&[])).expect("defaults");
        assert_eq!(cfg.audit_retention_months, 24);
        let cfg =
            Config::load(None, env(&[("CONFIDE_AUDIT_RETENTION_MONTHS", "36")])).expect("env");
        assert_eq!(cfg.audit_retention_months, 36);
        for bad in ["0", "121", "two years"] {
            let err = Config::load(None, env(&[("CONFIDE_AUDIT_RETENTION_MONTHS", bad)]))
                .expect_err("refused");
            let err = err.to_string();
            assert!(err.starts_with("CONFIDE_AUDIT_RETENTION_MONTHS: "), "{err}");
            assert!(!err.contains("two years"), "{err}");
        }
    }

    #[test]
    fn defaults_listen_on_loopback_8080_with_sqlite_under_data() {
        let cfg = Config::load(None, env(&[("PATH", "/bin")])).expect("defaults load");
        assert_eq!(cfg.bind, "127.0.0.1:8080".parse().expect("addr"));
        assert_eq!(cfg.purge_interval_minutes, 60);
        assert_eq!(cfg.database_url.as_str(), "sqlite://data/confide.db");
        assert_eq!(cfg.data_dir, PathBuf::from("data"));
        assert_eq!(cfg.assets_dir, PathBuf::from("dist"));
    }

    #[test]
    fn environment_wins_over_the_file() {
        let f = file("bind = \"127.0.0.1:9000\"\nlog = \"debug\"\n");
        let cfg = Config::load(Some(f.path()), env(&[("CONFIDE_BIND", "127.0.0.1:9001")]))
            .expect("loads");
        assert_eq!(cfg.bind.port(), 9001);
        assert_eq!(cfg.log, "debug", "file value kept where env is silent");
    }

    #[test]
    fn data_dir_moves_the_default_database_but_not_an_explicit_one() {
        let cfg = Config::load(None, env(&[("CONFIDE_DATA_DIR", "/tmp/x")])).expect("loads");
        assert_eq!(cfg.database_url.as_str(), "sqlite:///tmp/x/confide.db");
        let cfg = Config::load(
            None,
            env(&[
                ("CONFIDE_DATA_DIR", "/tmp/x"),
                ("CONFIDE_DATABASE_URL", "sqlite://elsewhere.db"),
            ]),
        )
        .expect("loads");
        assert_eq!(cfg.database_url.as_str(), "sqlite://elsewhere.db");
    }

    #[test]
    fn unknown_file_key_is_an_error_naming_it() {
        let f = file("bnd = \"127.0.0.1:9000\"\n");
        let err = Config::load(Some(f.path()), env(&[])).expect_err("unknown key refused");
        let msg = err.to_string();
        assert!(msg.contains("bnd"), "{msg}");
        assert!(matches!(err, ConfigError::File { .. }));
    }

    #[test]
    fn unknown_confide_variable_is_an_error_naming_it() {
        let err = Config::load(None, env(&[("CONFIDE_BINDD", "x")])).expect_err("refused");
        assert_eq!(
            err,
            ConfigError::UnknownEnv {
                key: "CONFIDE_BINDD".into()
            }
        );
        assert!(err
            .to_string()
            .starts_with("CONFIDE_BINDD: unknown setting"));
    }

    #[test]
    fn bad_values_are_errors_naming_the_key() {
        for (key, value) in [
            ("CONFIDE_BIND", "localhost"),
            ("CONFIDE_DATABASE_URL", "mysql://x"),
            ("CONFIDE_DATABASE_URL", "sqlite://"),
            ("CONFIDE_LOG", "info,[bad"),
            ("CONFIDE_DATA_DIR", ""),
            ("CONFIDE_PURGE_INTERVAL_MINUTES", "0"),
            ("CONFIDE_PURGE_INTERVAL_MINUTES", "10081"),
            ("CONFIDE_PURGE_INTERVAL_MINUTES", "hourly"),
        ] {
            let err = Config::load(None, env(&[(key, value)])).expect_err(key);
            assert!(
                err.to_string().starts_with(&format!("{key}: ")),
                "{key}: {err}"
            );
        }
        let f = file("bind = 8080\n");
        let err = Config::load(Some(f.path()), env(&[])).expect_err("wrong type refused");
        assert!(err.to_string().contains("bind"), "{err}");
    }

    #[test]
    fn routing_keys_come_from_the_file_and_the_environment() {
        let cfg = Config::load(None, env(&[])).expect("defaults");
        assert_eq!(cfg.geoip_database, None);
        assert_eq!(cfg.client_ip_header, None);
        assert_eq!(cfg.country_header, None);
        let f = file(
            "geoip_database = \"/srv/geo.mmdb\"\nclient_ip_header = \"X-Forwarded-For\"\ncountry_header = \"CF-IPCountry\"\n",
        );
        let cfg = Config::load(Some(f.path()), env(&[])).expect("file");
        assert_eq!(cfg.geoip_database, Some(PathBuf::from("/srv/geo.mmdb")));
        assert_eq!(cfg.client_ip_header.as_deref(), Some("x-forwarded-for"));
        assert_eq!(cfg.country_header.as_deref(), Some("cf-ipcountry"));
        let cfg = Config::load(
            Some(f.path()),
            env(&[
                ("CONFIDE_GEOIP_DATABASE", "/other.mmdb"),
                ("CONFIDE_CLIENT_IP_HEADER", "X-Real-IP"),
                ("CONFIDE_COUNTRY_HEADER", "X-Country"),
            ]),
        )
        .expect("env");
        assert_eq!(cfg.geoip_database, Some(PathBuf::from("/other.mmdb")));
        assert_eq!(cfg.client_ip_header.as_deref(), Some("x-real-ip"));
        assert_eq!(cfg.country_header.as_deref(), Some("x-country"));
        for (key, value) in [
            ("CONFIDE_GEOIP_DATABASE", ""),
            ("CONFIDE_CLIENT_IP_HEADER", "not a header"),
            ("CONFIDE_CLIENT_IP_HEADER", ""),
            ("CONFIDE_COUNTRY_HEADER", "CF:IPCountry"),
        ] {
            let err = Config::load(None, env(&[(key, value)])).expect_err(key);
            assert!(
                err.to_string().starts_with(&format!("{key}: ")),
                "{key}: {err}"
            );
        }
        let f = file("country_header = \"bad header\"\n");
        let err = Config::load(Some(f.path()), env(&[])).expect_err("bad header refused");
        assert!(err.to_string().starts_with("country_header: "), "{err}");
    }

    #[test]
    fn durability_is_full_unless_set_to_normal() {
        let cfg = Config::load(None, env(&[])).expect("defaults");
        assert_eq!(cfg.durability, Durability::Full);
        let f = file("durability = \"normal\"\n");
        let cfg = Config::load(Some(f.path()), env(&[])).expect("file");
        assert_eq!(cfg.durability, Durability::Normal);
        let cfg =
            Config::load(Some(f.path()), env(&[("CONFIDE_DURABILITY", "full")])).expect("env wins");
        assert_eq!(cfg.durability, Durability::Full);
        let err = Config::load(None, env(&[("CONFIDE_DURABILITY", "fast")])).expect_err("bad");
        assert!(
            err.to_string()
                .starts_with("CONFIDE_DURABILITY: expected full or normal"),
            "{err}"
        );
        let err =
            Config::load(Some(file("durability = [1]\n").path()), env(&[])).expect_err("an array");
        assert!(err.to_string().starts_with("durability: "), "{err}");
    }

    #[test]
    fn a_named_config_file_that_does_not_exist_is_an_error() {
        let err = Config::load(Some(Path::new("/nonexistent/confide.toml")), env(&[]))
            .expect_err("missing file refused");
        assert!(matches!(err, ConfigError::Read { .. }));
    }

    #[test]
    fn database_url_debug_hides_credentials() {
        let url = DatabaseUrl("postgres://user:hunter2@db:5432/confide".into());
        let shown = format!("{url:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("@db:5432"), "{shown}");
    }

    #[test]
    fn sqlite_path_strips_scheme_and_query() {
        let url = DatabaseUrl::parse("sqlite://data/c.db?mode=rwc").expect("url");
        assert_eq!(url.sqlite_path(), Some(PathBuf::from("data/c.db")));
        let url = DatabaseUrl::parse("sqlite:/abs/c.db").expect("url");
        assert_eq!(url.sqlite_path(), Some(PathBuf::from("/abs/c.db")));
    }
}
