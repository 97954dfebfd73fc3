//! Bad input at every public door of the real binary: thousands of malformed, oversized,
//! wrongly typed and binary requests and frames, each carrying a canary. Afterwards the server
//! has answered no 5xx, echoed no canary, logged no canary, and still chats.
//!
//! The inputs come from a seeded generator (the seed is in the failure message), so a run is
//! repeatable and bounded: a fixed number of inputs per door.

use crate::helpers::{demo_consent, write_bundles};
use crate::process::{add_operator_as, login_cookie, Server};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const CANARY: &str = "zq7fuzzcanary";
const SEED: u64 = 0x5eed_c0de_f00d_0001;
const HTTP_CASES: usize = 1500;
const FRAME_CASES: usize = 1500;

/// xorshift64*: small, seeded, good enough to vary inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A canary that names this case, so an echo says which input it came from.
    fn canary(&mut self) -> String {
        format!("{CANARY}{}", self.below(1_000_000))
    }

    /// Some JSON value, often with canaries as keys and values, sometimes deep.
    fn value(&mut self, depth: u32) -> Value {
        let canary = self.canary();
        match self.below(if depth > 3 { 6 } else { 9 }) {
            0 => Value::Null,
            1 => json!(self.next().is_multiple_of(2)),
            2 => json!(self.next() as i64),
            3 => json!(f64::from(self.below(1000) as u32) / 7.0),
            4 => json!(canary),
            5 => json!(format!("{canary}{}", "x".repeat(self.below(5000)))),
            6 => Value::Array((0..self.below(4)).map(|_| self.value(depth + 1)).collect()),
            7 | 8 => {
                let mut map = serde_json::Map::new();
                for _ in 0..self.below(5) {
                    let key = self.pick(KEYS).to_string();
                    let key = if self.next().is_multiple_of(3) {
                        canary.clone()
                    } else {
                        key
                    };
                    map.insert(key, self.value(depth + 1));
                }
                Value::Object(map)
            }
            _ => unreachable!(),
        }
    }

    /// A body: JSON that is valid, almost valid, truncated, huge, binary or not JSON.
    fn body(&mut self, frame_types: &[&str]) -> Vec<u8> {
        let canary = self.canary();
        match self.below(10) {
            0 => b"".to_vec(),
            1 => format!("{{\"{canary}\":").into_bytes(),
            2 => (0..self.below(300)).map(|_| self.next() as u8).collect(),
            3 => format!("[{}]", "[".repeat(2000)).into_bytes(),
            4 => {
                let mut v = vec![0xff, 0xfe];
                v.extend(canary.as_bytes());
                v
            }
            5 => format!("\"{}\"", canary.repeat(6000)).into_bytes(),
            _ => {
                // A frame of a known type with random fields: wrong types, unknown names.
                let mut v = self.value(0);
                if let Value::Object(map) = &mut v {
                    map.insert("type".into(), json!(self.pick(frame_types)));
                } else if self.next().is_multiple_of(2) {
                    v = json!({"type": self.pick(frame_types), "text": v});
                }
                v.to_string().into_bytes()
            }
        }
    }
}

/// Field names the protocol uses, so the random frames get past "unknown field" often.
const KEYS: &[&str] = &[
    "type",
    "widget",
    "token",
    "last_seq",
    "consent",
    "context",
    "fields",
    "id",
    "text",
    "active",
    "email",
    "password",
    "name",
    "conversation",
    "seq",
    "language",
    "version",
    "text_sha256",
    "page",
    "referrer",
    "custom",
    "before",
    "key",
    "rules",
];

const VISITOR_TYPES: &[&str] = &[
    "hello", "send", "typing", "read", "draft", "export", "delete", "withdraw", "ping", "shout",
];
const OPERATOR_TYPES: &[&str] = &[
    "open",
    "send",
    "typing",
    "read",
    "close",
    "unwatch",
    "inbox_page",
    "ping",
    "shout",
];

fn assert_clean(what: &str, status: u16, body: &str) {
    assert!(status < 500, "{what}: HTTP {status} (seed {SEED:#x})");
    assert!(
        !body.contains(CANARY),
        "{what}: the answer echoes the input (seed {SEED:#x}): {}",
        &body[..body.len().min(300)]
    );
}

#[tokio::test]
async fn thousands_of_bad_inputs_get_no_5xx_echo_nothing_log_nothing_and_the_server_still_chats() {
    let dir = tempfile::tempdir().expect("tmp");
    write_bundles(&dir.path().join("dist"));
    // An admin: the admin endpoints' bodies are parsed only past the role check.
    add_operator_as(
        dir.path(),
        "op@example.com",
        "Op Erator",
        "operator password 1",
        "admin",
    );
    // Rates lifted, so every input reaches the parsers instead of a 429.
    let server = Server::start_with(
        dir.path(),
        "127.0.0.1:0",
        "debug",
        &[
            ("CONFIDE_HELLOS_PER_CLIENT_PER_MINUTE", "1000000"),
            ("CONFIDE_HELLOS_PER_WIDGET_PER_MINUTE", "1000000"),
            ("CONFIDE_LEAVE_MESSAGES_PER_CLIENT_PER_MINUTE", "1000000"),
            ("CONFIDE_LEAVE_MESSAGES_PER_WIDGET_PER_MINUTE", "1000000"),
            ("CONFIDE_LOGINS_PER_MINUTE", "100000"),
            ("CONFIDE_LOGINS_PER_CLIENT_PER_MINUTE", "100000"),
            ("CONFIDE_MESSAGES_PER_SOCKET_PER_MINUTE", "1000000"),
            ("CONFIDE_TYPING_PER_SOCKET_PER_MINUTE", "1000000"),
            ("CONFIDE_COOKIE_SECURE", "false"),
        ],
    );
    let base = server.url.clone();
    // A connection each: the server may close one after refusing a body it did not read.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let cookie = login_cookie(&http, &base, "op@example.com", "operator password 1").await;
    let mut rng = Rng(SEED);

    // Every public HTTP door, with bad paths, bodies and content types.
    let doors: &[(&str, &str)] = &[
        ("POST", "/api/widget/{key}/leave-message"),
        ("GET", "/api/widget/{key}/config"),
        ("GET", "/api/router/{key}/config"),
        ("GET", "/w/{key}"),
        ("GET", "/r/{key}"),
        ("POST", "/api/operator/login"),
        ("POST", "/api/operator/logout"),
        ("GET", "/api/operator/me"),
        ("PUT", "/api/admin/widgets/{key}/settings"),
        ("POST", "/api/admin/widgets"),
        ("POST", "/api/admin/routers"),
        ("PUT", "/api/admin/routers/{key}"),
        ("GET", "/widget/{key}"),
        ("GET", "/console/{key}"),
        ("GET", "/loader.js"),
        ("GET", "/healthz"),
    ];
    for case in 0..HTTP_CASES {
        let (method, template) = *rng.pick(doors);
        let canary = rng.canary();
        let key = match rng.below(5) {
            0 => "demo".to_owned(),
            1 => canary.clone(),
            2 => format!("{canary}%00%2e%2e%2f{}", "k".repeat(rng.below(3000))),
            3 => format!("..%2F..%2F{canary}"),
            _ => format!("{canary}%F0%9F"),
        };
        let url = format!("{base}{}", template.replace("{key}", &key));
        let mut req = http.request(method.parse().expect("method"), &url);
        if rng.below(3) > 0 {
            req = req.header("content-type", "application/json");
        }
        if rng.below(2) == 0 && template.starts_with("/api/admin") {
            req = req.header("cookie", &cookie);
        }
        if method != "GET" {
            // Sometimes a well-formed left message around the noise, so its later checks run.
            let body = if template.ends_with("leave-message") && rng.below(4) == 0 {
                let mut v = json!({"text": rng.value(1), "consent": demo_consent()});
                v[*rng.pick(KEYS)] = rng.value(1);
                v.to_string().into_bytes()
            } else {
                rng.body(&["hello"])
            };
            req = req.body(body);
        }
        let res = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("case {case} {url}: {e}"));
        let status = res.status().as_u16();
        let body = res.text().await.unwrap_or_default();
        assert_clean(&format!("case {case}: {method} {template}"), status, &body);
    }

    // Both sockets: bad frames of every kind; a refused frame is answered, then the next.
    let wsbase = base.replace("http://", "ws://");
    let mut sent = 0;
    while sent < FRAME_CASES {
        let operator = rng.below(3) == 0;
        let mut req =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
                format!(
                    "{wsbase}/ws/{}",
                    if operator { "operator" } else { "visitor" }
                ),
            )
            .expect("request");
        if operator {
            req.headers_mut()
                .insert("cookie", cookie.parse().expect("cookie"));
        }
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("socket");
        if !operator && rng.below(2) == 0 {
            ws.send(Message::text(
                json!({"type": "hello", "widget": "demo", "consent": demo_consent()}).to_string(),
            ))
            .await
            .expect("hello");
        }
        for _ in 0..rng.below(30) + 1 {
            sent += 1;
            let types = if operator {
                OPERATOR_TYPES
            } else {
                VISITOR_TYPES
            };
            let frame = match rng.below(12) {
                0 => Message::binary(rng.body(types)),
                1 => Message::text("x".repeat(70 * 1024) + &rng.canary()),
                _ => Message::text(String::from_utf8_lossy(&rng.body(types)).into_owned()),
            };
            if ws.send(frame).await.is_err() {
                break;
            }
        }
        // Everything the server said to this socket, until it closes or goes quiet.
        let _ = ws.send(Message::Close(None)).await;
        while let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_secs(5), ws.next()).await
        {
            if let Message::Text(t) = msg {
                assert!(
                    !t.contains(CANARY),
                    "a socket echoes the input (seed {SEED:#x}): {}",
                    &t[..t.len().min(300)]
                );
            }
        }
    }

    // And the server still chats.
    let mut visitor = tokio_tungstenite::connect_async(format!("{wsbase}/ws/visitor"))
        .await
        .expect("visitor")
        .0;
    visitor
        .send(Message::text(
            json!({"type": "hello", "widget": "demo", "consent": demo_consent()}).to_string(),
        ))
        .await
        .expect("hello");
    visitor
        .send(Message::text(
            json!({"type": "send", "id": "after-fuzz-1", "text": "still here"}).to_string(),
        ))
        .await
        .expect("send");
    let mut acked = false;
    while let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_secs(5), visitor.next()).await
    {
        if let Message::Text(t) = msg {
            if t.contains("\"type\":\"ack\"") {
                acked = true;
                break;
            }
        }
    }
    assert!(acked, "the server stopped chatting");
    drop(visitor);

    let log = server.stop();
    assert!(log.contains("request"), "the log was on");
    assert!(
        !log.contains(CANARY),
        "the log carries an input (seed {SEED:#x}): {}",
        log.lines().find(|l| l.contains(CANARY)).unwrap_or_default()
    );
}
