-- Cordon schema version 1. Kept verbatim: new files run it and then every upgrade, so
-- a fresh database and an upgraded one are built by the same statements.

CREATE TABLE device (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    device_id TEXT NOT NULL,
    officer_id TEXT,
    created_at INTEGER NOT NULL
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
    assignment_id TEXT REFERENCES assignment(id),
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

-- AUTOINCREMENT: the per-device sequence must never be reused, even after the
-- operations that held the highest numbers were acknowledged and deleted.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
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
CREATE INDEX outbox_ready ON outbox(state, priority, seq);
CREATE INDEX outbox_by_entity ON outbox(entity_id, seq);

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
