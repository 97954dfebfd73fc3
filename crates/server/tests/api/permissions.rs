//! Every operator-side route is covered by one permission check (issue 15). The test reads the
//! route table from the source (`.route("…", get(…).post(…))` in `src/http/*.rs`), fails on an
//! operator-side route (`/api/operator/*`, `/api/admin/*`, `/ws/operator`) that the table
//! below does not classify, and then proves each classification against the running server:
//! a role holding every permission except the route's gets 403 `forbidden`; one holding that
//! permission alone does not; a request without a session gets 401.

use crate::helpers::{post_json, spawn_app, Options, TestApp};
use crate::sockets::*;
use serde_json::{json, Value};

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// Nobody signed in (signing in and out).
    Public,
    /// Any signed-in operator, even one who must enrol a second factor first (`me`, the
    /// enrolment itself).
    Enrolling,
    /// Any signed-in operator who has the second factor their role requires.
    SignedIn,
    Settings,
    ReadTranscripts,
    EditTranscripts,
    Operators,
    Audit,
    /// Settings, transcripts read or operators: any of them.
    SeeWidgets,
}

const TABLE: &[(&str, &str, Needs)] = &[
    ("POST", "/api/operator/login", Needs::Public),
    // Ends whatever session the cookie names, if any: 204 either way.
    ("POST", "/api/operator/logout", Needs::Public),
    ("GET", "/api/operator/me", Needs::Enrolling),
    ("GET", "/ws/operator", Needs::SignedIn),
    ("GET", "/api/admin/loader", Needs::SignedIn),
    ("GET", "/api/admin/widgets", Needs::SeeWidgets),
    ("POST", "/api/admin/widgets", Needs::Settings),
    ("GET", "/api/admin/widgets/{key}/settings", Needs::Settings),
    ("PUT", "/api/admin/widgets/{key}/settings", Needs::Settings),
    ("GET", "/api/admin/routers", Needs::Settings),
    ("POST", "/api/admin/routers", Needs::Settings),
    ("GET", "/api/admin/routers/{key}", Needs::Settings),
    ("PUT", "/api/admin/routers/{key}", Needs::Settings),
    ("GET", "/api/admin/conversations", Needs::ReadTranscripts),
    (
        "GET",
        "/api/admin/conversations/{id}",
        Needs::ReadTranscripts,
    ),
    ("GET", "/api/admin/person", Needs::ReadTranscripts),
    (
        "PUT",
        "/api/admin/conversations/{id}/details",
        Needs::EditTranscripts,
    ),
    (
        "POST",
        "/api/admin/conversations/erase",
        Needs::EditTranscripts,
    ),
    (
        "POST",
        "/api/admin/conversations/restrict",
        Needs::EditTranscripts,
    ),
    ("GET", "/api/admin/export", Needs::EditTranscripts),
    ("GET", "/api/admin/audit", Needs::Audit),
    ("GET", "/api/admin/audit/export", Needs::Audit),
    ("GET", "/api/admin/roles", Needs::Operators),
    ("POST", "/api/admin/roles", Needs::Operators),
    ("PUT", "/api/admin/roles/{name}", Needs::Operators),
    ("GET", "/api/operator/sessions", Needs::SignedIn),
    ("DELETE", "/api/operator/sessions/{id}", Needs::SignedIn),
    ("POST", "/api/operator/sessions/end-others", Needs::SignedIn),
    ("GET", "/api/admin/sessions", Needs::Operators),
    ("DELETE", "/api/admin/sessions/{id}", Needs::Operators),
    ("GET", "/api/admin/access", Needs::Operators),
    ("PUT", "/api/admin/access", Needs::Operators),
    ("GET", "/api/admin/operators", Needs::Operators),
    ("POST", "/api/admin/operators", Needs::Operators),
    ("PATCH", "/api/admin/operators/{id}", Needs::Operators),
    ("DELETE", "/api/admin/operators/{id}", Needs::Operators),
    (
        "POST",
        "/api/admin/operators/{id}/reset-password",
        Needs::Operators,
    ),
    // The one-time link's token is the credential.
    ("POST", "/api/account/password", Needs::Public),
    ("POST", "/api/operator/password", Needs::SignedIn),
    ("POST", "/api/operator/totp", Needs::Enrolling),
    ("POST", "/api/operator/totp/confirm", Needs::Enrolling),
    ("POST", "/api/operator/totp/remove", Needs::Enrolling),
    ("GET", "/api/operator/passkeys", Needs::Enrolling),
    ("POST", "/api/operator/passkeys/register", Needs::Enrolling),
    (
        "POST",
        "/api/operator/passkeys/register/finish",
        Needs::Enrolling,
    ),
    (
        "POST",
        "/api/operator/passkeys/{id}/remove",
        Needs::SignedIn,
    ),
    // A sign-in's passkey step: the password first, then the ticket.
    ("POST", "/api/operator/login/passkey", Needs::Public),
    ("POST", "/api/operator/login/passkey/finish", Needs::Public),
];

/// (method, path) of every route in the server's source.
fn routes_in_source() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("src/http") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("source");
        // Each `.route(` up to the next one (or the end of the file) holds its path and its
        // method routers.
        for chunk in text.split(".route(").skip(1) {
            let chunk = chunk.split("\n}").next().unwrap_or(chunk);
            let Some(start) = chunk.find('"') else {
                continue;
            };
            let rest = &chunk[start + 1..];
            let Some(end) = rest.find('"') else { continue };
            let route = rest[..end].to_owned();
            for method in ["get", "post", "put", "delete", "patch"] {
                let call = format!("{method}(");
                if rest[end..].match_indices(&call).any(|(i, _)| {
                    let before = rest[end..][..i].chars().last();
                    // `get(` as a method router, not `budget(`; `.get(` or `::get(` or `(get(`.
                    matches!(before, Some('.' | ':' | '(' | ' ' | ','))
                }) {
                    found.push((method.to_uppercase(), route.clone()));
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

fn operator_side(path: &str) -> bool {
    path.starts_with("/api/operator/")
        || path.starts_with("/api/admin/")
        || path.starts_with("/api/account/")
        || path == "/ws/operator"
}

#[test]
fn every_operator_side_route_in_the_source_is_classified() {
    let routes = routes_in_source();
    assert!(
        routes
            .iter()
            .any(|(m, p)| m == "PUT" && p == "/api/admin/roles/{name}"),
        "the source was read: {routes:?}"
    );
    let unclassified: Vec<_> = routes
        .iter()
        .filter(|(_, p)| operator_side(p))
        .filter(|(m, p)| !TABLE.iter().any(|(tm, tp, _)| tm == m && tp == p))
        .collect();
    assert!(
        unclassified.is_empty(),
        "routes with no permission in this test's table: {unclassified:?}"
    );
    let stale: Vec<_> = TABLE
        .iter()
        .filter(|(m, p, _)| !routes.iter().any(|(rm, rp)| rm == m && rp == p))
        .collect();
    assert!(
        stale.is_empty(),
        "the table names routes that do not exist: {stale:?}"
    );
}

/// Permissions with `n` granted (and transcripts at the level it needs), or everything but it.
fn permissions(n: Needs, only: bool) -> Value {
    let all = json!({"transcripts": "edit", "settings": true, "operators": true, "audit": true});
    let mut p = if only { json!({}) } else { all };
    let set = |p: &mut Value, k: &str, v: Value| p[k] = v;
    match (n, only) {
        (Needs::Settings, on) => set(&mut p, "settings", json!(on)),
        (Needs::Operators, on) => set(&mut p, "operators", json!(on)),
        (Needs::Audit, on) => set(&mut p, "audit", json!(on)),
        (Needs::ReadTranscripts, true) => set(&mut p, "transcripts", json!("read")),
        (Needs::ReadTranscripts, false) => set(&mut p, "transcripts", json!("none")),
        (Needs::EditTranscripts, true) => set(&mut p, "transcripts", json!("edit")),
        (Needs::EditTranscripts, false) => set(&mut p, "transcripts", json!("read")),
        (Needs::SeeWidgets, true) => set(&mut p, "operators", json!(true)),
        (Needs::SeeWidgets, false) => {
            p = json!({"audit": true, "api_tokens": true});
        }
        (Needs::Public | Needs::Enrolling | Needs::SignedIn, _) => {}
    }
    p
}

async fn request(
    app: &TestApp,
    cookie: Option<&str>,
    method: &str,
    path: &str,
) -> reqwest::Response {
    let path = path
        .replace("{key}", "demo")
        .replace("{id}", "999999")
        .replace("{name}", "nobody");
    let mut req = reqwest::Client::new()
        .request(
            method.parse().expect("method"),
            format!("{}{path}", app.url),
        )
        .json(&json!({}));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.expect("request")
}

#[tokio::test]
async fn each_route_refuses_a_role_without_its_permission_and_admits_one_with_it() {
    let app = spawn_app(Options::default()).await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let mut cookies = std::collections::HashMap::new();
    for (i, n) in [
        Needs::Settings,
        Needs::ReadTranscripts,
        Needs::EditTranscripts,
        Needs::Operators,
        Needs::Audit,
        Needs::SeeWidgets,
    ]
    .into_iter()
    .enumerate()
    {
        for only in [true, false] {
            let name = format!("r{i}-{}", if only { "only" } else { "but" });
            let res = post_json(
                &format!("{}/api/admin/roles", app.url),
                json!({"name": name, "permissions": permissions(n, only)}),
                Some(&admin),
            )
            .await;
            assert_eq!(res.status(), 201);
            let cookie =
                operator_cookie_as(&app, &format!("{name}@example.com"), "Op", &name).await;
            cookies.insert((format!("{n:?}"), only), cookie);
        }
    }
    for &(method, path, needs) in TABLE {
        if path == "/ws/operator" {
            continue; // a socket upgrade: covered by the session tests
        }
        match needs {
            Needs::Public => {}
            Needs::Enrolling | Needs::SignedIn => {
                let res = request(&app, None, method, path).await;
                assert_eq!(res.status(), 401, "{method} {path} without a session");
            }
            n => {
                let res = request(&app, None, method, path).await;
                assert_eq!(res.status(), 401, "{method} {path} without a session");
                let but = &cookies[&(format!("{n:?}"), false)];
                let res = request(&app, Some(but), method, path).await;
                assert_eq!(res.status(), 403, "{method} {path} without {n:?}");
                let only = &cookies[&(format!("{n:?}"), true)];
                let res = request(&app, Some(only), method, path).await;
                assert!(
                    ![401, 403].contains(&res.status().as_u16()),
                    "{method} {path} with {n:?} alone: {}",
                    res.status()
                );
            }
        }
    }
    // An operator whose role requires a second factor they have not enrolled reaches only
    // `me` and the enrolment: every other route answers 403 `enrolment_required`, whatever
    // the role grants.
    let res = post_json(
        &format!("{}/api/admin/roles", app.url),
        json!({"name": "strict", "permissions": {
            "transcripts": "edit", "settings": true, "operators": true, "audit": true,
            "second_factor": true
        }}),
        Some(&admin),
    )
    .await;
    assert_eq!(res.status(), 201);
    let strict = operator_cookie_as(&app, "strict@example.com", "Strict", "strict").await;
    for &(method, path, needs) in TABLE {
        if path == "/ws/operator" || needs == Needs::Public {
            continue;
        }
        let res = request(&app, Some(&strict), method, path).await;
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if needs == Needs::Enrolling {
            assert!(
                status != 401 && body["code"] != "enrolment_required",
                "{method} {path} while enrolling: {status} {body}"
            );
        } else {
            assert_eq!(status, 403, "{method} {path} before enrolling");
            assert_eq!(body["code"], "enrolment_required", "{method} {path}");
        }
    }
    app.stop().await;
}
