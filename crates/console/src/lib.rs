//! The Confide operator console: where a site's operators answer visitors.

use yew::prelude::*;

/// Where the console mounts inside its index.html.
pub const ROOT_ID: &str = "console-root";

#[component]
pub fn Console() -> Html {
    html! {
        <div class="console" data-confide-console="ready">
            <header class="console-header"><h1>{ "Confide console" }</h1></header>
            <main class="console-main">
                <p>{ "Operator sign-in and the inbox are not built yet." }</p>
            </main>
        </div>
    }
}

/// Mounts the console into `#console-root`.
pub fn mount() {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(ROOT_ID));
    match root {
        Some(root) => {
            yew::Renderer::<Console>::with_root(root).render();
        }
        None => {
            yew::Renderer::<Console>::new().render();
        }
    }
}
