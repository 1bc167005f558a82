-- 0001: the platform's tables: regions (the tree itself grows in the
-- organisation module), users, sessions, API tokens, login failures, the
-- audit log, idempotency records and settings.
-- Times are RFC 3339 text in UTC ("2026-03-02T01:00:00Z").

CREATE TABLE region (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('province', 'city', 'county', 'town', 'village', 'group')),
    parent_code TEXT REFERENCES region(code),
    path        TEXT NOT NULL UNIQUE,   -- "/440881000000/440881104000/": scope is a prefix match
    retired_at  TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX region_parent ON region(parent_code);

CREATE TABLE app_user (
    id                   INTEGER PRIMARY KEY,
    username             TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    role                 TEXT NOT NULL CHECK (role IN ('admin', 'leader', 'cadre', 'viewer')),
    scope_code           TEXT NOT NULL REFERENCES region(code),
    password_hash        TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    disabled_at          TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX app_user_scope ON app_user(scope_code);

-- Failed sign-ins by the name typed, whether or not such a user exists, so
-- that the lockout answers alike for both.
CREATE TABLE login_failure (
    username        TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    locked_until    TEXT,
    last_failure_at TEXT NOT NULL
);

CREATE TABLE session (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,  -- SHA-256 of the cookie value, hex
    user_id      INTEGER NOT NULL REFERENCES app_user(id),
    csrf         TEXT NOT NULL,
    addr         TEXT,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    ended_at     TEXT
);
CREATE INDEX session_user ON session(user_id);

CREATE TABLE api_token (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES app_user(id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,          -- first characters, to recognise a token in lists
    token_hash   TEXT NOT NULL UNIQUE,   -- SHA-256 of the secret, hex
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE UNIQUE INDEX api_token_live_name ON api_token(user_id, name) WHERE revoked_at IS NULL;

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    user_id     INTEGER,               -- NULL for the system (CLI, jobs)
    username    TEXT NOT NULL,
    addr        TEXT,
    request_id  TEXT,
    action      TEXT NOT NULL,         -- "user.create"
    entity      TEXT NOT NULL,         -- "user"
    entity_id   TEXT,
    before_json TEXT,
    after_json  TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_log_user ON audit_log(user_id);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;

-- Responses to POSTs that carried an Idempotency-Key, replayed on a retry.
CREATE TABLE idempotency (
    actor        TEXT NOT NULL,          -- "u:<user id>" or "a:<address>"
    idem_key     TEXT NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    body_hash    TEXT NOT NULL,
    status       INTEGER NOT NULL,
    content_type TEXT,
    location     TEXT,
    body         BLOB,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (actor, idem_key)
);
CREATE INDEX idempotency_created ON idempotency(created_at);

CREATE TABLE setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
