//! The Widgets page (admins only): the site's widgets, a form to add one, and the selected
//! widget's settings and embed snippet.

use super::SettingsForm;
use crate::api;
use confide_protocol::settings::{NewWidget, WidgetListItem, WidgetSettings};
use confide_protocol::WidgetKey;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[component]
pub fn WidgetsPage() -> Html {
    let list = use_state(|| None::<Result<Vec<WidgetListItem>, String>>);
    let selected = use_state(|| None::<WidgetKey>);
    let integrity = use_state(|| None::<String>);
    {
        let (list, integrity) = (list.clone(), integrity.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                list.set(Some(
                    api::widgets().await.map_err(|e| e.message().to_owned()),
                ));
                // Without it the snippet leaves the integrity attribute out.
                if let Ok(l) = api::loader_integrity().await {
                    integrity.set(Some(l.integrity));
                }
            });
        });
    }

    let on_created = {
        let (list, selected) = (list.clone(), selected.clone());
        Callback::from(move |item: WidgetListItem| {
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
        None => html! { <p class="muted">{ "Loading widgets…" }</p> },
        Some(Err(message)) => html! { <p class="form-error" role="alert">{ message.clone() }</p> },
        Some(Ok(items)) if items.is_empty() => html! { <p class="muted">{ "No widgets yet." }</p> },
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
                            <button type="button" data-testid="widget-item" data-widget={key.as_str().to_owned()}
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

    html! {
        <main class="console-main widgets" data-testid="widgets">
            <aside class="pane widgets-side">
                <h2>{ "Widgets" }</h2>
                { items }
                <CreateWidget {on_created} />
            </aside>
            <section class="pane widgets-detail">
                if let Some(key) = (*selected).clone() {
                    <WidgetEditor key={key.as_str().to_owned()} widget={key.clone()} integrity={(*integrity).clone()} />
                } else {
                    <div class="placeholder"><p>{ "Choose a widget to edit its settings and get its snippet." }</p></div>
                }
            </section>
        </main>
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
struct CreateWidgetProps {
    on_created: Callback<WidgetListItem>,
}

/// `POST /api/admin/widgets`, with the server's message when it refuses.
#[component]
fn CreateWidget(props: &CreateWidgetProps) -> Html {
    let key = use_node_ref();
    let name = use_node_ref();
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let onsubmit = {
        let (key, name, error, busy) = (key.clone(), name.clone(), error.clone(), busy.clone());
        let on_created = props.on_created.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let (Some(key_input), Some(name_input)) = (
                key.cast::<HtmlInputElement>(),
                name.cast::<HtmlInputElement>(),
            ) else {
                return;
            };
            let widget_key = match WidgetKey::parse(key_input.value().trim()) {
                Ok(k) => k,
                Err(e) => {
                    error.set(Some(format!("Key: {e}")));
                    return;
                }
            };
            let request = NewWidget {
                key: widget_key,
                name: name_input.value().trim().to_owned(),
            };
            let (error, busy, on_created) = (error.clone(), busy.clone(), on_created.clone());
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let answer = api::create_widget(&request).await;
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
    html! {
        <form class="widget-create" data-testid="widget-create" {onsubmit} novalidate=true>
            <h3>{ "New widget" }</h3>
            <label class="field">
                <span>{ "Key (4 to 64 of A-Z, a-z, 0-9, - and _)" }</span>
                <input ref={key} name="key" type="text" autocomplete="off" spellcheck="false" required=true />
            </label>
            <label class="field">
                <span>{ "Name" }</span>
                <input ref={name} name="name" type="text" autocomplete="off" maxlength="80" required=true />
            </label>
            if let Some(message) = (*error).clone() {
                <p class="form-error" data-testid="widget-create-error" role="alert">{ message }</p>
            }
            <button type="submit" class="button button-primary" disabled={*busy}>
                { if *busy { "Creating…" } else { "Create widget" } }
            </button>
        </form>
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
struct WidgetEditorProps {
    widget: WidgetKey,
    integrity: Option<String>,
}

/// Loads one widget's settings, then hands them to the form.
#[component]
fn WidgetEditor(props: &WidgetEditorProps) -> Html {
    let loaded = use_state(|| None::<Result<WidgetSettings, String>>);
    {
        let loaded = loaded.clone();
        use_effect_with(props.widget.clone(), move |key| {
            let key = key.clone();
            wasm_bindgen_futures::spawn_local(async move {
                loaded.set(Some(
                    api::settings(&key)
                        .await
                        .map_err(|e| e.message().to_owned()),
                ));
            });
        });
    }
    match &*loaded {
        None => html! { <p class="muted">{ "Loading settings…" }</p> },
        Some(Err(message)) => html! { <p class="form-error" role="alert">{ message.clone() }</p> },
        Some(Ok(settings)) => html! {
            <SettingsForm widget={props.widget.clone()} settings={settings.clone()} integrity={props.integrity.clone()} />
        },
    }
}
