//! Entry point Trunk builds into the widget's wasm bundle.

// talc instead of std's dlmalloc: 1.5 KB gzip smaller, and safe to declare.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

fn main() {
    confide_widget::mount();
}
