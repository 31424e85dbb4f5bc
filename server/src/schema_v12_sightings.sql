-- Sightings (the surveillance log) and the office's BOLO list.

-- A sighting as a device sent it: written once. `registration` is normalised (the core's
-- normalise_registration) for the repeat-sighting lookup; `device_bolo_id` is the match
-- the device computed offline, `office_bolo_id` the one the office computed against its
-- own list when the sighting arrived (both kept: the device may hold an older list).
-- Sightings keep their own ownership (device_id) instead of a row of `record`: one
-- operation each, never changed.
CREATE TABLE sighting (
    organisation_id TEXT NOT NULL,
    id TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    device_id TEXT NOT NULL REFERENCES device (device_id),
    occurred_at INTEGER NOT NULL,
    registration TEXT,
    place TEXT NOT NULL,
    body TEXT NOT NULL,
    device_bolo_id TEXT,
    office_bolo_id TEXT,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX sighting_by_registration ON sighting (organisation_id, registration, occurred_at)
    WHERE registration IS NOT NULL;
CREATE INDEX sighting_by_received ON sighting (organisation_id, received_at);
CREATE TRIGGER sighting_is_append_only_u BEFORE UPDATE ON sighting
BEGIN SELECT RAISE(ABORT, 'sightings are append-only'); END;
CREATE TRIGGER sighting_is_append_only_d BEFORE DELETE ON sighting
BEGIN SELECT RAISE(ABORT, 'sightings are append-only'); END;

-- A sighting's photo: its bytes are a blob like any attachment's (PUT /v1/attachments).
CREATE TABLE sighting_photo (
    organisation_id TEXT NOT NULL,
    id TEXT NOT NULL,
    sighting_id TEXT NOT NULL,
    blob_id INTEGER NOT NULL REFERENCES blob (id),
    body TEXT NOT NULL,
    PRIMARY KEY (organisation_id, id),
    FOREIGN KEY (organisation_id, sighting_id) REFERENCES sighting (organisation_id, id)
) STRICT;
CREATE TRIGGER sighting_photo_is_append_only_d BEFORE DELETE ON sighting_photo
BEGIN SELECT RAISE(ABORT, 'attachments are kept'); END;

-- The organisation's BOLO list: the newest version of each entry (each version is also
-- an entry of the feed). A withdrawn entry is kept, marked, and matches nothing.
CREATE TABLE bolo (
    organisation_id TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    registration TEXT,
    priority INTEGER NOT NULL,
    withdrawn INTEGER NOT NULL DEFAULT 0,
    body TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, id)
) STRICT;
CREATE INDEX bolo_by_registration ON bolo (organisation_id, registration, priority)
    WHERE withdrawn = 0 AND registration IS NOT NULL;
CREATE TRIGGER bolo_is_kept BEFORE DELETE ON bolo
BEGIN SELECT RAISE(ABORT, 'BOLO entries are withdrawn, not deleted'); END;

-- Per organisation: the window within which sightings of one registration are repeats
-- (no value: the default, see admin::DEFAULT_REPEAT_WINDOW).
ALTER TABLE organisation_setting ADD COLUMN repeat_window_secs INTEGER
    CHECK (repeat_window_secs IS NULL OR repeat_window_secs BETWEEN 60 AND 2592000);

-- The pull feed also carries BOLO entries (`bolo`), once per organisation: an entry with
-- the empty officer id is in every officer's feed. As in version 9, the table is built
-- again with every entry, cursor and tag as they were, and its AUTOINCREMENT sequence
-- carried over, so no cursor the feed issued is ever issued again.
CREATE TABLE feed_v11 (
    cursor INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    kind TEXT NOT NULL
        CHECK (kind IN ('assignment', 'report_review', 'alarm_status', 'message', 'bolo')),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    tag INTEGER NOT NULL DEFAULT 0,
    superseded INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO feed_v11 (cursor, organisation_id, officer_id, kind, subject, body, tag, superseded)
    SELECT cursor, organisation_id, officer_id, kind, subject, body, tag, superseded FROM feed;
DELETE FROM sqlite_sequence WHERE name = 'feed_v11';
INSERT INTO sqlite_sequence (name, seq) SELECT 'feed_v11', seq FROM sqlite_sequence WHERE name = 'feed';
DROP TABLE feed;
ALTER TABLE feed_v11 RENAME TO feed;
CREATE INDEX feed_by_officer ON feed (organisation_id, officer_id, superseded, cursor);
CREATE INDEX feed_by_subject ON feed (organisation_id, officer_id, kind, subject);
