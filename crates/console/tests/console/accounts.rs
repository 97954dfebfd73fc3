//! Issue 15's accounts against the stand-in server: the Operators page, the Account page's
//! password and authenticator forms, the set-password page a one-time link opens, the
//! sign-in form's second step, and the console an operator who must enrol sees.

use super::{
    absent, all, attribute, choose, click, mount_point, one, role, text, type_into, until,
    wait_for, FakeServer,
};
use confide_console::components::{
    LoginForm, OperatorsPage, OperatorsPageProps, SetPasswordPage, SetPasswordPageProps,
    TwoFactorSection, TwoFactorSectionProps,
};
use confide_console::Console;
use confide_protocol::chat::OperatorMe;
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlInputElement};
use yew::prelude::*;

fn operator(id: i64, name: &str, role: &str) -> Value {
    json!({
        "id": id, "email": format!("{}@example.com", name.to_lowercase()), "name": name,
        "alias": name, "role": role, "disabled": false, "password_set": true, "totp": false,
        "created_at": 1_700_000_000_000_i64
    })
}

fn input_value(root: &Element, selector: &str) -> String {
    one(root, selector)
        .dyn_into::<HtmlInputElement>()
        .expect("input")
        .value()
}

fn body_of(server: &FakeServer, method: &str, path: &str) -> Value {
    serde_json::from_str(&server.last(method, path).body).expect("a JSON body")
}

/// The text of what `selector` finds, or nothing while it is not rendered.
fn text_or_empty(root: &Element, selector: &str) -> String {
    root.query_selector(selector)
        .ok()
        .flatten()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

fn row_selector(email: &str) -> String {
    format!("tr[data-operator-email='{email}']")
}

#[wasm_bindgen_test]
async fn operators_are_listed_added_changed_and_refusals_are_alerts() {
    let grace = Rc::new(RefCell::new({
        let mut g = operator(2, "Grace", "agent");
        g["totp"] = json!(true);
        g
    }));
    let server = {
        let grace = grace.clone();
        FakeServer::start(move |method, path, body| match (method, path) {
            ("GET", "/api/admin/operators") => {
                let mut lin = operator(3, "Lin", "agent");
                lin["password_set"] = json!(false);
                let mut bob = operator(4, "Bob", "agent");
                bob["disabled"] = json!(true);
                (
                    200,
                    json!([
                        operator(1, "Ada", "admin"),
                        grace.borrow().clone(),
                        lin,
                        bob
                    ]),
                )
            }
            ("GET", "/api/admin/roles") => (
                200,
                json!([
                    role("admin", json!({"operators": true}), true),
                    role("agent", json!({}), true),
                    role("readers", json!({"transcripts": "read"}), false),
                ]),
            ),
            ("POST", "/api/admin/operators") => {
                let sent: Value = serde_json::from_str(body).expect("json");
                let mut new = operator(5, sent["name"].as_str().unwrap_or(""), "agent");
                new["email"] = sent["email"].clone();
                new["role"] = sent["role"].clone();
                new["password_set"] = json!(false);
                (
                    201,
                    json!({"operator": new, "path": "/console/set-password#tok-new",
                           "expires_at": 1_700_086_400_000_i64}),
                )
            }
            ("PATCH", "/api/admin/operators/1") => (
                409,
                json!({"code": "conflict",
                       "message": "No operator would be left who may manage operators."}),
            ),
            ("PATCH", "/api/admin/operators/2") => {
                let sent: Value = serde_json::from_str(body).expect("json");
                let mut g = grace.borrow_mut();
                if let Some(role) = sent.get("role") {
                    g["role"] = role.clone();
                }
                if sent.get("clear_second_factor") == Some(&json!(true)) {
                    g["totp"] = json!(false);
                }
                (200, g.clone())
            }
            ("POST", "/api/admin/operators/2/reset-password") => {
                let mut g = grace.borrow_mut();
                g["password_set"] = json!(false);
                (
                    200,
                    json!({"operator": g.clone(), "path": "/console/set-password#tok-reset",
                           "expires_at": 1_700_086_400_000_i64}),
                )
            }
            ("DELETE", "/api/admin/operators/4") => (204, Value::Null),
            _ => (404, json!({"code": "not_found", "message": "no"})),
        })
    };
    let root = mount_point();
    yew::Renderer::<OperatorsPage>::with_root_and_props(
        root.clone(),
        OperatorsPageProps { me: Some(1) },
    )
    .render();
    let page = wait_for(&root, "section[data-testid=operators-page]").await;
    let table = wait_for(&page, "table[data-testid=operators-table]").await;
    assert_eq!(all(&table, "thead th[scope=col]").len(), 7);
    assert_eq!(all(&table, "tbody th[scope=row]").len(), 4);
    let status = |email: &str| {
        text(
            &page,
            &format!("{} [data-testid=operator-status]", row_selector(email)),
        )
    };
    assert_eq!(status("ada@example.com"), "Active");
    assert_eq!(status("lin@example.com"), "Waiting for password");
    assert_eq!(status("bob@example.com"), "Disabled");
    let ada = one(&page, &row_selector("ada@example.com"));
    assert_eq!(text(&ada, "[data-testid=operator-totp]"), "No");
    assert_eq!(text(&ada, "[data-testid=operator-you]"), "you");
    assert!(text(&ada, "td").contains("ada@example.com"));
    // Clear two-factor only where there is one; Enable only for the disabled.
    assert_eq!(all(&page, "[data-testid=operator-clear-2fa]").len(), 1);
    assert!(!absent(
        &page,
        "tr[data-operator-email='grace@example.com'] [data-testid=operator-clear-2fa]"
    ));
    assert!(!absent(
        &page,
        "tr[data-operator-email='bob@example.com'] [data-testid=operator-enable]"
    ));
    // Every row's select is labelled.
    for select in all(&page, "select[data-testid=operator-role]") {
        let id = select.get_attribute("id").expect("id");
        let label = one(&page, &format!("label[for='{id}']"));
        assert!(label
            .text_content()
            .unwrap_or_default()
            .starts_with("Role of "));
    }
    for button in all(&page, "button") {
        assert!(button.get_attribute("type").is_some(), "typed buttons");
    }
    wait_for(
        &page,
        "select[data-testid=operator-role-new] option[value=readers]",
    )
    .await;

    // Added: checked first, then the link, whole, once, within 24 hours.
    click(&page, "[data-testid=operator-add]").await;
    let problems = wait_for(&page, "[data-testid=operator-add-problems]").await;
    assert_eq!(problems.get_attribute("role").as_deref(), Some("alert"));
    assert!(server.requests("POST", "/api/admin/operators").is_empty());
    assert_eq!(
        attribute(&page, "#operator-email", "aria-invalid").as_deref(),
        Some("true")
    );
    type_into(&page, "#operator-email", " lin.ho@example.com ").await;
    type_into(&page, "#operator-name", "Lin Ho").await;
    choose(&page, "#operator-role-new", "readers").await;
    click(&page, "[data-testid=operator-add]").await;
    let link = wait_for(&page, "input[data-testid=one-time-link]").await;
    assert_eq!(
        body_of(&server, "POST", "/api/admin/operators"),
        json!({"email": "lin.ho@example.com", "name": "Lin Ho", "alias": null, "role": "readers"})
    );
    let origin = gloo_utils::window().location().origin().expect("origin");
    assert_eq!(
        input_value(&page, "input[data-testid=one-time-link]"),
        format!("{origin}/console/set-password#tok-new")
    );
    assert!(link.has_attribute("readonly"));
    assert_eq!(
        text(&page, "label[for=one-time-link]"),
        "Link to set the password"
    );
    assert!(text(&page, "[data-testid=one-time-link-note]").contains("works once, within 24 hours"));
    assert!(!absent(&page, "button[data-testid=one-time-link-copy]"));
    assert_eq!(
        text(
            &page,
            "tr[data-operator-email='lin.ho@example.com'] [data-testid=operator-status]"
        ),
        "Waiting for password"
    );
    assert_eq!(input_value(&page, "#operator-email"), "");

    // The last manager: refused, in the server's words, as an alert.
    click(&ada, "[data-testid=operator-disable]").await;
    let error = wait_for(&page, "[data-testid=operators-error]").await;
    assert_eq!(error.get_attribute("role").as_deref(), Some("alert"));
    assert_eq!(
        error.text_content().unwrap_or_default(),
        "No operator would be left who may manage operators."
    );
    assert_eq!(
        body_of(&server, "PATCH", "/api/admin/operators/1"),
        json!({"disabled": true})
    );
    assert_eq!(status("ada@example.com"), "Active");

    // A role changed, saved only once another is picked.
    let grace_row = row_selector("grace@example.com");
    let save = format!("{grace_row} [data-testid=operator-role-save]");
    assert!(one(&page, &save).has_attribute("disabled"));
    choose(&page, &format!("{grace_row} select"), "readers").await;
    assert!(!one(&page, &save).has_attribute("disabled"));
    click(&page, &save).await;
    until("the role saved", || {
        text_or_empty(&page, "[data-testid=operators-result]") == "Grace now has the role readers."
    })
    .await;
    assert_eq!(
        body_of(&server, "PATCH", "/api/admin/operators/2"),
        json!({"role": "readers"})
    );
    assert!(absent(&page, "[data-testid=operators-error]"));

    // Two-factor cleared.
    click(
        &page,
        &format!("{grace_row} [data-testid=operator-clear-2fa]"),
    )
    .await;
    until("the second factor cleared", || {
        text(&page, &format!("{grace_row} [data-testid=operator-totp]")) == "No"
    })
    .await;
    assert_eq!(
        body_of(&server, "PATCH", "/api/admin/operators/2"),
        json!({"clear_second_factor": true})
    );
    assert!(absent(&page, "[data-testid=operator-clear-2fa]"));

    // A password reset: a new link.
    click(&page, &format!("{grace_row} [data-testid=operator-reset]")).await;
    until("the reset link", || {
        input_value(&page, "input[data-testid=one-time-link]").ends_with("#tok-reset")
    })
    .await;
    assert_eq!(server.last("POST", "/api/admin/operators/2/").body, "");

    // Removed, after a confirmation on the page.
    let bob = row_selector("bob@example.com");
    click(&page, &format!("{bob} [data-testid=operator-remove]")).await;
    let confirm = wait_for(&page, "[data-testid=operator-remove-confirm]").await;
    assert!(text(&confirm, ".confirm-text").contains("Bob (bob@example.com)"));
    assert!(server.requests("DELETE", "/api/admin/operators").is_empty());
    click(&page, "[data-testid=operator-remove-cancel]").await;
    assert!(absent(&page, "[data-testid=operator-remove-confirm]"));
    click(&page, &format!("{bob} [data-testid=operator-remove]")).await;
    click(&page, "[data-testid=operator-remove-yes]").await;
    until("Bob gone", || absent(&page, &bob)).await;
    assert_eq!(
        server.last("DELETE", "/api/admin/operators/").path,
        "/api/admin/operators/4"
    );
    assert_eq!(
        text(&page, "[data-testid=operators-result]"),
        "Bob was removed."
    );
    root.remove();
}

fn me(must_enrol: bool) -> Value {
    json!({"id": 1, "name": "Ada", "alias": "Ada", "role": "guarded",
           "permissions": {"second_factor": true}, "totp": !must_enrol, "must_enrol": must_enrol})
}

fn totp_server(me_calls: Rc<Cell<u32>>) -> FakeServer {
    FakeServer::start(move |method, path, body| match (method, path) {
        ("GET", "/api/operator/me") => {
            me_calls.set(me_calls.get() + 1);
            (200, me(me_calls.get() == 1))
        }
        ("POST", "/api/operator/totp") => (
            200,
            json!({"secret": "JBSWY3DPEHPK3PXP", "uri": "otpauth://totp/Confide:ada?secret=JBSWY3DPEHPK3PXP",
                   "qr_svg": "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1 1\"><rect width=\"1\" height=\"1\"/></svg>"}),
        ),
        ("POST", "/api/operator/totp/confirm") => {
            let sent: Value = serde_json::from_str(body).expect("json");
            if sent == json!({"code": "123456"}) {
                let codes: Vec<String> = (0..10).map(|i| format!("abcd-{i:04}")).collect();
                (200, json!({ "codes": codes }))
            } else {
                (
                    401,
                    json!({"code": "unauthorized", "message": "That code is not right."}),
                )
            }
        }
        ("POST", "/api/operator/totp/remove") => {
            let sent: Value = serde_json::from_str(body).expect("json");
            if sent == json!({"password": "correct horse"}) {
                (204, Value::Null)
            } else {
                (
                    401,
                    json!({"code": "unauthorized", "message": "The password is wrong."}),
                )
            }
        }
        _ => (404, json!({"code": "not_found", "message": "no"})),
    })
}

#[wasm_bindgen_test]
async fn an_operator_who_must_enrol_sees_only_the_enrolment_until_it_is_done() {
    let me_calls = Rc::new(Cell::new(0));
    let server = totp_server(me_calls.clone());
    let root = mount_point();
    let app = yew::Renderer::<Console>::with_root(root.clone()).render();
    let enrol = wait_for(&root, "[data-testid=enrol-page]").await;
    // Only the enrolment and Sign out: no pages, no inbox, no connection.
    assert!(absent(&root, "nav"));
    assert!(absent(&root, "[data-testid=inbox]"));
    assert!(absent(&root, "[data-testid=connection]"));
    assert!(!absent(&root, "button[data-testid=logout]"));
    assert!(absent(&root, "[data-testid=change-password-form]"));
    assert!(absent(&enrol, "[data-testid=totp-remove-form]"));

    click(&enrol, "button[data-testid=totp-start]").await;
    let secret = wait_for(&enrol, "code[data-testid=totp-secret]").await;
    assert_eq!(secret.text_content().as_deref(), Some("JBSWY3DPEHPK3PXP"));
    let qr = one(&enrol, "img[data-testid=totp-qr]");
    assert_eq!(
        qr.get_attribute("alt").as_deref(),
        Some("QR code for your authenticator app")
    );
    let src = qr.get_attribute("src").unwrap_or_default();
    assert!(
        src.starts_with("data:image/svg+xml;charset=utf-8,%3Csvg%20xmlns%3D%22http"),
        "{src}"
    );
    assert_eq!(text(&enrol, "label[for=totp-code]"), "Code from the app");
    // Not six digits: said here, nothing sent.
    type_into(&enrol, "#totp-code", "12345").await;
    click(&enrol, "button[data-testid=totp-confirm]").await;
    let error = wait_for(&enrol, "[data-testid=totp-error]").await;
    assert_eq!(error.get_attribute("role").as_deref(), Some("alert"));
    assert!(server
        .requests("POST", "/api/operator/totp/confirm")
        .is_empty());
    // A wrong code: the server's words.
    type_into(&enrol, "#totp-code", "111111").await;
    click(&enrol, "button[data-testid=totp-confirm]").await;
    until("the refusal", || {
        text_or_empty(&enrol, "[data-testid=totp-error]") == "That code is not right."
    })
    .await;
    // Still signed in: a refused code is not a lost session.
    assert!(absent(&root, "form[data-testid=login]"));
    type_into(&enrol, "#totp-code", "123 456").await;
    click(&enrol, "button[data-testid=totp-confirm]").await;
    let codes = wait_for(&enrol, "ul[data-testid=recovery-codes]").await;
    assert_eq!(all(&codes, "li").len(), 10);
    assert!(text(&codes, "li").starts_with("abcd-0000"));
    assert!(text(&enrol, ".recovery-note").contains("shown only now"));
    // The codes stay up until the operator says they are stored.
    assert_eq!(me_calls.get(), 1);
    click(&enrol, "button[data-testid=recovery-done]").await;
    wait_for(&root, "nav [data-testid=nav-inbox]").await;
    assert_eq!(me_calls.get(), 2);
    assert!(absent(&root, "[data-testid=enrol-page]"));
    assert!(!absent(&root, "nav [data-testid=nav-account]"));
    app.destroy();
    root.remove();
    drop(server);
}

#[wasm_bindgen_test]
async fn an_enrolled_authenticator_is_removed_with_the_password() {
    let server = totp_server(Rc::default());
    let root = mount_point();
    yew::Renderer::<TwoFactorSection>::with_root_and_props(
        root.clone(),
        TwoFactorSectionProps {
            totp: true,
            required: false,
            enrolling: false,
        },
    )
    .render();
    let form = wait_for(&root, "form[data-testid=totp-remove-form]").await;
    assert!(absent(&root, "[data-testid=totp-start]"));
    assert_eq!(
        text(&form, "label[for=totp-remove-password]"),
        "Your password"
    );
    type_into(&form, "#totp-remove-password", "wrong one").await;
    click(&form, "button[data-testid=totp-remove]").await;
    let error = wait_for(&form, "[data-testid=totp-error]").await;
    assert_eq!(error.get_attribute("role").as_deref(), Some("alert"));
    assert_eq!(
        error.text_content().as_deref(),
        Some("The password is wrong.")
    );
    type_into(&form, "#totp-remove-password", "correct horse").await;
    click(&form, "button[data-testid=totp-remove]").await;
    until("the second try answered", || {
        server.requests("POST", "/api/operator/totp/remove").len() == 2
            && !one(&root, "[data-testid=totp-remove]").has_attribute("disabled")
    })
    .await;
    assert!(absent(&root, "[data-testid=totp-error]"));
    assert_eq!(
        body_of(&server, "POST", "/api/operator/totp/remove"),
        json!({"password": "correct horse"})
    );
    root.remove();
}

#[wasm_bindgen_test]
async fn a_one_time_link_sets_the_password_once() {
    let server = FakeServer::start(|method, path, body| match (method, path) {
        ("POST", "/api/account/password") => {
            let sent: Value = serde_json::from_str(body).expect("json");
            if sent["token"] == "good" {
                (204, Value::Null)
            } else {
                (
                    410,
                    json!({"code": "link_expired", "message": "this link has expired"}),
                )
            }
        }
        _ => (404, json!({"code": "not_found", "message": "no"})),
    });
    let render = |token: Option<&str>| {
        let root = mount_point();
        yew::Renderer::<SetPasswordPage>::with_root_and_props(
            root.clone(),
            SetPasswordPageProps {
                token: token.map(Into::into),
            },
        )
        .render();
        root
    };

    let root = render(Some("good"));
    let form = wait_for(&root, "form[data-testid=set-password-form]").await;
    assert_eq!(text(&form, "label[for=set-password-new]"), "New password");
    // Checked here first: the same twice, at least 10 characters.
    type_into(&form, "#set-password-new", "long enough!").await;
    type_into(&form, "#set-password-repeat", "long enough?").await;
    click(&form, "button[type=submit]").await;
    let error = wait_for(&form, "[data-testid=set-password-error]").await;
    assert_eq!(error.get_attribute("role").as_deref(), Some("alert"));
    assert!(text(&form, "[data-testid=set-password-error]").contains("not the same"));
    type_into(&form, "#set-password-new", "short").await;
    type_into(&form, "#set-password-repeat", "short").await;
    click(&form, "button[type=submit]").await;
    assert!(text(&form, "[data-testid=set-password-error]").contains("at least 10"));
    assert!(server.requests("POST", "/api/account/password").is_empty());
    type_into(&form, "#set-password-new", "long enough!").await;
    type_into(&form, "#set-password-repeat", "long enough!").await;
    click(&form, "button[type=submit]").await;
    let done = wait_for(&root, "[data-testid=set-password-done]").await;
    assert_eq!(
        body_of(&server, "POST", "/api/account/password"),
        json!({"token": "good", "password": "long enough!"})
    );
    assert_eq!(attribute(&done, "a", "href").as_deref(), Some("/console/"));
    root.remove();

    // Used or expired: said so, with where to turn.
    let root = render(Some("used"));
    let form = wait_for(&root, "form[data-testid=set-password-form]").await;
    type_into(&form, "#set-password-new", "long enough!").await;
    type_into(&form, "#set-password-repeat", "long enough!").await;
    click(&form, "button[type=submit]").await;
    wait_for(&root, "[data-testid=set-password-expired]").await;
    let said = text(&root, "[data-testid=set-password-error]");
    assert!(
        said.contains("used already or has expired") && said.contains("administrator"),
        "{said}"
    );
    assert!(absent(&root, "form"));
    root.remove();

    // No token at all: no form.
    let root = render(None);
    wait_for(&root, "[data-testid=set-password-expired]").await;
    assert!(absent(&root, "form"));
    root.remove();
}

#[wasm_bindgen_test]
async fn signing_in_asks_for_the_second_factor_when_the_server_does() {
    let server = FakeServer::start(|method, path, body| match (method, path) {
        ("POST", "/api/operator/login") => {
            let sent: Value = serde_json::from_str(body).expect("json");
            match sent.get("code").and_then(Value::as_str) {
                None => (
                    401,
                    json!({"code": "second_factor_required", "message": "a code is needed"}),
                ),
                Some("abcd-0001") => (200, me(false)),
                Some(_) => (
                    401,
                    json!({"code": "unauthorized", "message": "That code is not right."}),
                ),
            }
        }
        _ => (404, json!({"code": "not_found", "message": "no"})),
    });
    let signed_in: Rc<RefCell<Option<OperatorMe>>> = Rc::default();

    #[derive(Properties, PartialEq)]
    struct LoginProps {
        signed_in: Rc<RefCell<Option<OperatorMe>>>,
    }
    #[component]
    fn Login(props: &LoginProps) -> Html {
        let signed_in = props.signed_in.clone();
        let on_signed_in = Callback::from(move |me| *signed_in.borrow_mut() = Some(me));
        html! { <LoginForm {on_signed_in} /> }
    }
    let root = mount_point();
    yew::Renderer::<Login>::with_root_and_props(
        root.clone(),
        LoginProps {
            signed_in: signed_in.clone(),
        },
    )
    .render();
    let form = wait_for(&root, "form[data-testid=login]").await;
    assert_eq!(text(&form, "label[for=login-email]"), "Email");
    type_into(&form, "input[name=email]", " ada@example.com ").await;
    type_into(&form, "input[name=password]", "correct horse").await;
    click(&form, "button[type=submit]").await;
    let code = wait_for(&form, "input[data-testid=login-code]").await;
    assert!(absent(&form, "input[name=password]"));
    assert!(absent(&form, "[data-testid=login-error]"));
    assert_eq!(
        code.get_attribute("autocomplete").as_deref(),
        Some("one-time-code")
    );
    // Recovery codes have letters and dashes: no numeric keyboard forced.
    assert_eq!(code.get_attribute("inputmode"), None);
    assert_eq!(
        text(&form, "label[for=login-code]"),
        "Code from your authenticator app, or a recovery code"
    );
    type_into(&form, "input[data-testid=login-code]", "999999").await;
    click(&form, "button[type=submit]").await;
    let error = wait_for(&form, "[data-testid=login-error]").await;
    assert_eq!(error.get_attribute("role").as_deref(), Some("alert"));
    assert_eq!(
        error.text_content().as_deref(),
        Some("That code is not right.")
    );
    let sent = body_of(&server, "POST", "/api/operator/login");
    assert_eq!(
        sent,
        json!({"email": "ada@example.com", "password": "correct horse", "code": "999999"})
    );
    assert!(signed_in.borrow().is_none());
    type_into(&form, "input[data-testid=login-code]", " abcd-0001 ").await;
    click(&form, "button[type=submit]").await;
    until("signed in", || signed_in.borrow().is_some()).await;
    assert_eq!(
        body_of(&server, "POST", "/api/operator/login")["code"],
        "abcd-0001"
    );
    assert_eq!(server.requests("POST", "/api/operator/login").len(), 3);
    root.remove();
}
