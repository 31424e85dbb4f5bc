//! The built-in transport: blocking HTTP/1.1 over ureq with rustls, for the desktop, the
//! `cordon` tool and the tests. Phones use the app's own stack instead.

use std::time::Duration;

use super::transport::{
    HttpHeader, HttpMethod, HttpRequest, HttpResponse, Transport, TransportError,
};

/// Longest time one request may take, connection to last byte.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest response body read (responses are small JSON documents).
const MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

/// HTTP over ureq. Cheap to clone; keeps connections alive between requests.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    agent: ureq::Agent,
}

impl Default for HttpTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpTransport {
    pub fn new() -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .user_agent(concat!("cordon/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        HttpTransport { agent }
    }
}

impl HttpTransport {
    fn run<B: ureq::AsSendBody>(
        &self,
        request: ureq::http::Request<B>,
        timeout: Duration,
    ) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let request = self
            .agent
            .configure_request(request)
            .timeout_global(Some(timeout))
            .timeout_connect(Some(timeout.min(CONNECT_TIMEOUT)))
            .build();
        self.agent.run(request)
    }
}

fn network(e: impl std::fmt::Display) -> TransportError {
    TransportError::Network {
        detail: e.to_string(),
    }
}

impl Transport for HttpTransport {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut builder = ureq::http::Request::builder()
            .method(request.method.as_str())
            .uri(&request.url);
        for h in &request.headers {
            builder = builder.header(&h.name, &h.value);
        }
        // The engine's deadline for this request, within the agent's own bounds.
        let timeout = Duration::from_millis(u64::try_from(request.timeout_ms).unwrap_or(0))
            .min(REQUEST_TIMEOUT);
        let result = match request.method {
            HttpMethod::Get => self.run(builder.body(()).map_err(network)?, timeout),
            HttpMethod::Post | HttpMethod::Put => {
                self.run(builder.body(request.body).map_err(network)?, timeout)
            }
        };
        let mut response = result.map_err(network)?;
        let status = i32::from(response.status().as_u16());
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| HttpHeader {
                name: name.as_str().to_owned(),
                value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(network)?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}
