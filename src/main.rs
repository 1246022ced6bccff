//! Atrium's user interface: a Leptos CSR app built by `cargo xtask ui` and shown in the Tauri webview.
//!
//! It speaks to the backend only through `atrium-ipc` types, via [`ipc`].

mod app;
mod components;
mod context;
mod hooks;
mod ipc;
mod pages;
mod theme;
#[cfg(test)]
mod tree_fixture;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
