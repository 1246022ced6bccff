//! The embedded demo building: ThingsBoard's stand-in started in this process, with its tenant
//! administrator signed in. The app and the CLI both open it through here.

use crate::app_error::to_app_error;
use atrium_ipc::{AppError, ErrorCode};
use tb_client::{Client, Principal, Secret};
use tb_emulator::{Emulator, EmulatorConfig};

/// A running demo server and a client signed in to it; the server serves until [`DemoBuilding::stop`].
#[derive(Debug)]
pub struct DemoBuilding {
    server: Emulator,
    client: Client,
    principal: Principal,
}

impl DemoBuilding {
    /// Starts the demo building on 127.0.0.1 and signs in as its tenant administrator.
    pub async fn open() -> Result<DemoBuilding, AppError> {
        let server = Emulator::start(EmulatorConfig::demo()).await.map_err(|e| {
            AppError::new(ErrorCode::Internal, format!("The demo building could not start: {e}"), false)
        })?;
        let admin = server.users().into_iter().find(|u| u.authority == "TENANT_ADMIN").ok_or_else(|| {
            AppError::new(ErrorCode::Internal, "The demo building has no administrator.", false)
        })?;
        let client = Client::builder(server.base_url()).build().map_err(|e| to_app_error(&e))?;
        let principal =
            client.login(&admin.email, &Secret::new(admin.password)).await.map_err(|e| to_app_error(&e))?;
        Ok(DemoBuilding { server, client, principal })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The server, for the parts of a session that outlive the client handle.
    pub(crate) fn into_server(self) -> Emulator {
        self.server
    }

    /// Stops the server (the client's requests fail from then on).
    pub async fn stop(self) {
        self.server.shutdown().await;
    }
}
