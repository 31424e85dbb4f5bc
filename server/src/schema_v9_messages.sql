-- Version 8 -> 9: messages from the control room to an officer, and what became of each:
-- pulled by a device of the officer (delivered), read by the officer (the device's read
-- receipt). Each row is written once and never changed: a message's state is which of
-- its rows exist, the first time of each kept.
CREATE TABLE message (
    organisation_id TEXT NOT NULL,
    id TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    alarm_id TEXT,
    body TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, id)
) STRICT;
CREATE INDEX message_by_sent ON message (organisation_id, sent_at);
CREATE INDEX message_by_officer ON message (organisation_id, officer_id, sent_at);

-- The first pull that carried the message to a device of its officer.
CREATE TABLE message_delivery (
    organisation_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    delivered_at INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, message_id),
    FOREIGN KEY (organisation_id, message_id) REFERENCES message (organisation_id, id)
) STRICT;

-- The first read receipt: when the officer read it (the device's clock) and when the
-- office heard of it (the server's clock).
CREATE TABLE message_read (
    organisation_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    read_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, message_id),
    FOREIGN KEY (organisation_id, message_id) REFERENCES message (organisation_id, id)
) STRICT;

CREATE TRIGGER message_is_append_only_u BEFORE UPDATE ON message
BEGIN SELECT RAISE(ABORT, 'messages are append-only'); END;
CREATE TRIGGER message_is_append_only_d BEFORE DELETE ON message
BEGIN SELECT RAISE(ABORT, 'messages are append-only'); END;
CREATE TRIGGER message_delivery_is_append_only_u BEFORE UPDATE ON message_delivery
BEGIN SELECT RAISE(ABORT, 'messages are append-only'); END;
CREATE TRIGGER message_delivery_is_append_only_d BEFORE DELETE ON message_delivery
BEGIN SELECT RAISE(ABORT, 'messages are append-only'); END;
CREATE TRIGGER message_read_is_append_only_u BEFORE UPDATE ON message_read
BEGIN SELECT RAISE(ABORT, 'messages are append-only'); END;
CREATE TRIGGER message_read_is_append_only_d BEFORE DELETE ON message_read
BEGIN SELECT RAISE(ABORT, 'messages are append-only'); END;

-- The pull feed also carries messages (`message`). As in version 8, the table is built
-- again with every entry, cursor and tag as they were, and its AUTOINCREMENT sequence
-- carried over, so no cursor the feed issued is ever issued again.
CREATE TABLE feed_v9 (
    cursor INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('assignment', 'report_review', 'alarm_status', 'message')),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    tag INTEGER NOT NULL DEFAULT 0,
    superseded INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO feed_v9 (cursor, organisation_id, officer_id, kind, subject, body, tag, superseded)
    SELECT cursor, organisation_id, officer_id, kind, subject, body, tag, superseded FROM feed;
DELETE FROM sqlite_sequence WHERE name = 'feed_v9';
INSERT INTO sqlite_sequence (name, seq) SELECT 'feed_v9', seq FROM sqlite_sequence WHERE name = 'feed';
DROP TABLE feed;
ALTER TABLE feed_v9 RENAME TO feed;
CREATE INDEX feed_by_officer ON feed (organisation_id, officer_id, superseded, cursor);
CREATE INDEX feed_by_subject ON feed (organisation_id, officer_id, kind, subject);
