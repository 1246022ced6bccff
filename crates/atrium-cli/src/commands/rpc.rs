//! `rpc`: one-way or two-way device commands.

use crate::session::Session;
use crate::{output, resolve};
use std::time::Duration;
use tb_client::RpcCall;

pub(crate) async fn run(
    session: &Session,
    json: bool,
    device: &str,
    method: &str,
    params: Option<serde_json::Value>,
    oneway: bool,
    timeout_ms: u64,
) -> anyhow::Result<()> {
    let device = resolve::device(&session.client, device).await?;
    let params = params.unwrap_or_else(|| serde_json::json!({}));
    let call = RpcCall::new(method, params).timeout(Duration::from_millis(timeout_ms));
    if oneway {
        session.client.rpc_oneway(device, &call).await?;
        return Ok(());
    }
    let reply = session.client.rpc_twoway(device, &call).await?;
    if json {
        output::line(reply)
    } else {
        output::line(serde_json::to_string_pretty(&reply)?)
    }
}
