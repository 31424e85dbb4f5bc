-- The reference server's schema, version 1. Instants are integer milliseconds since the
-- Unix epoch (UTC). Bodies received from devices are kept as the JSON they arrived in,
-- after validation, so the office holds exactly what the officer wrote.

-- One-time enrolment codes. Only the SHA-256 of the (normalised) code is kept.
CREATE TABLE enrolment_code (
    code_hash TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    redeemed_at INTEGER,
    redeemed_by TEXT
) STRICT;

-- Enrolled devices. Only the SHA-256 of the current token is kept; enrolling again
-- replaces it, which revokes the old token.
CREATE TABLE device (
    device_id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    enrolled_at INTEGER NOT NULL
) STRICT;

-- Every record a device created, whatever its family: who owns it, its version on the
-- server and the highest operation seq applied to it (the per-record order check).
CREATE TABLE record (
    id TEXT PRIMARY KEY,
    family TEXT NOT NULL CHECK (family IN ('check_in', 'report', 'attachment')),
    organisation_id TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    device_id TEXT NOT NULL REFERENCES device (device_id),
    server_version INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- WITHOUT ROWID here and on `record` and `receipt`: keyed by text ids, they are one
-- B-tree each instead of a table and its key index, which halves what a push writes.
CREATE TABLE check_in (
    id TEXT PRIMARY KEY REFERENCES record (id),
    kind TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    body TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX check_in_by_time ON check_in (occurred_at, id);

-- A report: `content` is the latest draft, or the content as sealed at submission
-- (amendments are kept beside it, never folded in).
CREATE TABLE report (
    id TEXT PRIMARY KEY REFERENCES record (id),
    state TEXT NOT NULL CHECK (state IN ('draft', 'submitted')),
    content TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    submitted_at INTEGER,
    content_hash TEXT,
    -- The attachments' metadata as sealed into content_hash.
    sealed_attachments TEXT,
    -- The newest link of the hash chain: content_hash, then each amendment's hash.
    head_hash TEXT,
    amendments INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE amendment (
    report_id TEXT NOT NULL REFERENCES report (id),
    sequence INTEGER NOT NULL,
    id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (report_id, sequence)
) STRICT;

-- Attachment bytes, one per organisation and SHA-256 (two attachments of one
-- organisation with the same bytes share them). The bytes are in `<db>.blobs/<id>`.
CREATE TABLE blob (
    id INTEGER PRIMARY KEY,
    organisation_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    received_bytes INTEGER NOT NULL DEFAULT 0,
    completed_at INTEGER,
    UNIQUE (organisation_id, sha256)
) STRICT;

CREATE TABLE attachment (
    id TEXT PRIMARY KEY REFERENCES record (id),
    report_id TEXT NOT NULL REFERENCES report (id),
    blob_id INTEGER NOT NULL REFERENCES blob (id),
    body TEXT NOT NULL
) STRICT;
CREATE INDEX attachment_by_report ON attachment (report_id);

-- One receipt per operation a device sent: the verdict a replay gets again.
CREATE TABLE receipt (
    device_id TEXT NOT NULL,
    operation_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('applied', 'rejected')),
    reason TEXT,
    server_version INTEGER,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, operation_id)
) STRICT, WITHOUT ROWID;

-- Assignments as the office issued them; ids are the office's, unique per organisation.
CREATE TABLE assignment (
    organisation_id TEXT NOT NULL,
    id TEXT NOT NULL,
    server_version INTEGER NOT NULL,
    body TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, id)
) STRICT;

-- Who is on an assignment, and in what role.
CREATE TABLE assignment_officer (
    organisation_id TEXT NOT NULL,
    assignment_id TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (organisation_id, assignment_id, officer_id),
    FOREIGN KEY (organisation_id, assignment_id) REFERENCES assignment (organisation_id, id)
) STRICT;

CREATE TABLE review (
    id INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES report (id),
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'returned')),
    reviewer TEXT NOT NULL,
    note TEXT,
    reviewed_at INTEGER NOT NULL
) STRICT;
CREATE INDEX review_by_report ON review (report_id, id);

-- The pull feed: per officer, in cursor order. AUTOINCREMENT so that a cursor is never
-- reused, even after the newest entry is superseded and deleted.
CREATE TABLE feed (
    cursor INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('assignment', 'report_review')),
    subject TEXT NOT NULL,
    body TEXT NOT NULL
) STRICT;
CREATE INDEX feed_by_officer ON feed (organisation_id, officer_id, cursor);
CREATE INDEX feed_by_subject ON feed (organisation_id, officer_id, kind, subject);
