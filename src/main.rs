//! Entry point Trunk builds into the widget's wasm bundle.

fn main() {
    confide_widget::mount();
}
