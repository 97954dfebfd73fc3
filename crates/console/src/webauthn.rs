//! The browser's passkey ceremonies, through their JSON forms: the server's options go to
//! `PublicKeyCredential.parseCreationOptionsFromJSON` (or `parseRequestOptionsFromJSON`),
//! the result to `navigator.credentials.create` (or `get`), and the credential back as the
//! JSON of its `toJSON()`. No WebAuthn types are compiled in: a few reflected calls.

use js_sys::{Function, Object, Promise, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Shown when the browser cannot do this at all.
pub const UNSUPPORTED: &str = "This browser cannot use passkeys here (it needs a current browser, and the console at a domain name such as localhost).";
/// Shown when the operator cancelled, or no passkey answered in time.
pub const NOT_USED: &str = "No passkey was used: it was cancelled or took too long.";

fn prop(target: &JsValue, name: &str) -> Result<JsValue, String> {
    Reflect::get(target, &JsValue::from_str(name)).map_err(|_| UNSUPPORTED.to_owned())
}

fn function(target: &JsValue, name: &str) -> Result<Function, String> {
    prop(target, name)?
        .dyn_into::<Function>()
        .map_err(|_| UNSUPPORTED.to_owned())
}

/// Registers a new passkey with the server's creation options; the credential as JSON.
pub async fn create(options: &str) -> Result<String, String> {
    ceremony(options, "parseCreationOptionsFromJSON", "create").await
}

/// Signs in with a passkey for the server's request options; the assertion as JSON.
pub async fn get_assertion(options: &str) -> Result<String, String> {
    ceremony(options, "parseRequestOptionsFromJSON", "get").await
}

async fn ceremony(options: &str, parse: &str, method: &str) -> Result<String, String> {
    let window: JsValue = web_sys::window().ok_or(UNSUPPORTED)?.into();
    let class = prop(&window, "PublicKeyCredential")?;
    if class.is_undefined() {
        return Err(UNSUPPORTED.to_owned());
    }
    let options = JSON::parse(options).map_err(|_| UNSUPPORTED.to_owned())?;
    let public_key = function(&class, parse)?
        .call1(&class, &prop(&options, "publicKey")?)
        .map_err(|_| UNSUPPORTED.to_owned())?;
    let argument = Object::new();
    Reflect::set(&argument, &JsValue::from_str("publicKey"), &public_key)
        .map_err(|_| UNSUPPORTED.to_owned())?;
    let credentials = prop(&prop(&window, "navigator")?, "credentials")?;
    let promise: Promise = function(&credentials, method)?
        .call1(&credentials, &argument)
        .map_err(|_| UNSUPPORTED.to_owned())?
        .dyn_into()
        .map_err(|_| UNSUPPORTED.to_owned())?;
    let credential = JsFuture::from(promise)
        .await
        .map_err(|_| NOT_USED.to_owned())?;
    if credential.is_null() {
        return Err(NOT_USED.to_owned());
    }
    let json = function(&credential, "toJSON")?
        .call0(&credential)
        .map_err(|_| UNSUPPORTED.to_owned())?;
    JSON::stringify(&json)
        .map(String::from)
        .map_err(|_| UNSUPPORTED.to_owned())
}
