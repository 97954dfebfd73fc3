//! Whether the console's tab is in front. A conversation on screen in a hidden tab is not
//! being read, so its messages stay unread and still ring.

use gloo_events::EventListener;
use yew::prelude::*;

fn visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| !d.hidden())
}

#[hook]
pub fn use_page_visible() -> bool {
    let state = use_state(visible);
    {
        let state = state.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().and_then(|w| w.document()).map(|doc| {
                EventListener::new(&doc, "visibilitychange", move |_| state.set(visible()))
            });
            move || drop(listener)
        });
    }
    *state
}
