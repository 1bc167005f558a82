-- 0014: household confirmation of a home visit (Hunan's 民情日志 habit: the
-- household signs the cadre's log): a signature drawn on the cadre's phone
-- (a PNG kept beside the database, content-addressed) or a 6-digit code sent
-- by SMS to the household's phone and typed back. contact.confirmation (0006)
-- says how a contact was confirmed; this table keeps who, when and how.

-- One row per signature given or per code sent. state: a signature row is
-- 'confirmed' at once; a code is 'pending' until typed back right
-- ('confirmed'), tried wrongly too often ('locked') or replaced by a newer
-- code ('superseded'); a pending code past expires_at is expired. The code
-- itself is never stored: code_hash is a keyed hash (pii_hash_bytes) of the
-- row id and the code. At most one 'confirmed' row per contact.
CREATE TABLE contact_confirmation (
    id               INTEGER PRIMARY KEY,
    contact_id       INTEGER NOT NULL REFERENCES contact(id),
    household_id     INTEGER NOT NULL REFERENCES household(id),
    method           TEXT NOT NULL CHECK (method IN ('signature', 'sms_code')),
    state            TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'locked', 'superseded')),
    member_name      TEXT,                  -- who confirmed, when given
    user_id          INTEGER NOT NULL REFERENCES app_user(id), -- the cadre who collected it
    signature_sha256 TEXT,                  -- the file <db path>.files/ab/cd/<sha256>
    signature_bytes  INTEGER,
    phone_mask       TEXT,                  -- the number the code went to, masked
    code_hash        TEXT,
    message_id       INTEGER,               -- the queued SMS (outbound_message)
    attempts         INTEGER NOT NULL DEFAULT 0, -- wrong codes typed
    expires_at       TEXT,                  -- UTC storage form
    created_at       TEXT NOT NULL,         -- the signature given or the code sent
    confirmed_at     TEXT
);
CREATE INDEX contact_confirmation_contact ON contact_confirmation(contact_id, id);
CREATE UNIQUE INDEX contact_confirmation_once ON contact_confirmation(contact_id) WHERE state = 'confirmed';
CREATE INDEX contact_confirmation_sha ON contact_confirmation(signature_sha256) WHERE signature_sha256 IS NOT NULL;
