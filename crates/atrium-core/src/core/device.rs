//! A device in `Core`: its detail with the controls an administrator configured for it (device
//! override, then profile override, then the standard map) and operating them.

use super::{now_ms, parse_device_id, Active, Core};
use crate::app_error::to_app_error;
use crate::connectivity::{self, ConnectivityState};
use crate::controls::{
    self, Attributes, ControlBinding, ControlMap, ControlSpec, Delivery, DeviceKeys, CONTROLS_ATTRIBUTE,
    UNKNOWN_KEYS,
};
use crate::live_values::to_ipc_value;
use atrium_ipc::{
    AppError, Connectivity, ControlAck, ControlCommand, DeviceDetail, ErrorCode, LiveValue, QueuedCommand,
    QueuedState, StateSource, TelemetryBatch, WatchId, QUEUE_FOR_MS,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;
use tb_client::live::{LiveEvent, Subscription, SubscriptionSpec};
use tb_client::proto::telemetry::AttributeScope;
use tb_client::proto::{DeviceId, DeviceProfileId};
use tb_client::{RpcCall, TbValue};
use tokio::sync::OnceCell;

/// A device profile's `atriumControls`, as read for this session.
#[derive(Debug, Clone)]
pub(super) enum ProfileOverride {
    /// The profile has none.
    Absent,
    /// Refused (a customer user may not read a profile's attributes) or gone: the same as none.
    Unreadable,
    /// The specs, or why they are malformed.
    Set(Result<Vec<ControlSpec>, String>),
}

impl Core {
    /// A device with its controls and connectivity.
    pub async fn device_detail(&self, device_id: &str) -> Result<DeviceDetail, AppError> {
        let active = self.shared.require()?;
        let id = parse_device_id(device_id)?;
        let info = active.client.device_info(id).await.map_err(|e| self.fail(&active, &e))?;
        let device = info.device;
        let (bindings, controls_note) =
            self.resolve_controls(&active, id, &device.device_type, device.device_profile_id).await?;
        let controls = bindings.iter().map(|b| b.descriptor.clone()).collect();
        active.device_controls.lock().insert(id, bindings);
        Ok(DeviceDetail {
            place: self.place_of(device_id),
            id: device_id.to_owned(),
            name: device.name,
            label: device.label.filter(|l| !l.is_empty()),
            controls,
            controls_note,
            type_name: device.device_type,
            active: Some(info.active),
        })
    }

    /// A device's controls, from the first usable of: the device's `atriumControls` SHARED_SCOPE
    /// attribute, its device profile's `atriumControls` SERVER_SCOPE attribute (read once per
    /// profile per session), the standard mapping for its type. Bounds come from the device's shared
    /// attributes, including those an override names. A malformed override, an unreadable setting
    /// or unusable bounds are reported in the note, never fatal; a profile the user may not read
    /// (customer users) counts as one without an override. Only an expired session is an error.
    async fn resolve_controls(
        &self,
        active: &Arc<Active>,
        id: DeviceId,
        device_type: &str,
        profile: Option<DeviceProfileId>,
    ) -> Result<(Vec<ControlBinding>, Option<String>), AppError> {
        let standard = ControlMap::standard().specs_for(device_type);
        let mut keys = controls::attribute_keys(standard);
        keys.insert(CONTROLS_ATTRIBUTE.to_owned());
        let mut attrs = Attributes::new();
        // The device's telemetry and attribute keys, read once and only for controls that look
        // for their state among them.
        let device_keys = OnceCell::new();
        if let Err(e) = self.read_shared(active, id, &keys, &mut attrs).await? {
            tracing::warn!(device = %id, error = %e, "shared attributes for controls could not be read");
            // Whether the device's own setting would win is unknown, and the profile's read would
            // most likely fail the same way: keep to the standard controls.
            let note = "The device's control settings could not be read; showing the standard controls.";
            let found = self.device_keys(active, id, &device_keys, standard).await?;
            return Ok((controls::standard_bindings(device_type, found), Some(note.into())));
        }
        // Full sentences saying why what an administrator configured is not shown.
        let mut notes: Vec<String> = Vec::new();
        if let Some(value) = attrs.get(CONTROLS_ATTRIBUTE).cloned() {
            let specs = controls::parse_override(&value);
            match self.apply_override(active, id, specs, &mut keys, &mut attrs, &device_keys).await? {
                Ok(bindings) => return Ok((bindings, None)),
                Err(problem) => {
                    tracing::warn!(device = %id, %problem, "ignoring a malformed atriumControls attribute");
                    notes.push(format!(
                        "This device's {CONTROLS_ATTRIBUTE} setting was ignored because {problem}."
                    ));
                }
            }
        }
        if let Some(profile) = profile {
            match self.profile_override(active, profile).await? {
                Ok(ProfileOverride::Set(specs)) => {
                    match self.apply_override(active, id, specs, &mut keys, &mut attrs, &device_keys).await? {
                        Ok(bindings) => {
                            if !notes.is_empty() {
                                notes.push("Showing the controls its device profile sets.".into());
                            }
                            return Ok((bindings, (!notes.is_empty()).then(|| notes.join(" "))));
                        }
                        Err(problem) => {
                            tracing::warn!(device = %id, %profile, %problem, "ignoring a malformed atriumControls on the device profile");
                            notes.push(format!(
                                "The {CONTROLS_ATTRIBUTE} setting of its device profile ({device_type}) was ignored because {problem}."
                            ));
                        }
                    }
                }
                Ok(ProfileOverride::Absent | ProfileOverride::Unreadable) => {}
                Err(e) => {
                    tracing::warn!(device = %id, %profile, error = %e, "the device profile's atriumControls could not be read");
                    notes.push("The control settings of its device profile could not be read.".into());
                }
            }
        }
        if !notes.is_empty() {
            notes.push("Showing the standard controls.".into());
        }
        let found = self.device_keys(active, id, &device_keys, standard).await?;
        let bindings = match controls::resolve(standard, &attrs, found) {
            Ok(bindings) => bindings,
            Err(problem) => {
                tracing::warn!(device = %id, %problem, "the device's bound attributes are unusable");
                notes.push(format!(
                    "The device's control bounds were ignored because {problem}; using the standard bounds."
                ));
                controls::standard_bindings(device_type, found)
            }
        };
        Ok((bindings, (!notes.is_empty()).then(|| notes.join(" "))))
    }

    /// Resolves an override's specs against the device's shared attributes, first reading those it
    /// names that are not in `attrs` yet (`keys` are the ones already asked for). `Ok(Err)` says
    /// why the override is unusable.
    async fn apply_override(
        &self,
        active: &Arc<Active>,
        id: DeviceId,
        specs: Result<Vec<ControlSpec>, String>,
        keys: &mut BTreeSet<String>,
        attrs: &mut Attributes,
        device_keys: &OnceCell<DeviceKeys>,
    ) -> Result<Result<Vec<ControlBinding>, String>, AppError> {
        let specs = match specs {
            Ok(specs) => specs,
            Err(problem) => return Ok(Err(problem)),
        };
        let missing: BTreeSet<String> =
            controls::attribute_keys(&specs).into_iter().filter(|k| !keys.contains(k)).collect();
        if !missing.is_empty() {
            if let Err(e) = self.read_shared(active, id, &missing, attrs).await? {
                tracing::warn!(device = %id, error = %e, "attributes named by atriumControls could not be read");
            }
            keys.extend(missing);
        }
        let found = self.device_keys(active, id, device_keys, &specs).await?;
        Ok(controls::resolve(&specs, attrs, found))
    }

    /// The device's time-series and attribute keys (all scopes), read into `cell` the first time
    /// `specs` need them. A failed read leaves them unknown (each control then keeps to its
    /// kind's most usual key); an expired session is an error.
    async fn device_keys<'a>(
        &self,
        active: &Arc<Active>,
        id: DeviceId,
        cell: &'a OnceCell<DeviceKeys>,
        specs: &[ControlSpec],
    ) -> Result<&'a DeviceKeys, AppError> {
        if specs.is_empty() || !controls::needs_keys(specs) {
            return Ok(cell.get().unwrap_or(&UNKNOWN_KEYS));
        }
        let entity = id.entity_id();
        cell.get_or_try_init(|| async {
            let (telemetry, attributes) = tokio::join!(
                active.client.timeseries_keys(entity),
                active.client.attribute_keys(entity, None)
            );
            match (telemetry, attributes) {
                (Ok(telemetry), Ok(attributes)) => Ok(DeviceKeys {
                    known: true,
                    // Bounded: a device with absurdly many keys is searched in its first thousand.
                    telemetry: telemetry.into_iter().take(1_000).collect(),
                    attributes: attributes.into_iter().take(1_000).collect(),
                }),
                (Err(e), _) | (_, Err(e)) if to_app_error(&e).code == ErrorCode::SessionExpired => {
                    Err(self.fail(active, &e))
                }
                (Err(e), _) | (_, Err(e)) => {
                    tracing::warn!(device = %id, error = %e, "the device's keys could not be read");
                    Ok(DeviceKeys::default())
                }
            }
        })
        .await
    }

    /// The device profile's `atriumControls`, read at most once per session (a refusal or a
    /// missing profile is remembered too). An expired session is an error; any other failure is
    /// handed back to be reported, and not remembered, so the next device tries again.
    async fn profile_override(
        &self,
        active: &Arc<Active>,
        profile: DeviceProfileId,
    ) -> Result<Result<ProfileOverride, tb_client::Error>, AppError> {
        let cell = active.profile_controls.lock().entry(profile).or_default().clone();
        let read = cell
            .get_or_try_init(|| async {
                let entity = profile.entity_id();
                let scope = Some(AttributeScope::ServerScope);
                match active.client.attributes(entity, scope, &[CONTROLS_ATTRIBUTE]).await {
                    Ok(data) => Ok(match data.into_iter().find(|a| a.key == CONTROLS_ATTRIBUTE) {
                        Some(attr) => ProfileOverride::Set(controls::parse_override(&attr.value)),
                        None => ProfileOverride::Absent,
                    }),
                    // Customer users have READ on profiles but not READ_ATTRIBUTES: nothing to report.
                    Err(e) if e.is_forbidden() || e.is_not_found() => {
                        tracing::debug!(%profile, error = %e, "the device profile's atriumControls is not readable");
                        Ok(ProfileOverride::Unreadable)
                    }
                    Err(e) => Err(e),
                }
            })
            .await;
        match read {
            Ok(found) => Ok(Ok(found.clone())),
            Err(e) if to_app_error(&e).code == ErrorCode::SessionExpired => Err(self.fail(active, &e)),
            Err(e) => Ok(Err(e)),
        }
    }

    /// Adds the device's shared attributes `keys` to `attrs`. An expired session is an error; any
    /// other failure is handed back to be reported.
    async fn read_shared(
        &self,
        active: &Arc<Active>,
        id: DeviceId,
        keys: &BTreeSet<String>,
        attrs: &mut Attributes,
    ) -> Result<Result<(), tb_client::Error>, AppError> {
        let entity = id.entity_id();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        match active.client.attributes(entity, Some(AttributeScope::SharedScope), &keys).await {
            Ok(data) => {
                attrs.extend(data.into_iter().map(|a| (a.key, a.value)));
                Ok(Ok(()))
            }
            Err(e) if to_app_error(&e).code == ErrorCode::SessionExpired => Err(self.fail(active, &e)),
            Err(e) => Ok(Err(e)),
        }
    }

    /// Streams a device's connectivity to `sink` (once the first report arrives, then on every
    /// change) until `unwatch`: its state keys as server attributes and as time series, since the
    /// server writes one or the other (`state.persistToTelemetry`).
    pub fn watch_connectivity(
        &self,
        device_id: &str,
        sink: impl Fn(Connectivity) + Send + 'static,
    ) -> Result<WatchId, AppError> {
        let active = self.shared.require()?;
        let entity = parse_device_id(device_id)?.entity_id();
        let keys: Vec<String> = connectivity::KEYS.iter().map(|k| (*k).to_owned()).collect();
        let attributes = active.live.subscribe(SubscriptionSpec::Attributes {
            entity,
            scope: Some(AttributeScope::ServerScope),
            keys: keys.clone(),
        });
        let telemetry = active.live.subscribe(SubscriptionSpec::Timeseries { entity, keys });
        let device_id = device_id.to_owned();
        let task =
            tokio::spawn(async move { follow_connectivity(&device_id, attributes, telemetry, sink).await });
        Ok(self.hold_watch(&active, task))
    }

    /// Stores a control's command on the server for a device that is offline (a persistent RPC,
    /// `AbstractRpcController.handleDeviceRPCRequest` with `persistent: true`): the server sends
    /// it when the device is back, for [`QUEUE_FOR_MS`]. Only commands sent by RPC are queued; an
    /// attribute write is stored by the server anyway and reaches the device when it connects.
    pub async fn queue_control(&self, command: ControlCommand) -> Result<QueuedCommand, AppError> {
        let active = self.shared.require()?;
        let id = parse_device_id(&command.device_id)?;
        let binding = self.control_binding(&active, id, &command).await?;
        let Delivery::Rpc { method, params, two_way } = binding.plan(&command.action)? else {
            return Err(AppError::new(
                ErrorCode::InvalidRequest,
                "This control writes an attribute, which the server keeps for the device anyway: send it normally.",
                false,
            ));
        };
        // The server times the expiry from its own clock (now + timeout), not this device's.
        let call = RpcCall::new(method, params).timeout(Duration::from_millis(QUEUE_FOR_MS));
        let sent = if two_way {
            active.client.rpc_persistent(id, &call).await
        } else {
            active.client.rpc_persistent_oneway(id, &call).await
        };
        let rpc_id = sent.map_err(|e| self.fail(&active, &e))?;
        Ok(QueuedCommand {
            rpc_id: rpc_id.to_string(),
            expires_in_ms: QUEUE_FOR_MS,
            expect: binding.expectation(&command.action),
        })
    }

    /// Where a command queued with [`Core::queue_control`] is.
    pub async fn queued_control(&self, rpc_id: &str) -> Result<QueuedState, AppError> {
        let active = self.shared.require()?;
        let id = uuid::Uuid::parse_str(rpc_id).map_err(|_| {
            AppError::new(ErrorCode::InvalidRequest, format!("'{rpc_id}' is not a command id."), false)
        })?;
        let rpc = active.client.persistent_rpc(id).await.map_err(|e| self.fail(&active, &e))?;
        use tb_client::proto::rpc::RpcStatus as S;
        Ok(match rpc.status {
            S::Queued => QueuedState::Queued,
            S::Sent => QueuedState::Sent,
            S::Delivered => QueuedState::Delivered,
            S::Successful => QueuedState::Answered,
            S::Timeout | S::Expired => QueuedState::Expired,
            S::Failed | S::Deleted => QueuedState::Failed,
        })
    }

    /// The control `command` names, with its descriptor read if this session has not yet.
    async fn control_binding(
        &self,
        active: &Arc<Active>,
        id: DeviceId,
        command: &ControlCommand,
    ) -> Result<ControlBinding, AppError> {
        let find = |active: &Active| {
            let controls = active.device_controls.lock();
            controls.get(&id).map(|c| c.iter().find(|b| b.descriptor.id == command.control_id).cloned())
        };
        match find(active) {
            Some(found) => found,
            None => {
                self.device_detail(&command.device_id).await?;
                find(active).flatten()
            }
        }
        .ok_or_else(|| AppError::new(ErrorCode::InvalidRequest, "This device has no such control.", false))
    }

    /// Sends a control's command. `Ok` means the server accepted it; the new state is confirmed
    /// when the device reports it. Never retried when delivery is unknown.
    pub async fn operate_control(&self, command: ControlCommand) -> Result<ControlAck, AppError> {
        let active = self.shared.require()?;
        let id = parse_device_id(&command.device_id)?;
        let binding = self.control_binding(&active, id, &command).await?;
        // Checked before anything is sent: an action out of bounds never reaches the device.
        let plan = binding.plan(&command.action)?;
        // Not refused for a read `active: false`: the server's flag lags the connection by up to
        // its inactivity timeout either way (`DefaultDeviceStateService`); its answer to the RPC
        // says whether the device was reached.
        let descriptor = &binding.descriptor;
        let reply = match plan {
            Delivery::Rpc { method, params, two_way: true } => {
                let call = RpcCall::new(method, params);
                let reply = active.client.rpc_twoway(id, &call).await.map_err(|e| self.fail(&active, &e))?;
                if let Some(refusal) = controls::refusal_in(&reply) {
                    return Err(AppError::new(ErrorCode::InvalidRequest, refusal, false));
                }
                Some(reply)
            }
            Delivery::Rpc { method, params, two_way: false } => {
                let call = RpcCall::new(method, params);
                active.client.rpc_oneway(id, &call).await.map_err(|e| self.fail(&active, &e))?;
                None
            }
            Delivery::Attribute { scope, values } => {
                active
                    .client
                    .save_attributes(id.entity_id(), scope, &values)
                    .await
                    .map_err(|e| self.fail(&active, &e))?;
                None
            }
        };
        let stated = reply.as_ref().and_then(|reply| controls::state_in_reply(reply, &descriptor.state));
        let state = match (stated, &descriptor.state) {
            (Some(stated), _) => Some(stated),
            // A state only a get method answers is read back now: that answer confirms it, and
            // it is the control's newest reading (no report will come).
            (None, StateSource::Rpc { method }) => {
                let state = read_by_rpc(&active, id, method).await;
                if let Some(value) = &state {
                    let answer =
                        ControlAnswer { device: id, control: descriptor.id.clone(), value: value.clone() };
                    // No watch open: nobody to tell.
                    let _ = active.control_answers.send(answer);
                }
                state
            }
            _ => None,
        };
        Ok(ControlAck {
            reply,
            state: state.as_ref().map(to_ipc_value),
            expect: binding.expectation(&command.action),
            timeout_ms: descriptor.timeout_ms,
        })
    }

    /// Streams the readings of a device's controls to `sink` until `unwatch`: one
    /// [`TelemetryBatch`] keyed by control id per change, each control read from its
    /// [`StateSource`] (time series and attributes live, get methods once at the start).
    pub fn watch_controls(
        &self,
        device_id: &str,
        sink: impl Fn(TelemetryBatch) + Send + 'static,
    ) -> Result<WatchId, AppError> {
        let active = self.shared.require()?;
        let id = parse_device_id(device_id)?;
        let core = Core { shared: self.shared.clone() };
        let device_id = device_id.to_owned();
        let task_active = active.clone();
        let task = tokio::spawn(async move {
            let active = task_active;
            let known = active.device_controls.lock().get(&id).cloned();
            let bindings = match known {
                Some(bindings) => bindings,
                None => {
                    if let Err(e) = core.device_detail(&device_id).await {
                        tracing::warn!(device = %id, error = %e.message, "controls to watch could not be read");
                        return;
                    }
                    active.device_controls.lock().get(&id).cloned().unwrap_or_default()
                }
            };
            follow_controls(&active, id, &device_id, &bindings, sink).await;
        });
        Ok(self.hold_watch(&active, task))
    }
}

/// The state a control's get method answered after a command.
#[derive(Debug, Clone)]
pub(super) struct ControlAnswer {
    device: DeviceId,
    control: String,
    value: TbValue,
}

/// A get method's answer, or `None` (logged) when the device does not give one.
async fn read_by_rpc(active: &Active, id: DeviceId, method: &str) -> Option<TbValue> {
    let call = RpcCall::new(method, Value::Null).timeout(Duration::from_secs(5));
    match active.client.rpc_twoway(id, &call).await {
        Ok(reply) => {
            let state = controls::state_in_reply(&reply, &StateSource::Rpc { method: method.to_owned() });
            if state.is_none() {
                tracing::debug!(device = %id, method, "the get method's reply states no value");
            }
            state
        }
        Err(e) => {
            tracing::debug!(device = %id, method, error = %e, "the get method was not answered");
            None
        }
    }
}

/// Which controls each live key feeds.
type Feeds = BTreeMap<String, Vec<String>>;

/// The readings of `bindings`, until the subscriptions end (unwatched, or the session closed).
async fn follow_controls(
    active: &Active,
    id: DeviceId,
    device_id: &str,
    bindings: &[ControlBinding],
    sink: impl Fn(TelemetryBatch),
) {
    let (mut by_telemetry, mut by_attribute, mut by_rpc) = (Feeds::new(), Feeds::new(), Feeds::new());
    for binding in bindings {
        let control = binding.descriptor.id.clone();
        let (feeds, key) = match &binding.descriptor.state {
            StateSource::Telemetry { key } => (&mut by_telemetry, key),
            StateSource::Attribute { key } => (&mut by_attribute, key),
            StateSource::Rpc { method } => (&mut by_rpc, method),
        };
        feeds.entry(key.clone()).or_default().push(control);
    }
    let entity = id.entity_id();
    let subscribe = |spec: SubscriptionSpec| active.live.subscribe(spec);
    let mut telemetry = (!by_telemetry.is_empty()).then(|| {
        subscribe(SubscriptionSpec::Timeseries { entity, keys: by_telemetry.keys().cloned().collect() })
    });
    let mut attributes = (!by_attribute.is_empty()).then(|| {
        subscribe(SubscriptionSpec::Attributes {
            entity,
            scope: None,
            keys: by_attribute.keys().cloned().collect(),
        })
    });
    let batch =
        |values: Vec<LiveValue>| TelemetryBatch { device_id: device_id.to_owned(), snapshot: false, values };
    // A get method's answer carries no time: stamped with the phone's clock, for its age only
    // (such a control has no other readings to be ordered against).
    let answered = |control: &str, value: &TbValue| LiveValue {
        key: control.to_owned(),
        ts: now_ms(),
        value: to_ipc_value(value),
    };
    let mut answers = active.control_answers.subscribe();
    for (method, controls) in &by_rpc {
        if let Some(state) = read_by_rpc(active, id, method).await {
            sink(batch(controls.iter().map(|c| answered(c, &state)).collect()));
        }
    }
    loop {
        let (event, feeds) = tokio::select! {
            Some(event) = next_event(&mut telemetry) => (event, &by_telemetry),
            Some(event) = next_event(&mut attributes) => (event, &by_attribute),
            answer = answers.recv() => match answer {
                Ok(answer) if answer.device == id => {
                    sink(batch(vec![answered(&answer.control, &answer.value)]));
                    continue;
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            },
        };
        match event {
            LiveEvent::Values { values, .. } => {
                let readings: Vec<LiveValue> = values
                    .iter()
                    .flat_map(|v| {
                        let value = to_ipc_value(&v.value);
                        feeds.get(&v.key).into_iter().flatten().map(move |control| LiveValue {
                            key: control.clone(),
                            ts: v.ts,
                            value: value.clone(),
                        })
                    })
                    .collect();
                if !readings.is_empty() {
                    sink(batch(readings));
                }
            }
            LiveEvent::Error(e) => {
                tracing::warn!(device = %device_id, code = e.code, "control state subscription error: {}", e.message);
            }
            _ => {}
        }
    }
}

/// The next event of a subscription that may not exist (never, then).
async fn next_event(subscription: &mut Option<Subscription>) -> Option<LiveEvent> {
    match subscription {
        Some(s) => s.next().await,
        None => std::future::pending().await,
    }
}

/// Merges both subscriptions' reports until either ends (unwatched, or the session closed).
async fn follow_connectivity(
    device_id: &str,
    mut attributes: Subscription,
    mut telemetry: Subscription,
    sink: impl Fn(Connectivity),
) {
    let mut state = ConnectivityState::default();
    loop {
        let event = tokio::select! {
            event = attributes.next() => event,
            event = telemetry.next() => event,
        };
        match event {
            Some(LiveEvent::Values { values, .. }) => {
                if state.apply(&values) {
                    sink(state.to_ipc(device_id));
                }
            }
            Some(LiveEvent::Error(e)) => {
                tracing::warn!(device = %device_id, code = e.code, "connectivity subscription error: {}", e.message);
            }
            Some(_) => {}
            None => return,
        }
    }
}
