//! One router's rules as a JSON editor, checked as the admin types with the protocol's own
//! `RouterRules::problems()`, a one-line summary of each rule, and the "try a visitor" preview.

use super::TryVisitor;
use crate::api;
use crate::routers::{summary, RulesAction, RulesEdit};
use confide_protocol::router::RouterRules;
use confide_protocol::settings::WidgetListItem;
use confide_protocol::WidgetKey;
use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct RouterRulesFormProps {
    pub router: WidgetKey,
    /// The rules as loaded; the form edits its own copy.
    pub rules: RouterRules,
    /// The site's widgets, for the selects and the unknown-widget check; `None` when the list
    /// could not be loaded (the server still checks on save).
    #[prop_or_default]
    pub widgets: Option<Vec<WidgetListItem>>,
}

/// What the last save did.
#[derive(Debug, Clone, PartialEq)]
enum SaveState {
    Idle,
    Saving,
    Saved,
    Failed(String),
}

#[component]
pub fn RouterRulesForm(props: &RouterRulesFormProps) -> Html {
    let edit = {
        let rules = props.rules.clone();
        let keys = props
            .widgets
            .as_ref()
            .map(|w| w.iter().map(|w| w.key.clone()).collect());
        use_reducer_eq(move || RulesEdit::new(rules, keys))
    };
    let save = use_state(|| SaveState::Idle);
    let problems = edit.problems();

    // Every edit clears the last save's message: it described other rules.
    let dispatch = {
        let (dispatcher, save) = (edit.dispatcher(), save.clone());
        Callback::from(move |a: RulesAction| {
            if !matches!(*save, SaveState::Idle | SaveState::Saving) {
                save.set(SaveState::Idle);
            }
            dispatcher.dispatch(a)
        })
    };
    let on_text = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: InputEvent| {
            dispatch.emit(RulesAction::Text(
                e.target_unchecked_into::<HtmlTextAreaElement>().value(),
            ))
        })
    };
    let on_select = |f: fn(WidgetKey) -> RulesAction| {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| {
            if let Ok(key) =
                WidgetKey::parse(&e.target_unchecked_into::<HtmlSelectElement>().value())
            {
                dispatch.emit(f(key));
            }
        })
    };

    let onsubmit = {
        let (edit, save, router) = (edit.clone(), save.clone(), props.router.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *save == SaveState::Saving || !edit.can_save() {
                return;
            }
            let Some(rules) = edit.rules().cloned() else {
                return;
            };
            let (dispatcher, save, router) = (edit.dispatcher(), save.clone(), router.clone());
            save.set(SaveState::Saving);
            wasm_bindgen_futures::spawn_local(async move {
                match api::save_router_rules(&router, &rules).await {
                    Ok(saved) => {
                        save.set(SaveState::Saved);
                        dispatcher.dispatch(RulesAction::Loaded(saved));
                    }
                    Err(e) => save.set(SaveState::Failed(e.message().to_owned())),
                }
            });
        })
    };

    let rules = edit.rules();
    // A select of the site's widgets; a key the list does not have is kept, marked unknown.
    let widget_select = |name: &'static str, current: Option<&WidgetKey>, onchange| {
        let widgets = props.widgets.as_deref().unwrap_or_default();
        let missing = current.filter(|c| !widgets.iter().any(|w| &w.key == *c));
        html! {
            <select {name} {onchange} disabled={rules.is_none()}>
                if let Some(key) = missing {
                    <option value={key.as_str().to_owned()} selected=true>{ format!("{key} (no such widget)") }</option>
                }
                { for widgets.iter().map(|w| html! {
                    <option value={w.key.as_str().to_owned()} selected={current == Some(&w.key)}>
                        { format!("{} ({})", w.name, w.key) }
                    </option>
                }) }
            </select>
        }
    };
    let busy = *save == SaveState::Saving;
    let lines = rules.map(summary).unwrap_or_default();

    html! {
        <div class="settings router">
            <h2>{ format!("Router {}", props.router) }</h2>
            <form class="settings-form" data-testid="router-form" {onsubmit} novalidate=true>
                <fieldset>
                    <legend>{ "Where everyone else goes" }</legend>
                    <div class="row">
                        <label class="field">
                            <span>{ "Default widget (no rule matches)" }</span>
                            { widget_select("default_widget", rules.map(|r| &r.default_widget), on_select(RulesAction::DefaultWidget)) }
                        </label>
                        <label class="field">
                            <span>{ "Unknown-location widget (fail closed)" }</span>
                            { widget_select("unknown_location", rules.map(|r| &r.unknown_location), on_select(RulesAction::UnknownLocation)) }
                        </label>
                    </div>
                </fieldset>
                <fieldset>
                    <legend>{ "Rules, in order" }</legend>
                    if lines.is_empty() {
                        <p class="muted">{ "Fix the JSON below to see the rules in order." }</p>
                    } else {
                        <ul class="router-summary" data-testid="router-summary">
                            { for lines.iter().map(|l| html! { <li>{ l.clone() }</li> }) }
                        </ul>
                    }
                    <label class="field">
                        <span>{ "Rules as JSON (the first matching rule wins)" }</span>
                        <textarea class="router-json" name="rules" data-testid="router-rules" rows="18"
                            spellcheck="false" autocomplete="off" value={edit.text.clone()} oninput={on_text} />
                    </label>
                </fieldset>
                if !problems.is_empty() {
                    <div data-testid="router-problems" role="alert">
                        <ul class="settings-problems">
                            { for problems.iter().map(|p| html! { <li>{ p.to_string() }</li> }) }
                        </ul>
                    </div>
                }
                <div class="row">
                    <button type="submit" class="button button-primary" data-testid="router-save"
                        disabled={busy || !problems.is_empty()}>
                        { if busy { "Saving…" } else { "Save" } }
                    </button>
                    { match &*save {
                        SaveState::Saved => html! {
                            <span class="saved" data-testid="router-saved" role="status">{ "Saved" }</span>
                        },
                        SaveState::Failed(message) => html! {
                            <span class="form-error" data-testid="router-error" role="alert">{ message.clone() }</span>
                        },
                        _ => html! {},
                    } }
                </div>
            </form>
            <TryVisitor rules={rules.cloned()} />
        </div>
    }
}
