-- 0012: photos of appeals, as for contacts: the file lives beside the
-- database under its SHA-256 (platform/files.c); the row ties it to the
-- appeal. user_id is NULL for a resident's upload through the portal.
CREATE TABLE appeal_photo (
    appeal_id  INTEGER NOT NULL REFERENCES appeal(id),
    sha256     TEXT NOT NULL,
    mime       TEXT NOT NULL CHECK (mime IN ('image/jpeg', 'image/png')),
    bytes      INTEGER NOT NULL,
    user_id    INTEGER REFERENCES app_user(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (appeal_id, sha256)
);
CREATE INDEX appeal_photo_sha ON appeal_photo(sha256);
