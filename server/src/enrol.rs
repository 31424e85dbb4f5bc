//! Enrolment: one-time codes made by the office, redeemed by a device for its token.
//!
//! Codes are 16 characters of Crockford's base 32 (80 random bits) shown in groups of
//! four (`K7QX-2M9P-4HCE-W8RD`). An officer may type one, so redemption ignores case,
//! dashes and spaces and reads `O` as `0` and `I`/`L` as `1`. Tokens are 32 random bytes
//! in hex. Only SHA-256 of the normalised code and of the token is stored: a copy of the
//! database lets nobody enrol or act as a device.

use crate::store::OptionalExtension;
use axum::extract::State;
use cordon_core::protocol::{EnrolRequest, EnrolResponse};
use cordon_core::Timestamp;
use rand::RngExt;

use crate::error::Result;
use crate::http::{ApiError, BodyBytes, ClientAddress, Reply};
use crate::secret::{digest, new_token};
use crate::state::Server;

/// Crockford's base 32: no I, L, O or U, so nothing reads as something else.
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_CHARS: usize = 16;
/// An enrolment request is a code and a device id: a few hundred bytes at most.
const MAX_ENROL_BYTES: usize = 16 * 1024;

/// A fresh code, formatted in groups of four.
pub(crate) fn new_code() -> String {
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..CODE_CHARS)
        .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
        .collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The code as hashed: upper case, without separators, with look-alikes folded.
pub(crate) fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

/// Stores a new code for `officer` of `organisation`, valid until `expires_at`.
pub(crate) fn create_code(
    server: &Server,
    organisation_id: &str,
    officer_id: &str,
    expires_at: Timestamp,
) -> Result<String> {
    let code = new_code();
    let now = server.now();
    server.write(|tx| {
        tx.execute(
            "INSERT INTO enrolment_code (code_hash, organisation_id, officer_id, created_at,
                                         expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![
                digest(&normalise_code(&code)),
                organisation_id,
                officer_id,
                now,
                expires_at
            ],
        )?;
        Ok(())
    })?;
    Ok(code)
}

enum Redeemed {
    Enrolled(EnrolResponse),
    Refused,
}

/// How long the device that redeemed a code may redeem it again.
const REDEEM_AGAIN_WINDOW_MS: i64 = 10 * 60 * 1000;

/// Redeems a code in one transaction: the code is marked used and the device's token set
/// together, or neither. A refusal burns nothing.
fn redeem(server: &Server, code: &str, device_id: &str, now: Timestamp) -> Result<Redeemed> {
    let code_hash = digest(&normalise_code(code));
    let token = new_token();
    server.write(|tx| {
        // A code works once; the device that redeemed it may redeem it again for a
        // little while (its first answer may have been lost on the way back), which
        // replaces the token issued the first time.
        let grant: Option<(String, String)> = tx
            .query_row(
                "SELECT organisation_id, officer_id FROM enrolment_code
                 WHERE code_hash = ?1 AND expires_at > ?2
                   AND (redeemed_at IS NULL OR (redeemed_by = ?3 AND redeemed_at > ?4))",
                rusqlite::params![
                    code_hash,
                    now,
                    device_id,
                    now.as_millis() - REDEEM_AGAIN_WINDOW_MS
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((organisation_id, officer_id)) = grant else {
            return Ok(Redeemed::Refused);
        };
        // A device id is the device's own choice: it may not be carried into another
        // organisation or to another officer (its records, its queue and its old token
        // belong to the first). Otherwise any officer could take over a colleague's
        // phone by its id; a shared phone gets a fresh store for each officer.
        let enrolled_as: Option<(String, String)> = tx
            .query_row(
                "SELECT organisation_id, officer_id FROM device WHERE device_id = ?1",
                [device_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if enrolled_as.is_some_and(|(org, officer)| org != organisation_id || officer != officer_id)
        {
            return Ok(Redeemed::Refused);
        }
        // A revoked device stays revoked: a phone found again starts with a new store
        // (and a new device id), never with the old one's.
        let revoked: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM device_revocation WHERE device_id = ?1)",
            [device_id],
            |r| r.get(0),
        )?;
        if revoked {
            return Ok(Redeemed::Refused);
        }
        tx.execute(
            "UPDATE enrolment_code SET redeemed_at = ?2, redeemed_by = ?3 WHERE code_hash = ?1",
            rusqlite::params![code_hash, now, device_id],
        )?;
        tx.execute(
            "INSERT INTO device (device_id, organisation_id, officer_id, token_hash, enrolled_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (device_id) DO UPDATE SET
                 officer_id = excluded.officer_id, token_hash = excluded.token_hash,
                 enrolled_at = excluded.enrolled_at",
            rusqlite::params![device_id, organisation_id, officer_id, digest(&token), now],
        )?;
        Ok(Redeemed::Enrolled(EnrolResponse {
            server_time: now,
            token,
            device_id: device_id.to_owned(),
            officer_id,
            organisation_id,
        }))
    })
}

/// `POST /v1/enrol`.
pub(crate) async fn handle(
    State(server): State<Server>,
    ClientAddress(address): ClientAddress,
    BodyBytes(body): BodyBytes<MAX_ENROL_BYTES>,
) -> Result<Reply<EnrolResponse>, ApiError> {
    server
        .limits()
        .enrolment(address)
        .map_err(|wait| ApiError::too_many_requests("enrolment attempts", wait))?;
    let request: EnrolRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid enrolment request: {e}")))?;
    if uuid::Uuid::parse_str(&request.device_id).is_err() {
        return Err(ApiError::bad_request("device_id must be a UUID"));
    }
    let device_id = request.device_id;
    tracing::Span::current().record("device_id", tracing::field::display(&device_id));
    let now = server.now();
    let outcome = server
        .blocking(move |s| redeem(s, &request.code, &device_id, now))
        .await?;
    match outcome {
        // Never the code or the token: either would let the reader enrol or act as
        // the device.
        Redeemed::Enrolled(response) => {
            tracing::info!(
                officer_id = %response.officer_id,
                organisation_id = %response.organisation_id,
                "device enrolled"
            );
            Ok(Reply(response))
        }
        Redeemed::Refused => {
            tracing::info!("enrolment refused");
            Err(ApiError::enrolment_refused())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_four_groups_of_four_from_the_alphabet() {
        let code = new_code();
        let groups: Vec<&str> = code.split('-').collect();
        assert_eq!(groups.len(), 4);
        assert!(groups
            .iter()
            .all(|g| g.len() == 4 && g.bytes().all(|b| CODE_ALPHABET.contains(&b))));
        assert_ne!(code, new_code());
    }

    #[test]
    fn a_typed_code_normalises_to_the_issued_one() {
        assert_eq!(normalise_code("k7qx-2m9p 4hce-w8rd"), "K7QX2M9P4HCEW8RD");
        assert_eq!(normalise_code("O1IL"), normalise_code("0111"));
    }
}
