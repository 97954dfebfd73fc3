//! One widget's settings form, checked as it is edited with the protocol's own
//! `WidgetSettings::problems()`, and the widget's embed snippet.

use crate::api;
use crate::widgets::{
    period_from, period_text, requirement_from, requirement_name, side_name, snippet,
    weak_launcher_contrast, DisclaimerField, Edit, SettingsEdit,
};
use confide_protocol::settings::{
    Requirement, Side, WidgetSettings, DAYS_PER_MONTH, DETAILS_DAYS, RECEIPT_MONTHS,
    TRANSCRIPT_MONTHS,
};
use confide_protocol::WidgetKey;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct SettingsFormProps {
    pub widget: WidgetKey,
    /// The settings as loaded; the form edits its own copy.
    pub settings: WidgetSettings,
    /// The loader's `sha384-…` value, once known.
    #[prop_or_default]
    pub integrity: Option<String>,
}

/// What the last save did.
#[derive(Debug, Clone, PartialEq)]
enum SaveState {
    Idle,
    Saving,
    Saved(u32),
    Failed(String),
}

/// `1.5123` as `1.51`, without the float formatting machinery in the bundle.
fn hundredths(x: f64) -> String {
    let n = (x * 100.0).round() as u32;
    format!("{}.{:02}", n / 100, n % 100)
}

fn input_value(e: &Event) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

fn checked(e: &Event) -> bool {
    e.target_unchecked_into::<HtmlInputElement>().checked()
}

fn select_value(e: &Event) -> String {
    e.target_unchecked_into::<HtmlSelectElement>().value()
}

#[component]
pub fn SettingsForm(props: &SettingsFormProps) -> Html {
    let edit = {
        let settings = props.settings.clone();
        use_reducer_eq(move || SettingsEdit::new(settings))
    };
    let save = use_state(|| SaveState::Idle);
    let copied = use_state(|| None::<String>);
    let new_language = use_node_ref();

    let problems = edit.settings.problems();
    let s = &edit.settings;
    let lang = edit.language.clone();

    // Every edit clears the last save's message: it described other settings.
    let dispatch = {
        let (dispatcher, save) = (edit.dispatcher(), save.clone());
        Callback::from(move |e: Edit| {
            if !matches!(*save, SaveState::Idle | SaveState::Saving) {
                save.set(SaveState::Idle);
            }
            dispatcher.dispatch(e)
        })
    };
    let on_input = |f: fn(String) -> Edit| {
        let dispatch = dispatch.clone();
        Callback::from(move |e: InputEvent| dispatch.emit(f(input_value(&e))))
    };
    let on_check = |f: fn(bool) -> Edit| {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| dispatch.emit(f(checked(&e))))
    };
    let on_disclaimer = |field: DisclaimerField| {
        let dispatch = dispatch.clone();
        Callback::from(move |e: InputEvent| {
            let value = match e.target_dyn_into::<HtmlTextAreaElement>() {
                Some(area) => area.value(),
                None => input_value(&e),
            };
            dispatch.emit(Edit::Disclaimer(field, value))
        })
    };

    let onsubmit = {
        let (edit, save, widget) = (edit.clone(), save.clone(), props.widget.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *save == SaveState::Saving || !edit.settings.problems().is_empty() {
                return;
            }
            let (settings, dispatcher, save, widget) = (
                edit.settings.clone(),
                edit.dispatcher(),
                save.clone(),
                widget.clone(),
            );
            save.set(SaveState::Saving);
            wasm_bindgen_futures::spawn_local(async move {
                match api::save_settings(&widget, &settings).await {
                    Ok(saved) => {
                        save.set(SaveState::Saved(saved.consent.version));
                        dispatcher.dispatch(Edit::Loaded(saved));
                    }
                    Err(e) => save.set(SaveState::Failed(e.message().to_owned())),
                }
            });
        })
    };

    let on_add_language = {
        let (dispatch, input) = (dispatch.clone(), new_language.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(i) = input.cast::<HtmlInputElement>() {
                dispatch.emit(Edit::AddLanguage(i.value()));
                i.set_value("");
            }
        })
    };
    let on_remove_language = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.emit(Edit::RemoveLanguage))
    };

    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    let tag = snippet(
        &origin,
        props.widget.as_str(),
        props.integrity.as_deref(),
        &s.launcher,
    );
    let on_copy = {
        let (tag, copied) = (tag.clone(), copied.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(window) = web_sys::window() else {
                return;
            };
            let promise = window.navigator().clipboard().write_text(&tag);
            let copied = copied.clone();
            wasm_bindgen_futures::spawn_local(async move {
                copied.set(Some(
                    match wasm_bindgen_futures::JsFuture::from(promise).await {
                        Ok(_) => "Copied".to_owned(),
                        Err(e) => format!(
                            "Could not copy: {}",
                            js_sys::Error::from(e)
                                .message()
                                .as_string()
                                .unwrap_or_else(|| "the browser refused".into())
                        ),
                    },
                ));
            });
        })
    };

    let languages = edit.languages();
    let disclaimer = edit.disclaimer().cloned();
    let d = disclaimer.clone().unwrap_or_else(crate::widgets::blank);
    let privacy_url = s
        .privacy_link
        .as_ref()
        .map(|l| l.url.clone())
        .unwrap_or_default();
    let busy = *save == SaveState::Saving;
    let options = |selected: &str| -> Html {
        languages
            .iter()
            .map(|l| {
                let name = confide_protocol::i18n::language(l)
                    .filter(|x| x.code == l)
                    .map_or_else(|| l.clone(), |x| format!("{l} · {}", x.name));
                html! { <option value={l.clone()} selected={l == selected}>{ name }</option> }
            })
            .collect()
    };
    // Every language's disclaimer and how complete it is; a row's button shows it below.
    let status = edit.language_status();
    let complete = status.iter().filter(|l| l.complete()).count();
    let status_rows = status
        .iter()
        .map(|l| {
            let pick = {
                let (dispatch, code) = (dispatch.clone(), l.code.clone());
                Callback::from(move |_: MouseEvent| {
                    dispatch.emit(Edit::SelectLanguage(code.clone()))
                })
            };
            let state = if l.complete() {
                "complete".to_owned()
            } else if !l.disclaimer {
                "no disclaimer: visitors of this language get another one".to_owned()
            } else {
                format!("missing: {}", l.missing.join(", "))
            };
            let shown = l.code == lang;
            html! {
                <tr data-lang={l.code.clone()} data-complete={l.complete().to_string()}>
                    <th scope="row">
                        <span lang={l.code.clone()}>{ l.name.unwrap_or("") }</span>
                        <code>{ l.code.clone() }</code>
                    </th>
                    <td class={if l.complete() { "ok" } else { "warn" }}>{ state }</td>
                    <td>{ if l.interface { "yes" } else { "no" } }</td>
                    <td>
                        <button type="button" class="button button-quiet" onclick={pick}
                                aria-pressed={shown.to_string()}
                                aria-label={format!("Edit {}", l.code)}>{ "Edit" }</button>
                    </td>
                </tr>
            }
        })
        .collect::<Html>();
    let weak_contrast = weak_launcher_contrast(&s.launcher.color);
    let on_default_language = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| dispatch.emit(Edit::DefaultLanguage(select_value(&e))))
    };
    let on_language = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| dispatch.emit(Edit::SelectLanguage(select_value(&e))))
    };
    // A select of off / optional / required, reporting through `f`.
    let requirement_select = |name: String,
                              value: Requirement,
                              f: Box<dyn Fn(Requirement) -> Edit>| {
        let dispatch = dispatch.clone();
        let onchange =
            Callback::from(move |e: Event| dispatch.emit(f(requirement_from(&select_value(&e)))));
        html! {
            <select {name} {onchange}>
                { for [Requirement::Off, Requirement::Optional, Requirement::Required].into_iter().map(|r| html! {
                    <option value={requirement_name(r)} selected={value == r}>{ requirement_name(r) }</option>
                }) }
            </select>
        }
    };
    let custom_fields = s.prechat_fields.custom.iter().enumerate().map(|(i, f)| {
        let on_key = {
            let dispatch = dispatch.clone();
            Callback::from(move |e: InputEvent| dispatch.emit(Edit::FieldKey(i, input_value(&e))))
        };
        let on_label = {
            let dispatch = dispatch.clone();
            Callback::from(move |e: InputEvent| dispatch.emit(Edit::FieldLabel(i, input_value(&e))))
        };
        let on_remove = {
            let dispatch = dispatch.clone();
            Callback::from(move |_: MouseEvent| dispatch.emit(Edit::RemoveField(i)))
        };
        let label = f.labels.get(&lang).cloned().unwrap_or_default();
        html! {
            <div class="row" data-testid="custom-field">
                <label class="field">
                    <span>{ "Key" }</span>
                    <input name={format!("field_key_{i}")} type="text" value={f.key.clone()} oninput={on_key} />
                </label>
                <label class="field">
                    <span>{ format!("Label ({lang})") }</span>
                    <input name={format!("field_label_{i}")} type="text" value={label} oninput={on_label} />
                </label>
                <label class="field">
                    <span>{ "Asked" }</span>
                    { requirement_select(format!("field_requirement_{i}"), f.requirement, Box::new(move |r| Edit::FieldRequirement(i, r))) }
                </label>
                <button type="button" class="button" onclick={on_remove}>{ "Remove" }</button>
            </div>
        }
    }).collect::<Html>();
    let on_add_field = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.emit(Edit::AddField))
    };

    // A retention period: a labelled number input, described by a hint that starts with its
    // range. Its name is its problem path with `_` for the first `.`.
    let period = |name: &'static str,
                  label: &'static str,
                  value: u32,
                  (min, max): (u32, u32),
                  hint: &str,
                  f: fn(u32) -> Edit| {
        let dispatch = dispatch.clone();
        let oninput =
            Callback::from(move |e: InputEvent| dispatch.emit(f(period_from(&input_value(&e)))));
        let hint_id = format!("{name}_hint");
        let invalid = problems
            .iter()
            .any(|p| p.field == name.replacen('_', ".", 1));
        html! {
            <div class="field">
                <label for={name}>{ label }</label>
                <input id={name} {name} type="number" min={min.to_string()} max={max.to_string()} step="1"
                    value={period_text(value)} aria-describedby={hint_id.clone()}
                    aria-invalid={invalid.to_string()} {oninput} />
                <p id={hint_id} class="muted">{ format!("{min} to {max} {hint}") }</p>
            </div>
        }
    };
    let r = s.retention;

    let on_position = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| {
            let side = if select_value(&e) == "left" {
                Side::Left
            } else {
                Side::Right
            };
            dispatch.emit(Edit::LauncherPosition(side))
        })
    };

    html! {
        <div class="settings">
            <h2>{ format!("Widget {}", props.widget) }</h2>
            <form class="settings-form" data-testid="widget-settings" {onsubmit} novalidate=true>
                <fieldset>
                    <legend>{ "Language and consent" }</legend>
                    <label class="field">
                        <span>{ "Default language" }</span>
                        <select name="default_language" onchange={on_default_language}>{ options(&s.default_language) }</select>
                    </label>
                    <label class="check">
                        <input type="checkbox" name="consent_required" checked={s.consent.required}
                            onchange={on_check(Edit::ConsentRequired)} />
                        <span>{ "Visitors must agree to the disclaimer before chatting" }</span>
                    </label>
                    <p class="muted">{ format!("Consent version {}", s.consent.version) }</p>
                </fieldset>
                <fieldset>
                    <legend>{ "Texts by language" }</legend>
                    <table class="languages" data-testid="language-status">
                        <caption>{ format!("Disclaimers: {complete} of {} languages complete", status.len()) }</caption>
                        <thead>
                            <tr>
                                <th scope="col">{ "Language" }</th>
                                <th scope="col">{ "Disclaimer and privacy link label" }</th>
                                <th scope="col">{ "Widget interface" }</th>
                                <th scope="col"><span class="visually-hidden">{ "Action" }</span></th>
                            </tr>
                        </thead>
                        <tbody>{ status_rows }</tbody>
                    </table>
                    <div class="row">
                        <label class="field">
                            <span>{ "Language" }</span>
                            <select name="language" onchange={on_language}>{ options(&lang) }</select>
                        </label>
                        <label class="field">
                            <span>{ "Add a language (code)" }</span>
                            <input ref={new_language} name="new_language" type="text" maxlength="8" size="8"
                                placeholder="pt-BR" autocomplete="off" spellcheck="false" />
                        </label>
                        <button type="button" class="button" onclick={on_add_language}>{ "Add" }</button>
                        if disclaimer.is_some() {
                            <button type="button" class="button button-danger" onclick={on_remove_language}>
                                { format!("Remove {lang}") }
                            </button>
                        }
                    </div>
                    if disclaimer.is_none() {
                        <p class="muted">{ format!("No disclaimer in {lang} yet; typing below adds one.") }</p>
                    }
                    <label class="field">
                        <span>{ "Title" }</span>
                        <input name="title" type="text" value={d.title.clone()} oninput={on_disclaimer(DisclaimerField::Title)} />
                    </label>
                    <label class="field">
                        <span>{ "Text" }</span>
                        <textarea name="body" rows="6" value={d.body.clone()} oninput={on_disclaimer(DisclaimerField::Body)} />
                    </label>
                    <label class="field">
                        <span>{ "Checkbox label" }</span>
                        <input name="checkbox_label" type="text" value={d.checkbox_label.clone()} oninput={on_disclaimer(DisclaimerField::CheckboxLabel)} />
                    </label>
                    <label class="field">
                        <span>{ "Start button label" }</span>
                        <input name="start_label" type="text" value={d.start_label.clone()} oninput={on_disclaimer(DisclaimerField::StartLabel)} />
                    </label>
                    <label class="field">
                        <span>{ format!("Privacy policy link label ({lang})") }</span>
                        <input name="privacy_label" type="text" value={edit.privacy_label().to_owned()} oninput={on_input(Edit::PrivacyLabel)} />
                    </label>
                </fieldset>
                <fieldset>
                    <legend>{ "Privacy" }</legend>
                    <label class="field">
                        <span>{ "Privacy policy URL (https://)" }</span>
                        <input name="privacy_url" type="url" value={privacy_url} oninput={on_input(Edit::PrivacyUrl)} />
                    </label>
                    <label class="check">
                        <input type="checkbox" name="privacy_mode" checked={s.privacy_mode} onchange={on_check(Edit::PrivacyMode)} />
                        <span>{ "Privacy mode" }</span>
                    </label>
                    <label class="check">
                        <input type="checkbox" name="live_preview" checked={s.live_preview} disabled={s.privacy_mode}
                            onchange={on_check(Edit::LivePreview)} />
                        <span>{ "Live preview: operators see what the visitor is typing (never in privacy mode)" }</span>
                    </label>
                    <label class="check">
                        <input type="checkbox" name="typing_indicator" checked={s.typing_indicator} onchange={on_check(Edit::TypingIndicator)} />
                        <span>{ "Typing indicator" }</span>
                    </label>
                </fieldset>
                <fieldset>
                    <legend>{ "Pre-chat fields" }</legend>
                    <p class="muted">{ "Asked after the disclaimer; stored with the conversation only when the visitor types them." }</p>
                    <div class="row">
                        <label class="field">
                            <span>{ "Name" }</span>
                            { requirement_select("prechat_name".into(), s.prechat_fields.name, Box::new(Edit::NameField)) }
                        </label>
                        <label class="field">
                            <span>{ "Email" }</span>
                            { requirement_select("prechat_email".into(), s.prechat_fields.email, Box::new(Edit::EmailField)) }
                        </label>
                    </div>
                    { custom_fields }
                    <button type="button" class="button" data-testid="add-field" onclick={on_add_field}>{ "Add a field" }</button>
                </fieldset>
                <fieldset>
                    <legend>{ "Launcher" }</legend>
                    <div class="row">
                        <label class="field">
                            <span>{ "Colour" }</span>
                            <input name="launcher_color" type="color" value={s.launcher.color.clone()} oninput={on_input(Edit::LauncherColor)}
                                aria-describedby={weak_contrast.map(|_| "launcher-contrast")} />
                        </label>
                        <label class="field">
                            <span>{ "Position" }</span>
                            <select name="launcher_position" onchange={on_position}>
                                { for [Side::Left, Side::Right].into_iter().map(|side| html! {
                                    <option value={side_name(side)} selected={s.launcher.position == side}>{ side_name(side) }</option>
                                }) }
                            </select>
                        </label>
                        <label class="field">
                            <span>{ "Label" }</span>
                            <input name="launcher_label" type="text" value={s.launcher.label.clone()} oninput={on_input(Edit::LauncherLabel)} />
                        </label>
                    </div>
                    if let Some(ratio) = weak_contrast {
                        <p id="launcher-contrast" class="form-warning" role="status" data-testid="contrast-warning">
                            { format!("The launcher's white label has a contrast of {}:1 on this colour; WCAG AA needs at least 4.5:1, so some visitors cannot read it. Pick a darker colour.", hundredths(ratio)) }
                        </p>
                    }
                </fieldset>
                <fieldset data-testid="retention">
                    <legend>{ "Retention" }</legend>
                    <p class="muted">{ format!("How long this widget keeps each kind of data; the server deletes what is older on its own. A month counts as {DAYS_PER_MONTH} days.") }</p>
                    { period("retention_transcript_months", "Transcripts (months)", r.transcript_months, TRANSCRIPT_MONTHS,
                        "months after the conversation's last message.",
                        Edit::TranscriptMonths) }
                    { period("retention_details_days", "Visit details (days)", r.details_days, DETAILS_DAYS,
                        "days after the conversation's start, and never longer than transcripts are kept.",
                        Edit::DetailsDays) }
                    { period("retention_receipt_months", "Consent receipts (months)", r.receipt_months, RECEIPT_MONTHS,
                        "months after no conversation refers to the receipt any more.",
                        Edit::ReceiptMonths) }
                </fieldset>
                if !problems.is_empty() {
                    <div data-testid="settings-problems" role="alert">
                        <ul class="settings-problems">
                            { for problems.iter().map(|p| html! { <li>{ p.to_string() }</li> }) }
                        </ul>
                    </div>
                }
                <div class="row">
                    <button type="submit" class="button button-primary" data-testid="settings-save"
                        disabled={busy || !problems.is_empty()}>
                        { if busy { "Saving…" } else { "Save" } }
                    </button>
                    { match &*save {
                        SaveState::Saved(version) => html! {
                            <span class="saved" data-testid="settings-saved" role="status">{ format!("Saved (consent version {version})") }</span>
                        },
                        SaveState::Failed(message) => html! {
                            <span class="form-error" data-testid="settings-error" role="alert">{ message.clone() }</span>
                        },
                        _ => html! {},
                    } }
                </div>
            </form>
            <section class="snippet">
                <h3 id="snippet-title">{ "Embed snippet" }</h3>
                <p class="muted">{ "Paste this into every page of the site, just before </body>." }</p>
                <textarea class="snippet-text" data-testid="snippet" readonly=true rows="4" value={tag}
                    aria-labelledby="snippet-title" />
                <div class="row">
                    <button type="button" class="button" data-testid="snippet-copy" onclick={on_copy}>{ "Copy" }</button>
                    if let Some(message) = (*copied).clone() {
                        <span role="status">{ message }</span>
                    }
                </div>
            </section>
        </div>
    }
}
