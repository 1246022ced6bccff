//! New critical and major alarms as OS notifications (permission asked the first time one is
//! due, never again after a refusal); a click on one brings the window up on that alarm.

use atrium_ipc::{event, AlarmRow};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use tauri::{AppHandle, Emitter, Runtime};
use tauri_plugin_notification::{ActionPerformed, NotificationExt, PermissionState};

/// The extra payload naming the alarm, for platforms that report it back with the click.
const ALARM_ID: &str = "alarmId";

/// Notification id -> alarm id, for platforms that report only the id.
#[derive(Default)]
pub(crate) struct Shown {
    next_id: AtomicI32,
    alarms: Mutex<HashMap<i32, String>>,
}

/// Registers what a click on a notification does: the app comes to the front and the UI opens
/// the alarm (`event::OPEN_ALARM`).
pub(crate) fn install<R: Runtime>(app: &AppHandle<R>, shown: Arc<Shown>) {
    let handle = app.clone();
    let on_action = move |performed: &ActionPerformed| {
        let Some(alarm_id) = clicked_alarm(performed, &shown) else { return };
        // On a phone the OS brings the app to the front itself.
        #[cfg(desktop)]
        if let Some(window) = tauri::Manager::get_webview_window(&handle, "main") {
            let _ = window.unminimize();
            let _ = window.show();
            let _ = window.set_focus();
        }
        if let Err(e) = handle.emit(event::OPEN_ALARM, alarm_id) {
            tracing::warn!("could not ask the window to open an alarm: {e}");
        }
    };
    if let Err(e) = app.notification().on_action(on_action) {
        tracing::warn!("clicks on alarm notifications will not open the alarm: {e}");
    }
}

fn clicked_alarm(performed: &ActionPerformed, shown: &Shown) -> Option<String> {
    let notification = performed.notification()?;
    let by_extra = notification.extra().get(ALARM_ID).and_then(|v| v.as_str()).map(str::to_owned);
    by_extra.or_else(|| shown.alarms.lock().get(&notification.id()).cloned())
}

/// Notifications remembered for their clicks, at most.
const SHOWN_LIMIT: i32 = 1000;

/// "Critical: Device Offline" over "Room 2.08 Air Quality · Room 2.08 · Floor 2".
pub(crate) fn text_of(alarm: &AlarmRow) -> (String, String) {
    let title = format!("{}: {}", alarm.severity.label(), alarm.alarm_type);
    let mut body = vec![alarm.originator_name.clone()];
    body.extend(alarm.place.iter().rev().take(2).cloned());
    (title, body.join(" · "))
}

/// Shows the notification of a new alarm, asking for the permission if it was never asked.
pub(crate) fn show<R: Runtime>(app: &AppHandle<R>, shown: &Shown, alarm: &AlarmRow) {
    let notifications = app.notification();
    let allowed = match notifications.permission_state() {
        Ok(PermissionState::Granted) => true,
        Ok(PermissionState::Denied) => false,
        Ok(_) => matches!(notifications.request_permission(), Ok(PermissionState::Granted)),
        Err(e) => {
            tracing::warn!("cannot tell whether notifications are allowed: {e}");
            false
        }
    };
    if !allowed {
        tracing::debug!("notifications are not allowed; a new alarm goes unannounced");
        return;
    }
    let id = shown.next_id.fetch_add(1, Ordering::Relaxed);
    {
        let mut alarms = shown.alarms.lock();
        // A wall screen left open for months: old notifications are long gone from the screen.
        if alarms.len() >= SHOWN_LIMIT as usize {
            alarms.retain(|shown_id, _| *shown_id > id.saturating_sub(SHOWN_LIMIT / 2));
        }
        alarms.insert(id, alarm.id.clone());
    }
    let (title, body) = text_of(alarm);
    let shown = notifications.builder().id(id).title(title).body(body).extra(ALARM_ID, &alarm.id).show();
    if let Err(e) = shown {
        tracing::warn!("could not show the notification of a new alarm: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atrium_ipc::AlarmSeverity;

    #[test]
    fn a_notification_names_the_alarm_the_device_and_its_room() {
        let alarm = AlarmRow {
            id: "a".into(),
            alarm_type: "Device Offline".into(),
            severity: AlarmSeverity::Critical,
            acknowledged: false,
            cleared: false,
            originator_id: "d".into(),
            originator_name: "Room 2.08 Air Quality".into(),
            place: vec!["Campus".into(), "HQ".into(), "Floor 2".into(), "Room 2.08".into()],
            start_ts: 1,
            ack_ts: 0,
            clear_ts: 0,
            details: None,
        };
        assert_eq!(
            text_of(&alarm),
            ("Critical: Device Offline".to_owned(), "Room 2.08 Air Quality · Room 2.08 · Floor 2".to_owned())
        );
    }
}
