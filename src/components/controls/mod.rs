//! A device's controls, one component per kind over one frame (`command`: the label, the status
//! line with its countdown, the confirmation a critical control asks for, and the commander that
//! keeps a command pending until the device confirms it). [`Control`] picks the kind; the device
//! page and a room's tiles both show controls through it.

pub(crate) mod command;
mod cover;
pub(crate) mod level;
mod lock;
mod setpoint;
mod switch;

use atrium_ipc::{ControlDescriptor, ControlKind, LiveValue};
use cover::ControlCover;
use leptos::prelude::*;
use level::ControlLevel;
use lock::ControlLock;
use setpoint::ControlSetpoint;
use std::collections::BTreeMap;
use switch::ControlSwitch;

/// One control of a device, of whatever kind its descriptor says.
// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn Control(
    device_id: String,
    control: ControlDescriptor,
    /// The device's control readings, by control id (`use_control_readings`).
    values: ReadSignal<BTreeMap<String, LiveValue>>,
    /// Makes element ids unique where several devices share the page (see `command::dom_base`).
    #[prop(default = None)]
    scope: Option<String>,
) -> impl IntoView {
    match &control.kind {
        ControlKind::Switch { .. } => {
            view! { <ControlSwitch device_id=device_id control=control values=values scope=scope /> }
                .into_any()
        }
        ControlKind::Setpoint { .. } => {
            view! { <ControlSetpoint device_id=device_id control=control values=values scope=scope /> }
                .into_any()
        }
        ControlKind::Level { .. } => {
            view! { <ControlLevel device_id=device_id control=control values=values scope=scope /> }
                .into_any()
        }
        ControlKind::Cover { .. } => {
            view! { <ControlCover device_id=device_id control=control values=values scope=scope /> }
                .into_any()
        }
        ControlKind::Lock { .. } => {
            view! { <ControlLock device_id=device_id control=control values=values scope=scope /> }.into_any()
        }
        _ => view! {
            <div class="control unsupported">
                <span class="control-label">{control.label.clone()}</span>
                <span class="muted">"This kind of control is not supported by this version of Atrium."</span>
            </div>
        }
        .into_any(),
    }
}
