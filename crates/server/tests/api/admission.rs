//! Admission without a socket: `chat::admission::admit` against a real SQLite file. Every
//! refusal leaves the database as it was; what is admitted carries exactly the details the
//! widget's mode allows.

use crate::helpers::{spawn_app, Options, TestApp};
use confide_protocol::chat::{ConsentGiven, VisitorToken};
use confide_protocol::details::{PageContext, PrechatValues};
use confide_protocol::settings::{Requirement, WidgetSettings};
use confide_protocol::{ErrorCode, WidgetKey};
use confide_server::chat::admission::{admit, Door, Refusal, Request};
use confide_server::ua::UaFamily;

fn demo() -> WidgetKey {
    WidgetKey::parse("demo").expect("key")
}

fn consent() -> ConsentGiven {
    serde_json::from_value(crate::helpers::demo_consent()).expect("consent")
}

const CHROME: UaFamily = UaFamily {
    browser: "Chrome",
    os: "Linux",
};

fn context() -> PageContext {
    PageContext {
        page: Some("https://shop.example/pricing?coupon=secret#top".into()),
        referrer: Some("https://search.example/q".into()),
    }
}

async fn settings(app: &TestApp, change: impl FnOnce(&mut WidgetSettings)) {
    let widget = app.store.widget_by_key(&demo()).await.expect("widget");
    let mut s = app
        .store
        .widget_settings(widget.id)
        .await
        .expect("settings");
    change(&mut s);
    assert_eq!(s.problems(), vec![]);
    app.store
        .save_widget_settings(widget.id, s)
        .await
        .expect("save");
}

/// Visitors and receipts: what admission may have written.
async fn written(app: &TestApp) -> (i64, i64) {
    (
        app.store.visitor_count().await.expect("visitors"),
        app.store.receipt_count().await.expect("receipts"),
    )
}

fn request<'a>(widget: &'a WidgetKey, consent: Option<&'a ConsentGiven>) -> Request<'a> {
    Request {
        widget,
        token: None,
        consent,
        context: None,
        fields: None,
        ua: Some(CHROME),
        door: Door::Hello(None),
    }
}

#[tokio::test]
async fn every_refusal_writes_nothing_and_names_no_value() {
    let app = spawn_app(Options {
        consent_required: true,
        ..Options::default()
    })
    .await;
    settings(&app, |s| s.prechat_fields.email = Requirement::Required).await;
    let key = demo();
    let unknown = WidgetKey::parse("nope").expect("key");
    let given = consent();
    let mut wrong_hash = consent();
    wrong_hash.text_sha256 = "0".repeat(64);
    let bad_email = PrechatValues {
        email: Some("canary-not-an-email".into()),
        ..PrechatValues::default()
    };
    let good_email = PrechatValues {
        email: Some("v@example.com".into()),
        ..PrechatValues::default()
    };
    let ctx = context();
    let token = VisitorToken::parse(&"t".repeat(43)).expect("token");

    let cases: Vec<(&str, Request<'_>, ErrorCode)> = vec![
        (
            "unknown widget",
            request(&unknown, Some(&given)),
            ErrorCode::WidgetNotFound,
        ),
        (
            "no consent",
            request(&key, None),
            ErrorCode::ConsentRequired,
        ),
        (
            "another text's hash",
            request(&key, Some(&wrong_hash)),
            ErrorCode::ConsentRequired,
        ),
        (
            "page context in privacy mode",
            Request {
                context: Some(&ctx),
                ..request(&key, Some(&given))
            },
            ErrorCode::Invalid,
        ),
        (
            "a required field missing",
            request(&key, Some(&given)),
            ErrorCode::Invalid,
        ),
        (
            "a field that is not valid",
            Request {
                fields: Some(&bad_email),
                ..request(&key, Some(&given))
            },
            ErrorCode::Invalid,
        ),
        (
            "a token nobody holds",
            Request {
                token: Some(&token),
                fields: Some(&good_email),
                ..request(&key, Some(&given))
            },
            ErrorCode::Unauthorized,
        ),
    ];
    for (what, req, code) in cases {
        let refusal = admit(&app.store, &app.state.limits, req)
            .await
            .expect_err(what);
        assert_eq!(refusal.code(), code, "{what}: {refusal}");
        assert!(!refusal.to_string().contains("canary"), "{what}: {refusal}");
        assert!(!refusal.to_string().contains("secret"), "{what}: {refusal}");
        assert_eq!(written(&app).await, (0, 0), "{what} wrote something");
    }
    app.stop().await;
}

#[tokio::test]
async fn every_visitor_gets_a_token_and_a_receipt_reused_on_return() {
    let app = spawn_app(Options {
        consent_required: true,
        ..Options::default()
    })
    .await;
    let key = demo();
    let given = consent();
    let first = admit(&app.store, &app.state.limits, request(&key, Some(&given)))
        .await
        .expect("admitted");
    let token = first.token.clone();
    assert!(first.receipt_id.is_some());
    assert_eq!(written(&app).await, (1, 1));

    let again = admit(
        &app.store,
        &app.state.limits,
        Request {
            token: Some(&token),
            ..request(&key, Some(&given))
        },
    )
    .await
    .expect("admitted again");
    assert_eq!(again.visitor, first.visitor, "the same visitor");
    assert_eq!(
        again.receipt_id, first.receipt_id,
        "the same consent, the same receipt"
    );
    assert_eq!(written(&app).await, (1, 1));

    // The leave-a-message form without a token: a visitor of its own (so its author can
    // reach the message later), with a token and a receipt.
    let left = admit(
        &app.store,
        &app.state.limits,
        Request {
            door: Door::LeaveMessage(None),
            ..request(&key, Some(&given))
        },
    )
    .await
    .expect("left");
    assert_ne!(left.visitor, first.visitor);
    assert_ne!(left.token, first.token);
    assert!(left.receipt_id.is_some());
    assert_eq!(written(&app).await, (2, 2));
    app.stop().await;
}

#[tokio::test]
async fn details_follow_the_mode() {
    let app = spawn_app(Options::default()).await;
    let key = demo();
    settings(&app, |s| s.prechat_fields.name = Requirement::Optional).await;
    let name = PrechatValues {
        name: Some("  Ada  ".into()),
        ..PrechatValues::default()
    };

    // Privacy mode: the typed name, nothing about the browser.
    let private = admit(
        &app.store,
        &app.state.limits,
        Request {
            fields: Some(&name),
            ..request(&key, None)
        },
    )
    .await
    .expect("admitted");
    assert_eq!(private.details.name.as_deref(), Some("Ada"));
    assert_eq!(private.details.browser, None);
    assert_eq!(private.details.os, None);
    assert!(!private.mode.live_preview);

    settings(&app, |s| {
        s.privacy_mode = false;
        s.live_preview = true;
        s.typing_indicator = false;
    })
    .await;
    let ctx = context();
    let standard = admit(
        &app.store,
        &app.state.limits,
        Request {
            context: Some(&ctx),
            fields: Some(&name),
            ..request(&key, None)
        },
    )
    .await
    .expect("admitted");
    assert_eq!(
        standard.details.page.as_deref(),
        Some("https://shop.example/pricing"),
        "cut at the query"
    );
    assert_eq!(
        standard.details.referrer.as_deref(),
        Some("https://search.example/q")
    );
    assert_eq!(standard.details.browser.as_deref(), Some("Chrome"));
    assert_eq!(standard.details.os.as_deref(), Some("Linux"));
    assert!(standard.mode.live_preview);
    assert!(!standard.mode.typing_indicator);
    assert!(matches!(
        admit(
            &app.store,
            &app.state.limits,
            request(&WidgetKey::parse("gone").expect("key"), None)
        )
        .await,
        Err(Refusal::WidgetNotFound)
    ));
    app.stop().await;
}
