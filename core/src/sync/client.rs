//! Building requests and reading answers: the one place the engine meets HTTP. An answer
//! outside 2xx becomes a [`Failure`] through [`policy::classify`]; every answer that
//! carries the server's time updates the clock offset.

use serde::de::DeserializeOwned;

use super::engine::SyncEngine;
use super::policy::{self, Failure};
use super::{HttpHeader, HttpMethod, HttpRequest, RequestKind};
use crate::protocol::{ErrorBody, API_PREFIX};
use crate::store::sync_state::key;
use crate::time::Timestamp;

impl SyncEngine {
    pub(super) fn request(
        &self,
        kind: RequestKind,
        method: HttpMethod,
        path: &str,
        body: Vec<u8>,
        token: Option<&str>,
    ) -> HttpRequest {
        let mut headers = vec![HttpHeader {
            name: "Accept".into(),
            value: "application/json".into(),
        }];
        if let Some(t) = token {
            headers.push(HttpHeader {
                name: "Authorization".into(),
                value: format!("Bearer {t}"),
            });
        }
        if method != HttpMethod::Get {
            headers.push(HttpHeader {
                name: "Content-Type".into(),
                value: if kind == RequestKind::AttachmentChunk {
                    "application/octet-stream".into()
                } else {
                    "application/json".into()
                },
            });
        }
        HttpRequest {
            kind,
            method,
            url: format!(
                "{}{API_PREFIX}{path}",
                self.config.server_url.trim_end_matches('/')
            ),
            headers,
            body,
            timeout_ms: i64::try_from(self.request_timeout().as_millis()).unwrap_or(i64::MAX),
        }
    }

    /// Sends a request and classifies the answer; records the server's clock offset from
    /// any response that carries it.
    pub(super) fn call<T: DeserializeOwned>(
        &self,
        request: HttpRequest,
    ) -> std::result::Result<T, Failure> {
        let sent_at = self.store.now();
        let response = self
            .transport
            .send(request)
            .map_err(|e| Failure::transient(e.to_string()))?;
        let received_at = self.store.now();
        if (200..300).contains(&response.status) {
            let value: serde_json::Value = serde_json::from_slice(&response.body).map_err(|e| {
                Failure::transient(format!(
                    "unreadable response ({} bytes): {e}",
                    response.body.len()
                ))
            })?;
            self.note_server_time(&value, sent_at, received_at);
            return serde_json::from_value(value)
                .map_err(|e| Failure::transient(format!("unexpected response: {e}")));
        }
        let body: Option<ErrorBody> = serde_json::from_slice(&response.body).ok();
        if let Some(b) = &body {
            self.record_offset(b.server_time, sent_at, received_at);
        }
        // A status no server sends is no answer (a broken app transport).
        let Ok(status @ 100..=599) = u16::try_from(response.status) else {
            return Err(Failure::transient(format!(
                "the transport answered status {}",
                response.status
            )));
        };
        Err(policy::classify(
            status,
            body,
            response.header("Retry-After"),
        ))
    }

    fn note_server_time(&self, body: &serde_json::Value, sent: Timestamp, received: Timestamp) {
        let server = body
            .get("server_time")
            .and_then(|v| v.as_str())
            .and_then(|s| Timestamp::parse_rfc3339(s).ok());
        if let Some(server) = server {
            self.record_offset(server, sent, received);
        }
    }

    /// Keeps the server's clock minus the device's, from one exchange.
    fn record_offset(&self, server: Timestamp, sent: Timestamp, received: Timestamp) {
        let offset = server.as_millis() - midpoint(sent, received);
        // Best effort: the offset is information, never worth failing a pass over.
        let _ = self
            .store
            .set_sync_values(&[(key::CLOCK_OFFSET_MS, Some(&offset.to_string()))]);
    }
}

fn midpoint(a: Timestamp, b: Timestamp) -> i64 {
    a.as_millis() + (b.as_millis() - a.as_millis()) / 2
}

/// Percent-encodes a query value (the cursor is opaque and may hold anything).
pub(super) fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
