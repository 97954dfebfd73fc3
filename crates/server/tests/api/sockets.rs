//! A small WebSocket client for the tests: JSON frames in and out, with timeouts.

use crate::helpers::TestApp;
use confide_server::auth::Password;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub const WAIT: Duration = Duration::from_secs(5);

pub async fn connect(app: &TestApp, path: &str, cookie: Option<&str>) -> Ws {
    try_connect(app, path, cookie, None)
        .await
        .expect("socket opens")
}

pub async fn try_connect(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    origin: Option<&str>,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut req = format!("ws://{}{path}", app.addr())
        .into_client_request()
        .expect("request");
    if let Some(c) = cookie {
        req.headers_mut()
            .insert("cookie", HeaderValue::from_str(c).expect("cookie"));
    }
    if let Some(o) = origin {
        req.headers_mut()
            .insert("origin", HeaderValue::from_str(o).expect("origin"));
    }
    tokio_tungstenite::connect_async(req)
        .await
        .map(|(ws, _)| ws)
}

pub async fn send(ws: &mut Ws, frame: Value) {
    ws.send(Message::text(frame.to_string()))
        .await
        .expect("send");
}

pub async fn send_raw(ws: &mut Ws, msg: Message) {
    ws.send(msg).await.expect("send raw");
}

/// The next JSON frame, skipping pings; panics after WAIT.
pub async fn recv(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a frame within 5 s")
            .expect("socket open")
            .expect("frame");
        match msg {
            Message::Text(t) => return serde_json::from_str(&t).expect("json frame"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// The next frame of the given type, skipping others (presence, summaries...).
pub async fn recv_type(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let frame = recv(ws).await;
        if frame["type"] == kind {
            return frame;
        }
    }
}

/// Waits for the close frame and returns its code.
pub async fn close_code(ws: &mut Ws) -> Option<u16> {
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("closes within 5 s")
        {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        }
    }
}

/// Asserts nothing arrives for a short while (used only for negative checks, bounded).
pub async fn assert_silent(ws: &mut Ws, what: &str) {
    loop {
        match tokio::time::timeout(Duration::from_millis(300), ws.next()).await {
            Err(_) => return,
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(other) => panic!("{what}: expected nothing, got {other:?}"),
        }
    }
}

/// Visitor hello; returns the welcome frame.
pub async fn visitor_hello(ws: &mut Ws, token: Option<&str>, last_seq: Option<u64>) -> Value {
    let mut hello = json!({"type": "hello", "widget": "demo"});
    if let Some(t) = token {
        hello["token"] = json!(t);
    }
    if let Some(s) = last_seq {
        hello["last_seq"] = json!(s);
    }
    send(ws, hello).await;
    let welcome = recv(ws).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    welcome
}

pub fn msg_id(n: u32) -> String {
    format!("msg-{n:08}")
}

/// Creates an agent and signs in; returns the cookie header value.
pub async fn operator_cookie(app: &TestApp, email: &str, name: &str) -> String {
    operator_cookie_as(app, email, name, "agent").await
}

/// Creates an operator with the given role and signs in; returns the cookie header value.
pub async fn operator_cookie_as(app: &TestApp, email: &str, name: &str, role: &str) -> String {
    let password = "operator password 1";
    let hash = Password::new(password.into())
        .expect("pw")
        .hash()
        .expect("hash");
    app.store
        .add_operator(email, name, role, &hash)
        .await
        .expect("operator");
    sign_in(app, email, None).await
}

/// Signs an operator made by [`operator_cookie_as`] in again (from a browser with this user
/// agent, when given); returns the cookie header value.
pub async fn sign_in(app: &TestApp, email: &str, user_agent: Option<&str>) -> String {
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/operator/login", app.url))
        .json(&json!({"email": email, "password": "operator password 1"}));
    if let Some(ua) = user_agent {
        req = req.header("user-agent", ua);
    }
    let res = req.send().await.expect("login");
    assert_eq!(res.status(), 200);
    let set = res.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    set.split(';').next().expect("cookie pair").to_owned()
}

/// Operator socket, past its hello and inbox; returns the inbox frame too.
pub async fn operator_socket(app: &TestApp, cookie: &str) -> (Ws, Value) {
    let mut ws = connect(app, "/ws/operator", Some(cookie)).await;
    let hello = recv(&mut ws).await;
    assert_eq!(hello["type"], "hello", "{hello}");
    let inbox = recv(&mut ws).await;
    assert_eq!(inbox["type"], "inbox", "{inbox}");
    (ws, inbox)
}
