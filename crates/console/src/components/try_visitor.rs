//! "Try a visitor": a time zone, languages, page, device and optional country, run through
//! the protocol's own `decide` right here, with every reason shown. Nothing is sent anywhere.
//!
//! Schedules: by default each zone a schedule names gets its current local time from the
//! browser's `Intl.DateTimeFormat` with that `timeZone`; choosing a weekday applies that
//! weekday and time to every schedule zone instead.

use crate::routers::{
    clock_from_parts, clock_label, device_from_name, device_name, outcome_line, reason_lines,
    weekday_from_name, weekday_name, TryAction, TryForm, DEVICES, WEEKDAYS,
};
use confide_protocol::router::{decide, LocalClock, RouterRules};
use js_sys::{Array, Object, Reflect};
use std::collections::BTreeMap;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct TryVisitorProps {
    /// The rules as currently typed; `None` while they do not parse.
    pub rules: Option<RouterRules>,
}

/// The console's own time zone, as a visitor's browser would report it.
fn browser_time_zone() -> String {
    let format = js_sys::Intl::DateTimeFormat::new(&Array::new(), &Object::new());
    Reflect::get(&format.resolved_options(), &JsValue::from_str("timeZone"))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// `navigator.languages`.
fn browser_languages() -> Vec<String> {
    web_sys::window()
        .map(|w| {
            w.navigator()
                .languages()
                .iter()
                .filter_map(|v| v.as_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The local weekday and time in `zone` at `now`, from `Intl`; `None` if the browser does not
/// know the zone (the constructor throws a RangeError, caught here).
fn local_clock(zone: &str, now: &js_sys::Date) -> Option<LocalClock> {
    let intl = Reflect::get(&js_sys::global(), &JsValue::from_str("Intl")).ok()?;
    let constructor: js_sys::Function = Reflect::get(&intl, &JsValue::from_str("DateTimeFormat"))
        .ok()?
        .dyn_into()
        .ok()?;
    let options = Object::new();
    for (name, value) in [
        ("timeZone", zone),
        ("weekday", "short"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
        ("hourCycle", "h23"),
    ] {
        Reflect::set(
            &options,
            &JsValue::from_str(name),
            &JsValue::from_str(value),
        )
        .ok()?;
    }
    let args = Array::new();
    args.push(&JsValue::from_str("en-US"));
    args.push(&options);
    let format: js_sys::Intl::DateTimeFormat = Reflect::construct(&constructor, &args)
        .ok()?
        .unchecked_into();
    let (mut weekday, mut hour, mut minute) = (String::new(), String::new(), String::new());
    for part in format.format_to_parts(now).iter() {
        let get = |key: &str| {
            Reflect::get(&part, &JsValue::from_str(key))
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default()
        };
        match get("type").as_str() {
            "weekday" => weekday = get("value"),
            "hour" => hour = get("value"),
            "minute" => minute = get("value"),
            _ => {}
        }
    }
    clock_from_parts(&weekday, &hour, &minute)
}

fn input_value(e: &InputEvent) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

fn select_value(e: &Event) -> String {
    e.target_unchecked_into::<HtmlSelectElement>().value()
}

#[component]
pub fn TryVisitor(props: &TryVisitorProps) -> Html {
    let form = use_reducer_eq(|| TryForm::new(browser_time_zone(), &browser_languages()));
    let on_input = |f: fn(String) -> TryAction| {
        let dispatcher = form.dispatcher();
        Callback::from(move |e: InputEvent| dispatcher.dispatch(f(input_value(&e))))
    };
    let on_device = {
        let dispatcher = form.dispatcher();
        Callback::from(move |e: Event| {
            if let Some(d) = device_from_name(&select_value(&e)) {
                dispatcher.dispatch(TryAction::Device(d));
            }
        })
    };
    let on_day = {
        let dispatcher = form.dispatcher();
        Callback::from(move |e: Event| {
            dispatcher.dispatch(TryAction::Day(weekday_from_name(&select_value(&e))))
        })
    };
    let onsubmit = Callback::from(|e: SubmitEvent| e.prevent_default());

    let result = props.rules.as_ref().map(|rules| {
        // The current local time in each schedule zone, unless a weekday is chosen.
        let now = js_sys::Date::new_0();
        let clocks: BTreeMap<String, LocalClock> = if form.day.is_some() {
            BTreeMap::new()
        } else {
            rules
                .schedule_zones()
                .into_iter()
                .filter_map(|z| local_clock(z, &now).map(|c| (z.to_owned(), c)))
                .collect()
        };
        let visitor = form.visitor(rules, &clocks);
        let decision = decide(rules, &visitor);
        let zones = rules.schedule_zones();
        html! {
            <div class="try-result" data-testid="try-result" data-target={decision.target.as_str().to_owned()}
                role="status">
                <p class="try-target">{ "Widget: " }<strong>{ decision.target.as_str().to_owned() }</strong></p>
                <p data-testid="try-outcome">{ format!("Outcome: {}", outcome_line(rules, &decision)) }</p>
                <p data-testid="try-location">{ format!("Country: {}", decision.location) }</p>
                if !zones.is_empty() {
                    <p class="muted" data-testid="try-clocks">
                        { format!("Schedule time: {}", zones.iter().map(|z| match visitor.schedule_clock.get(*z) {
                            Some(c) => format!("{} in {z}", clock_label(*c)),
                            None => format!("unknown in {z}"),
                        }).collect::<Vec<_>>().join("; ")) }
                    </p>
                }
                if decision.reasons.is_empty() {
                    <p class="muted" data-testid="try-reasons">{ "No rule was tried." }</p>
                } else {
                    <ul class="try-reasons" data-testid="try-reasons">
                        { for reason_lines(rules, &decision).into_iter().map(|l| html! { <li>{ l }</li> }) }
                    </ul>
                }
            </div>
        }
    });

    html! {
        <section class="try">
            <h3>{ "Try a visitor" }</h3>
            <p class="muted">{ "Decided here in the console with the rules as typed above (saved or not); nothing is sent." }</p>
            <form class="try-form" data-testid="try-visitor" {onsubmit} novalidate=true>
                <div class="row">
                    <label class="field">
                        <span>{ "Time zone" }</span>
                        <input name="time_zone" type="text" spellcheck="false" autocomplete="off"
                            placeholder="Europe/Berlin" value={form.time_zone.clone()} oninput={on_input(TryAction::TimeZone)} />
                    </label>
                    <label class="field">
                        <span>{ "Languages (comma-separated)" }</span>
                        <input name="languages" type="text" spellcheck="false" autocomplete="off"
                            placeholder="de-DE, en" value={form.languages.clone()} oninput={on_input(TryAction::Languages)} />
                    </label>
                    <label class="field">
                        <span>{ "Device" }</span>
                        <select name="device" onchange={on_device}>
                            { for DEVICES.into_iter().map(|d| html! {
                                <option value={device_name(d)} selected={form.device == d}>{ device_name(d) }</option>
                            }) }
                        </select>
                    </label>
                </div>
                <div class="row">
                    <label class="field field-wide">
                        <span>{ "Page URL" }</span>
                        <input name="page_url" type="url" spellcheck="false" autocomplete="off"
                            placeholder="https://example.com/pricing" value={form.page_url.clone()} oninput={on_input(TryAction::PageUrl)} />
                    </label>
                    <label class="field">
                        <span>{ "Country, as GeoIP would say (optional)" }</span>
                        <input name="country" type="text" spellcheck="false" autocomplete="off" maxlength="2" size="4"
                            placeholder="DE" value={form.country.clone()} oninput={on_input(TryAction::Country)} />
                    </label>
                </div>
                <div class="row">
                    <label class="field">
                        <span>{ "Schedules: day" }</span>
                        <select name="day" onchange={on_day}>
                            <option value="" selected={form.day.is_none()}>{ "now (each zone's local time)" }</option>
                            { for WEEKDAYS.into_iter().map(|d| html! {
                                <option value={weekday_name(d)} selected={form.day == Some(d)}>{ weekday_name(d) }</option>
                            }) }
                        </select>
                    </label>
                    <label class="field">
                        <span>{ "Time (in every schedule's zone)" }</span>
                        <input name="time" type="time" value={form.time.clone()} disabled={form.day.is_none()}
                            oninput={on_input(TryAction::Time)} />
                    </label>
                </div>
            </form>
            { result.unwrap_or_else(|| html! {
                <p class="muted" data-testid="try-result-none">{ "Fix the JSON above to try a visitor." }</p>
            }) }
        </section>
    }
}
