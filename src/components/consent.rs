//! The consent gate: the disclaimer in the visitor's language (as text, line breaks kept), the
//! privacy link (new tab, no opener, no referrer), an unticked checkbox and a start button
//! that stays disabled until the box is ticked. Starting hashes the exact text shown with
//! WebCrypto and reports the consent; nothing is sent from here.

use crate::browser;
use crate::gate::ConsentView;
use crate::strings::Strings;
use confide_protocol::chat::ConsentGiven;
use confide_protocol::i18n::Text;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct ConsentGateProps {
    pub view: Rc<ConsentView>,
    /// The visitor ticked the box and started: what they agreed to, with its hash.
    pub on_agree: Callback<ConsentGiven>,
    pub t: Rc<Strings>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ready,
    /// Hashing the text.
    Starting,
    /// WebCrypto is missing (the page is not served over HTTPS).
    NoCrypto,
}

#[component]
pub fn ConsentGate(props: &ConsentGateProps) -> Html {
    let ticked = use_state(|| false);
    let status = use_state(|| Status::Ready);
    let view = &props.view;
    let d = &view.disclaimer;

    let onchange = {
        let ticked = ticked.clone();
        move |e: Event| ticked.set(e.target_unchecked_into::<HtmlInputElement>().checked())
    };
    let starting = *status == Status::Starting;
    let onclick = {
        let view = view.clone();
        let on_agree = props.on_agree.clone();
        let status = status.clone();
        let ready = *ticked && !starting;
        move |_: MouseEvent| {
            if !ready {
                return;
            }
            status.set(Status::Starting);
            let view = view.clone();
            let on_agree = on_agree.clone();
            let status = status.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match browser::sha256_hex(&view.shown_text()).await {
                    Some(hash) => on_agree.emit(view.given(hash)),
                    None => status.set(Status::NoCrypto),
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
                       checked={*ticked} aria-describedby="confide-consent-title confide-consent-body"
                       {onchange} />
                <span>{ d.checkbox_label.clone() }</span>
            </label>
            if *status == Status::NoCrypto {
                <p class="confide-notice" role="alert">{ props.t.get(Text::NoCrypto) }</p>
            }
            <button type="button" class="confide-send confide-consent-start"
                    data-testid="consent-start" disabled={!*ticked || starting} {onclick}>
                { d.start_label.clone() }
            </button>
        </section>
    }
}
