//! The Routers page (admins only): the site's routers, a form to add one, and the selected
//! router's rules with a "try a visitor" preview.

use super::RouterRulesForm;
use crate::api;
use crate::routers::starter_rules;
use confide_protocol::router::api::{NewRouter, RouterListItem};
use confide_protocol::router::RouterRules;
use confide_protocol::settings::WidgetListItem;
use confide_protocol::WidgetKey;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The site's widgets: `None` while loading, `Some(Err)` when the list could not be loaded.
type Widgets = Option<Result<Vec<WidgetListItem>, String>>;

#[component]
pub fn RoutersPage() -> Html {
    let list = use_state(|| None::<Result<Vec<RouterListItem>, String>>);
    let widgets = use_state(|| None as Widgets);
    let selected = use_state(|| None::<WidgetKey>);
    {
        let (list, widgets) = (list.clone(), widgets.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                widgets.set(Some(
                    api::widgets().await.map_err(|e| e.message().to_owned()),
                ));
                list.set(Some(
                    api::routers().await.map_err(|e| e.message().to_owned()),
                ));
            });
        });
    }

    let on_created = {
        let (list, selected) = (list.clone(), selected.clone());
        Callback::from(move |item: RouterListItem| {
            let mut items = match &*list {
                Some(Ok(items)) => items.clone(),
                _ => Vec::new(),
            };
            selected.set(Some(item.key.clone()));
            items.push(item);
            list.set(Some(Ok(items)));
        })
    };

    let items = match &*list {
        None => html! { <p class="muted">{ "Loading routers…" }</p> },
        Some(Err(message)) => html! { <p class="form-error" role="alert">{ message.clone() }</p> },
        Some(Ok(items)) if items.is_empty() => html! { <p class="muted">{ "No routers yet." }</p> },
        Some(Ok(items)) => html! {
            <ul class="widget-list">
                { for items.iter().map(|item| {
                    let key = item.key.clone();
                    let current = selected.as_ref() == Some(&key);
                    let onclick = {
                        let selected = selected.clone();
                        let key = key.clone();
                        Callback::from(move |_: MouseEvent| selected.set(Some(key.clone())))
                    };
                    html! {
                        <li key={key.as_str().to_owned()}>
                            <button type="button" data-testid="router-item" data-router={key.as_str().to_owned()}
                                class={classes!("widget-item", current.then_some("widget-item-current"))}
                                aria-current={current.then_some("true")} {onclick}>
                                <span class="widget-name">{ item.name.clone() }</span>
                                <span class="widget-key">{ key.as_str().to_owned() }</span>
                            </button>
                        </li>
                    }
                }) }
            </ul>
        },
    };

    let widget_list = match &*widgets {
        Some(Ok(w)) => Some(w.clone()),
        _ => None,
    };
    html! {
        <main class="console-main widgets routers" data-testid="routers">
            <aside class="pane widgets-side">
                <h2>{ "Routers" }</h2>
                <p class="muted">{ "A router sends each visitor to one of the site's widgets, decided in the visitor's browser." }</p>
                { items }
                <CreateRouter widgets={(*widgets).clone()} {on_created} />
            </aside>
            <section class="pane widgets-detail">
                if widgets.is_none() {
                    <p class="muted">{ "Loading widgets…" }</p>
                } else if let Some(key) = (*selected).clone() {
                    <RouterEditor key={key.as_str().to_owned()} router={key.clone()} widgets={widget_list} />
                } else {
                    <div class="placeholder"><p>{ "Choose a router to edit its rules and try a visitor." }</p></div>
                }
            </section>
        </main>
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
struct CreateRouterProps {
    widgets: Widgets,
    on_created: Callback<RouterListItem>,
}

/// `POST /api/admin/routers` with no rules yet, with the server's message when it refuses.
#[component]
fn CreateRouter(props: &CreateRouterProps) -> Html {
    let key = use_node_ref();
    let name = use_node_ref();
    let default_widget = use_node_ref();
    let unknown_location = use_node_ref();
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let onsubmit = {
        let refs = (
            key.clone(),
            name.clone(),
            default_widget.clone(),
            unknown_location.clone(),
        );
        let (error, busy) = (error.clone(), busy.clone());
        let on_created = props.on_created.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let (Some(key_input), Some(name_input), Some(default_select), Some(unknown_select)) = (
                refs.0.cast::<HtmlInputElement>(),
                refs.1.cast::<HtmlInputElement>(),
                refs.2.cast::<HtmlSelectElement>(),
                refs.3.cast::<HtmlSelectElement>(),
            ) else {
                return;
            };
            let router_key = match WidgetKey::parse(key_input.value().trim()) {
                Ok(k) => k,
                Err(e) => {
                    error.set(Some(format!("Key: {e}")));
                    return;
                }
            };
            let (Ok(default_widget), Ok(unknown_location)) = (
                WidgetKey::parse(&default_select.value()),
                WidgetKey::parse(&unknown_select.value()),
            ) else {
                error.set(Some("Choose both widgets.".into()));
                return;
            };
            let request = NewRouter {
                key: router_key,
                name: name_input.value().trim().to_owned(),
                rules: starter_rules(default_widget, unknown_location),
            };
            let (error, busy, on_created) = (error.clone(), busy.clone(), on_created.clone());
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let answer = api::create_router(&request).await;
                busy.set(false);
                match answer {
                    Ok(item) => {
                        error.set(None);
                        key_input.set_value("");
                        name_input.set_value("");
                        on_created.emit(item);
                    }
                    Err(e) => error.set(Some(e.message().to_owned())),
                }
            });
        })
    };
    let widgets: &[WidgetListItem] = match &props.widgets {
        Some(Ok(w)) => w,
        _ => &[],
    };
    let options: Html = widgets
        .iter()
        .map(|w| {
            html! {
                <option value={w.key.as_str().to_owned()}>{ format!("{} ({})", w.name, w.key) }</option>
            }
        })
        .collect();
    let no_widgets = widgets.is_empty();
    html! {
        <form class="widget-create" data-testid="router-create" {onsubmit} novalidate=true>
            <h3>{ "New router" }</h3>
            <label class="field">
                <span>{ "Key (4 to 64 of A-Z, a-z, 0-9, - and _)" }</span>
                <input ref={key} name="key" type="text" autocomplete="off" spellcheck="false" required=true />
            </label>
            <label class="field">
                <span>{ "Name" }</span>
                <input ref={name} name="name" type="text" autocomplete="off" maxlength="80" required=true />
            </label>
            <label class="field">
                <span>{ "Default widget (when no rule matches)" }</span>
                <select ref={default_widget} name="default_widget" disabled={no_widgets}>{ options.clone() }</select>
            </label>
            <label class="field">
                <span>{ "Unknown-location widget (your strictest privacy widget)" }</span>
                <select ref={unknown_location} name="unknown_location" disabled={no_widgets}>{ options }</select>
            </label>
            { match &props.widgets {
                None => html! { <p class="muted">{ "Loading widgets…" }</p> },
                Some(Err(message)) => html! { <p class="form-error" role="alert">{ message.clone() }</p> },
                Some(Ok(_)) if no_widgets => html! {
                    <p class="muted">{ "Create a widget on the Widgets page first: a router sends visitors to widgets." }</p>
                },
                Some(Ok(_)) => html! {},
            } }
            if let Some(message) = (*error).clone() {
                <p class="form-error" data-testid="router-create-error" role="alert">{ message }</p>
            }
            <button type="submit" class="button button-primary" disabled={*busy || no_widgets}>
                { if *busy { "Creating…" } else { "Create router" } }
            </button>
        </form>
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
struct RouterEditorProps {
    router: WidgetKey,
    /// `None` when the widget list could not be loaded.
    widgets: Option<Vec<WidgetListItem>>,
}

/// Loads one router's rules, then hands them to the form.
#[component]
fn RouterEditor(props: &RouterEditorProps) -> Html {
    let loaded = use_state(|| None::<Result<RouterRules, String>>);
    {
        let loaded = loaded.clone();
        use_effect_with(props.router.clone(), move |key| {
            let key = key.clone();
            wasm_bindgen_futures::spawn_local(async move {
                loaded.set(Some(
                    api::router_rules(&key)
                        .await
                        .map_err(|e| e.message().to_owned()),
                ));
            });
        });
    }
    match &*loaded {
        None => html! { <p class="muted">{ "Loading rules…" }</p> },
        Some(Err(message)) => html! { <p class="form-error" role="alert">{ message.clone() }</p> },
        Some(Ok(rules)) => html! {
            <RouterRulesForm router={props.router.clone()} rules={rules.clone()} widgets={props.widgets.clone()} />
        },
    }
}
