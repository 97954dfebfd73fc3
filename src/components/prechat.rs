//! The pre-chat form: the fields the widget asks for (name, email, custom ones; each optional
//! or required), checked with the protocol's own rules before anything is sent. What the
//! visitor types goes out only with the chat's `hello`, and only what is not empty.

use crate::gate::PrechatView;
use confide_protocol::details::{PrechatValues, MAX_FIELD_CHARS};
use confide_protocol::settings::Requirement;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct PrechatFormProps {
    pub view: Rc<PrechatView>,
    /// The checked values, when the visitor starts.
    pub on_filled: Callback<PrechatValues>,
}

/// Reads the form's inputs (named by field key) into values.
fn read(form: &NodeRef, view: &PrechatView) -> PrechatValues {
    let mut values = PrechatValues::default();
    let Some(form) = form.cast::<web_sys::Element>() else {
        return values;
    };
    for (key, _, _) in view.shown() {
        let value = form
            .query_selector(&format!("[name=\"{key}\"]"))
            .ok()
            .flatten()
            .and_then(|el| wasm_bindgen::JsCast::dyn_into::<HtmlInputElement>(el).ok())
            .map(|input| input.value())
            .unwrap_or_default();
        match key {
            "name" => values.name = Some(value),
            "email" => values.email = Some(value),
            _ => {
                values.custom.insert(key.to_owned(), value);
            }
        }
    }
    values
}

#[component]
pub fn PrechatForm(props: &PrechatFormProps) -> Html {
    let problem = use_state(|| None::<String>);
    let form = use_node_ref();
    let view = &props.view;

    let onsubmit = {
        let view = view.clone();
        let form = form.clone();
        let problem = problem.clone();
        let on_filled = props.on_filled.clone();
        move |e: SubmitEvent| {
            e.prevent_default();
            match view.check(&read(&form, &view)) {
                Ok(values) => on_filled.emit(values),
                Err(why) => problem.set(Some(why)),
            }
        }
    };

    let fields = view.shown().into_iter().map(|(key, label, requirement)| {
        let required = requirement == Requirement::Required;
        let (kind, autocomplete) = match key {
            "email" => ("email", "email"),
            "name" => ("text", "name"),
            _ => ("text", "off"),
        };
        html! {
            <label class="confide-field">
                <span>{ label }{ if required { "" } else { " (optional)" } }</span>
                <input name={key.to_owned()} type={kind} {autocomplete} {required}
                       data-testid={format!("prechat-{key}")}
                       maxlength={MAX_FIELD_CHARS.to_string()} />
            </label>
        }
    });
    html! {
        <form class="confide-body confide-leave" data-testid="prechat" lang={view.language.clone()}
              ref={form} {onsubmit} novalidate=true>
            <p class="confide-leave-intro">{ "Before we start, please tell us:" }</p>
            { for fields }
            if let Some(why) = &*problem {
                <p class="confide-notice" role="alert" data-testid="prechat-problem">{ why.clone() }</p>
            }
            <button type="submit" class="confide-send" data-testid="prechat-start">{ "Start chat" }</button>
        </form>
    }
}
