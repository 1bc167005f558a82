-- 0013: SMS to a person who is not an endpoint (a resident asked after the
-- resolution of an appeal, a household asked to confirm a visit): a message
-- without endpoint_id goes through the default SMS gateway to recipient_enc
-- (the phone, encrypted with the personal-data key; recipient_hash its keyed
-- hash for rotate-key, recipient_mask what is shown); its text is encrypted
-- too (text_enc, text_hash): it may carry a confirmation code or a receipt
-- code, which nobody reading the queue or a backup should learn.
-- dead_at records when a message gave up; sent messages older than
-- 'outbound.keep_days' days are purged by the sender.

CREATE TABLE outbound_message_new (
    id              INTEGER PRIMARY KEY,
    endpoint_id     INTEGER REFERENCES outbound_endpoint(id),
    notification_id INTEGER REFERENCES notification(id),
    kind            TEXT NOT NULL,
    payload_json    TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    recipient_enc   BLOB,
    recipient_hash  TEXT,
    recipient_mask  TEXT,
    text_enc        BLOB,
    text_hash       TEXT,
    dead_at         TEXT,
    CHECK ((endpoint_id IS NULL) = (recipient_enc IS NOT NULL))
);
INSERT INTO outbound_message_new(id, endpoint_id, notification_id, kind, payload_json, state, attempts,
                                 next_attempt_at, last_error, created_at, sent_at)
    SELECT id, endpoint_id, notification_id, kind, payload_json, state, attempts, next_attempt_at,
           last_error, created_at, sent_at FROM outbound_message;
DROP TABLE outbound_message;
ALTER TABLE outbound_message_new RENAME TO outbound_message;
CREATE INDEX outbound_message_due ON outbound_message(state, next_attempt_at);
CREATE INDEX outbound_message_endpoint ON outbound_message(endpoint_id, id);
CREATE INDEX outbound_message_sent ON outbound_message(sent_at) WHERE state = 'sent';

INSERT OR IGNORE INTO setting(key, value) VALUES ('outbound.keep_days', '30');
