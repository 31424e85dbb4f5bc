-- Cordon schema version 1. Kept verbatim: new files run it and then every upgrade, so
-- a fresh database and an upgraded one are built by the same statements.

CREATE TABLE device (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    device_id TEXT NOT NULL,
    officer_id TEXT,
    created_at INTEGER NOT NULL,
    -- The highest outbox seq ever removed (acknowledged or discarded).
    seq_floor INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE assignment (
    id TEXT PRIMARY KEY,
    server_version INTEGER NOT NULL,
    status TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    received_at INTEGER NOT NULL
);

CREATE TABLE check_in (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    -- No foreign key: an alarm may name an assignment the device has not downloaded.
    assignment_id TEXT,
    occurred_at INTEGER NOT NULL,
    time_zone TEXT NOT NULL,
    location TEXT,
    tag_id TEXT,
    note TEXT,
    recorded_at INTEGER NOT NULL
);
CREATE INDEX check_in_by_assignment ON check_in(assignment_id, occurred_at);

CREATE TABLE incident_report (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('draft', 'submitted')),
    content TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    submitted_at INTEGER,
    content_hash TEXT
);

CREATE TABLE amendment (
    id TEXT PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES incident_report(id),
    sequence INTEGER NOT NULL,
    author TEXT NOT NULL,
    reason TEXT NOT NULL,
    changed_fields TEXT NOT NULL,
    patch TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    previous_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (report_id, sequence)
);

CREATE TABLE attachment (
    id TEXT PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES incident_report(id),
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    captured_at INTEGER NOT NULL
);
CREATE INDEX attachment_by_report ON attachment(report_id);

-- `seq` is the per-device sequence. It must never be reused, even after the
-- operations holding the highest numbers were acknowledged and removed, so each new one
-- takes max(highest queued, device.seq_floor) + 1, and removing operations raises
-- device.seq_floor. (Cheaper than AUTOINCREMENT, which rewrites sqlite_sequence on every
-- insert.)
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY,
    -- UUIDv7, the server's deduplication key. Not indexed: locally, seq is the key.
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    priority INTEGER NOT NULL,
    payload_version INTEGER NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_error TEXT
);
-- The normal lane is read straight from the table in seq order; the urgent and bulk
-- lanes, small and sparse, have partial indexes. A check-in write touches neither.
CREATE INDEX outbox_urgent ON outbox(seq) WHERE priority = 0 AND state = 'pending';
CREATE INDEX outbox_bulk ON outbox(seq) WHERE priority = 2 AND state = 'pending';
-- Per-record order. A check-in is its record's only operation, so it needs no entry.
CREATE INDEX outbox_by_entity ON outbox(entity_id, seq) WHERE kind != 'check_in.record';

-- Records that are evidence cannot be changed or removed, even by a bug in the core.
CREATE TRIGGER check_in_no_update BEFORE UPDATE ON check_in
BEGIN SELECT RAISE(ABORT, 'check-ins are append-only'); END;
CREATE TRIGGER check_in_no_delete BEFORE DELETE ON check_in
BEGIN SELECT RAISE(ABORT, 'check-ins are append-only'); END;
CREATE TRIGGER submitted_report_no_update BEFORE UPDATE ON incident_report
WHEN OLD.state = 'submitted'
BEGIN SELECT RAISE(ABORT, 'a submitted incident report is locked'); END;
CREATE TRIGGER submitted_report_no_delete BEFORE DELETE ON incident_report
WHEN OLD.state = 'submitted'
BEGIN SELECT RAISE(ABORT, 'a submitted incident report is locked'); END;
CREATE TRIGGER amendment_no_update BEFORE UPDATE ON amendment
BEGIN SELECT RAISE(ABORT, 'amendments are append-only'); END;
CREATE TRIGGER amendment_no_delete BEFORE DELETE ON amendment
BEGIN SELECT RAISE(ABORT, 'amendments are append-only'); END;
CREATE TRIGGER attachment_no_update BEFORE UPDATE ON attachment
BEGIN SELECT RAISE(ABORT, 'attachments are immutable'); END;
