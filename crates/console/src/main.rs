//! Entry point Trunk builds into the console's wasm bundle.

fn main() {
    confide_console::mount();
}
