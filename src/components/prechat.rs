//! The pre-chat form: the fields the widget asks for (name, email, custom ones; each optional
//! or required), checked with the protocol's own rules before anything is sent. What the
//! visitor types goes out only with the chat's `hello`, and only what is not empty. A plain
//! function: the problem shown lives in its parent's [`FormState`].

use crate::components::consent::FormState;
use crate::gate::{FieldRule, Label, PrechatView};
use crate::strings::Strings;
use confide_protocol::details::{PrechatValues, MAX_FIELD_CHARS};
use confide_protocol::i18n::Text;
use confide_protocol::settings::Requirement;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// A field's label in the visitor's language.
fn label_text(t: &Strings, label: Label<'_>) -> AttrValue {
    match label {
        Label::Name => t.get(Text::Name),
        Label::Email => t.get(Text::Email),
        Label::Custom(l) => l.to_owned().into(),
    }
}

/// What to tell the visitor about one field.
fn problem_text(t: &Strings, label: Label<'_>, rule: FieldRule) -> String {
    let label = label_text(t, label);
    match rule {
        FieldRule::TooLong(max) => t.count(rule.text(), "max", max as u64, &[("label", &label)]),
        _ => t.fill(rule.text(), &[("label", &label)]),
    }
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

/// The form; `node` is its element, `on_filled` gets the checked values.
pub fn prechat_form(
    view: &Rc<PrechatView>,
    state: &UseStateHandle<FormState>,
    node: &NodeRef,
    on_filled: &Callback<PrechatValues>,
    t: &Rc<Strings>,
) -> Html {
    let problem = &state.problem;
    let onsubmit = {
        let (view, form, state, on_filled, t) = (
            view.clone(),
            node.clone(),
            state.clone(),
            on_filled.clone(),
            t.clone(),
        );
        move |e: SubmitEvent| {
            e.prevent_default();
            match view.check(&read(&form, &view)) {
                Ok(values) => on_filled.emit(values),
                Err((key, label, rule)) => state.set(FormState {
                    problem: Some((key.to_owned(), problem_text(&t, label, rule))),
                    ..FormState::default()
                }),
            }
        }
    };

    let mut first = true;
    let fields = view
        .shown()
        .into_iter()
        .map(|(key, label, requirement)| {
            let required = requirement == Requirement::Required;
            let (kind, autocomplete) = match key {
                "email" => ("email", "email"),
                "name" => ("text", "name"),
                _ => ("text", "off"),
            };
            let label = label_text(t, label);
            let shown = if required {
                label
            } else {
                t.fill(Text::Optional, &[("label", &label)]).into()
            };
            let class = std::mem::replace(&mut first, false).then_some("confide-first");
            let invalid = problem.as_ref().is_some_and(|(k, _)| k == key);
            html! {
                <label class="confide-field">
                    <span>{ shown }</span>
                    <input name={key.to_owned()} type={kind} {autocomplete} {required} {class}
                           aria-invalid={invalid.then_some("true")}
                           data-testid={format!("prechat-{key}")}
                           maxlength={MAX_FIELD_CHARS.to_string()} />
                </label>
            }
        })
        .collect::<Vec<_>>();
    html! {
        <form class="confide-body confide-leave" data-testid="prechat" lang={view.language.clone()}
              ref={node.clone()} {onsubmit} novalidate=true>
            <p class="confide-leave-intro">{ t.get(Text::PrechatIntro) }</p>
            { for fields }
            if let Some((_, why)) = problem {
                <p class="confide-notice" role="alert" data-testid="prechat-problem">{ why.clone() }</p>
            }
            <button type="submit" class="confide-send" data-testid="prechat-start">{ t.get(Text::Start) }</button>
        </form>
    }
}
