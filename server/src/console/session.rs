//! The signed-in operator of a console request: the session cookie, and for every
//! request that changes something, the session's CSRF token in `X-CSRF-Token`.

use axum::extract::FromRequestParts;
use axum::http::header::COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};

use crate::error::Error;
use crate::http::ApiError;
use crate::operators::{self, Session};
use crate::state::Server;

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "cordon_session";

/// The header that carries the CSRF token.
const CSRF_HEADER: &str = "x-csrf-token";

/// A request of a signed-in operator (with the CSRF token, if it changes anything).
pub(crate) struct Signed(pub Session);

impl FromRequestParts<Server> for Signed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, server: &Server) -> Result<Self, ApiError> {
        let token = session_token(&parts.headers)
            .ok_or_else(|| Error::Unauthenticated("sign in first".into()))?
            .to_owned();
        let session = server
            .blocking(move |s| operators::session(s, &token))
            .await?;
        let changes = !matches!(parts.method, Method::GET | Method::HEAD);
        if changes {
            let given = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !operators::csrf_matches(&session, given) {
                let operator = session.operator.clone();
                let action = parts.uri.path().to_owned();
                server
                    .blocking(move |s| {
                        operators::audit_refusal(s, &operator, &action, None, "csrf_refused")
                    })
                    .await?;
                return Err(Error::Forbidden("missing or wrong CSRF token".into()).into());
            }
        }
        Ok(Signed(session))
    }
}

fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
        .filter(|v| !v.is_empty())
}

/// Whether the request reached the office over TLS (through a proxy that says so).
pub(crate) fn over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// The session cookie holding `token` for `max_age_secs` (0 clears it).
pub(crate) fn cookie(token: &str, secure: bool, max_age_secs: u64) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{SESSION_COOKIE}={token}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    );
    // Tokens are hex: the header is always valid.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}
