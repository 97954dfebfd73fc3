//! The consent gate: the disclaimer in the visitor's language (as text, line breaks kept), the
//! privacy link (new tab, no opener, no referrer), an unticked checkbox and a start button
//! that stays disabled until the box is ticked. Starting hashes the exact text shown with
//! WebCrypto and reports the consent; nothing is sent from here.
//!
//! A plain function, not a component (each component type costs the bundle Yew's lifecycle
//! code): what it holds while shown is a [`FormState`] its parent keeps.

use crate::browser;
use crate::gate::ConsentView;
use crate::strings::Strings;
use confide_protocol::chat::ConsentGiven;
use confide_protocol::i18n::Text;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// What the forms before the chat hold while the visitor fills them in (the consent gate's
/// checkbox and start, the pre-chat form's problem). The widget resets it as each form is
/// left behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormState {
    pub ticked: bool,
    /// Hashing the text.
    pub starting: bool,
    /// WebCrypto is missing (the page is not served over HTTPS).
    pub no_crypto: bool,
    /// The pre-chat field that breaks a rule (its key) and what to tell the visitor.
    pub problem: Option<(String, String)>,
}

pub fn consent_gate(
    view: &Rc<ConsentView>,
    form: &UseStateHandle<FormState>,
    on_agree: &Callback<ConsentGiven>,
    t: &Strings,
) -> Html {
    let d = &view.disclaimer;
    let onchange = {
        let form = form.clone();
        move |e: Event| {
            form.set(FormState {
                ticked: e.target_unchecked_into::<HtmlInputElement>().checked(),
                ..(*form).clone()
            })
        }
    };
    let onclick = {
        let (view, on_agree, form) = (view.clone(), on_agree.clone(), form.clone());
        move |_: MouseEvent| {
            if !form.ticked || form.starting {
                return;
            }
            form.set(FormState {
                starting: true,
                ..(*form).clone()
            });
            let (view, on_agree, form) = (view.clone(), on_agree.clone(), form.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match browser::sha256_hex(&view.shown_text()).await {
                    Some(hash) => on_agree.emit(view.given(hash)),
                    None => form.set(FormState {
                        ticked: true,
                        no_crypto: true,
                        ..FormState::default()
                    }),
                }
            });
        }
    };

    html! {
        <section class="confide-body confide-consent" data-testid="consent"
                 lang={view.language.clone()} aria-labelledby="confide-consent-title">
            <h2 id="confide-consent-title" class="confide-consent-title"
                data-testid="consent-title">{ d.title.clone() }</h2>
            <p id="confide-consent-body" class="confide-consent-text" data-testid="consent-body">{ d.body.clone() }</p>
            if !d.retention.is_empty() {
                <p id="confide-consent-retention" class="confide-consent-text"
                   data-testid="consent-retention">{ d.retention.clone() }</p>
            }
            if let Some(link) = &view.privacy_link {
                <p class="confide-consent-link">
                    <a data-testid="privacy-link" href={link.url.clone()} target="_blank"
                       rel="noopener noreferrer">{ link.label.clone() }</a>
                </p>
            }
            // Focus lands on the checkbox when the chat opens; a screen reader then reads the
            // disclaimer with it (aria-describedby), so nobody ticks a box they have not heard.
            <label class="confide-consent-check">
                <input type="checkbox" class="confide-first" data-testid="consent-checkbox"
                       checked={form.ticked} aria-describedby="confide-consent-title confide-consent-body confide-consent-retention"
                       {onchange} />
                <span>{ d.checkbox_label.clone() }</span>
            </label>
            if form.no_crypto {
                <p class="confide-notice" role="alert">{ t.get(Text::NoCrypto) }</p>
            }
            <button type="button" class="confide-send confide-consent-start"
                    data-testid="consent-start" disabled={!form.ticked || form.starting} {onclick}>
                { d.start_label.clone() }
            </button>
        </section>
    }
}
