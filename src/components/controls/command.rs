//! What every control shares: a command is sent, is pending until the device confirms it, is
//! confirmed then, and fails on an error, on a device answering another state, or after the
//! control's timeout (counted down). A critical control asks first. The controls show the
//! device's reported state, never what was requested; this module only tracks the command's
//! life and renders its status line and confirmation box.
//!
//! The device confirms with a reading that meets the backend's [`Expectation`] for the command,
//! newer than the last reading before it (both stamped by the device or the server, never
//! compared with this phone's clock), or with the state its two-way reply or its get method
//! answered.

use crate::hooks::use_clock;
use crate::ipc;
use atrium_ipc::{
    ControlAction, ControlCommand, ControlDescriptor, ErrorCode, Expectation, LiveValue, QueuedState,
    TelemetryValue,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::BTreeMap;
use std::time::Duration;

/// A reported value read as a number (numbers, and text that parses as one).
pub(crate) fn reported_number(value: &TelemetryValue) -> Option<f64> {
    value.as_f64()
}

/// A reading as a sentence part: "on", "22.5", "\"jammed\"".
fn reading_text(value: &TelemetryValue) -> String {
    match value {
        TelemetryValue::Bool(true) => "on".to_owned(),
        TelemetryValue::Bool(false) => "off".to_owned(),
        TelemetryValue::Number(n) => format!("{n}"),
        TelemetryValue::Text(t) => format!("\"{t}\""),
        TelemetryValue::Missing => "nothing".to_owned(),
    }
}

/// One command a person asked for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Request {
    pub(crate) action: ControlAction,
    /// What it does, as a button says it: "Turn on", "Unlock", "Set to 22.5 °C".
    pub(crate) verb: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CommandStatus {
    Idle,
    /// A critical control waits for the person to confirm.
    AskingToConfirm(Request),
    /// The command is on its way to the server.
    Sending(Request),
    /// The server accepted it; waiting for the device's report.
    Waiting {
        request: Request,
        /// The reading that confirms it, as the backend said.
        expect: Expectation,
        /// The newest reading's stamp when the command was sent.
        before_ts: Option<i64>,
        /// When waiting ends, by this page's clock (a countdown only, never compared with a reading).
        deadline_ms: f64,
        attempt: u32,
    },
    Confirmed,
    Failed(String),
    /// The device is offline: the command was not delivered, and can be queued on the server.
    Offline {
        request: Request,
        message: String,
    },
    /// Stored on the server until the device is back (a persistent RPC).
    Queued {
        request: Request,
        rpc_id: String,
        state: QueuedState,
        /// The reading that confirms it once delivered.
        expect: Expectation,
    },
}

impl CommandStatus {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Idle | Self::AskingToConfirm(_) => "idle",
            Self::Sending(_) | Self::Waiting { .. } => "pending",
            Self::Confirmed => "confirmed",
            Self::Failed(_) => "failed",
            Self::Offline { .. } => "offline",
            Self::Queued { .. } => "queued",
        }
    }

    fn text(&self) -> String {
        match self {
            Self::Idle | Self::AskingToConfirm(_) => String::new(),
            Self::Sending(r) => format!("{}: sending…", r.verb),
            Self::Waiting { request, .. } => format!("{}: waiting for the device…", request.verb),
            Self::Confirmed => "Confirmed".to_owned(),
            Self::Failed(message) => message.clone(),
            Self::Offline { message, .. } => message.clone(),
            Self::Queued { request, state: QueuedState::Sent, .. } => {
                format!("{}: the device is back; it is being delivered…", request.verb)
            }
            Self::Queued { request, .. } => {
                format!("{}: queued; it goes to the device when it is back (for an hour).", request.verb)
            }
        }
    }

    pub(crate) fn is_pending(&self) -> bool {
        matches!(self, Self::Sending(_) | Self::Waiting { .. } | Self::Queued { .. })
    }

    /// Whether a new command may start (nothing in flight, no question open).
    fn is_free(&self) -> bool {
        !self.is_pending() && !matches!(self, Self::AskingToConfirm(_))
    }
}

/// A control's command life, shared by its buttons. Cheap to copy into closures.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ControlCommander {
    status: RwSignal<CommandStatus>,
    attempts: StoredValue<u32>,
    device_id: StoredValue<String>,
    control_id: StoredValue<String>,
    /// The control's readings, by control id.
    readings: ReadSignal<BTreeMap<String, LiveValue>>,
    critical: bool,
    /// How long a delivered command waits for the device's report.
    timeout_ms: u64,
}

impl ControlCommander {
    /// Starts tracking commands for `control`; confirmation watches `readings[control.id]`.
    pub(crate) fn new(
        device_id: &str,
        control: &ControlDescriptor,
        readings: ReadSignal<BTreeMap<String, LiveValue>>,
    ) -> Self {
        let status = RwSignal::new(CommandStatus::Idle);
        let control_id = control.id.clone();
        Effect::new(move |_| {
            if let CommandStatus::Waiting { expect, before_ts, .. } = status.get() {
                let done =
                    readings.with(|m| m.get(&control_id).is_some_and(|v| expect.confirmed_by(v, before_ts)));
                if done {
                    status.set(CommandStatus::Confirmed);
                }
            }
        });
        Self {
            status,
            attempts: StoredValue::new(0),
            device_id: StoredValue::new(device_id.to_owned()),
            control_id: StoredValue::new(control.id.clone()),
            readings,
            critical: control.critical,
            timeout_ms: control.timeout_ms,
        }
    }

    pub(crate) fn status(&self) -> ReadSignal<CommandStatus> {
        self.status.read_only()
    }

    /// True while a command is in flight (tracked).
    pub(crate) fn is_pending(&self) -> bool {
        self.status.with(CommandStatus::is_pending)
    }

    /// Asks for `request`: a critical control asks the person first, others send at once.
    /// Ignored while another command is pending or a question is open.
    pub(crate) fn request(&self, request: Request) {
        if !self.status.with_untracked(CommandStatus::is_free) {
            return;
        }
        if self.critical {
            self.status.set(CommandStatus::AskingToConfirm(request));
        } else {
            self.send(request);
        }
    }

    /// The person confirmed the open question.
    pub(crate) fn confirm(&self) {
        if let CommandStatus::AskingToConfirm(request) = self.status.get_untracked() {
            self.send(request);
        }
    }

    pub(crate) fn cancel(&self) {
        if matches!(self.status.get_untracked(), CommandStatus::AskingToConfirm(_)) {
            self.status.set(CommandStatus::Idle);
        }
    }

    fn send(&self, request: Request) {
        let status = self.status;
        status.set(CommandStatus::Sending(request.clone()));
        let control_id = self.control_id.get_value();
        // Before the command leaves: a confirming reading must be newer than this one.
        let before_ts = self.readings.with_untracked(|m| m.get(&control_id).map(|v| v.ts));
        let command = ControlCommand {
            device_id: self.device_id.get_value(),
            control_id,
            action: request.action.clone(),
        };
        let this = *self;
        spawn_local(async move {
            match ipc::operate_control(&command).await {
                Err(err) if err.code == ErrorCode::DeviceOffline => {
                    status.try_set(CommandStatus::Offline { request, message: err.message });
                }
                Err(err) => {
                    status.try_set(CommandStatus::Failed(err.message));
                }
                Ok(ack) => {
                    // The device answered with its state: that settles it.
                    if let Some(state) = &ack.state {
                        status.try_set(if ack.expect.matches(state) {
                            CommandStatus::Confirmed
                        } else {
                            CommandStatus::Failed(format!(
                                "The device answered {}: the command did not take.",
                                reading_text(state)
                            ))
                        });
                        return;
                    }
                    this.wait_for_report(request, ack.expect, before_ts, ack.timeout_ms);
                }
            }
        });
    }

    /// Waits for the device's report that meets `expect`, newer than `before_ts`, for `timeout_ms`.
    fn wait_for_report(
        &self,
        request: Request,
        expect: Expectation,
        before_ts: Option<i64>,
        timeout_ms: u64,
    ) {
        let Self { status, attempts, .. } = *self;
        let attempt = attempts.try_update_value(|a| {
            *a += 1;
            *a
        });
        let Some(attempt) = attempt else { return };
        let timeout = Duration::from_millis(timeout_ms.max(1_000));
        status.try_set(CommandStatus::Waiting {
            request,
            expect,
            before_ts,
            deadline_ms: js_sys::Date::now() + timeout.as_millis() as f64,
            attempt,
        });
        set_timeout(
            move || {
                status.try_update(|s| {
                    if matches!(s, CommandStatus::Waiting { attempt: a, .. } if *a == attempt) {
                        *s = CommandStatus::Failed(
                            "The device did not confirm. Check it and try again.".to_owned(),
                        );
                    }
                });
            },
            timeout,
        );
    }

    /// The device was offline: store the command on the server, to go when the device is back,
    /// and follow it until it is delivered (then its report confirms it) or expires.
    pub(crate) fn queue(&self) {
        let CommandStatus::Offline { request, .. } = self.status.get_untracked() else { return };
        let this = *self;
        let control_id = self.control_id.get_value();
        let before_ts = self.readings.with_untracked(|m| m.get(&control_id).map(|v| v.ts));
        let command = ControlCommand {
            device_id: self.device_id.get_value(),
            control_id,
            action: request.action.clone(),
        };
        self.status.set(CommandStatus::Sending(request.clone()));
        spawn_local(async move {
            match ipc::queue_control(&command).await {
                Err(err) => {
                    this.status.try_set(CommandStatus::Failed(err.message));
                }
                Ok(queued) => {
                    this.status.try_set(CommandStatus::Queued {
                        request,
                        rpc_id: queued.rpc_id.clone(),
                        state: QueuedState::Queued,
                        expect: queued.expect,
                    });
                    // A minute past the server's expiry: it says Expired by then, or it will not.
                    let until_ms = js_sys::Date::now() + queued.expires_in_ms as f64 + 60_000.0;
                    this.follow_queued(queued.rpc_id, before_ts, until_ms);
                }
            }
        });
    }

    /// Asks the server where a queued command is every few seconds, until it is over or its
    /// expiry (`until_ms`, by this page's clock: only to stop asking) has passed.
    fn follow_queued(&self, rpc_id: String, before_ts: Option<i64>, until_ms: f64) {
        let this = *self;
        set_timeout(
            move || {
                spawn_local(async move {
                    // The page may be gone (the person left the device or the room).
                    let still_this = this.status.try_with_untracked(
                        |s| matches!(s, CommandStatus::Queued { rpc_id: id, .. } if *id == rpc_id),
                    );
                    if still_this != Some(true) {
                        return;
                    }
                    if js_sys::Date::now() > until_ms {
                        this.status.try_set(CommandStatus::Failed(
                            "The device did not come back in time; the queued command was not delivered."
                                .to_owned(),
                        ));
                        return;
                    }
                    let state = match ipc::queued_control(&rpc_id).await {
                        Ok(state) => state,
                        Err(err) if err.code == ErrorCode::NotFound => QueuedState::Failed,
                        // Asked again next time: a queued command stays queued on the server.
                        Err(err) => {
                            ipc::log_error("reading a queued command", &err);
                            this.follow_queued(rpc_id, before_ts, until_ms);
                            return;
                        }
                    };
                    let Some(CommandStatus::Queued { request, expect, .. }) = this.status.try_get_untracked()
                    else {
                        return;
                    };
                    match state {
                        QueuedState::Delivered | QueuedState::Answered => {
                            this.wait_for_report(request, expect, before_ts, this.timeout_ms)
                        }
                        QueuedState::Expired => {
                            this.status.try_set(CommandStatus::Failed(
                                "The device did not come back in time; the queued command was not delivered."
                                    .to_owned(),
                            ));
                        }
                        QueuedState::Queued | QueuedState::Sent => {
                            this.status.try_set(CommandStatus::Queued {
                                request,
                                rpc_id: rpc_id.clone(),
                                state,
                                expect,
                            });
                            this.follow_queued(rpc_id, before_ts, until_ms);
                        }
                        _ => {
                            this.status.try_set(CommandStatus::Failed(
                                "The server gave up on the queued command.".to_owned(),
                            ));
                        }
                    }
                });
            },
            QUEUE_POLL,
        );
    }
}

/// How often a queued command's state is asked.
const QUEUE_POLL: Duration = Duration::from_secs(3);

/// The start of a control's element ids: `control-{id}`, or `control-{scope}-{id}` where several
/// devices' controls share a page.
pub(crate) fn dom_base(scope: Option<&str>, control_id: &str) -> String {
    match scope {
        Some(scope) => format!("control-{scope}-{control_id}"),
        None => format!("control-{control_id}"),
    }
}

/// `#{base}-status`: the command's life (`data-status` idle, pending, confirmed, failed).
// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn ControlStatus(base: String, commander: ControlCommander) -> impl IntoView {
    let status = commander.status();
    let queue_base = base.clone();
    let clock = use_clock();
    // Seconds left while waiting; apart from the sentence so that a screen reader hears the
    // sentence once, not every second.
    let countdown = move || {
        status.with(|s| match s {
            CommandStatus::Waiting { deadline_ms, .. } => {
                let left = ((deadline_ms - clock.now_ms()) / 1000.0).ceil().max(0.0);
                Some(
                    view! { <span class="control-countdown" aria-hidden="true">{format!("{left} s")}</span> },
                )
            }
            _ => None,
        })
    };
    view! {
        <p
            id=format!("{base}-status")
            class="control-status"
            data-status=move || status.with(CommandStatus::name)
            role="status"
            aria-live="polite"
        >
            {move || status.with(CommandStatus::is_pending).then(|| view! { <span class="spinner small" aria-hidden="true"></span> })}
            {move || status.with(CommandStatus::text)}
            {countdown}
        </p>
        {move || status.with(|s| matches!(s, CommandStatus::Offline { .. })).then(|| view! {
            <button
                id=format!("{queue_base}-queue")
                type="button"
                class="button secondary small control-queue"
                on:click=move |_| commander.queue()
            >
                "Send when it is back"
            </button>
        })}
    }
}

/// The inline question a critical control asks (`#{base}-confirm` / `-cancel`).
#[allow(unreachable_pub)]
#[component]
pub(crate) fn ConfirmBox(base: String, label: String, commander: ControlCommander) -> impl IntoView {
    let status = commander.status();
    move || {
        let CommandStatus::AskingToConfirm(request) = status.get() else { return None };
        let question = format!("{} {label}? This is a critical control.", request.verb);
        let aria_label = question.clone();
        Some(view! {
            <div class="confirm" role="alertdialog" aria-label=aria_label>
                <p class="confirm-question">{question}</p>
                <div class="confirm-actions">
                    <button
                        id=format!("{base}-confirm")
                        type="button"
                        class="button danger small"
                        on:click=move |_| commander.confirm()
                    >
                        {request.verb.clone()}
                    </button>
                    <button
                        id=format!("{base}-cancel")
                        type="button"
                        class="button ghost small"
                        on:click=move |_| commander.cancel()
                    >
                        "Cancel"
                    </button>
                </div>
            </div>
        })
    }
}

/// The control's label with its "Critical" tag.
pub(crate) fn control_label(control: &ControlDescriptor, base: &str) -> impl IntoView {
    view! {
        <span id=format!("{base}-label") class="control-label">
            {control.label.clone()}
            {control.critical.then(|| view! { <span class="critical-tag">"Critical"</span> })}
        </span>
    }
}

/// The device's reported value of `key` (tracked).
pub(crate) fn reported(
    values: ReadSignal<BTreeMap<String, LiveValue>>,
    key: String,
) -> Memo<Option<TelemetryValue>> {
    Memo::new(move |_| values.with(|m| m.get(&key).map(|v| v.value.clone())))
}

/// A number as a control shows it: at most the step's decimals, no trailing zeros.
pub(crate) fn format_amount(value: f64, step: f64, unit: Option<&str>) -> String {
    let decimals = step_decimals(step);
    let mut text = format!("{value:.decimals$}");
    if text.contains('.') {
        text = text.trim_end_matches('0').trim_end_matches('.').to_owned();
    }
    if text == "-0" {
        text = "0".to_owned();
    }
    match unit.map(str::trim).filter(|u| !u.is_empty()) {
        Some("%") => format!("{text} %"),
        Some(u) => format!("{text} {u}"),
        None => text,
    }
}

/// How many decimals a step needs (0.5 -> 1, 0.25 -> 2, 1 -> 0), at most 4.
fn step_decimals(step: f64) -> usize {
    (0..4)
        .find(|d| {
            let scaled = step * 10f64.powi(*d);
            (scaled - scaled.round()).abs() < 1e-9
        })
        .unwrap_or(4) as usize
}

/// `value` moved to the nearest point of the `min + k·step` grid, within bounds.
pub(crate) fn snap(value: f64, min: f64, max: f64, step: f64) -> f64 {
    let steps = ((value - min) / step).round();
    let snapped = min + steps * step;
    let factor = 10f64.powi(step_decimals(step) as i32 + 2);
    ((snapped * factor).round() / factor).clamp(min, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_read_as_people_say_them() {
        assert_eq!(reading_text(&TelemetryValue::Bool(false)), "off");
        assert_eq!(reading_text(&TelemetryValue::Number(22.5)), "22.5");
        assert_eq!(reading_text(&TelemetryValue::Text("jammed".into())), "\"jammed\"");
        assert_eq!(reading_text(&TelemetryValue::Missing), "nothing");
    }

    #[test]
    fn amounts_follow_the_step() {
        assert_eq!(format_amount(22.0, 0.5, Some("°C")), "22 °C");
        assert_eq!(format_amount(22.5, 0.5, Some("°C")), "22.5 °C");
        assert_eq!(format_amount(40.0, 1.0, Some("%")), "40 %");
        assert_eq!(snap(22.5 + 0.5, 16.0, 28.0, 0.5), 23.0);
        assert_eq!(snap(21.3, 16.0, 28.0, 0.5), 21.5);
        assert_eq!(snap(29.0, 16.0, 28.0, 0.5), 28.0);
        assert_eq!(snap(0.1 + 0.2, 0.0, 1.0, 0.1), 0.3);
    }
}
