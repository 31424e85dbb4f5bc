//! What a handler takes from a request, each refusal already in the protocol's words.
//!
//! - [`Caller`]: the enrolled device behind `Authorization: Bearer <token>`, or
//!   `401 unauthorized`.
//! - [`ApiQuery`] and [`ApiPath`]: axum's typed `Query` and `Path`, a malformed one
//!   answered `400 bad_request`.
//! - [`BodyBytes`]: the whole body, at most `LIMIT` bytes, else `413 too_large`.
//! - [`BodyStream`]: the body as it arrives, for one that must never be held whole; a
//!   declared length over `LIMIT` is `413 too_large` before anything is read, and the
//!   reader enforces the limit on what actually arrives.
//!
//! An extractor that refuses leaves the body unread; the middleware reads what is left
//! before the answer goes out (see [`super::middleware`]).

use crate::store::OptionalExtension;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;

use super::answer::ApiError;
use crate::state::Server;

/// The address of the connection's peer, put on every request by the accept loop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeerAddress(pub std::net::IpAddr);

/// The client's address, for rate limits: the peer's, or the one the configured reverse
/// proxy names in `X-Forwarded-For` (see `limits::RateLimits::forwarded_by`). A request
/// that did not come through the accept loop counts as the unspecified address.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddress(pub std::net::IpAddr);

impl FromRequestParts<Server> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, server: &Server) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<PeerAddress>()
            .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |p| p.0);
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        Ok(ClientAddress(
            server.limits().client_address(peer, forwarded),
        ))
    }
}

/// The enrolled device a request's bearer token belongs to.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub device_id: String,
    pub organisation_id: String,
    pub officer_id: String,
}

impl Caller {
    /// `403 forbidden` unless `device_id` (as a request body names it) is this token's
    /// device: a device speaks only for itself.
    pub(crate) fn require_own(&self, device_id: &str) -> Result<(), ApiError> {
        if device_id == self.device_id {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "device_id is not the device this token was issued to",
            ))
        }
    }
}

impl FromRequestParts<Server> for Caller {
    type Rejection = ApiError;

    /// Checks the bearer token against the devices' token hashes (only hashes are
    /// stored), and names the device in the request's log span. A revoked device's token
    /// is answered `403 revoked`.
    async fn from_request_parts(parts: &mut Parts, server: &Server) -> Result<Self, ApiError> {
        match token_holder(parts, server).await? {
            (caller, false) => Ok(caller),
            (_, true) => Err(ApiError::revoked()),
        }
    }
}

/// The device behind the bearer token, only once the office revoked it: its last
/// contact (`POST /v1/revoked`). Another device is `403 forbidden`.
#[derive(Debug, Clone)]
pub(crate) struct RevokedCaller(pub Caller);

impl FromRequestParts<Server> for RevokedCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, server: &Server) -> Result<Self, ApiError> {
        match token_holder(parts, server).await? {
            (caller, true) => Ok(RevokedCaller(caller)),
            (_, false) => Err(ApiError::forbidden("this device is not revoked")),
        }
    }
}

/// The device a request's bearer token belongs to, and whether it is revoked.
async fn token_holder(parts: &Parts, server: &Server) -> Result<(Caller, bool), ApiError> {
    let token = bearer_token(&parts.headers).ok_or_else(ApiError::unauthorized)?;
    let token_hash = crate::secret::digest(token);
    let (caller, revoked) = server
        .read_small(move |c| {
            Ok(c.prepare_cached(
                "SELECT d.device_id, d.organisation_id, d.officer_id,
                            r.device_id IS NOT NULL
                     FROM device d LEFT JOIN device_revocation r USING (device_id)
                     WHERE d.token_hash = ?1",
            )?
            .query_row([token_hash], |r| {
                Ok((
                    Caller {
                        device_id: r.get(0)?,
                        organisation_id: r.get(1)?,
                        officer_id: r.get(2)?,
                    },
                    r.get::<_, bool>(3)?,
                ))
            })
            .optional()?)
        })
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    tracing::Span::current().record("device_id", tracing::field::display(&caller.device_id));
    Ok((caller, revoked))
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The query string, deserialised into `T`.
#[derive(Debug)]
pub(crate) struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            // The rejection's source names the field and what is wrong with it.
            Err(e) => Err(ApiError::bad_request(format!(
                "malformed query string: {}",
                std::error::Error::source(&e).map_or_else(|| e.to_string(), ToString::to_string)
            ))),
        }
    }
}

/// The path's parameters, deserialised into `T`.
#[derive(Debug)]
pub(crate) struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(e) => Err(ApiError::bad_request(format!("malformed path: {e}"))),
        }
    }
}

/// The whole request body, at most `LIMIT` bytes, each piece arriving within the
/// server's body timeout (else 408).
#[derive(Debug)]
pub(crate) struct BodyBytes<const LIMIT: usize>(pub Bytes);

impl<const LIMIT: usize> FromRequest<Server> for BodyBytes<LIMIT> {
    type Rejection = ApiError;

    async fn from_request(request: Request, server: &Server) -> Result<Self, ApiError> {
        let idle = server.timeouts().body_idle;
        let declared = declared_length::<LIMIT>(request.headers())?;
        let mut bytes = Vec::with_capacity(declared.map_or(0, |n| n as usize));
        let mut body = request.into_body();
        loop {
            let next = tokio::time::timeout(idle, body.frame());
            let Some(frame) = next.await.map_err(|_| ApiError::body_timeout())? else {
                break;
            };
            let frame =
                frame.map_err(|e| ApiError::bad_request(format!("reading the body: {e}")))?;
            if let Some(data) = frame.data_ref() {
                if bytes.len() + data.len() > LIMIT {
                    return Err(ApiError::too_large(LIMIT));
                }
                bytes.extend_from_slice(data);
            }
        }
        Ok(BodyBytes(bytes.into()))
    }
}

/// The request body as it arrives, declared at most `LIMIT` bytes long.
#[derive(Debug)]
pub(crate) struct BodyStream<const LIMIT: usize>(pub Body);

impl<const LIMIT: usize, S: Send + Sync> FromRequest<S> for BodyStream<LIMIT> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        declared_length::<LIMIT>(request.headers())?;
        Ok(BodyStream(request.into_body()))
    }
}

/// The `Content-Length` the client declared, refused at once if over `LIMIT`.
pub(crate) fn declared_length<const LIMIT: usize>(
    headers: &HeaderMap,
) -> Result<Option<u64>, ApiError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > LIMIT as u64 => Err(ApiError::too_large(LIMIT)),
        _ => Ok(declared),
    }
}
