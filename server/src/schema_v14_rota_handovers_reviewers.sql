-- Version 13 -> 14: the duty rota, handover notes, and the routing of reports to their
-- reviewers (issue 12, points 3 and 5).

-- The rota: one row per shift, written once by the office; a call-in and a stand-down
-- are rows of their own, each written once (who and when).
CREATE TABLE rota_shift (
    organisation_id TEXT NOT NULL,
    id TEXT NOT NULL,
    assignment_id TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('on_duty', 'on_call')),
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL CHECK (ends_at > starts_at),
    set_by TEXT NOT NULL,
    set_at INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, id),
    FOREIGN KEY (organisation_id, assignment_id) REFERENCES assignment (organisation_id, id)
) STRICT;
CREATE INDEX rota_shift_by_assignment ON rota_shift (organisation_id, assignment_id, starts_at);

CREATE TABLE rota_call (
    organisation_id TEXT NOT NULL,
    shift_id TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('called_in', 'stood_down')),
    actor TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, shift_id, action),
    FOREIGN KEY (organisation_id, shift_id) REFERENCES rota_shift (organisation_id, id)
) STRICT;

CREATE TRIGGER rota_shift_is_append_only_u BEFORE UPDATE ON rota_shift
BEGIN SELECT RAISE(ABORT, 'shifts are append-only'); END;
CREATE TRIGGER rota_shift_is_append_only_d BEFORE DELETE ON rota_shift
BEGIN SELECT RAISE(ABORT, 'shifts are append-only'); END;
CREATE TRIGGER rota_call_is_append_only_u BEFORE UPDATE ON rota_call
BEGIN SELECT RAISE(ABORT, 'call-ins are append-only'); END;
CREATE TRIGGER rota_call_is_append_only_d BEFORE DELETE ON rota_call
BEGIN SELECT RAISE(ABORT, 'call-ins are append-only'); END;

-- Handover notes as the outgoing officer's device wrote them, and the incoming officer's
-- acknowledgement (the first kept). Both written once.
CREATE TABLE handover (
    organisation_id TEXT NOT NULL,
    id TEXT NOT NULL,
    assignment_id TEXT NOT NULL,
    from_officer_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    to_officer_id TEXT NOT NULL,
    principal_state TEXT NOT NULL,
    open_issues TEXT,
    equipment_and_keys TEXT,
    watch_for TEXT,
    written_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, id),
    FOREIGN KEY (organisation_id, assignment_id) REFERENCES assignment (organisation_id, id)
) STRICT;
CREATE INDEX handover_by_received ON handover (organisation_id, received_at);

CREATE TABLE handover_ack (
    organisation_id TEXT NOT NULL,
    handover_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    acknowledged_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, handover_id),
    FOREIGN KEY (organisation_id, handover_id) REFERENCES handover (organisation_id, id)
) STRICT;

CREATE TRIGGER handover_is_append_only_u BEFORE UPDATE ON handover
BEGIN SELECT RAISE(ABORT, 'handover notes are append-only'); END;
CREATE TRIGGER handover_is_append_only_d BEFORE DELETE ON handover
BEGIN SELECT RAISE(ABORT, 'handover notes are append-only'); END;
CREATE TRIGGER handover_ack_is_append_only_u BEFORE UPDATE ON handover_ack
BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END;
CREATE TRIGGER handover_ack_is_append_only_d BEFORE DELETE ON handover_ack
BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END;

-- Who reviews reports: the assignment's team leader (an operator's username the office
-- sets on the assignment) or else the organisation's designated reviewer.
CREATE TABLE team_leader (
    organisation_id TEXT NOT NULL,
    assignment_id TEXT NOT NULL,
    username TEXT NOT NULL,
    set_at INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, assignment_id),
    FOREIGN KEY (organisation_id, assignment_id) REFERENCES assignment (organisation_id, id)
) STRICT;
CREATE TABLE designated_reviewer (
    organisation_id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    set_at INTEGER NOT NULL
) STRICT;

-- The reviewer a submitted report was routed to when the office applied its submission
-- (NULL: nobody was designated; then a supervisor reviews it). Written once.
CREATE TABLE report_route (
    organisation_id TEXT NOT NULL,
    report_id TEXT NOT NULL,
    reviewer TEXT,
    routed_by TEXT NOT NULL CHECK (routed_by IN ('team_leader', 'designated_reviewer', 'nobody')),
    routed_at INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, report_id),
    FOREIGN KEY (organisation_id, report_id) REFERENCES report (organisation_id, id)
) STRICT;
CREATE INDEX report_route_by_reviewer ON report_route (organisation_id, reviewer);
CREATE TRIGGER report_route_is_append_only_u BEFORE UPDATE ON report_route
BEGIN SELECT RAISE(ABORT, 'a report is routed once'); END;
CREATE TRIGGER report_route_is_append_only_d BEFORE DELETE ON report_route
BEGIN SELECT RAISE(ABORT, 'a report is routed once'); END;


-- The pull feed carries `rota` and `handover` entries. The table is built again as in
-- version 9, every entry, cursor and tag kept and the AUTOINCREMENT sequence carried
-- over, this time with no CHECK on the kind: the kinds are the core's `Change`
-- (`Change::stored` is the one writer), so the next family that sends something down
-- does not rebuild the feed again.
CREATE TABLE feed_v12 (
    cursor INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    tag INTEGER NOT NULL DEFAULT 0,
    superseded INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO feed_v12 (cursor, organisation_id, officer_id, kind, subject, body, tag, superseded)
    SELECT cursor, organisation_id, officer_id, kind, subject, body, tag, superseded FROM feed;
DELETE FROM sqlite_sequence WHERE name = 'feed_v12';
INSERT INTO sqlite_sequence (name, seq) SELECT 'feed_v12', seq FROM sqlite_sequence WHERE name = 'feed';
DROP TABLE feed;
ALTER TABLE feed_v12 RENAME TO feed;
CREATE INDEX feed_by_officer ON feed (organisation_id, officer_id, superseded, cursor);
CREATE INDEX feed_by_subject ON feed (organisation_id, officer_id, kind, subject);
