//! Atrium's user interface: a Leptos CSR app built by `cargo xtask ui` and shown in the Tauri webview.
//!
//! It speaks to the backend only through `atrium-ipc` types, via [`ipc`].

// The app runs in the webview, as wasm; natively the UI is compiled only for its unit tests, so a
// native build of the binary itself (`cargo build --workspace`) does not compile it all for nothing.
#[cfg(any(target_arch = "wasm32", test))]
mod app;
#[cfg(any(target_arch = "wasm32", test))]
mod components;
#[cfg(any(target_arch = "wasm32", test))]
mod context;
#[cfg(any(target_arch = "wasm32", test))]
mod hooks;
#[cfg(any(target_arch = "wasm32", test))]
mod ipc;
#[cfg(any(target_arch = "wasm32", test))]
mod pages;
#[cfg(any(target_arch = "wasm32", test))]
mod theme;
#[cfg(test)]
mod tree_fixture;

fn main() {
    // Under `cargo test` too, so that what the app uses is not dead code there.
    #[cfg(any(target_arch = "wasm32", test))]
    {
        console_error_panic_hook::set_once();
        leptos::mount::mount_to_body(app::App);
    }
}
