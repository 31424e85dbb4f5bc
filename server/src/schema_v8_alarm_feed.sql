-- Version 6 -> 7: the pull feed also carries the state of an officer's alarms
-- (`alarm_status`). SQLite cannot change a CHECK constraint in place: the table is built
-- again with every entry, cursor and tag as they were, and its AUTOINCREMENT sequence
-- carried over, so no cursor the feed issued is ever issued again.
CREATE TABLE feed_v7 (
    cursor INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('assignment', 'report_review', 'alarm_status')),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    tag INTEGER NOT NULL DEFAULT 0,
    superseded INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO feed_v7 (cursor, organisation_id, officer_id, kind, subject, body, tag, superseded)
    SELECT cursor, organisation_id, officer_id, kind, subject, body, tag, superseded FROM feed;
DELETE FROM sqlite_sequence WHERE name = 'feed_v7';
INSERT INTO sqlite_sequence (name, seq) SELECT 'feed_v7', seq FROM sqlite_sequence WHERE name = 'feed';
DROP TABLE feed;
ALTER TABLE feed_v7 RENAME TO feed;
CREATE INDEX feed_by_officer ON feed (organisation_id, officer_id, superseded, cursor);
CREATE INDEX feed_by_subject ON feed (organisation_id, officer_id, kind, subject);
