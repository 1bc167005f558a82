-- 0003: household files (民情档案): households, members, tags, responsible
-- cadres (联系户) with full history, the household timeline, and jobs (long
-- imports report progress through them).
-- Personal data is encrypted at rest (libsodium secretbox; *_enc columns)
-- with a keyed hash beside it (*_hash) for exact look-up and the masked form
-- (*_mask: "4408**********1234", "138****5678") that most roles see.

CREATE TABLE household (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,     -- e.g. village code + 4 digits
    village_code TEXT NOT NULL REFERENCES region(code),
    region_code  TEXT NOT NULL REFERENCES region(code),  -- the group (村民小组) or the village
    address      TEXT,
    lat          REAL,
    lng          REAL,
    head_name    TEXT NOT NULL,
    phone_enc    BLOB,
    phone_hash   TEXT,
    phone_mask   TEXT,
    notes        TEXT,
    import_hash  TEXT,                     -- hash of the imported rows, so a re-import changes nothing
    -- kept up to date by the contacts and appeals modules, for the list filters
    -- "not contacted for N days" and "has an open appeal"
    last_contact_at   TEXT,
    open_appeal_count INTEGER NOT NULL DEFAULT 0,
    retired_at   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX household_village ON household(village_code);
CREATE INDEX household_region ON household(region_code);
CREATE INDEX household_phone ON household(phone_hash);
CREATE INDEX household_head ON household(head_name);
CREATE INDEX household_last_contact ON household(last_contact_at);

CREATE TABLE household_member (
    id             INTEGER PRIMARY KEY,
    household_id   INTEGER NOT NULL REFERENCES household(id),
    name           TEXT NOT NULL,
    relation       TEXT NOT NULL,          -- 户主, 配偶, 子女, 父母, 孙子女, 兄弟姐妹, 其他
    id_number_enc  BLOB,
    id_number_hash TEXT,
    id_number_mask TEXT,
    phone_enc      BLOB,
    phone_hash     TEXT,
    phone_mask     TEXT,
    birth_date     TEXT,
    sex            TEXT CHECK (sex IN ('M', 'F')),
    occupation     TEXT,
    remarks        TEXT,
    removed_at     TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX household_member_household ON household_member(household_id);
CREATE INDEX household_member_id_number ON household_member(id_number_hash);
CREATE INDEX household_member_phone ON household_member(phone_hash);
CREATE INDEX household_member_name ON household_member(name);

CREATE TABLE tag (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,       -- 低保户
    name_en    TEXT NOT NULL,
    sort       INTEGER NOT NULL DEFAULT 0,
    retired_at TEXT,
    created_at TEXT NOT NULL
);
INSERT INTO tag(name, name_en, sort, created_at) VALUES
    ('低保户', 'minimum living allowance', 10, '2026-01-01T00:00:00Z'),
    ('特困供养', 'extreme poverty support', 20, '2026-01-01T00:00:00Z'),
    ('脱贫户', 'lifted out of poverty', 30, '2026-01-01T00:00:00Z'),
    ('监测户', 'under poverty monitoring', 40, '2026-01-01T00:00:00Z'),
    ('留守老人', 'left-behind elderly', 50, '2026-01-01T00:00:00Z'),
    ('留守儿童', 'left-behind children', 60, '2026-01-01T00:00:00Z'),
    ('残疾人', 'disabled person', 70, '2026-01-01T00:00:00Z'),
    ('退役军人', 'veteran', 80, '2026-01-01T00:00:00Z'),
    ('独居老人', 'elderly living alone', 90, '2026-01-01T00:00:00Z'),
    ('重病患者', 'seriously ill', 100, '2026-01-01T00:00:00Z');

CREATE TABLE household_tag (
    household_id INTEGER NOT NULL REFERENCES household(id),
    tag_id       INTEGER NOT NULL REFERENCES tag(id),
    created_at   TEXT NOT NULL,
    PRIMARY KEY (household_id, tag_id)
);
CREATE INDEX household_tag_tag ON household_tag(tag_id);

-- 联系户: the cadre responsible for a household; exactly one current row.
CREATE TABLE household_assignment (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES household(id),
    user_id      INTEGER NOT NULL REFERENCES app_user(id),
    start_date   TEXT NOT NULL,
    end_date     TEXT,
    handover_id  INTEGER REFERENCES handover(id),
    created_at   TEXT NOT NULL,
    CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE UNIQUE INDEX household_assignment_current ON household_assignment(household_id) WHERE end_date IS NULL;
CREATE INDEX household_assignment_household ON household_assignment(household_id, start_date);
CREATE INDEX household_assignment_user ON household_assignment(user_id, end_date);

-- What happened to a household file (member added, moved, tagged ...); the
-- timeline merges these with contacts, appeals and survey answers.
CREATE TABLE household_event (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES household(id),
    at           TEXT NOT NULL,
    user_id      INTEGER REFERENCES app_user(id),
    kind         TEXT NOT NULL,            -- "household.create", "member.add", "tag.add" ...
    summary_zh   TEXT NOT NULL,
    summary_en   TEXT NOT NULL,
    data_json    TEXT
);
CREATE INDEX household_event_household ON household_event(household_id, at);

-- Long jobs (imports): the page polls progress.
CREATE TABLE job (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,             -- "import.households"
    user_id     INTEGER REFERENCES app_user(id),
    state       TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    total       INTEGER NOT NULL DEFAULT 0,
    done        INTEGER NOT NULL DEFAULT 0,
    result_json TEXT,
    created_at  TEXT NOT NULL,
    finished_at TEXT
);
