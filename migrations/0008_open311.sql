-- 0008: Open311 GeoReport v2: the API keys that outside clients (FixMyStreet,
-- SeeClickFix...) use to file appeals, and what each filed request carried
-- beyond the appeal itself (location, media, the client's token).

CREATE TABLE open311_key (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE,       -- BLAKE2b of the whole key, hex
    prefix        TEXT NOT NULL,              -- the first characters, to recognise it
    created_by    INTEGER REFERENCES app_user(id),
    created_at    TEXT NOT NULL,
    revoked_at    TEXT,
    last_used_at  TEXT,
    rate_per_minute INTEGER NOT NULL DEFAULT 60 CHECK (rate_per_minute > 0)
);

CREATE TABLE open311_request (
    appeal_id      INTEGER PRIMARY KEY REFERENCES appeal(id),
    token          TEXT NOT NULL UNIQUE,
    key_id         INTEGER REFERENCES open311_key(id),
    service_code   TEXT NOT NULL,
    lat            REAL,
    lng            REAL,
    address_string TEXT,
    address_id     TEXT,
    media_url      TEXT,
    account_id     TEXT,
    created_at     TEXT NOT NULL
);
