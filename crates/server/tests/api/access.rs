//! The console's IP allowlist (issue 15): a list that leaves out the client's address shuts
//! the console page, the operator API (sign-in included, before any password) and the operator
//! socket, and nothing else; saving one that shuts out its own saver needs a confirmation; bad
//! entries are named by position and never quoted; behind a proxy the client IP header
//! decides; `confide access reset` opens it again. Each change is audited, no address kept.

use crate::helpers::{post_json, spawn_app, test_config, Options, TestApp};
use crate::sockets::*;
use serde_json::{json, Value};

async fn put(app: &TestApp, cookie: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .put(format!("{}/api/admin/access", app.url))
        .header("cookie", cookie)
        .json(&body)
        .send()
        .await
        .expect("put")
}

async fn login(app: &TestApp, email: &str) -> reqwest::Response {
    post_json(
        &format!("{}/api/operator/login", app.url),
        json!({"email": email, "password": "operator password 1"}),
        None,
    )
    .await
}

#[tokio::test]
async fn a_list_without_the_clients_address_shuts_the_console_and_the_cli_opens_it() {
    let app = spawn_app(Options::default()).await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let (mut ws, _) = operator_socket(&app, &admin).await;

    for (list, starts) in [
        (
            json!(["10.0.0.0/8", "canary.example"]),
            "allowlist.1: not an address",
        ),
        (json!(["10.0.0.0/33"]), "allowlist.0:"),
        (json!(["::1", ""]), "allowlist.1:"),
    ] {
        let res = put(&app, &admin, json!({"allowlist": list})).await;
        assert_eq!(res.status(), 400);
        let m = res.json::<Value>().await.expect("json")["message"]
            .as_str()
            .expect("m")
            .to_owned();
        assert!(m.starts_with(starts) && !m.contains("canary"), "{m}");
    }
    // A list that leaves out the saver's own address (127.0.0.1) needs a confirmation.
    let list = json!({"allowlist": ["10.1.2.3/8", "2001:db8::/32"]});
    let res = put(&app, &admin, list.clone()).await;
    assert_eq!(res.status(), 409);
    let res = reqwest::Client::new()
        .get(format!("{}/api/admin/access", app.url))
        .header("cookie", &admin)
        .send()
        .await
        .expect("get");
    assert_eq!(
        res.json::<Value>().await.expect("json")["allowlist"],
        json!([])
    );
    let mut confirmed = list.clone();
    confirmed["lock_out_confirmed"] = json!(true);
    let res = put(&app, &admin, confirmed).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.expect("json")["allowlist"],
        json!(["10.0.0.0/8", "2001:db8::/32"]),
        "ranges as saved, normalised"
    );

    // Now 127.0.0.1 is outside: the console page, the API (sign-in before any password,
    // a valid cookie too) and a new operator socket are refused; visitors are not.
    let page = app.get("/console").await;
    assert_eq!(page.status(), 403);
    assert!(page.headers()["content-type"]
        .to_str()
        .expect("ct")
        .starts_with("text/html"));
    let html = page.text().await.expect("html");
    assert!(html.contains("not available from this network"), "{html}");
    assert!(html.contains("confide access reset"));
    let res = login(&app, "admin@example.com").await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.json::<Value>().await.expect("json")["code"],
        "forbidden"
    );
    let res = reqwest::Client::new()
        .get(format!("{}/api/operator/me", app.url))
        .header("cookie", &admin)
        .send()
        .await
        .expect("me");
    assert_eq!(res.status(), 403);
    assert!(try_connect(&app, "/ws/operator", Some(&admin), None)
        .await
        .is_err());
    assert_eq!(app.get("/api/widget/demo/config").await.status(), 200);
    assert_eq!(app.get("/healthz").await.status(), 200);
    let mut v = connect(&app, "/ws/visitor", None).await;
    visitor_hello(&mut v, None, None).await;
    drop(ws.close(None).await);

    // The command line empties it; the console answers again.
    let out = crate::process::confide_with_db(app.dir.path())
        .args(["access", "reset"])
        .output()
        .expect("confide access reset");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(login(&app, "admin@example.com").await.status(), 200);
    assert_eq!(app.get("/console").await.status(), 200);
    let log = app.store.audit_entries(0, 1000).await.expect("audit");
    let acts: Vec<(&str, Option<i64>)> = log
        .iter()
        .filter(|r| r.action.starts_with("access_"))
        .map(|r| (r.action.as_str(), r.count))
        .collect();
    assert_eq!(acts, [("access_changed", Some(2)), ("access_reset", None)]);
    assert!(log.iter().all(|r| !r.target.contains("127.0.0.1")));
    app.stop().await;
}

#[tokio::test]
async fn behind_a_proxy_the_client_ip_header_decides() {
    let app = spawn_app(Options {
        config: Some(confide_server::Config {
            client_ip_header: Some("x-forwarded-for".into()),
            ..test_config()
        }),
        ..Options::default()
    })
    .await;
    operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    app.store
        .save_console_allowlist(&["203.0.113.0/24".into()])
        .await
        .expect("save");
    let from = |xff: Option<&str>| {
        let mut req = reqwest::Client::new()
            .post(format!("{}/api/operator/login", app.url))
            .json(&json!({"email": "admin@example.com", "password": "operator password 1"}));
        if let Some(x) = xff {
            req = req.header("x-forwarded-for", x);
        }
        req.send()
    };
    assert_eq!(from(Some("203.0.113.7")).await.expect("in").status(), 200);
    assert_eq!(from(Some("198.51.100.7")).await.expect("out").status(), 403);
    assert_eq!(
        from(None).await.expect("none").status(),
        403,
        "no address, no entry"
    );
    app.stop().await;
}
