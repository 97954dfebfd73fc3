//! Whether the operator has interacted with the page yet. Browsers refuse to play sound
//! before that, so the console does not even try.

use gloo_events::EventListener;
use std::cell::Cell;
use std::rc::Rc;
use yew::prelude::*;

/// A flag that turns true at the first pointer press or key press anywhere in the page.
#[hook]
pub fn use_user_activated() -> Rc<Cell<bool>> {
    let flag = use_memo((), |_| Rc::new(Cell::new(false)));
    let flag = (*flag).clone();
    {
        let flag = flag.clone();
        use_effect_with((), move |_| {
            let listeners = web_sys::window().and_then(|w| w.document()).map(|doc| {
                ["pointerdown", "keydown"].map(|kind| {
                    let flag = flag.clone();
                    EventListener::new(&doc, kind, move |_| flag.set(true))
                })
            });
            move || drop(listeners)
        });
    }
    flag
}
