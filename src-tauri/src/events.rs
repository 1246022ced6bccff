//! Core notifications as Tauri events.

use atrium_core::UiEvents;
use atrium_ipc::{event, AppError, ConnectionState};
use tauri::{AppHandle, Emitter, Runtime};

pub(crate) struct TauriEvents<R: Runtime> {
    app: AppHandle<R>,
}

impl<R: Runtime> TauriEvents<R> {
    pub(crate) fn new(app: AppHandle<R>) -> Self {
        Self { app }
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
}
