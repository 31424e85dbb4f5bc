-- Version 5 -> 6: control-room operators, their sessions, and the audit log.

-- An operator of one organisation. Only an argon2id hash of the password is kept (PHC
-- string: algorithm, parameters, salt and hash).
CREATE TABLE operator (
    organisation_id TEXT NOT NULL,
    username TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('operator', 'supervisor')),
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, username)
) STRICT;

-- A signed-in operator's session. Only the SHA-256 of the cookie's token is kept; the
-- CSRF token is sent back on every state-changing request.
CREATE TABLE operator_session (
    token_hash TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL,
    username TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    FOREIGN KEY (organisation_id, username) REFERENCES operator (organisation_id, username)
) STRICT;

-- Every operator action, and every refusal of one, in order. Append-only. Never a
-- password, a token, a note or anything an officer wrote: who, what, which record.
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT,
    outcome TEXT NOT NULL,
    at INTEGER NOT NULL
) STRICT;
CREATE INDEX audit_by_organisation ON audit (organisation_id, seq);
CREATE TRIGGER audit_is_append_only_u BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_is_append_only_d BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
