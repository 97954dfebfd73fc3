//! The Audit log page (admins only): who did what to which ids, newest first, filtered by
//! action, operator and dates; a CSV export of what the filters match; and whether the hash
//! chain verifies. Entries hold ids and counts, never content.

use super::clock;
use super::history::local_midnight;
use crate::api;
use crate::audit::{action_label, chain_text, AuditAction, AuditFilter, AuditForm, AuditState};
use confide_protocol::history::AUDIT_ACTIONS;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[component]
pub fn AuditPage() -> Html {
    let state = use_reducer_eq(AuditState::default);
    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            dispatcher.dispatch(AuditAction::Search(AuditFilter::default()))
        });
    }
    {
        let dispatcher = state.dispatcher();
        use_effect_with(state.request.clone(), move |request| {
            if let Some(request) = request.clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    let seq = request.seq;
                    dispatcher.dispatch(match api::audit_page(&request.path()).await {
                        Ok(page) => AuditAction::Loaded { seq, page },
                        Err(e) => AuditAction::Failed {
                            seq,
                            message: e.message().to_owned(),
                        },
                    });
                });
            }
        });
    }
    let (action, operator, from, to) = (
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
    );
    let onsubmit = {
        let dispatcher = state.dispatcher();
        let refs = [&action, &operator, &from, &to].map(Clone::clone);
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let [action, operator, from, to] = &refs;
            let value = |n: &NodeRef| {
                n.cast::<HtmlInputElement>()
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            let form = AuditForm {
                action: action
                    .cast::<HtmlSelectElement>()
                    .map(|s| s.value())
                    .unwrap_or_default(),
                operator: value(operator),
                from: value(from),
                to: value(to),
            };
            dispatcher.dispatch(match form.filter(local_midnight) {
                Ok(filter) => AuditAction::Search(filter),
                Err(problems) => AuditAction::Invalid(problems),
            });
        })
    };
    let on_more = {
        let dispatcher = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(AuditAction::LoadOlder))
    };
    let loading = state.request.is_some();
    let options = AUDIT_ACTIONS.iter().map(|a| {
        html! { <option value={*a}>{ action_label(a) }</option> }
    });
    let rows = state.entries.iter().map(|e| {
        html! {
            <tr key={e.id} data-testid="audit-row" data-action={e.action.clone()} data-entry={e.id.to_string()}>
                <td class="num">{ e.id }</td>
                <td>{ clock(e.at) }</td>
                <td>{ e.operator_id.map_or_else(|| "server".to_owned(), |id| format!("#{id}")) }</td>
                <td>{ action_label(&e.action) }</td>
                <td class="mono wrap">{ e.target.clone() }</td>
                <td class="num">{ e.count.map(|c| c.to_string()).unwrap_or_default() }</td>
            </tr>
        }
    });
    html! {
        <main class="console-main admin-page audit" data-testid="audit">
            <div class="admin-stack">
                <h2>{ "Audit log" }</h2>
                <p class="muted">
                    { "Every sign-in, change and access to personal data, with ids and counts only. Each entry holds the hash of the one before, so a changed or removed entry shows." }
                </p>
                <form class="filters" data-testid="audit-filters" {onsubmit} novalidate=true>
                    <div class="row">
                        <label class="field">
                            <span>{ "Action" }</span>
                            <select ref={action} name="action" data-testid="audit-action">
                                <option value="" selected=true>{ "All actions" }</option>
                                { for options }
                            </select>
                        </label>
                        <label class="field">
                            <span>{ "Operator id" }</span>
                            <input ref={operator} type="number" min="1" step="1" name="operator"
                                data-testid="audit-operator" />
                        </label>
                        <label class="field">
                            <span>{ "From" }</span>
                            <input ref={from} type="date" name="from" data-testid="audit-from" />
                        </label>
                        <label class="field">
                            <span>{ "To" }</span>
                            <input ref={to} type="date" name="to" data-testid="audit-to" />
                        </label>
                        <button type="submit" class="button button-primary" data-testid="audit-search">{ "Search" }</button>
                    </div>
                </form>
                if let Some(message) = state.error.clone() {
                    <p class="form-error" role="alert" data-testid="audit-error">{ message }</p>
                }
                if let Some((intact, broken_at)) = state.chain {
                    <p class={classes!("chain", if intact { "chain-ok" } else { "chain-broken" })}
                        role="status" data-testid="audit-chain" data-intact={intact.to_string()}>
                        { chain_text(intact, broken_at) }
                    </p>
                }
                <div class="row">
                    <a class="button" data-testid="audit-export" href={crate::audit::export_url(&state.filter)} download="">
                        { "Export as CSV" }
                    </a>
                </div>
                if state.chain.is_some() && state.entries.is_empty() {
                    <p class="muted">{ "No entries match." }</p>
                } else if !state.entries.is_empty() {
                    <div class="table-scroll">
                        <table class="data-table">
                            <caption class="visually-hidden">{ "Audit entries, newest first" }</caption>
                            <thead>
                                <tr>
                                    <th scope="col" class="num">{ "Entry" }</th>
                                    <th scope="col">{ "Time" }</th>
                                    <th scope="col">{ "Operator" }</th>
                                    <th scope="col">{ "Action" }</th>
                                    <th scope="col">{ "Target" }</th>
                                    <th scope="col" class="num">{ "Count" }</th>
                                </tr>
                            </thead>
                            <tbody>{ for rows }</tbody>
                        </table>
                    </div>
                } else if loading {
                    <p class="muted">{ "Loading the audit log…" }</p>
                }
                if state.more {
                    <button type="button" class="button" data-testid="audit-more" disabled={loading} onclick={on_more}>
                        { if loading { "Loading…" } else { "Load older" } }
                    </button>
                }
            </div>
        </main>
    }
}
