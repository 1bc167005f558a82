-- 0006: contacts with the masses (联系记录): every contact, whatever its
-- channel, recorded once; the households, people and cadres in it, the issues
-- raised (each can become an appeal), photos (files stored beside the
-- database, content-addressed) and amendments made after the 24-hour edit
-- window, kept beside the original row, which never changes after it.

CREATE TABLE contact (
    id              INTEGER PRIMARY KEY,
    uuid            TEXT NOT NULL UNIQUE,          -- client-made for offline entry, else the server's
    author_user_id  INTEGER NOT NULL REFERENCES app_user(id),
    method          TEXT NOT NULL CHECK (method IN ('home_visit', 'phone', 'wechat', 'meeting',
                                                    'reception_day', 'online', 'other')),
    started_at      TEXT NOT NULL,                 -- UTC storage form
    duration_min    INTEGER NOT NULL CHECK (duration_min BETWEEN 1 AND 1440),
    place           TEXT,
    lat             REAL,
    lng             REAL,
    gps_accuracy_m  REAL,
    village_code    TEXT NOT NULL REFERENCES region(code),  -- the region it belongs to, for scope
    summary         TEXT NOT NULL,
    follow_up_date  TEXT,                          -- YYYY-MM-DD
    -- how the household confirmed the visit (filled by the confirmation work)
    confirmation    TEXT NOT NULL DEFAULT 'none' CHECK (confirmation IN ('none', 'signature', 'sms_code')),
    content_hash    TEXT NOT NULL,                 -- SHA-256 of the canonical create input (UUID upsert)
    conflict_json   TEXT,                          -- NULL unless the sync found a conflict
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX contact_village_started ON contact(village_code, started_at);
CREATE INDEX contact_author_started ON contact(author_user_id, started_at);
CREATE INDEX contact_started ON contact(started_at, id);
CREATE INDEX contact_conflict ON contact(id) WHERE conflict_json IS NOT NULL;

CREATE TABLE contact_household (
    contact_id   INTEGER NOT NULL REFERENCES contact(id),
    household_id INTEGER NOT NULL REFERENCES household(id),
    PRIMARY KEY (contact_id, household_id)
);
CREATE INDEX contact_household_household ON contact_household(household_id, contact_id);

-- the people met: a member of a listed household, or a free name
CREATE TABLE contact_person (
    id         INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contact(id),
    member_id  INTEGER REFERENCES household_member(id),
    name       TEXT NOT NULL                       -- the member's name at the time, or the free name
);
CREATE INDEX contact_person_contact ON contact_person(contact_id);

-- cadres present besides the author
CREATE TABLE contact_cadre (
    contact_id INTEGER NOT NULL REFERENCES contact(id),
    user_id    INTEGER NOT NULL REFERENCES app_user(id),
    PRIMARY KEY (contact_id, user_id)
);
CREATE INDEX contact_cadre_user ON contact_cadre(user_id, contact_id);

-- issues raised; appeal_id links the appeal an issue became (the appeals
-- module adds the foreign key and the conversion)
CREATE TABLE contact_issue (
    id         INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contact(id),
    text       TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'converted', 'closed')),
    appeal_id  INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX contact_issue_contact ON contact_issue(contact_id);
CREATE INDEX contact_issue_open ON contact_issue(status) WHERE status = 'open';

-- the file is <db path>.files/ab/cd/<sha256>
CREATE TABLE contact_photo (
    contact_id INTEGER NOT NULL REFERENCES contact(id),
    sha256     TEXT NOT NULL,
    mime       TEXT NOT NULL CHECK (mime IN ('image/jpeg', 'image/png')),
    bytes      INTEGER NOT NULL,
    user_id    INTEGER REFERENCES app_user(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (contact_id, sha256)
);
CREATE INDEX contact_photo_sha ON contact_photo(sha256);

-- changes after the edit window: reason, the fields before and after
CREATE TABLE contact_amendment (
    id          INTEGER PRIMARY KEY,
    contact_id  INTEGER NOT NULL REFERENCES contact(id),
    user_id     INTEGER NOT NULL REFERENCES app_user(id),
    at          TEXT NOT NULL,
    reason      TEXT NOT NULL,
    before_json TEXT NOT NULL,
    after_json  TEXT NOT NULL
);
CREATE INDEX contact_amendment_contact ON contact_amendment(contact_id, id);
