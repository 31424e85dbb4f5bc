//! Control-room operators: accounts per organisation with a role, argon2id password
//! hashes, sessions that expire, and the append-only audit log of what they did.
//!
//! - **Accounts** are made by the office (`cordon admin operator add`); a password is kept
//!   only as an argon2id hash (memory-hard), verified in constant time by the crate.
//! - **Sessions**: a login gives a random token (the console's cookie; only its SHA-256
//!   is stored) and a CSRF token the console sends back on every state-changing request.
//!   A session ends after [`SESSION_IDLE`] without use or [`SESSION_MAX`] after login,
//!   whichever is first, on the server's clock.
//! - **Scope**: a session names its organisation; everything an operator reads or does
//!   goes through it, so no operator reaches another organisation's records.
//! - **Audit**: every action and every refusal of one (a failed login included) is a row
//!   of `audit`: who, what, which record, the outcome, the server's time. Never a
//!   password, a token or a note.

use std::sync::OnceLock;
use std::time::Duration;

use crate::store::{Conn, OptionalExtension};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use cordon_core::model::validate::{required_text, MAX_SHORT_TEXT};
use cordon_core::{hex, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::state::Server;

/// A session unused this long has ended.
pub const SESSION_IDLE: Duration = Duration::from_secs(30 * 60);
/// A session ends this long after login, used or not (a control-room shift).
pub const SESSION_MAX: Duration = Duration::from_secs(12 * 3600);
/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 12;
/// The longest password accepted (hashing is deliberately slow; bound the input).
pub const MAX_PASSWORD: usize = 1024;

/// What an operator may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Watches alarms and officers, acknowledges and resolves alarms.
    Operator,
    /// As an operator, and also reads the audit log and sets the escalation limit.
    Supervisor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Supervisor => "supervisor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Operator, Role::Supervisor]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// An operator account (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    pub organisation_id: String,
    pub username: String,
    pub role: Role,
}

/// A signed-in operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The cookie's value. Shown once, at login; only its hash is stored.
    pub token: String,
    pub csrf_token: String,
    pub operator: Operator,
    pub expires_at: Timestamp,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub organisation_id: String,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    /// `ok`, or the refusal's code.
    pub outcome: String,
    pub at: Timestamp,
}

fn validate_username(username: &str) -> Result<()> {
    required_text("username", username, 64)?;
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
    {
        return Err(Error::invalid(
            "username",
            "letters, digits and . - _ @ only",
        ));
    }
    Ok(())
}

fn validate_password(password: &str) -> Result<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD {
        return Err(Error::invalid(
            "password",
            format!("at least {MIN_PASSWORD} characters"),
        ));
    }
    if password.len() > MAX_PASSWORD {
        return Err(Error::invalid(
            "password",
            format!("at most {MAX_PASSWORD} bytes"),
        ));
    }
    Ok(())
}

fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| Error::Storage(format!("salt: {e}")))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| Error::Storage(format!("hashing a password: {e}")))?
        .to_string())
}

fn password_matches(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A hash no password matches, verified when the username is unknown so that a failed
/// login takes as long whether or not the account exists.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password(&hex(&rand::random::<[u8; 32]>())).unwrap_or_default())
}

/// Makes an operator account (or sets a new password and role for an existing one).
/// Audited with `actor` (the office's tool says `admin`).
pub fn add_operator(
    server: &Server,
    organisation_id: &str,
    username: &str,
    role: Role,
    password: &str,
    actor: &str,
) -> Result<Operator> {
    required_text("organisation", organisation_id, MAX_SHORT_TEXT)?;
    validate_username(username)?;
    validate_password(password)?;
    let hash = hash_password(password)?;
    let now = server.now();
    server.write(|tx| {
        tx.execute(
            "INSERT INTO operator (organisation_id, username, role, password_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (organisation_id, username) DO UPDATE SET
                 role = excluded.role, password_hash = excluded.password_hash",
            rusqlite::params![organisation_id, username, role.as_str(), hash, now],
        )?;
        // A new password ends the sessions of the old one.
        tx.execute(
            "DELETE FROM operator_session WHERE organisation_id = ?1 AND username = ?2",
            [organisation_id, username],
        )?;
        audit(
            tx,
            organisation_id,
            actor,
            "operator.add",
            Some(username),
            "ok",
            now,
        )?;
        Ok(())
    })?;
    Ok(Operator {
        organisation_id: organisation_id.to_owned(),
        username: username.to_owned(),
        role,
    })
}

/// Every operator of every organisation.
pub fn operators(server: &Server) -> Result<Vec<Operator>> {
    server.read(|c| {
        let rows: Vec<(String, String, String)> = c
            .prepare("SELECT organisation_id, username, role FROM operator ORDER BY 1, 2")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(organisation_id, username, role)| {
                Ok(Operator {
                    role: Role::parse(&role)
                        .ok_or_else(|| Error::Storage(format!("operator role {role}")))?,
                    organisation_id,
                    username,
                })
            })
            .collect()
    })
}

/// Signs an operator in: a new session, or `Unauthenticated` (the same answer for an
/// unknown organisation, an unknown username and a wrong password). Audited either way.
pub fn login(
    server: &Server,
    organisation_id: &str,
    username: &str,
    password: &str,
) -> Result<Session> {
    let refused = || Error::Unauthenticated("organisation, username or password is wrong".into());
    // Bounded before hashing; the refusal says no more than a wrong password would.
    if organisation_id.len() > MAX_SHORT_TEXT
        || username.len() > 64
        || password.len() > MAX_PASSWORD
    {
        return Err(refused());
    }
    let found: Option<(String, String)> = server.read(|c| {
        Ok(c.prepare_cached(
            "SELECT role, password_hash FROM operator WHERE organisation_id = ?1 AND username = ?2",
        )?
        .query_row([organisation_id, username], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
    })?;
    let matched = match &found {
        Some((_, hash)) => password_matches(password, hash),
        None => {
            password_matches(password, decoy_hash());
            false
        }
    };
    let now = server.now();
    let (true, Some((role, _))) = (matched, found) else {
        server.write(|tx| audit(tx, organisation_id, username, "login", None, "refused", now))?;
        tracing::info!("operator login refused");
        return Err(refused());
    };
    let role = Role::parse(&role).ok_or_else(|| Error::Storage(format!("operator role {role}")))?;
    let token = crate::secret::new_token();
    let csrf_token = crate::secret::new_token();
    let expires_at = now.plus(SESSION_MAX);
    server.write(|tx| {
        tx.execute(
            "INSERT INTO operator_session (token_hash, organisation_id, username, csrf_token,
                                           created_at, last_seen_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
            rusqlite::params![
                crate::secret::digest(&token),
                organisation_id,
                username,
                csrf_token,
                now,
                expires_at
            ],
        )?;
        // Sessions that ended are of no more use to anyone.
        tx.execute(
            "DELETE FROM operator_session WHERE expires_at <= ?1 OR last_seen_at <= ?2",
            rusqlite::params![
                now,
                Timestamp::from_millis(now.as_millis() - SESSION_IDLE.as_millis() as i64)
            ],
        )?;
        audit(tx, organisation_id, username, "login", None, "ok", now)
    })?;
    Ok(Session {
        token,
        csrf_token,
        operator: Operator {
            organisation_id: organisation_id.to_owned(),
            username: username.to_owned(),
            role,
        },
        expires_at,
    })
}

/// The session a cookie's token belongs to, if it has not ended; using it keeps it alive
/// for another [`SESSION_IDLE`] (never past its [`SESSION_MAX`]).
pub fn session(server: &Server, token: &str) -> Result<Session> {
    let ended = || Error::Unauthenticated("no session, or it has ended; sign in again".into());
    let token_hash = crate::secret::digest(token);
    let now = server.now();
    type Row = (String, String, String, String, Timestamp, Timestamp);
    let row: Option<Row> = server.read(|c| {
        Ok(c.prepare_cached(
            "SELECT s.organisation_id, s.username, o.role, s.csrf_token, s.last_seen_at,
                    s.expires_at
             FROM operator_session s JOIN operator o
               ON o.organisation_id = s.organisation_id AND o.username = s.username
             WHERE s.token_hash = ?1",
        )?
        .query_row([&token_hash], |r| Row::try_from(r))
        .optional()?)
    })?;
    let Some((organisation_id, username, role, csrf_token, last_seen_at, expires_at)) = row else {
        return Err(ended());
    };
    if now >= expires_at || now >= last_seen_at.plus(SESSION_IDLE) {
        return Err(ended());
    }
    // Write the use at most once a minute: a console polls, and every write is a commit.
    if now >= last_seen_at.plus(Duration::from_secs(60)) {
        server.write(|tx| {
            tx.execute(
                "UPDATE operator_session SET last_seen_at = ?1 WHERE token_hash = ?2",
                rusqlite::params![now, token_hash],
            )?;
            Ok(())
        })?;
    }
    Ok(Session {
        token: token.to_owned(),
        csrf_token,
        operator: Operator {
            role: Role::parse(&role)
                .ok_or_else(|| Error::Storage(format!("operator role {role}")))?,
            organisation_id,
            username,
        },
        expires_at,
    })
}

/// Ends a session (signing out). Audited.
pub fn logout(server: &Server, session: &Session) -> Result<()> {
    let now = server.now();
    server.write(|tx| {
        tx.execute(
            "DELETE FROM operator_session WHERE token_hash = ?1",
            [crate::secret::digest(&session.token)],
        )?;
        audit(
            tx,
            &session.operator.organisation_id,
            &session.operator.username,
            "logout",
            None,
            "ok",
            now,
        )
    })
}

/// Whether `given` is the session's CSRF token (compared in constant time).
pub fn csrf_matches(session: &Session, given: &str) -> bool {
    let (a, b) = (session.csrf_token.as_bytes(), given.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Appends one line to the audit log.
pub(crate) fn audit(
    c: &Conn,
    organisation_id: &str,
    actor: &str,
    action: &str,
    subject: Option<&str>,
    outcome: &str,
    now: Timestamp,
) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO audit (organisation_id, actor, action, subject, outcome, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(rusqlite::params![
        organisation_id,
        actor,
        action,
        subject,
        outcome,
        now
    ])?;
    Ok(())
}

/// [`audit`] in its own transaction (a refusal, after the refused action rolled back, or
/// an action that ran its own transaction).
pub fn audit_refusal(
    server: &Server,
    operator: &Operator,
    action: &str,
    subject: Option<&str>,
    outcome: &str,
) -> Result<()> {
    let now = server.now();
    server.write(|tx| {
        audit(
            tx,
            &operator.organisation_id,
            &operator.username,
            action,
            subject,
            outcome,
            now,
        )
    })
}

/// The organisation's audit log, newest first (at most `limit` lines).
pub fn audit_log(server: &Server, organisation_id: &str, limit: usize) -> Result<Vec<AuditEntry>> {
    server.read(|c| {
        Ok(c.prepare_cached(
            "SELECT seq, organisation_id, actor, action, subject, outcome, at FROM audit
             WHERE organisation_id = ?1 ORDER BY seq DESC LIMIT ?2",
        )?
        .query_map(rusqlite::params![organisation_id, limit as i64], |r| {
            Ok(AuditEntry {
                seq: r.get(0)?,
                organisation_id: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                subject: r.get(4)?,
                outcome: r.get(5)?,
                at: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?)
    })
}
