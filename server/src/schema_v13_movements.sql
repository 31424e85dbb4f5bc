-- Movements of the principal: legs the officers plan and the events on them, as the office
-- received them, and the overdue-leg alarm.
--
-- A leg is a record devices own (family 'movement_leg', with per-record order); and the
-- alarm table takes the kind 'overdue_leg', naming its leg (one alarm per leg). The CHECK
-- constraints of `record` and `alarm` are widened in place, SQLite's documented procedure
-- for a change that loosens a constraint and leaves every stored row as it is
-- (https://sqlite.org/lang_altertable.html, "other kinds of table schema changes"):
-- rebuilding them would mean rebuilding every table whose foreign keys name them. The
-- text is replaced at the one place each list names its last value, so another step
-- that widens the same list the same way composes with this one in either order. The
-- CREATE statements below change the schema cookie (other connections read the schema
-- again), and RESET makes this connection do so at once.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, '''attachment''', '''attachment'', ''movement_leg''')
 WHERE type = 'table' AND name = 'record';
UPDATE sqlite_schema
   SET sql = replace(sql, '''overdue''', '''overdue'', ''overdue_leg''')
 WHERE type = 'table' AND name = 'alarm';
PRAGMA writable_schema = OFF;

-- A leg as planned on the device; written once (the events say what became of it).
CREATE TABLE movement_leg (
    organisation_id TEXT NOT NULL,
    id TEXT NOT NULL,
    assignment_id TEXT NOT NULL,
    planned_departure INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (organisation_id, id),
    FOREIGN KEY (organisation_id, id) REFERENCES record (organisation_id, id),
    FOREIGN KEY (organisation_id, assignment_id) REFERENCES assignment (organisation_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX movement_leg_by_assignment
    ON movement_leg (organisation_id, assignment_id, planned_departure);

-- The events of each leg in the order the device sent them (`seq`), each with the
-- server's clock when it arrived.
CREATE TABLE movement_event (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id TEXT NOT NULL,
    id TEXT NOT NULL,
    leg_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    UNIQUE (organisation_id, id),
    FOREIGN KEY (organisation_id, leg_id) REFERENCES movement_leg (organisation_id, id)
) STRICT;
CREATE INDEX movement_event_by_leg ON movement_event (organisation_id, leg_id, seq);

CREATE TRIGGER movement_leg_is_written_once_u BEFORE UPDATE ON movement_leg
BEGIN SELECT RAISE(ABORT, 'movement legs are written once'); END;
CREATE TRIGGER movement_leg_is_written_once_d BEFORE DELETE ON movement_leg
BEGIN SELECT RAISE(ABORT, 'movement legs are written once'); END;
CREATE TRIGGER movement_event_is_append_only_u BEFORE UPDATE ON movement_event
BEGIN SELECT RAISE(ABORT, 'movement events are append-only'); END;
CREATE TRIGGER movement_event_is_append_only_d BEFORE DELETE ON movement_event
BEGIN SELECT RAISE(ABORT, 'movement events are append-only'); END;

-- Read the widened definitions again before the next change to `alarm` (ALTER TABLE
-- edits the stored text at the offsets it parsed).
PRAGMA writable_schema = RESET;

-- The leg an overdue-leg alarm is about: one alarm per leg (NULLs are distinct).
ALTER TABLE alarm ADD COLUMN movement_leg_id TEXT;
CREATE UNIQUE INDEX alarm_by_movement_leg ON alarm (organisation_id, movement_leg_id);
