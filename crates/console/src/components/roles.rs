//! The Roles page (issue 15; roles that may manage operators): every role with a one-line
//! summary of what it may do, and a form to create a role or change a custom one. The
//! built-in roles are shown read-only. The logic lives in [`crate::roles`].

use crate::api::{self, ApiError};
use crate::roles::{
    access_from, details, summary, widget_choices, Grant, RolesAction, RolesState, Save,
    TRANSCRIPT_CHOICES,
};
use confide_protocol::roles::Role;
use confide_protocol::settings::WidgetListItem;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The site's widgets: `None` while loading, `Some(Err)` when the list could not be loaded.
type Widgets = Option<Result<Vec<WidgetListItem>, String>>;

#[component]
pub fn RolesPage() -> Html {
    let state = use_reducer_eq(RolesState::default);
    let widgets = use_state(|| None as Widgets);
    {
        let (dispatcher, widgets) = (state.dispatcher(), widgets.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                dispatcher.dispatch(RolesAction::Loaded(
                    api::roles().await.map_err(|e| e.message().to_owned()),
                ));
                widgets.set(Some(
                    api::widgets().await.map_err(|e| e.message().to_owned()),
                ));
            });
        });
    }
    // The reducer says what to save; this sends it.
    {
        let dispatcher = state.dispatcher();
        use_effect_with(state.request.clone(), move |request| {
            if let Some(request) = request.clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    let seq = request.seq;
                    dispatcher.dispatch(
                        match api::save_role(&request.role, request.create).await {
                            Ok(role) => RolesAction::Saved { seq, role },
                            Err(ApiError::Conflict(message)) => RolesAction::Refused {
                                seq,
                                message,
                                conflict: true,
                            },
                            Err(e) => RolesAction::Refused {
                                seq,
                                message: e.message().to_owned(),
                                conflict: false,
                            },
                        },
                    );
                });
            }
        });
    }

    let list = match &state.roles {
        None => html! { <p class="muted">{ "Loading roles…" }</p> },
        Some(Err(message)) => html! {
            <p class="form-error" role="alert" data-testid="roles-error">{ message.clone() }</p>
        },
        Some(Ok(roles)) => html! {
            <ul class="widget-list role-list" data-testid="role-list" aria-label="Roles">
                { for roles.iter().map(|role| role_item(role, state.selected.as_deref() == Some(&role.name), &state)) }
            </ul>
        },
    };
    let on_new = {
        let dispatcher = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(RolesAction::New))
    };
    let detail = match state.selected_role().filter(|r| r.builtin) {
        Some(role) => builtin_view(role),
        None => html! { <RoleFormView state={state.clone()} widgets={(*widgets).clone()} /> },
    };

    html! {
        <main class="console-main admin-page roles">
            <section class="admin-stack" data-testid="roles-page" aria-labelledby="roles-title">
                <h2 id="roles-title">{ "Roles" }</h2>
                <p class="muted">
                    { "A role is what its operators may do. Every operator answers live chats; the rest is granted here. The built-in roles admin and agent cannot be changed." }
                </p>
                <div class="roles-layout">
                    <div class="roles-side">
                        { list }
                        <button type="button" class="button" data-testid="role-new" onclick={on_new}>
                            { "New role" }
                        </button>
                    </div>
                    <div class="roles-detail">{ detail }</div>
                </div>
            </section>
        </main>
    }
}

/// One role in the list: its name, "built in", and what it may do.
fn role_item(role: &Role, current: bool, state: &UseReducerHandle<RolesState>) -> Html {
    let onclick = {
        let (dispatcher, name) = (state.dispatcher(), role.name.clone());
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(RolesAction::Select(name.clone())))
    };
    html! {
        <li key={role.name.clone()}>
            <button type="button" class={classes!("widget-item", "role-item", current.then_some("widget-item-current"))}
                data-testid="role-item" data-role={role.name.clone()} data-builtin={role.builtin.to_string()}
                aria-current={current.then_some("true")} {onclick}>
                <span class="widget-name">
                    { role.name.clone() }
                    if role.builtin { { " " }<span class="tag">{ "built in" }</span> }
                </span>
                <span class="role-summary" data-testid="role-summary">{ summary(&role.permissions) }</span>
            </button>
        </li>
    }
}

/// A built-in role: what it may do, term by term, and no form.
fn builtin_view(role: &Role) -> Html {
    html! {
        <section class="role-builtin" data-testid="role-builtin" data-role={role.name.clone()}
            aria-labelledby="role-builtin-title">
            <h3 id="role-builtin-title">{ format!("Role {}", role.name) }{ " " }<span class="tag">{ "built in" }</span></h3>
            <p class="muted">{ "Built-in roles cannot be changed. Create a role to grant something else." }</p>
            <dl class="facts role-details">
                { for details(&role.permissions).into_iter().map(|(term, value)| html! {
                    <div><dt>{ term }</dt><dd>{ value }</dd></div>
                }) }
            </dl>
        </section>
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
struct RoleFormViewProps {
    state: UseReducerHandle<RolesState>,
    widgets: Widgets,
}

/// The form for a new role or a custom one; checked with `Role::problems()` on save.
#[component]
fn RoleFormView(props: &RoleFormViewProps) -> Html {
    let state = &props.state;
    let form = &state.form;
    let p = &form.permissions;
    let dispatch = |f: fn(String) -> RolesAction| {
        let dispatcher = state.dispatcher();
        Callback::from(move |value: String| dispatcher.dispatch(f(value)))
    };
    let on_name = dispatch(RolesAction::Name)
        .reform(|e: InputEvent| e.target_unchecked_into::<HtmlInputElement>().value());
    let on_transcripts = dispatch(|v| RolesAction::Transcripts(access_from(&v)))
        .reform(|e: Event| e.target_unchecked_into::<HtmlSelectElement>().value());
    let onsubmit = {
        let dispatcher = state.dispatcher();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            dispatcher.dispatch(RolesAction::Submit);
        })
    };

    let problems = state.problems();
    let name_invalid = state.invalid("name");
    let transcripts_invalid = state.invalid("permissions.transcripts");
    let widgets_invalid = state.invalid("permissions.widgets");
    let saving = state.save == Save::Saving;
    let grants = Grant::ALL.into_iter().map(|grant| {
        let onchange = {
            let dispatcher = state.dispatcher();
            Callback::from(move |e: Event| {
                let on = e.target_unchecked_into::<HtmlInputElement>().checked();
                dispatcher.dispatch(RolesAction::Grant(grant, on))
            })
        };
        html! {
            <label class="check" key={grant.testid()}>
                <input type="checkbox" name={grant.testid()} data-testid={grant.testid()}
                    checked={grant.get(p)} {onchange} />
                <span>{ grant.label() }</span>
            </label>
        }
    });
    let list: &[WidgetListItem] = match &props.widgets {
        Some(Ok(list)) => list,
        _ => &[],
    };
    let choices = widget_choices(list, &p.widgets);
    let widget_boxes = choices.iter().map(|choice| {
        let onchange = {
            let (dispatcher, key) = (state.dispatcher(), choice.key.clone());
            Callback::from(move |e: Event| {
                let on = e.target_unchecked_into::<HtmlInputElement>().checked();
                dispatcher.dispatch(RolesAction::Widget(key.clone(), on))
            })
        };
        let testid = format!("role-widget-{}", choice.key);
        html! {
            <label class="check" key={choice.key.as_str().to_owned()}>
                <input type="checkbox" name="widgets" value={choice.key.as_str().to_owned()}
                    data-testid={testid} checked={choice.ticked}
                    aria-invalid={widgets_invalid.then_some("true")} {onchange} />
                <span>{ choice.label.clone() }</span>
            </label>
        }
    });
    let widgets_note = match &props.widgets {
        None => Some("Loading widgets…".to_owned()),
        Some(Err(message)) => Some(format!(
            "The widget list could not be loaded ({message}); the widgets this role is limited to are kept."
        )),
        Some(Ok(_)) if choices.is_empty() => {
            Some("No widgets yet: the role covers every widget.".to_owned())
        }
        Some(Ok(_)) => None,
    };
    let title = if form.existing {
        format!("Role {}", form.name)
    } else {
        "New role".to_owned()
    };
    let problem_id = (!problems.is_empty()).then_some("role-problems");

    html! {
        <form class="settings-form role-form" data-testid="role-form" {onsubmit} novalidate=true
            aria-labelledby="role-form-title">
            <h3 id="role-form-title">{ title }</h3>
            <div class="field">
                <label for="role-name">{ "Name (1 to 32 of a-z, 0-9, _ and -, starting with a letter)" }</label>
                <input id="role-name" type="text" name="name" data-testid="role-name" value={form.name.clone()}
                    disabled={form.existing} autocomplete="off" spellcheck="false" maxlength="32" required=true
                    aria-invalid={name_invalid.to_string()}
                    aria-describedby={problem_id.filter(|_| name_invalid)} oninput={on_name} />
                if form.existing {
                    <p class="muted">{ "A role keeps its name. Create a new role for another name." }</p>
                }
            </div>
            <fieldset>
                <legend>{ "Permissions" }</legend>
                <p class="muted">{ "Every operator answers live chats." }</p>
                <div class="field">
                    <label for="role-transcripts">{ "Transcripts (stored conversations)" }</label>
                    <select id="role-transcripts" name="transcripts" data-testid="role-transcripts"
                        aria-invalid={transcripts_invalid.then_some("true")} onchange={on_transcripts}>
                        { for TRANSCRIPT_CHOICES.iter().map(|&(level, value, label)| html! {
                            <option {value} selected={p.transcripts == level}>{ label }</option>
                        }) }
                    </select>
                </div>
                { for grants }
            </fieldset>
            <fieldset data-testid="role-widgets" aria-describedby="role-widgets-hint">
                <legend>{ "Widgets" }</legend>
                <p id="role-widgets-hint" class="muted">
                    { "None ticked: every widget. Ticked: only these widgets' conversations, live and in the history." }
                </p>
                { for widget_boxes }
                if let Some(note) = widgets_note {
                    <p class="muted" data-testid="role-widgets-note">{ note }</p>
                }
            </fieldset>
            if !problems.is_empty() {
                <div id="role-problems" data-testid="role-problems" role="alert">
                    <ul class="settings-problems">
                        { for problems.iter().map(|p| html! { <li>{ p.to_string() }</li> }) }
                    </ul>
                </div>
            }
            <div class="row">
                <button type="submit" class="button button-primary" data-testid="role-save" disabled={saving}>
                    { match (saving, form.existing) {
                        (true, _) => "Saving…",
                        (false, true) => "Save",
                        (false, false) => "Create role",
                    } }
                </button>
                { match &state.save {
                    Save::Saved => html! {
                        <span class="saved" role="status" data-testid="role-saved">{ "Saved" }</span>
                    },
                    Save::Failed { message, .. } => html! {
                        <p class="form-error" role="alert" data-testid="role-error">{ message.clone() }</p>
                    },
                    _ => html! {},
                } }
            </div>
        </form>
    }
}
