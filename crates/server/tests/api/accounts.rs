//! Operators' lifecycle and second factors (issue 15): added with a one-time link, changed,
//! disabled, removed, passwords reset and changed; authenticator apps enrolled (codes
//! computed here from the secret, by RFC 6238, independently of the server), recovery codes,
//! roles that require a second factor. Every refusal leaves the stored state as it was.

use crate::helpers::{error_code, post_json, spawn_app, Options, TestApp};
use crate::sockets::*;
use confide_server::clock::{Clock, ManualClock};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use std::sync::Arc;

const PASSWORD: &str = "operator password 1";

/// RFC 4226/6238, written here from the RFCs: HMAC-SHA-1 of the 30-second step, dynamic
/// truncation, six digits.
fn totp_code(secret_base32: &str, unix_ms: i64) -> String {
    let secret = base32_decode(secret_base32);
    let step = (unix_ms / 1000 / 30) as u64;
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&secret).expect("key");
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let bin = (u32::from(h[offset] & 0x7f) << 24)
        | (u32::from(h[offset + 1]) << 16)
        | (u32::from(h[offset + 2]) << 8)
        | u32::from(h[offset + 3]);
    format!("{:06}", bin % 1_000_000)
}

fn base32_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c).expect("base32") as u64;
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

#[test]
fn the_test_s_own_totp_matches_rfc_6238() {
    // Appendix B: the ASCII secret "12345678901234567890", SHA-1, cut to six digits.
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    assert_eq!(totp_code(secret, 59_000), "287082");
    assert_eq!(totp_code(secret, 1_111_111_109_000), "081804");
}

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Value,
    cookie: &str,
) -> reqwest::Response {
    reqwest::Client::new()
        .request(
            method.parse().expect("method"),
            format!("{}{path}", app.url),
        )
        .header("cookie", cookie)
        .json(&body)
        .send()
        .await
        .expect("request")
}

async fn login(
    app: &TestApp,
    email: &str,
    password: &str,
    code: Option<&str>,
) -> reqwest::Response {
    let mut body = json!({"email": email, "password": password});
    if let Some(c) = code {
        body["code"] = json!(c);
    }
    post_json(&format!("{}/api/operator/login", app.url), body, None).await
}

fn cookie_of(res: &reqwest::Response) -> String {
    res.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("pair")
        .to_owned()
}

async fn me_status(app: &TestApp, cookie: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/api/operator/me", app.url))
        .header("cookie", cookie)
        .send()
        .await
        .expect("me")
        .status()
        .as_u16()
}

/// The audit log's actions, oldest first.
async fn audit_actions(app: &TestApp, admin: &str) -> Vec<String> {
    let page: Value = reqwest::Client::new()
        .get(format!("{}/api/admin/audit", app.url))
        .header("cookie", admin)
        .send()
        .await
        .expect("audit")
        .json()
        .await
        .expect("json");
    let mut actions: Vec<String> = page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["action"].as_str().expect("action").to_owned())
        .collect();
    actions.reverse();
    actions
}

/// Adds an operator through the API; returns (id, link token).
async fn add(app: &TestApp, admin: &str, email: &str, role: &str) -> (i64, String) {
    let res = send(
        app,
        "POST",
        "/api/admin/operators",
        json!({"email": email, "name": "Grace Hopper", "role": role}),
        admin,
    )
    .await;
    assert_eq!(res.status(), 201);
    let link: Value = res.json().await.expect("json");
    let path = link["path"].as_str().expect("path");
    let token = path
        .strip_prefix("/console/set-password#")
        .expect("the token is after the #");
    (
        link["operator"]["id"].as_i64().expect("id"),
        token.to_owned(),
    )
}

async fn set_password(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    post_json(
        &format!("{}/api/account/password", app.url),
        json!({"token": token, "password": password}),
        None,
    )
    .await
}

#[tokio::test]
async fn a_new_operator_sets_a_password_once_through_a_link_that_expires() {
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let app = spawn_app(Options {
        clock: Some(clock.clone()),
        ..Options::default()
    })
    .await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let (id, token) = add(&app, &admin, "grace@example.com", "agent").await;

    // No password yet: refused like a wrong one.
    let res = login(&app, "grace@example.com", "", None).await;
    assert_eq!(res.status(), 401);
    // Too short: refused, the link still good.
    let res = set_password(&app, &token, "short").await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "invalid");
    // A made-up link is refused before any password is hashed for it.
    let hashed = app.state.limits.hashes();
    let res = set_password(&app, "x".repeat(43).as_str(), PASSWORD).await;
    assert_eq!(res.status(), 410);
    assert_eq!(error_code(res).await, "link_expired");
    assert_eq!(app.state.limits.hashes(), hashed, "no hash ran");
    let res = set_password(&app, &token, PASSWORD).await;
    assert_eq!(res.status(), 204);
    let res = login(&app, "grace@example.com", PASSWORD, None).await;
    assert_eq!(res.status(), 200);
    // Once only.
    let res = set_password(&app, &token, "another password 2").await;
    assert_eq!(res.status(), 410);
    assert_eq!(error_code(res).await, "link_expired");
    assert_eq!(
        login(&app, "grace@example.com", PASSWORD, None)
            .await
            .status(),
        200
    );

    // A reset ends the sessions and the password at once; its link is good for 24 hours.
    let grace = cookie_of(&login(&app, "grace@example.com", PASSWORD, None).await);
    assert_eq!(me_status(&app, &grace).await, 200);
    let res = send(
        &app,
        "POST",
        &format!("/api/admin/operators/{id}/reset-password"),
        json!({}),
        &admin,
    )
    .await;
    assert_eq!(res.status(), 200);
    let link: Value = res.json().await.expect("json");
    let token = link["path"]
        .as_str()
        .expect("path")
        .rsplit('#')
        .next()
        .expect("token")
        .to_owned();
    assert_eq!(me_status(&app, &grace).await, 401);
    assert_eq!(
        login(&app, "grace@example.com", PASSWORD, None)
            .await
            .status(),
        401
    );
    clock.advance_ms(24 * 3600 * 1000 + 1);
    let res = set_password(&app, &token, "a new password 3").await;
    assert_eq!(res.status(), 410);
    assert_eq!(
        login(&app, "grace@example.com", "a new password 3", None)
            .await
            .status(),
        401
    );

    // The admin's own session is past its 12 hours too.
    let admin = sign_in(&app, "admin@example.com", None).await;
    let actions = audit_actions(&app, &admin).await;
    for a in ["operator_added", "password_link_issued", "password_set"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn roles_change_operators_are_disabled_and_removed_but_never_the_last_manager() {
    let app = spawn_app(Options::default()).await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    let admin_id: i64 = {
        let me: Value = reqwest::Client::new()
            .get(format!("{}/api/operator/me", app.url))
            .header("cookie", &admin)
            .send()
            .await
            .expect("me")
            .json()
            .await
            .expect("json");
        me["id"].as_i64().expect("id")
    };
    // The demo operator is an admin too: disable it so `admin` is the last manager.
    let list: Value = send(&app, "GET", "/api/admin/operators", Value::Null, &admin)
        .await
        .json()
        .await
        .expect("json");
    let others: Vec<i64> = list
        .as_array()
        .expect("list")
        .iter()
        .filter(|o| o["id"] != admin_id)
        .map(|o| o["id"].as_i64().expect("id"))
        .collect();
    for id in &others {
        let res = send(
            &app,
            "PATCH",
            &format!("/api/admin/operators/{id}"),
            json!({"disabled": true}),
            &admin,
        )
        .await;
        assert_eq!(res.status(), 200);
    }
    let path = format!("/api/admin/operators/{admin_id}");
    for change in [json!({"role": "agent"}), json!({"disabled": true})] {
        let res = send(&app, "PATCH", &path, change.clone(), &admin).await;
        assert_eq!(res.status(), 409, "{change}");
        assert_eq!(error_code(res).await, "conflict");
    }
    let res = send(&app, "DELETE", &path, Value::Null, &admin).await;
    assert_eq!(res.status(), 409);
    let me: Value = send(&app, "GET", "/api/operator/me", Value::Null, &admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["role"], "admin", "nothing changed");

    // An agent is disabled: their session stops opening anything and they cannot sign in;
    // enabled again, they can. Promoted, they manage operators; removed, they are gone.
    let agent = operator_cookie_as(&app, "ada@example.com", "Ada", "agent").await;
    let agent_id: i64 = send(&app, "GET", "/api/operator/me", Value::Null, &agent)
        .await
        .json::<Value>()
        .await
        .expect("json")["id"]
        .as_i64()
        .expect("id");
    let (mut socket, _) = operator_socket(&app, &agent).await;
    let apath = format!("/api/admin/operators/{agent_id}");
    let res = send(&app, "PATCH", &apath, json!({"disabled": true}), &admin).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.expect("json")["disabled"], true);
    assert_eq!(close_code(&mut socket).await, Some(4401));
    assert_eq!(me_status(&app, &agent).await, 401);
    assert_eq!(
        login(&app, "ada@example.com", PASSWORD, None)
            .await
            .status(),
        401
    );
    let res = send(
        &app,
        "PATCH",
        &apath,
        json!({"disabled": false, "role": "admin", "alias": "Ace"}),
        &admin,
    )
    .await;
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.expect("json");
    assert_eq!(
        (view["role"].as_str(), view["alias"].as_str()),
        (Some("admin"), Some("Ace"))
    );
    let ada = cookie_of(&login(&app, "ada@example.com", PASSWORD, None).await);
    assert_eq!(
        send(&app, "GET", "/api/admin/operators", Value::Null, &ada)
            .await
            .status(),
        200
    );
    // Now the first admin may be demoted: another manager remains.
    assert_eq!(
        send(&app, "PATCH", &path, json!({"role": "agent"}), &ada)
            .await
            .status(),
        200
    );
    assert_eq!(
        send(&app, "PATCH", &path, json!({"role": "admin"}), &ada)
            .await
            .status(),
        200
    );
    assert_eq!(
        send(&app, "DELETE", &apath, Value::Null, &admin)
            .await
            .status(),
        204
    );
    assert_eq!(me_status(&app, &ada).await, 401);
    assert_eq!(
        send(&app, "DELETE", &apath, Value::Null, &admin)
            .await
            .status(),
        404
    );

    // Bad input: each refused with a code, quoting nothing.
    let canary = "Canary\u{202e}Name";
    for (method, p, body, code) in [
        (
            "POST",
            "/api/admin/operators".to_owned(),
            json!({"email": "not-an-email", "name": "X", "role": "agent"}),
            "invalid",
        ),
        (
            "POST",
            "/api/admin/operators".to_owned(),
            json!({"email": "x@example.com", "name": canary, "role": "agent"}),
            "invalid",
        ),
        (
            "POST",
            "/api/admin/operators".to_owned(),
            json!({"email": "x@example.com", "name": "X", "role": "wizards"}),
            "invalid",
        ),
        (
            "POST",
            "/api/admin/operators".to_owned(),
            json!({"email": "admin@example.com", "name": "X", "role": "agent"}),
            "conflict",
        ),
        (
            "POST",
            "/api/admin/operators".to_owned(),
            json!({"email": "x@example.com", "name": "X", "role": "agent", "root": true}),
            "malformed",
        ),
        (
            "PATCH",
            "/api/admin/operators/abc".to_owned(),
            json!({}),
            "malformed",
        ),
        (
            "PATCH",
            "/api/admin/operators/999999".to_owned(),
            json!({"alias": "Z"}),
            "not_found",
        ),
        ("PATCH", path.clone(), json!({"alias": ""}), "invalid"),
    ] {
        let res = send(&app, method, &p, body.clone(), &admin).await;
        let text = res.text().await.expect("body");
        let parsed: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(parsed["code"], code, "{method} {p} {body}: {text}");
        assert!(
            !text.contains("Canary") && !text.contains("wizards") && !text.contains("not-an-email"),
            "{text}"
        );
    }
    let count = send(&app, "GET", "/api/admin/operators", Value::Null, &admin)
        .await
        .json::<Value>()
        .await
        .expect("json")
        .as_array()
        .expect("list")
        .len();
    assert_eq!(count, others.len() + 1, "no refused request added anyone");

    let actions = audit_actions(&app, &admin).await;
    for a in ["operator_changed", "operator_removed"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_operator_changes_their_own_password_with_the_current_one_and_other_sessions_end() {
    let app = spawn_app(Options::default()).await;
    let here = operator_cookie_as(&app, "ada@example.com", "Ada", "agent").await;
    let there = sign_in(&app, "ada@example.com", None).await;
    let (mut socket, _) = operator_socket(&app, &here).await;
    let res = send(
        &app,
        "POST",
        "/api/operator/password",
        json!({"current": "wrong password 0", "new": "brand new password"}),
        &here,
    )
    .await;
    assert_eq!(res.status(), 401);
    let res = send(
        &app,
        "POST",
        "/api/operator/password",
        json!({"current": PASSWORD, "new": "short"}),
        &here,
    )
    .await;
    assert_eq!(res.status(), 400);
    assert_eq!(me_status(&app, &there).await, 200, "nothing changed yet");
    let res = send(
        &app,
        "POST",
        "/api/operator/password",
        json!({"current": PASSWORD, "new": "brand new password"}),
        &here,
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_eq!(me_status(&app, &here).await, 200);
    assert_eq!(me_status(&app, &there).await, 401);
    assert_eq!(
        login(&app, "ada@example.com", PASSWORD, None)
            .await
            .status(),
        401
    );
    assert_eq!(
        login(&app, "ada@example.com", "brand new password", None)
            .await
            .status(),
        200
    );
    // This console stays connected through the change (the socket rereads its session every
    // half second: three times here), and through enrolling a second factor.
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    enrol(&app, &here, confide_server::clock::SystemClock.now_ms()).await;
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    crate::sockets::send(&mut socket, json!({"type": "ping"})).await;
    assert_eq!(recv_type(&mut socket, "pong").await["type"], "pong");
    app.stop().await;
}

/// Starts and confirms an enrolment; returns (secret, recovery codes).
async fn enrol(app: &TestApp, cookie: &str, now_ms: i64) -> (String, Vec<String>) {
    let res = send(app, "POST", "/api/operator/totp", json!({}), cookie).await;
    assert_eq!(res.status(), 200);
    let e: Value = res.json().await.expect("json");
    let secret = e["secret"].as_str().expect("secret").to_owned();
    assert!(
        e["qr_svg"].as_str().expect("svg").starts_with("<?xml")
            || e["qr_svg"].as_str().expect("svg").contains("<svg")
    );
    assert!(e["uri"].as_str().expect("uri").contains(&secret));
    // A wrong code is refused and the enrolment stays pending.
    let wrong = if totp_code(&secret, now_ms) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let res = send(
        app,
        "POST",
        "/api/operator/totp/confirm",
        json!({"code": wrong}),
        cookie,
    )
    .await;
    assert_eq!(res.status(), 400);
    let res = send(
        app,
        "POST",
        "/api/operator/totp/confirm",
        json!({"code": totp_code(&secret, now_ms)}),
        cookie,
    )
    .await;
    assert_eq!(res.status(), 200);
    let codes: Vec<String> = res.json::<Value>().await.expect("json")["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("code").to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

#[tokio::test]
async fn an_authenticator_code_or_a_recovery_code_is_needed_once_enrolled_each_used_once() {
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let app = spawn_app(Options {
        clock: Some(clock.clone()),
        ..Options::default()
    })
    .await;
    let cookie = operator_cookie_as(&app, "ada@example.com", "Ada", "agent").await;
    let (secret, codes) = enrol(&app, &cookie, clock.now_ms()).await;
    let me: Value = send(&app, "GET", "/api/operator/me", Value::Null, &cookie)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["totp"], true);

    // The secret is sealed at rest: its bytes are nowhere in the database file.
    let raw = base32_decode(&secret);
    let db = crate::helpers::db_and_wal_bytes(app.dir.path()).await;
    assert!(
        !db.windows(raw.len()).any(|w| w == raw.as_slice()),
        "the secret is stored in the clear"
    );

    // The password alone is not enough (and says so only when it is right).
    let res = login(&app, "ada@example.com", "wrong password 0", None).await;
    assert_eq!(error_code(res).await, "unauthorized");
    let res = login(&app, "ada@example.com", PASSWORD, None).await;
    assert_eq!(res.status(), 401);
    assert_eq!(error_code(res).await, "second_factor_required");
    // The next step's code (the enrolment used this one).
    clock.advance_ms(30_000);
    let code = totp_code(&secret, clock.now_ms());
    let res = login(&app, "ada@example.com", PASSWORD, Some(&code)).await;
    assert_eq!(res.status(), 200);
    // The same code again: refused.
    let res = login(&app, "ada@example.com", PASSWORD, Some(&code)).await;
    assert_eq!(res.status(), 401);
    assert_eq!(error_code(res).await, "unauthorized");
    // A recovery code, however typed, once.
    let res = login(
        &app,
        "ada@example.com",
        PASSWORD,
        Some(&codes[3].to_uppercase()),
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = login(&app, "ada@example.com", PASSWORD, Some(&codes[3])).await;
    assert_eq!(res.status(), 401);
    let actions = {
        let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
        audit_actions(&app, &admin).await
    };
    assert!(actions.iter().any(|a| a == "second_factor_enrolled"));
    assert!(actions.iter().any(|a| a == "recovery_code_used"));

    // Wrong codes count toward the account's backoff, like wrong passwords.
    clock.advance_ms(30_000);
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(
            login(&app, "ada@example.com", PASSWORD, Some("123456"))
                .await
                .status()
                .as_u16(),
        );
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    let right = totp_code(&secret, clock.now_ms());
    assert_eq!(
        login(&app, "ada@example.com", PASSWORD, Some(&right))
            .await
            .status(),
        429,
        "held back even with the right code"
    );
    // Once the backoff is over, the right code signs in (and clears the failures).
    clock.advance_ms(16 * 60 * 1000);
    let right = totp_code(&secret, clock.now_ms());
    assert_eq!(
        login(&app, "ada@example.com", PASSWORD, Some(&right))
            .await
            .status(),
        200
    );

    // Taking it off needs the password.
    let res = send(
        &app,
        "POST",
        "/api/operator/totp/remove",
        json!({"password": "wrong password 0"}),
        &cookie,
    )
    .await;
    assert_eq!(res.status(), 401);
    let res = send(
        &app,
        "POST",
        "/api/operator/totp/remove",
        json!({"password": PASSWORD}),
        &cookie,
    )
    .await;
    assert_eq!(res.status(), 204);
    let me: Value = send(&app, "GET", "/api/operator/me", Value::Null, &cookie)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["totp"], false);
    app.stop().await;
}

#[tokio::test]
async fn a_role_that_requires_a_second_factor_sends_its_operators_to_enrol_first() {
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let app = spawn_app(Options {
        clock: Some(clock.clone()),
        ..Options::default()
    })
    .await;
    let admin = operator_cookie_as(&app, "admin@example.com", "Admin", "admin").await;
    // A built-in role's permissions never change, but it may require a second factor.
    let res = send(
        &app,
        "PUT",
        "/api/admin/roles/agent",
        json!({"name": "agent", "permissions": {"audit": true}}),
        &admin,
    )
    .await;
    assert_eq!(res.status(), 403);
    let res = send(
        &app,
        "PUT",
        "/api/admin/roles/agent",
        json!({"name": "agent", "permissions": {"second_factor": true}}),
        &admin,
    )
    .await;
    assert_eq!(res.status(), 200);
    let agent = operator_cookie_as(&app, "ada@example.com", "Ada", "agent").await;
    let me: Value = send(&app, "GET", "/api/operator/me", Value::Null, &agent)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (me["must_enrol"].as_bool(), me["totp"].as_bool()),
        (Some(true), Some(false))
    );
    let res = reqwest::Client::new()
        .get(format!("{}/api/operator/sessions", app.url))
        .header("cookie", &agent)
        .send()
        .await
        .expect("sessions");
    assert_eq!(res.status(), 403);
    assert_eq!(error_code(res).await, "enrolment_required");
    assert!(
        try_connect(&app, "/ws/operator", Some(&agent), None)
            .await
            .is_err(),
        "no socket before enrolling"
    );
    enrol(&app, &agent, clock.now_ms()).await;
    let me: Value = send(&app, "GET", "/api/operator/me", Value::Null, &agent)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["must_enrol"], false);
    let (_socket, _) = operator_socket(&app, &agent).await;

    // An admin clears it (a lost phone): enrolment is needed again at the next request.
    let id = me["id"].as_i64().expect("id");
    let res = send(
        &app,
        "PATCH",
        &format!("/api/admin/operators/{id}"),
        json!({"clear_second_factor": true}),
        &admin,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.expect("json")["totp"], false);
    let me: Value = send(&app, "GET", "/api/operator/me", Value::Null, &agent)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["must_enrol"], true);
    app.stop().await;
}

/// A browser's request from `origin` (its Host the same).
async fn from_origin(
    app: &TestApp,
    path: &str,
    origin: &str,
    body: Value,
    cookie: Option<&str>,
) -> reqwest::Response {
    let host = origin.split_once("://").map_or(origin, |(_, h)| h);
    let mut req = reqwest::Client::new()
        .post(format!("{}{path}", app.url))
        .header("origin", origin)
        .header("host", host)
        .json(&body);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.expect("request")
}

#[tokio::test]
async fn passkey_ceremonies_refuse_what_does_not_verify_and_change_nothing() {
    let app = spawn_app(Options::default()).await;
    let cookie = operator_cookie_as(&app, "ada@example.com", "Ada", "agent").await;
    let port = app.url.rsplit(':').next().expect("port").to_owned();
    let localhost = format!("http://localhost:{port}");

    // WebAuthn needs a browser and a domain name.
    let res = send(
        &app,
        "POST",
        "/api/operator/passkeys/register",
        json!({}),
        &cookie,
    )
    .await;
    assert_eq!(res.status(), 503);
    let res = from_origin(
        &app,
        "/api/operator/passkeys/register",
        &app.url,
        json!({}),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), 503);
    assert!(error_code(res).await == "unavailable");

    // At localhost: the options name this relying party and the operator by alias only.
    let res = from_origin(
        &app,
        "/api/operator/passkeys/register",
        &localhost,
        json!({}),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), 200);
    let challenge: Value = res.json().await.expect("json");
    let options: Value =
        serde_json::from_str(challenge["options"].as_str().expect("options")).expect("json");
    assert_eq!(options["publicKey"]["rp"]["id"], "localhost");
    assert_eq!(options["publicKey"]["user"]["displayName"], "Ada");
    // An answer that is not a credential, or one for no waiting registration, is refused.
    let finish = "/api/operator/passkeys/register/finish";
    let finish_with = |name: &'static str, credential: String| {
        from_origin(
            &app,
            finish,
            &localhost,
            json!({"name": name, "credential": credential}),
            Some(&cookie),
        )
    };
    let res = finish_with("Laptop", "{}".into()).await;
    assert_eq!(error_code(res).await, "malformed");
    let forged = json!({
        "id": "AAAA", "rawId": "AAAA", "type": "public-key",
        "response": {"attestationObject": "AAAA", "clientDataJSON": "AAAA"}
    })
    .to_string();
    let res = finish_with("Laptop", forged.clone()).await;
    assert_eq!(res.status(), 400, "a forged answer does not verify");
    let res = finish_with("Laptop", forged.clone()).await;
    assert_eq!(res.status(), 409, "the registration was used up");
    let res = finish_with("", forged).await;
    assert_eq!(error_code(res).await, "invalid");
    let list: Value = send(&app, "GET", "/api/operator/passkeys", Value::Null, &cookie)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list, json!([]), "nothing was stored");

    // Sign-in: the password first; an account without passkeys says so; a made-up ticket
    // opens nothing.
    let start = "/api/operator/login/passkey";
    let res = from_origin(
        &app,
        start,
        &localhost,
        json!({"email": "ada@example.com", "password": "wrong password 0"}),
        None,
    )
    .await;
    assert_eq!(res.status(), 401);
    let res = from_origin(
        &app,
        start,
        &localhost,
        json!({"email": "ada@example.com", "password": PASSWORD}),
        None,
    )
    .await;
    assert_eq!(res.status(), 409);
    let res = from_origin(
        &app,
        "/api/operator/login/passkey/finish",
        &localhost,
        json!({"ticket": "x".repeat(43), "credential": json!({
            "id": "AAAA", "rawId": "AAAA", "type": "public-key",
            "response": {"authenticatorData": "AAAA", "clientDataJSON": "AAAA", "signature": "AAAA"}
        }).to_string()}),
        None,
    )
    .await;
    assert_eq!(res.status(), 401);
    assert!(!res.headers().contains_key("set-cookie"));
    app.stop().await;
}
