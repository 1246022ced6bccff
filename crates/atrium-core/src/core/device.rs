//! A device in `Core`: its detail with the controls an administrator configured for it (device
//! override, then profile override, then the standard map) and operating them.

use super::{now_ms, parse_device_id, Active, Core};
use crate::app_error::to_app_error;
use crate::connectivity::{self, ConnectivityState};
use crate::controls::{self, Attributes, ControlBinding, ControlMap, ControlSpec, CONTROLS_ATTRIBUTE};
use atrium_ipc::{AppError, Connectivity, ControlAck, ControlCommand, DeviceDetail, ErrorCode, WatchId};
use std::collections::BTreeSet;
use std::sync::Arc;
use tb_client::live::{LiveEvent, Subscription, SubscriptionSpec};
use tb_client::proto::telemetry::AttributeScope;
use tb_client::proto::{DeviceId, DeviceProfileId};
use tb_client::RpcCall;

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
        active.device_controls.lock().expect("controls lock").insert(id, bindings);
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
        if let Err(e) = self.read_shared(active, id, &keys, &mut attrs).await? {
            tracing::warn!(device = %id, error = %e, "shared attributes for controls could not be read");
            // Whether the device's own setting would win is unknown, and the profile's read would
            // most likely fail the same way: keep to the standard controls.
            let note = "The device's control settings could not be read; showing the standard controls.";
            return Ok((controls::standard_bindings(device_type), Some(note.into())));
        }
        // Full sentences saying why what an administrator configured is not shown.
        let mut notes: Vec<String> = Vec::new();
        if let Some(value) = attrs.get(CONTROLS_ATTRIBUTE).cloned() {
            let specs = controls::parse_override(&value);
            match self.apply_override(active, id, specs, &mut keys, &mut attrs).await? {
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
                    match self.apply_override(active, id, specs, &mut keys, &mut attrs).await? {
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
        let bindings = match controls::resolve(standard, &attrs) {
            Ok(bindings) => bindings,
            Err(problem) => {
                tracing::warn!(device = %id, %problem, "the device's bound attributes are unusable");
                notes.push(format!(
                    "The device's control bounds were ignored because {problem}; using the standard bounds."
                ));
                controls::standard_bindings(device_type)
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
        Ok(controls::resolve(&specs, attrs))
    }

    /// The device profile's `atriumControls`, read at most once per session (a refusal or a
    /// missing profile is remembered too). An expired session is an error; any other failure is
    /// handed back to be reported, and not remembered, so the next device tries again.
    async fn profile_override(
        &self,
        active: &Arc<Active>,
        profile: DeviceProfileId,
    ) -> Result<Result<ProfileOverride, tb_client::Error>, AppError> {
        let cell = active
            .profile_controls
            .lock()
            .expect("profile controls lock")
            .entry(profile)
            .or_default()
            .clone();
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

    /// Sends a control's command. `Ok` means the server accepted it; the new state is confirmed
    /// when the device reports it. Never retried when delivery is unknown.
    pub async fn operate_control(&self, command: ControlCommand) -> Result<ControlAck, AppError> {
        let active = self.shared.require()?;
        let id = parse_device_id(&command.device_id)?;
        let find = |active: &Active| {
            let controls = active.device_controls.lock().expect("controls lock");
            controls.get(&id).map(|c| c.iter().find(|b| b.descriptor.id == command.control_id).cloned())
        };
        let binding = match find(&active) {
            Some(found) => found,
            None => {
                self.device_detail(&command.device_id).await?;
                find(&active).flatten()
            }
        }
        .ok_or_else(|| AppError::new(ErrorCode::InvalidRequest, "This device has no such control.", false))?;
        // Checked before anything is sent: an action out of bounds never reaches the device.
        let plan = binding.plan(&command.action)?;
        // Not refused for a read `active: false`: the server's flag lags the connection by up to
        // its inactivity timeout either way (`DefaultDeviceStateService`); its answer to the RPC
        // says whether the device was reached.
        let call = RpcCall::new(plan.method, plan.params);
        let reply = if plan.two_way {
            let reply = active.client.rpc_twoway(id, &call).await.map_err(|e| self.fail(&active, &e))?;
            if let Some(refusal) = controls::refusal_in(&reply) {
                return Err(AppError::new(ErrorCode::InvalidRequest, refusal, false));
            }
            Some(reply)
        } else {
            active.client.rpc_oneway(id, &call).await.map_err(|e| self.fail(&active, &e))?;
            None
        };
        Ok(ControlAck { reply, accepted_at_ms: now_ms() })
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
