//! Routers: the admin API and its refusals, the public configuration the widget fetches, the
//! country from a GeoIP database or a trusted proxy header, the iframe document at /r/{key},
//! and that the client's address stays out of the database and the log.

use crate::helpers::{error_code, spawn_app, Options, TestApp, FIXTURE_ROUTER_BOOTSTRAP};
use crate::sockets::{operator_cookie, operator_cookie_as};
use confide_protocol::router::RouterRules;
use confide_protocol::WidgetKey;
use confide_server::Config;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// In MaxMind's GeoIP2-Country-Test.mmdb: country GB (registered country US).
const GB_IP: &str = "81.2.69.142";
/// Country SE (registered country DE).
const SE_IP: &str = "89.160.20.128";
/// An IPv6 address in 2001:218::/32, country JP.
const JP_IP: &str = "2001:218::1";
/// In the database (214.1.1.0/24) with no country.
const NO_COUNTRY_IP: &str = "214.1.1.1";

/// MaxMind's test database, fetched by `cargo xtask setup`.
fn test_database() -> PathBuf {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/geoip/GeoIP2-Country-Test.mmdb");
    assert!(
        path.is_file(),
        "{} is missing: run `cargo xtask setup` (it fetches MaxMind's test database from the \
         maxminddb source package on PyPI)",
        path.display()
    );
    path
}

fn key(s: &str) -> WidgetKey {
    WidgetKey::parse(s).expect("key")
}

/// Widgets `private` and `sales` besides `demo`, and `unused`, which no rule names.
async fn add_widgets(app: &TestApp) {
    for (k, name) in [
        ("private", "Privacy team"),
        ("sales", "Sales team"),
        ("unused", "Unused"),
    ] {
        assert!(app
            .store
            .ensure_widget(&key(k), name)
            .await
            .expect("widget"));
    }
}

fn rules() -> Value {
    json!({
        "rules": [
            {"name": "EU visitors", "target": "private", "when": {"region_in": ["eu"]}},
            {"name": "Pricing page", "target": "sales",
             "when": {"page": [{"prefix": "https://shop.example/pricing"}], "device": ["desktop"]}}
        ],
        "default_widget": "demo",
        "unknown_location": "private"
    })
}

struct Admin {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Admin {
    async fn new(app: &TestApp) -> Admin {
        Admin {
            http: reqwest::Client::new(),
            base: app.url.clone(),
            cookie: operator_cookie_as(app, "admin@example.com", "Admin", "admin").await,
        }
    }

    async fn post(&self, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{}/api/admin/routers", self.base))
            .header("cookie", &self.cookie)
            .json(body)
            .send()
            .await
            .expect("post")
    }

    async fn put(&self, key: &str, body: &Value) -> reqwest::Response {
        self.http
            .put(format!("{}/api/admin/routers/{key}", self.base))
            .header("cookie", &self.cookie)
            .json(body)
            .send()
            .await
            .expect("put")
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("get")
    }
}

/// The `{code, message}` of an error response.
async fn error(res: reqwest::Response) -> (String, String) {
    let body: Value = res.json().await.expect("json error");
    (
        body["code"].as_str().expect("code").to_owned(),
        body["message"].as_str().expect("message").to_owned(),
    )
}

#[tokio::test]
async fn admins_create_list_read_and_replace_routers() {
    let app = spawn_app(Options::default()).await;
    add_widgets(&app).await;
    let admin = Admin::new(&app).await;

    let res = admin
        .post(&json!({"key": "site", "name": "  Main site  ", "rules": rules()}))
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.expect("json");
    assert_eq!(created, json!({"key": "site", "name": "Main site"}));
    let res = admin
        .post(&json!({"key": "another", "name": "Another", "rules":
            {"rules": [], "default_widget": "demo", "unknown_location": "demo"}}))
        .await;
    assert_eq!(res.status(), 201);

    let list: Value = admin
        .get("/api/admin/routers")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        list,
        json!([{"key": "another", "name": "Another"}, {"key": "site", "name": "Main site"}])
    );
    let res = admin.get("/api/admin/routers/site").await;
    assert_eq!(res.status(), 200);
    let stored: Value = res.json().await.expect("json");
    assert_eq!(stored, rules());

    let mut changed = rules();
    changed["rules"][0]["when"] = json!({"country_in": ["DE", "AT"], "language": ["de"]});
    changed["default_widget"] = json!("sales");
    let res = admin.put("site", &changed).await;
    assert_eq!(res.status(), 200);
    let saved: Value = res.json().await.expect("json");
    assert_eq!(saved, changed);
    let stored: Value = admin
        .get("/api/admin/routers/site")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(stored, changed);
    assert_eq!(
        app.store.router_rules(&key("site")).await.expect("rules"),
        serde_json::from_value::<RouterRules>(changed).expect("rules")
    );
    assert_eq!(app.store.router_count().await.expect("count"), 2);
    app.stop().await;
}

#[tokio::test]
async fn refused_creations_store_nothing_and_name_every_problem_without_values() {
    let app = spawn_app(Options::default()).await;
    add_widgets(&app).await;
    let admin = Admin::new(&app).await;
    let agent = operator_cookie(&app, "agent@example.com", "Agent").await;
    let url = format!("{}/api/admin/routers", app.url);
    let http = reqwest::Client::new();
    let new = json!({"key": "site", "name": "Main site", "rules": rules()});

    // Signed out, then an agent: neither may list or create.
    let res = http.get(&url).send().await.expect("get");
    assert_eq!(res.status(), 401);
    assert_eq!(error_code(res).await, "unauthorized");
    let res = http.post(&url).json(&new).send().await.expect("post");
    assert_eq!(res.status(), 401);
    let res = http
        .get(&url)
        .header("cookie", &agent)
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 403);
    assert_eq!(error_code(res).await, "forbidden");
    let res = http
        .post(&url)
        .header("cookie", &agent)
        .json(&new)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 403);
    assert_eq!(error_code(res).await, "forbidden");
    assert_eq!(app.store.router_count().await.expect("count"), 0);

    let with_rule = |when: Value, target: &str| {
        let mut body = new.clone();
        body["rules"]["rules"] = json!([{"name": "One", "target": target, "when": when}]);
        body
    };
    let mut unknown_defaults = new.clone();
    unknown_defaults["rules"]["default_widget"] = json!("nosuchwidget");
    unknown_defaults["rules"]["unknown_location"] = json!("nosuchwidget");
    let mut blank_name = new.clone();
    blank_name["name"] = json!("   ");
    for (body, fields) in [
        (
            with_rule(json!({"country_in": ["DE"]}), "nosuchwidget"),
            vec!["rules.rules.0.target: no widget has this key"],
        ),
        (
            unknown_defaults,
            vec!["rules.default_widget: ", "rules.unknown_location: "],
        ),
        (
            with_rule(json!({}), "sales"),
            vec!["rules.rules.0.when: a rule needs at least one condition"],
        ),
        (
            with_rule(
                json!({"country_in": ["DE", "FR"], "country_not_in": ["FR"]}),
                "sales",
            ),
            vec!["rules.rules.0.when.country_not_in.0: also listed in country_in"],
        ),
        (
            with_rule(
                json!({"country_in": ["US"], "region_in": ["eu"], "time_zone_in": ["Mars/Olympus"]}),
                "sales",
            ),
            vec![
                "rules.rules.0.when.region_in: none of the countries",
                "rules.rules.0.when.time_zone_in.0: unknown time zone",
            ],
        ),
        (blank_name, vec!["name: 1 to 80 characters"]),
    ] {
        let res = admin.post(&body).await;
        assert_eq!(res.status(), 400, "{body}");
        let (code, message) = error(res).await;
        assert_eq!(code, "invalid", "{message}");
        for field in fields {
            assert!(message.contains(field), "{field:?} named in: {message}");
        }
        for value in ["nosuchwidget", "Mars/Olympus"] {
            assert!(!message.contains(value), "{value} quoted in: {message}");
        }
    }

    // Bodies that are not a NewRouter at all.
    let res = http
        .post(&url)
        .header("cookie", &admin.cookie)
        .header("content-type", "application/json")
        .body(r#"{"key": "site", "name": "Main site", "rules": "#)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "malformed");
    let mut unknown_field = new.clone();
    unknown_field["rules"]["fallback"] = json!("demo");
    let mut unknown_condition = new.clone();
    unknown_condition["rules"]["rules"][0]["when"]["city_in"] = json!(["Berlin"]);
    let mut bad_key = new.clone();
    bad_key["key"] = json!("no");
    for body in [
        unknown_field,
        unknown_condition,
        bad_key,
        json!({"key": "site", "name": "Main site"}),
    ] {
        let res = admin.post(&body).await;
        assert_eq!(res.status(), 400, "{body}");
        let (code, message) = error(res).await;
        assert_eq!(code, "malformed", "{body}");
        assert!(!message.contains("Berlin"), "{message}");
    }
    assert_eq!(app.store.router_count().await.expect("count"), 0);

    // The key is taken: the first router stays as it was.
    assert_eq!(admin.post(&new).await.status(), 201);
    let mut again = new.clone();
    again["name"] = json!("Second");
    again["rules"]["default_widget"] = json!("sales");
    let res = admin.post(&again).await;
    assert_eq!(res.status(), 409);
    assert_eq!(error_code(res).await, "conflict");
    assert_eq!(app.store.router_count().await.expect("count"), 1);
    let list: Value = admin
        .get("/api/admin/routers")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list, json!([{"key": "site", "name": "Main site"}]));
    assert_eq!(
        app.store.router_rules(&key("site")).await.expect("rules"),
        serde_json::from_value::<RouterRules>(rules()).expect("rules")
    );
    app.stop().await;
}

#[tokio::test]
async fn refused_updates_change_nothing_and_unknown_routers_are_not_found() {
    let app = spawn_app(Options::default()).await;
    add_widgets(&app).await;
    let admin = Admin::new(&app).await;
    let agent = operator_cookie(&app, "agent@example.com", "Agent").await;
    let http = reqwest::Client::new();
    assert_eq!(
        admin
            .post(&json!({"key": "site", "name": "Main site", "rules": rules()}))
            .await
            .status(),
        201
    );
    let original: RouterRules = serde_json::from_value(rules()).expect("rules");
    let url = format!("{}/api/admin/routers/site", app.url);

    let res = http.get(&url).send().await.expect("get");
    assert_eq!(res.status(), 401);
    let res = http.put(&url).json(&rules()).send().await.expect("put");
    assert_eq!(res.status(), 401);
    for res in [
        http.get(&url).header("cookie", &agent).send().await,
        http.put(&url)
            .header("cookie", &agent)
            .json(&rules())
            .send()
            .await,
    ] {
        let res = res.expect("request");
        assert_eq!(res.status(), 403);
        assert_eq!(error_code(res).await, "forbidden");
    }

    let mut unknown_widget = rules();
    unknown_widget["rules"][1]["target"] = json!("nosuchwidget");
    let mut empty_rule = rules();
    empty_rule["rules"][0]["when"] = json!({});
    let mut contradictory = rules();
    contradictory["rules"][0]["when"] = json!({"country_in": ["GB"], "country_not_in": ["GB"]});
    let mut empty_list = rules();
    empty_list["rules"][1]["when"]["device"] = json!([]);
    for (body, field) in [
        (unknown_widget, "rules.1.target: "),
        (empty_rule, "rules.0.when: "),
        (contradictory, "rules.0.when.country_not_in.0: "),
        (empty_list, "rules.1.when.device: "),
    ] {
        let res = admin.put("site", &body).await;
        assert_eq!(res.status(), 400, "{body}");
        let (code, message) = error(res).await;
        assert_eq!(code, "invalid");
        assert!(message.contains(field), "{field} named in: {message}");
        assert!(!message.contains("rules.rules."), "{message}");
        assert!(!message.contains("nosuchwidget"), "{message}");
    }
    let mut unknown_field = rules();
    unknown_field["rules"][0]["priority"] = json!(1);
    let res = admin.put("site", &unknown_field).await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "malformed");
    let res = http
        .put(&url)
        .header("cookie", &admin.cookie)
        .header("content-type", "application/json")
        .body("{\"rules\": [")
        .send()
        .await
        .expect("put");
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "malformed");
    assert_eq!(
        app.store.router_rules(&key("site")).await.expect("rules"),
        original,
        "nothing was saved"
    );

    // Unknown routers: 404 not_found on every route, and nothing is created by a PUT.
    for res in [
        admin.get("/api/admin/routers/nosuchrouter").await,
        admin.put("nosuchrouter", &rules()).await,
        app.get("/api/router/nosuchrouter/config").await,
    ] {
        assert_eq!(res.status(), 404);
        assert_eq!(error_code(res).await, "not_found");
    }
    assert_eq!(app.store.router_count().await.expect("count"), 1);
    app.stop().await;
}

/// Creates router `site` with [`rules`] through the store.
async fn create_site_router(app: &TestApp) {
    add_widgets(app).await;
    let rules: RouterRules = serde_json::from_value(rules()).expect("rules");
    assert!(app
        .store
        .create_router(&key("site"), "Main site", &rules)
        .await
        .expect("router"));
}

#[tokio::test]
async fn the_public_configuration_carries_the_rules_and_only_the_target_widgets() {
    let app = spawn_app(Options::default()).await;
    create_site_router(&app).await;
    // A setting that shows the widgets' own settings are served, not defaults.
    let sales = app.store.widget_by_key(&key("sales")).await.expect("sales");
    let mut settings = app.store.widget_settings(sales.id).await.expect("settings");
    settings.privacy_mode = false;
    app.store
        .save_widget_settings(sales.id, settings)
        .await
        .expect("save");

    let res = app.get("/api/router/site/config").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("set-cookie").is_none());
    assert_eq!(res.headers()["cache-control"], "private, no-cache");
    let config: Value = res.json().await.expect("json");
    assert_eq!(config["rules"], rules());
    let widgets = config["widgets"].as_object().expect("widgets");
    let keys: Vec<&str> = widgets.keys().map(String::as_str).collect();
    assert_eq!(keys, ["demo", "private", "sales"], "targets only");
    assert_eq!(widgets["sales"]["privacy_mode"], false);
    assert_eq!(widgets["private"]["privacy_mode"], true);
    assert_eq!(
        widgets["demo"]["consent"]["required"], false,
        "the demo widget's saved settings"
    );
    assert!(
        config.get("country").is_none(),
        "no country source configured: {config}"
    );
    // It parses as the protocol's form.
    let _: confide_protocol::router::api::RouterConfig =
        serde_json::from_value(config).expect("RouterConfig");

    // Even with a proxy's headers, a server without a country source says nothing.
    let res = reqwest::Client::new()
        .get(format!("{}/api/router/site/config", app.url))
        .header("x-forwarded-for", GB_IP)
        .header("cf-ipcountry", "DE")
        .send()
        .await
        .expect("get");
    let config: Value = res.json().await.expect("json");
    assert!(config.get("country").is_none(), "{config}");

    let res = app.get("/api/router/no/config").await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "malformed");
    app.stop().await;
}

fn geo_options(
    geoip: bool,
    client_ip_header: Option<&str>,
    country_header: Option<&str>,
) -> Options {
    Options {
        config: Some(Config {
            geoip_database: geoip.then(test_database),
            client_ip_header: client_ip_header.map(str::to_owned),
            country_header: country_header.map(str::to_owned),
            ..crate::helpers::test_config()
        }),
        ..Options::default()
    }
}

async fn country(app: &TestApp, headers: &[(&str, &str)]) -> Option<String> {
    let mut req = reqwest::Client::new().get(format!("{}/api/router/site/config", app.url));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.expect("get");
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("set-cookie").is_none());
    let config: Value = res.json().await.expect("json");
    config
        .get("country")
        .map(|c| c.as_str().expect("a string").to_owned())
}

/// Every byte SQLite keeps for the app: the database file, its WAL and shared memory.
fn database_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let mut name = dir.as_os_str().to_owned();
        name.push(suffix);
        if let Ok(bytes) = std::fs::read(PathBuf::from(name)) {
            all.extend(bytes);
        }
    }
    assert!(!all.is_empty(), "the database was read");
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn geoip_gives_the_country_of_the_forwarded_address_and_keeps_no_address() {
    let app = spawn_app(geo_options(true, Some("x-forwarded-for"), None)).await;
    create_site_router(&app).await;
    let xff = "x-forwarded-for";
    assert_eq!(country(&app, &[(xff, GB_IP)]).await.as_deref(), Some("GB"));
    // The first address is the client's; the proxies' follow.
    assert_eq!(
        country(&app, &[(xff, &format!("{SE_IP}, 10.0.0.1, {GB_IP}"))])
            .await
            .as_deref(),
        Some("SE")
    );
    assert_eq!(country(&app, &[(xff, JP_IP)]).await.as_deref(), Some("JP"));
    assert_eq!(country(&app, &[(xff, NO_COUNTRY_IP)]).await, None);
    assert_eq!(country(&app, &[(xff, "garbage")]).await, None);
    // Behind a proxy the peer (127.0.0.1) is the proxy: no header, no lookup.
    assert_eq!(country(&app, &[]).await, None);
    // The country header is not trusted unless configured.
    assert_eq!(country(&app, &[("cf-ipcountry", "DE")]).await, None);

    let dir = app.stop().await;
    let bytes = if crate::helpers::on_postgres() {
        crate::helpers::db_and_wal_bytes(dir.path()).await
    } else {
        database_bytes(&crate::helpers::db_path(dir.path()))
    };
    for ip in [GB_IP, SE_IP, JP_IP, NO_COUNTRY_IP] {
        assert!(!contains(&bytes, ip), "{ip} is in the database");
    }
}

#[tokio::test]
async fn without_a_client_ip_header_forwarded_addresses_are_not_trusted() {
    let app = spawn_app(geo_options(true, None, None)).await;
    create_site_router(&app).await;
    // The peer's address is looked up instead (see geo.rs's unit tests): here 127.0.0.1,
    // which the test database does not know.
    assert_eq!(country(&app, &[]).await, None);
    assert_eq!(country(&app, &[("x-forwarded-for", GB_IP)]).await, None);
    app.stop().await;
}

#[tokio::test]
async fn a_trusted_country_header_wins_over_geoip_and_garbage_gives_no_country() {
    let app = spawn_app(geo_options(false, None, Some("cf-ipcountry"))).await;
    create_site_router(&app).await;
    let cf = "cf-ipcountry";
    assert_eq!(country(&app, &[(cf, "DE")]).await.as_deref(), Some("DE"));
    assert_eq!(country(&app, &[(cf, "at")]).await.as_deref(), Some("AT"));
    for garbage in ["XX", "T1", "Germany", "", "D E", "ZZ"] {
        assert_eq!(country(&app, &[(cf, garbage)]).await, None, "{garbage:?}");
    }
    assert_eq!(country(&app, &[]).await, None);
    app.stop().await;

    let app = spawn_app(geo_options(
        true,
        Some("x-forwarded-for"),
        Some("cf-ipcountry"),
    ))
    .await;
    create_site_router(&app).await;
    let xff = "x-forwarded-for";
    assert_eq!(
        country(&app, &[(cf, "DE"), (xff, GB_IP)]).await.as_deref(),
        Some("DE"),
        "the header wins"
    );
    assert_eq!(
        country(&app, &[(cf, "XX"), (xff, GB_IP)]).await.as_deref(),
        Some("GB"),
        "GeoIP when the header says nothing"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_router_document_is_its_own_page_with_the_same_strict_policy() {
    let app = spawn_app(Options::default()).await;
    create_site_router(&app).await;
    let widget = app.get("/w/demo").await;
    let widget_csp = widget.headers()["content-security-policy"].clone();
    let widget_csp = widget_csp.to_str().expect("ascii");

    let res = app.get("/r/site").await;
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    // The same policy as the widget's, allowing exactly the router page's inline bootstrap.
    assert_eq!(
        csp,
        confide_server::assets::widget_csp(&format!("<script>{FIXTURE_ROUTER_BOOTSTRAP}</script>"))
    );
    assert_ne!(csp, widget_csp);
    assert!(!csp.contains("unsafe-inline"));
    assert!(res.headers().get("set-cookie").is_none());
    assert!(res.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/html"));
    let body = res.text().await.expect("body");
    assert!(body.contains(FIXTURE_ROUTER_BOOTSTRAP));
    // Its assets are served under /router/.
    assert_eq!(app.get("/router/r.js").await.status(), 200);
    assert_eq!(app.get("/router/nope.js").await.status(), 404);

    // Unknown and malformed keys are refused as at /w/.
    for prefix in ["/w/", "/r/"] {
        let res = app.get(&format!("{prefix}nosuchrouter")).await;
        assert_eq!(res.status(), 404, "{prefix}");
        assert_eq!(error_code(res).await, "widget_not_found", "{prefix}");
        let res = app.get(&format!("{prefix}ab")).await;
        assert_eq!(res.status(), 400, "{prefix}");
        assert_eq!(error_code(res).await, "malformed", "{prefix}");
    }
    // A router key is not a widget key, and the other way round.
    assert_eq!(app.get("/w/site").await.status(), 404);
    assert_eq!(app.get("/r/demo").await.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn the_real_server_resolves_the_country_without_logging_or_storing_the_address() {
    use crate::process::{db_file, Server};
    let dir = tempfile::tempdir().expect("tmp");
    crate::helpers::write_bundles(&dir.path().join("dist"));
    // The router exists before the server starts.
    {
        let url = confide_server::config::DatabaseUrl::parse(&format!(
            "sqlite://{}",
            db_file(dir.path()).display()
        ))
        .expect("url");
        let store = confide_server::store::Store::open(&url)
            .await
            .expect("store");
        for k in ["demo", "private", "sales"] {
            store
                .ensure_widget(&key(k), "A widget")
                .await
                .expect("widget");
        }
        let rules: RouterRules = serde_json::from_value(rules()).expect("rules");
        assert!(store
            .create_router(&key("site"), "Main site", &rules)
            .await
            .expect("router"));
        store.close().await;
    }
    // ./confide.toml is read from the server's working folder.
    std::fs::write(
        dir.path().join("confide.toml"),
        format!(
            "geoip_database = {:?}\nclient_ip_header = \"X-Forwarded-For\"\n",
            test_database().display().to_string()
        ),
    )
    .expect("config file");
    // The most talkative level the server has.
    let server = Server::start(dir.path(), "127.0.0.1:0", "debug");
    let http = reqwest::Client::new();
    for (ip, want) in [(GB_IP, Some("GB")), (SE_IP, Some("SE")), ("garbage", None)] {
        let res = http
            .get(format!("{}/api/router/site/config", server.url))
            .header("x-forwarded-for", ip)
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 200);
        let config: Value = res.json().await.expect("json");
        assert_eq!(config.get("country").and_then(Value::as_str), want, "{ip}");
    }
    // The widget's next requests carry the same header: the address is not kept there either.
    let res = http
        .get(format!("{}/r/site", server.url))
        .header("x-forwarded-for", GB_IP)
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 200);
    let res = http
        .post(format!("{}/api/widget/demo/leave-message", server.url))
        .header("x-forwarded-for", GB_IP)
        .json(&json!({"text": "hello from a routed visitor", "consent": crate::helpers::demo_consent()}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 201);
    let log = server.stop();
    assert!(
        log.contains("GeoIP database loaded"),
        "the database was opened:\n{log}"
    );
    assert!(
        log.contains("/api/router/{key}/config"),
        "requests were logged:\n{log}"
    );
    for ip in [GB_IP, SE_IP, "81.2.69", "89.160.20"] {
        assert!(!log.contains(ip), "the log contains {ip}:\n{log}");
    }
    for line in log.lines() {
        let words: Vec<&str> = line.split(|c: char| !c.is_ascii_alphanumeric()).collect();
        for country in ["GB", "SE"] {
            assert!(
                !words.contains(&country),
                "the log names the country {country}: {line}"
            );
        }
    }
    let bytes = database_bytes(&db_file(dir.path()));
    for ip in [GB_IP, SE_IP] {
        assert!(!contains(&bytes, ip), "{ip} is in the database");
    }
}

#[test]
fn a_geoip_database_that_cannot_be_opened_stops_the_server_with_exit_2() {
    let dir = tempfile::tempdir().expect("tmp");
    let junk = dir.path().join("junk.mmdb");
    std::fs::write(&junk, b"not a database").expect("write");
    for path in [dir.path().join("missing.mmdb"), junk] {
        let out = crate::process::confide(dir.path())
            .args(["serve"])
            .env("CONFIDE_BIND", "127.0.0.1:0")
            .env("CONFIDE_GEOIP_DATABASE", &path)
            .output()
            .expect("run confide");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("configuration error: geoip_database: "),
            "{stderr}"
        );
        assert!(
            !stderr.contains("Confide listening"),
            "never started: {stderr}"
        );
    }
}

#[tokio::test]
async fn malformed_rules_are_refused_without_quoting_the_values_sent() {
    let app = spawn_app(Options::default()).await;
    add_widgets(&app).await;
    let admin = Admin::new(&app).await;
    for (when, expected) in [
        (json!({"region_in": ["canaryregion"]}), "`gdpr`"),
        (json!({"device": ["canarydevice"]}), "`desktop`"),
        (json!({"page": [{"canaryregex": "x+"}]}), "`glob`"),
        (
            json!({"schedule": {"time_zone": "UTC", "days": ["canaryday"], "from": "09:00", "to": "10:00"}}),
            "`mon`",
        ),
        (json!({"country_in": "CANARYDE"}), "a sequence"),
        (json!({"country_in": [424242]}), "a string"),
    ] {
        let mut body = json!({"key": "site", "name": "Main site", "rules": rules()});
        body["rules"]["rules"][0]["when"] = when.clone();
        let res = admin.post(&body).await;
        assert_eq!(res.status(), 400, "{when}");
        let (code, message) = error(res).await;
        assert_eq!(code, "malformed", "{message}");
        assert!(message.contains(expected), "{expected} in: {message}");
        let res = admin.put("site", &body["rules"]).await;
        assert_eq!(res.status(), 400, "{when}");
        let (_, put_message) = error(res).await;
        for message in [message, put_message] {
            for value in ["canary", "CANARY", "424242"] {
                assert!(!message.contains(value), "{value} quoted in: {message}");
            }
        }
    }
    assert_eq!(app.store.router_count().await.expect("count"), 0);
    app.stop().await;
}
