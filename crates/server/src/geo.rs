//! The visitor's country for routers, without keeping the IP address: from a trusted proxy's
//! country header, else from a MaxMind-format country database looked up in memory.
//!
//! The address is read into a local variable, looked up and dropped: it is never stored,
//! logged (at any level) or put in an error message, and neither is the country.

use crate::config::Config;
use axum::http::{HeaderMap, HeaderName};
use confide_protocol::router::is_known_country;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

/// Where the country comes from, as configured. Built once at start-up.
#[derive(Default)]
pub struct Geo {
    database: Option<maxminddb::Reader<Vec<u8>>>,
    /// The trusted proxy header whose first address is the client's.
    client_ip_header: Option<HeaderName>,
    /// The trusted proxy header that carries the country.
    country_header: Option<HeaderName>,
}

impl fmt::Debug for Geo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Geo")
            .field("database", &self.database.is_some())
            .field("client_ip_header", &self.client_ip_header)
            .field("country_header", &self.country_header)
            .finish()
    }
}

impl Geo {
    /// No country source: routers get no country from the server.
    pub fn disabled() -> Self {
        Self::default()
    }

    /// Opens the configured database (a missing or unreadable file, or one that is not a
    /// MaxMind DB, is an error naming `geoip_database`) and takes the header names.
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let database = config.geoip_database.as_deref().map(open).transpose()?;
        let header = |name: &Option<String>, key: &str| {
            name.as_deref()
                .map(|n| {
                    HeaderName::from_bytes(n.as_bytes())
                        .map_err(|_| format!("{key}: not an HTTP header name"))
                })
                .transpose()
        };
        Ok(Self {
            database,
            client_ip_header: header(&config.client_ip_header, "client_ip_header")?,
            country_header: header(&config.country_header, "country_header")?,
        })
    }

    /// Whether any country source is configured.
    pub fn is_enabled(&self) -> bool {
        self.database.is_some() || self.country_header.is_some()
    }

    /// The client's country (a known ISO 3166-1 alpha-2 code): the country header when it
    /// carries one, else the GeoIP database's answer for the client's address (the first one
    /// in the client IP header when configured, else `peer`). `None` when nothing says.
    pub fn country(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<String> {
        if let Some(code) = self
            .country_header
            .as_ref()
            .and_then(|name| headers.get(name))
            .and_then(|v| v.to_str().ok())
            .and_then(known_code)
        {
            return Some(code);
        }
        let database = self.database.as_ref()?;
        lookup(database, self.client_address(headers, peer)?)
    }

    /// The client's address: the first one in the client IP header when configured, else
    /// `peer` (the socket's). For the GeoIP lookup and the in-memory rate limits only.
    pub fn client_address(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<IpAddr> {
        match &self.client_ip_header {
            // Behind a proxy the peer is the proxy: without the header there is no client
            // address.
            Some(name) => first_address(headers.get(name)?.to_str().ok()?),
            None => peer,
        }
    }
}

fn open(path: &Path) -> Result<maxminddb::Reader<Vec<u8>>, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("geoip_database: cannot read {}: {e}", path.display()))?;
    let reader = maxminddb::Reader::from_source(bytes).map_err(|e| {
        format!(
            "geoip_database: {} is not a MaxMind database: {e}",
            path.display()
        )
    })?;
    tracing::info!(
        database_type = %reader.metadata().database_type,
        built = reader.metadata().build_epoch,
        "GeoIP database loaded"
    );
    Ok(reader)
}

/// `country.iso_code` of the record for `ip`, if it is a known code. Lookup errors are
/// dropped unlogged: what the reader says could name the address.
fn lookup(database: &maxminddb::Reader<Vec<u8>>, ip: IpAddr) -> Option<String> {
    let found = database.lookup(ip).ok()?;
    let code: Option<String> = found
        .decode_path(&[
            maxminddb::PathElement::Key("country"),
            maxminddb::PathElement::Key("iso_code"),
        ])
        .ok()?;
    code.as_deref().and_then(known_code)
}

/// A known country code in any case (`de` → `DE`); proxies' placeholders such as `XX` or
/// `T1` are not codes.
fn known_code(value: &str) -> Option<String> {
    let code = value.trim().to_ascii_uppercase();
    (code.len() == 2 && is_known_country(&code)).then_some(code)
}

/// The first address of an `X-Forwarded-For`-style list: `a, b, c` → `a`; a port or IPv6
/// brackets are allowed (`1.2.3.4:5678`, `[2001:db8::1]:443`).
fn first_address(value: &str) -> Option<IpAddr> {
    let first = value.split(',').next()?.trim();
    first
        .parse::<IpAddr>()
        .ok()
        .or_else(|| first.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            first
                .strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|r| r.parse().ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_first_forwarded_address_is_the_client() {
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        assert_eq!(first_address("81.2.69.142"), ip("81.2.69.142"));
        assert_eq!(first_address(" 81.2.69.142 , 10.0.0.1"), ip("81.2.69.142"));
        assert_eq!(first_address("81.2.69.142:5678"), ip("81.2.69.142"));
        assert_eq!(first_address("2001:db8::1, 10.0.0.1"), ip("2001:db8::1"));
        assert_eq!(first_address("[2001:db8::1]:443"), ip("2001:db8::1"));
        assert_eq!(first_address("[2001:db8::1]"), ip("2001:db8::1"));
        for bad in ["", "unknown", "example.com", ", 10.0.0.1", "1.2.3"] {
            assert_eq!(first_address(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_known_country_codes_count() {
        assert_eq!(known_code("DE").as_deref(), Some("DE"));
        assert_eq!(known_code(" de ").as_deref(), Some("DE"));
        for bad in ["", "XX", "T1", "DEU", "D", "Germany", "ÄÖ"] {
            assert_eq!(known_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_country_header_is_read_only_when_configured() {
        let mut headers = HeaderMap::new();
        headers.insert("cf-ipcountry", HeaderValue::from_static("AT"));
        assert_eq!(Geo::disabled().country(&headers, None), None);
        assert!(!Geo::disabled().is_enabled());
        let geo = Geo::from_config(&Config {
            country_header: Some("cf-ipcountry".into()),
            ..Config::default()
        })
        .expect("geo");
        assert!(geo.is_enabled());
        assert_eq!(geo.country(&headers, None).as_deref(), Some("AT"));
        headers.insert("cf-ipcountry", HeaderValue::from_static("XX"));
        assert_eq!(geo.country(&headers, None), None);
    }

    /// MaxMind's test database, fetched by `cargo xtask setup`.
    fn test_database() -> std::path::PathBuf {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../.tools/geoip/GeoIP2-Country-Test.mmdb");
        assert!(
            path.is_file(),
            "{} is missing: run `cargo xtask setup`",
            path.display()
        );
        path
    }

    #[test]
    fn the_peer_address_is_looked_up_unless_a_client_ip_header_is_configured() {
        let gb: IpAddr = "81.2.69.142".parse().expect("ip");
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("89.160.20.128"));
        let peer_only = Geo::from_config(&Config {
            geoip_database: Some(test_database()),
            ..Config::default()
        })
        .expect("geo");
        assert_eq!(peer_only.country(&headers, Some(gb)).as_deref(), Some("GB"));
        assert_eq!(peer_only.country(&headers, None), None);
        let behind_proxy = Geo::from_config(&Config {
            geoip_database: Some(test_database()),
            client_ip_header: Some("x-forwarded-for".into()),
            ..Config::default()
        })
        .expect("geo");
        assert_eq!(
            behind_proxy.country(&headers, Some(gb)).as_deref(),
            Some("SE")
        );
        assert_eq!(behind_proxy.country(&HeaderMap::new(), Some(gb)), None);
        assert!(format!("{behind_proxy:?}").contains("database: true"));
    }

    #[test]
    fn a_missing_database_is_an_error_naming_the_key() {
        let err = Geo::from_config(&Config {
            geoip_database: Some("/nonexistent/geo.mmdb".into()),
            ..Config::default()
        })
        .expect_err("missing file refused");
        assert!(err.starts_with("geoip_database: "), "{err}");
        let dir = tempfile::tempdir().expect("tmp");
        let junk = dir.path().join("junk.mmdb");
        std::fs::write(&junk, b"not a database").expect("write");
        let err = Geo::from_config(&Config {
            geoip_database: Some(junk),
            ..Config::default()
        })
        .expect_err("junk refused");
        assert!(err.contains("not a MaxMind database"), "{err}");
    }
}
