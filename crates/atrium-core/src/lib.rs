//! Atrium's application logic, with no Tauri dependency: what happens when a person logs in, opens
//! the building, watches a device or flips a switch, and how failures are explained to them.
//!
//! The Tauri shell (`src-tauri`) and the terminal client call [`Core`]; it speaks `atrium-ipc` types
//! outward and `tb-client` inward, converting in one place. It never touches a window or the JS bridge:
//! UI notifications go through the [`UiEvents`] trait.
//!
//! ```no_run
//! # async fn demo() -> Result<(), atrium_ipc::AppError> {
//! use atrium_core::{Core, NoUiEvents};
//! let core = Core::new(std::sync::Arc::new(NoUiEvents));
//! let session = core.open_demo().await?;
//! let tree = core.load_tree(|step| println!("{step:?}")).await?;
//! println!("{} sees {} roots", session.user_email, tree.len());
//! # Ok(()) }
//! ```

pub mod accounts;
mod alarms;
mod app_error;
mod building;
pub mod cache;
mod connectivity;
mod controls;
mod core;
#[cfg(feature = "demo")]
pub mod demo;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
mod history;
mod live_values;
mod logging;
mod rollup;
pub mod secrets;
pub mod sharing;

pub use crate::core::session::certificate_file_text;
pub use crate::core::tree::{building_tree, BuildingTree};
pub use crate::core::{Core, CoreBuilder, NoUiEvents, UiEvents};
pub use app_error::to_app_error;
pub use building::{search, to_tree, to_tree_with_overrides, KindMap, KindRule, KIND_OVERRIDE_ATTRIBUTE};
pub use controls::{controls_for, ControlMap, ControlSpec, ProfileControls, SpecKind, CONTROLS_ATTRIBUTE};
pub use logging::log_filter;
