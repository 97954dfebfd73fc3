//! Keeps `document.title` in step with a string, so a background tab shows "(2) Confide console".

use yew::prelude::*;

#[hook]
pub fn use_document_title(title: String) {
    use_effect_with(title, |title| {
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(title);
        }
    });
}
