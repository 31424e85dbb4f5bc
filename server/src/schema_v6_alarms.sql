-- Version 4 -> 5: the control room's alarms, and what the dead-man timer reads.

-- Per organisation: how long an alarm may stay unacknowledged before it is escalated.
-- No row: the default (see alarms::DEFAULT_ESCALATION).
CREATE TABLE organisation_setting (
    organisation_id TEXT PRIMARY KEY,
    escalate_after_secs INTEGER NOT NULL CHECK (escalate_after_secs BETWEEN 10 AND 86400)
) STRICT;

-- An alarm as raised; never changed afterwards. Duress and panic name the check-in that
-- raised them (one alarm per check-in); an overdue alarm names the deadline that passed
-- (one alarm per officer, assignment and deadline). NULLs are distinct in UNIQUE.
CREATE TABLE alarm (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('duress', 'panic', 'overdue')),
    officer_id TEXT NOT NULL,
    device_id TEXT,
    assignment_id TEXT,
    check_in_id TEXT,
    -- Duress/panic: when the device says it happened. Overdue: the deadline that passed.
    occurred_at INTEGER NOT NULL,
    -- The check-in's location and note as JSON, shown to operators as text.
    location TEXT,
    note TEXT,
    raised_at INTEGER NOT NULL,
    UNIQUE (organisation_id, check_in_id),
    UNIQUE (organisation_id, officer_id, assignment_id, kind, occurred_at)
) STRICT;
CREATE INDEX alarm_by_organisation ON alarm (organisation_id, raised_at);

-- An alarm's life, one event per step, in `seq` order: server time and who did it.
CREATE TABLE alarm_event (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    alarm_id TEXT NOT NULL REFERENCES alarm (id),
    organisation_id TEXT NOT NULL,
    kind TEXT NOT NULL
        CHECK (kind IN ('raised', 'acknowledged', 'escalated', 'explained', 'resolved')),
    at INTEGER NOT NULL,
    -- An operator's username, or `system` (the server's own timer), or `device:<id>`.
    actor TEXT NOT NULL,
    note TEXT,
    outcome TEXT,
    police_reference TEXT,
    -- Explained: the check-in that accounted for the officer.
    check_in_id TEXT,
    check_in_kind TEXT,
    check_in_at INTEGER
) STRICT;
CREATE INDEX alarm_event_by_alarm ON alarm_event (alarm_id, seq);
CREATE INDEX alarm_event_by_organisation ON alarm_event (organisation_id, seq);

CREATE TRIGGER alarm_is_append_only_u BEFORE UPDATE ON alarm
BEGIN SELECT RAISE(ABORT, 'alarms are append-only'); END;
CREATE TRIGGER alarm_is_append_only_d BEFORE DELETE ON alarm
BEGIN SELECT RAISE(ABORT, 'alarms are append-only'); END;
CREATE TRIGGER alarm_event_is_append_only_u BEFORE UPDATE ON alarm_event
BEGIN SELECT RAISE(ABORT, 'alarm events are append-only'); END;
CREATE TRIGGER alarm_event_is_append_only_d BEFORE DELETE ON alarm_event
BEGIN SELECT RAISE(ABORT, 'alarm events are append-only'); END;

-- The latest check-in (by the device's occurred_at, then id, as the phone orders them)
-- of each officer on each assignment: the welfare clock's start.
CREATE TABLE last_check_in (
    organisation_id TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    assignment_id TEXT NOT NULL,
    check_in_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, officer_id, assignment_id)
) STRICT;

-- The latest check-in with a location, per officer.
CREATE TABLE last_position (
    organisation_id TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    check_in_id TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    latitude REAL NOT NULL,
    longitude REAL NOT NULL,
    accuracy_m REAL,
    fix_time INTEGER,
    PRIMARY KEY (organisation_id, officer_id)
) STRICT;

INSERT INTO last_check_in
SELECT organisation_id, officer_id, assignment_id, id, kind, occurred_at, received_at FROM (
    SELECT r.organisation_id, r.officer_id, json_extract(c.body, '$.assignment_id') AS assignment_id,
           c.id, c.kind, c.occurred_at, r.received_at,
           row_number() OVER (
               PARTITION BY r.organisation_id, r.officer_id, json_extract(c.body, '$.assignment_id')
               ORDER BY c.occurred_at DESC, c.id DESC) AS n
    FROM check_in c JOIN record r ON r.organisation_id = c.organisation_id AND r.id = c.id
    WHERE json_extract(c.body, '$.assignment_id') IS NOT NULL)
WHERE n = 1;

INSERT INTO last_position
SELECT organisation_id, officer_id, id, occurred_at, latitude, longitude, accuracy_m, fix_time FROM (
    SELECT r.organisation_id, r.officer_id, c.id, c.occurred_at,
           json_extract(c.body, '$.location.latitude') AS latitude,
           json_extract(c.body, '$.location.longitude') AS longitude,
           json_extract(c.body, '$.location.accuracy_m') AS accuracy_m,
           CAST(round((julianday(json_extract(c.body, '$.location.fix_time')) - 2440587.5)
                      * 86400000.0) AS INTEGER) AS fix_time,
           row_number() OVER (
               PARTITION BY r.organisation_id, r.officer_id
               ORDER BY c.occurred_at DESC, c.id DESC) AS n
    FROM check_in c JOIN record r ON r.organisation_id = c.organisation_id AND r.id = c.id
    WHERE json_extract(c.body, '$.location.latitude') IS NOT NULL)
WHERE n = 1;
