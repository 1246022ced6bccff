//! Core notifications as Tauri events.

use crate::alarm_notifications::{self, Shown};
use atrium_core::UiEvents;
use atrium_ipc::{event, AlarmRow, AppError, ConnectionState};
use std::sync::Arc;
use tauri::{AppHandle, Emitter, Runtime};

pub(crate) struct TauriEvents<R: Runtime> {
    app: AppHandle<R>,
    shown: Arc<Shown>,
}

impl<R: Runtime> TauriEvents<R> {
    pub(crate) fn new(app: AppHandle<R>) -> Self {
        let shown = Arc::new(Shown::default());
        alarm_notifications::install(&app, Arc::clone(&shown));
        Self { app, shown }
    }
}

impl<R: Runtime> UiEvents for TauriEvents<R> {
    fn connection(&self, state: ConnectionState) {
        if let Err(e) = self.app.emit(event::CONNECTION, state) {
            tracing::warn!("could not emit the connection state: {e}");
        }
    }

    fn session_ended(&self, error: AppError) {
        if let Err(e) = self.app.emit(event::SESSION_ENDED, error) {
            tracing::warn!("could not emit the end of the session: {e}");
        }
    }

    fn alarm_raised(&self, alarm: AlarmRow) {
        alarm_notifications::show(&self.app, &self.shown, &alarm);
    }
}
