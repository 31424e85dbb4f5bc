-- Version 9 -> 10: officers' acknowledgements of post orders, one row per organisation,
-- assignment, officer and version (the first acknowledgement kept: a second device or a
-- replay changes nothing). Written once and never changed.
CREATE TABLE post_orders_ack (
    organisation_id TEXT NOT NULL,
    assignment_id TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    acknowledged_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, assignment_id, officer_id, version),
    FOREIGN KEY (organisation_id, assignment_id) REFERENCES assignment (organisation_id, id)
) STRICT;

CREATE TRIGGER post_orders_ack_is_append_only_u BEFORE UPDATE ON post_orders_ack
BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END;
CREATE TRIGGER post_orders_ack_is_append_only_d BEFORE DELETE ON post_orders_ack
BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END;
