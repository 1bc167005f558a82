-- 0011: outbound delivery of notifications: endpoints (webhooks, email
-- addresses, SMS numbers) and the queue of messages to them, so a request
-- only writes rows and the server's tick sends them, surviving a restart.

-- An endpoint. target: the webhook URL (http/https), the email address, or
-- the phone number. server_url: for email an smtp:// or smtps:// URL and for
-- SMS a gateway URL template ({phone}, {text}) that override the settings
-- 'outbound.smtp_url' and 'outbound.sms_url'. secret_enc: the webhook HMAC
-- key, encrypted with the personal-data key (pii_encrypt), and secret_hash
-- its keyed hash (pii_hash), the pair rotate-key re-makes. events: '*' or a
-- comma list of notification kinds ("appeal.escalated") or prefixes
-- ("appeal.*").
CREATE TABLE outbound_endpoint (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('webhook', 'email', 'sms')),
    target      TEXT NOT NULL,
    server_url  TEXT,
    secret_enc  BLOB,
    secret_hash TEXT,
    events      TEXT NOT NULL DEFAULT '*',
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- One delivery of one notification to one endpoint. next_attempt_at and
-- the other times are UTC "YYYY-MM-DDTHH:MM:SSZ" (they sort as text).
CREATE TABLE outbound_message (
    id              INTEGER PRIMARY KEY,
    endpoint_id     INTEGER NOT NULL REFERENCES outbound_endpoint(id),
    notification_id INTEGER REFERENCES notification(id),
    kind            TEXT NOT NULL,
    payload_json    TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX outbound_message_due ON outbound_message(state, next_attempt_at);
CREATE INDEX outbound_message_endpoint ON outbound_message(endpoint_id, id);
