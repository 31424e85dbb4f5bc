-- Version 10 -> 11: revoked devices (a phone lost or seized). The revocation is written
-- once, by the office; the device's confirmation (that it destroyed what it held, and
-- what it had not sent) once more, when its last contact brings it. Never deleted.
CREATE TABLE device_revocation (
    device_id TEXT PRIMARY KEY REFERENCES device (device_id),
    organisation_id TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    revoked_at INTEGER NOT NULL,
    revoked_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- The server's time the device's confirmation arrived (none: not yet).
    confirmed_at INTEGER,
    unsent_total INTEGER,
    -- JSON: the operations it named as unsent (kind, record id, created at).
    unsent TEXT
) STRICT;

CREATE TRIGGER device_revocation_is_kept BEFORE UPDATE OF
    device_id, organisation_id, officer_id, revoked_at, revoked_by, reason
    ON device_revocation
BEGIN SELECT RAISE(ABORT, 'a revocation is kept as it was made'); END;
CREATE TRIGGER device_revocation_confirmed_once BEFORE UPDATE OF confirmed_at
    ON device_revocation WHEN OLD.confirmed_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a revocation is confirmed once'); END;
CREATE TRIGGER device_revocation_no_delete BEFORE DELETE ON device_revocation
BEGIN SELECT RAISE(ABORT, 'revocations are kept'); END;
