//! The seam between the sync engine and the network.
//!
//! The engine speaks the protocol (paths, JSON, status codes, `Retry-After`); the
//! transport only carries HTTP. A host app implements [`Transport`] over its own stack
//! (OkHttp, URLSession) so that platform proxies, certificate pinning and background
//! sessions keep working, in a few lines and with no knowledge of the protocol.
//! [`RequestKind`] says what each request is for, so an app can, say, send attachment
//! chunks through a background session with a longer timeout. The built-in
//! [`HttpTransport`](super::HttpTransport) (feature `http`) serves the desktop, the
//! command-line tool and the tests.

/// What a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum RequestKind {
    Enrol,
    Push,
    Pull,
    AttachmentStatus,
    AttachmentChunk,
    /// A revoked device's last contact: what it had not sent.
    Revoked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum HttpMethod {
    Get,
    Post,
    Put,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

/// A request for the transport to send as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct HttpRequest {
    pub kind: RequestKind,
    pub method: HttpMethod,
    /// Absolute URL.
    pub url: String,
    pub headers: Vec<HttpHeader>,
    /// Empty for GET. At most one attachment chunk (about 1 MiB) or one push batch.
    pub body: Vec<u8>,
    /// How long the request may take, connecting included: set the stack's connect and
    /// read timeouts from it, and answer `TransportError::Network` when it runs out. The
    /// engine's request timeout, or less when the pass has less time left.
    pub timeout_ms: i64,
}

/// Whatever the server answered, any status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct HttpResponse {
    /// The HTTP status code (a value outside 100..=599 is treated as no answer).
    pub status: i32,
    pub headers: Vec<HttpHeader>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header called `name`, compared without regard to case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }
}

/// The request did not produce a response: no network, DNS, TLS, reset, timeout. The
/// engine treats every one of these as transient.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Error), uniffi::export(Display))]
pub enum TransportError {
    /// `detail` says what failed, for the sync status and the logs (one line).
    #[error("network error: {detail}")]
    Network { detail: String },
}

/// Carries the engine's HTTP requests. Called from the thread that runs the sync pass;
/// blocking is expected.
#[cfg_attr(feature = "uniffi", uniffi::export(with_foreign))]
pub trait Transport: Send + Sync {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

#[cfg(feature = "uniffi")]
impl From<uniffi::UnexpectedUniFFICallbackError> for TransportError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        TransportError::Network {
            detail: format!("the app's transport failed: {}", first_line(&e.reason)),
        }
    }
}

/// The first line of what a host language reported: Kotlin sends an exception's whole
/// stack trace, which must not end up in a sync status an app shows.
#[cfg(feature = "uniffi")]
pub(crate) fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_owned()
}
