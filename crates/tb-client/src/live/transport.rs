//! The seam between the actor and a real socket, so the actor is tested on an in-memory transport.

use crate::error::Error;
use futures_util::future::BoxFuture;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use std::pin::Pin;
use std::sync::Arc;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use url::Url;

/// A WebSocket frame as the actor sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Text(String),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    /// Code and reason, when the peer sent them.
    Close(Option<(u16, String)>),
}

pub type FrameSink = Pin<Box<dyn Sink<Frame, Error = Error> + Send>>;
pub type FrameStream = Pin<Box<dyn Stream<Item = Result<Frame, Error>> + Send>>;

/// Why a connection could not be opened.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectError {
    /// The upgrade was answered HTTP 404: the server has no such endpoint. For `/api/ws` that is a
    /// ThingsBoard older than 3.6.2, and the actor switches to the legacy telemetry endpoint.
    NotFound,
    /// The upgrade was answered HTTP 401. On the legacy endpoint of a server before 3.6.2 that is a
    /// refused `?token=`; on `/api/ws` (which a 3.6.2+ server never guards) a server that has no such
    /// endpoint and guards `/api/**` as a whole.
    Unauthorized,
    /// Anything else (refused, unreachable, TLS, another HTTP status).
    Other(Error),
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotFound => f.write_str("the server has no such WebSocket endpoint (HTTP 404)"),
            Self::Unauthorized => f.write_str("the server refused the WebSocket upgrade (HTTP 401)"),
            Self::Other(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ConnectError {}

impl From<Error> for ConnectError {
    fn from(e: Error) -> Self {
        Self::Other(e)
    }
}

/// Opens WebSocket connections.
pub trait Transport: Send + Sync + 'static {
    /// `url` may carry the access token (`?token=` on the legacy endpoint): never log it, and keep it
    /// out of errors.
    fn connect(&self, url: Url) -> BoxFuture<'static, Result<(FrameSink, FrameStream), ConnectError>>;
}

/// tokio-tungstenite on rustls, with the client's TLS configuration (private CA included).
#[derive(Debug, Clone)]
pub(crate) struct TungsteniteTransport {
    pub(crate) tls: Arc<rustls::ClientConfig>,
    pub(crate) max_message_bytes: usize,
}

impl Transport for TungsteniteTransport {
    fn connect(&self, url: Url) -> BoxFuture<'static, Result<(FrameSink, FrameStream), ConnectError>> {
        let tls = self.tls.clone();
        // A server's message (or frame) past this is an error, not an allocation.
        let config = WebSocketConfig::default()
            .max_message_size(Some(self.max_message_bytes))
            .max_frame_size(Some(self.max_message_bytes));
        Box::pin(async move {
            let host = url.host_str().unwrap_or("the server").to_owned();
            let connector = tokio_tungstenite::Connector::Rustls(tls);
            let (socket, _) = tokio_tungstenite::connect_async_tls_with_config(
                url.as_str(),
                Some(config),
                true,
                Some(connector),
            )
            .await
            .map_err(|e| classify(e, &host))?;
            let (sink, stream) = socket.split();
            let sink = sink.sink_map_err(|e| Error::Live(e.to_string())).with(|frame: Frame| async move {
                Ok::<_, Error>(match frame {
                    Frame::Text(t) => Message::text(t),
                    Frame::Ping(p) => Message::Ping(p.into()),
                    Frame::Pong(p) => Message::Pong(p.into()),
                    Frame::Close(c) => Message::Close(c.map(|(code, reason)| CloseFrame {
                        code: CloseCode::from(code),
                        reason: reason.into(),
                    })),
                })
            });
            let stream = stream.filter_map(|message| async move {
                match message {
                    Ok(Message::Text(t)) => Some(Ok(Frame::Text(t.to_string()))),
                    Ok(Message::Binary(b)) => Some(Ok(Frame::Text(String::from_utf8_lossy(&b).into_owned()))),
                    Ok(Message::Ping(p)) => Some(Ok(Frame::Ping(p.to_vec()))),
                    Ok(Message::Pong(p)) => Some(Ok(Frame::Pong(p.to_vec()))),
                    Ok(Message::Close(c)) => {
                        Some(Ok(Frame::Close(c.map(|f| (u16::from(f.code), f.reason.to_string())))))
                    }
                    Ok(Message::Frame(_)) => None,
                    Err(tokio_tungstenite::tungstenite::Error::Capacity(e)) => {
                        Some(Err(Error::Live(format!("the server sent a message too large to read ({e})"))))
                    }
                    Err(e) => Some(Err(Error::Live(e.to_string()))),
                }
            });
            Ok((Box::pin(sink) as FrameSink, Box::pin(stream) as FrameStream))
        })
    }
}

/// Only the host goes into the error: the URL may carry a token.
fn classify(err: tokio_tungstenite::tungstenite::Error, host: &str) -> ConnectError {
    use crate::error::ConnectFailure;
    use tokio_tungstenite::tungstenite::Error as WsError;
    match &err {
        WsError::Io(io) => {
            let kind = match io.kind() {
                std::io::ErrorKind::ConnectionRefused => ConnectFailure::Refused,
                _ if io.to_string().contains("lookup") => ConnectFailure::Dns,
                _ => ConnectFailure::Unreachable,
            };
            Error::Connect { kind, host: host.to_owned(), detail: io.to_string() }.into()
        }
        WsError::Tls(e) => {
            Error::Connect { kind: ConnectFailure::Tls, host: host.to_owned(), detail: e.to_string() }.into()
        }
        WsError::Http(response) if response.status() == 404 => ConnectError::NotFound,
        WsError::Http(response) if response.status() == 401 => ConnectError::Unauthorized,
        WsError::Http(response) => {
            Error::Live(format!("the server refused the WebSocket upgrade (HTTP {})", response.status()))
                .into()
        }
        // `Url` errors can quote the URL; say only what kind of problem it is.
        WsError::Url(_) => Error::Live(format!("the WebSocket address of '{host}' is not usable")).into(),
        _ => Error::Live(err.to_string()).into(),
    }
}
