-- 0002: organisation: departments, village teams (驻点团队 / 辅助团队) with
-- their three fixed things (三固定), cadre stationing (驻点), handovers (交接)
-- and the per-user notification inbox.
-- Dates (start/end of an assignment) are "YYYY-MM-DD" in Asia/Shanghai;
-- start_date is inclusive, end_date exclusive (NULL = still current).

-- What a liaison card and a team list show about a cadre.
ALTER TABLE app_user ADD COLUMN phone TEXT;       -- work phone, printed on liaison cards
ALTER TABLE app_user ADD COLUMN position TEXT;    -- 职务, e.g. 镇党委副书记
ALTER TABLE app_user ADD COLUMN photo_path TEXT;  -- content-addressed file name, optional

CREATE TABLE department (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('town_office', 'village_committee', 'station', 'other')),
    region_code  TEXT NOT NULL REFERENCES region(code),
    head_user_id INTEGER REFERENCES app_user(id),
    phone        TEXT,
    retired_at   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX department_region ON department(region_code);

CREATE TABLE department_member (
    id            INTEGER PRIMARY KEY,
    department_id INTEGER NOT NULL REFERENCES department(id),
    user_id       INTEGER NOT NULL REFERENCES app_user(id),
    position      TEXT,
    start_date    TEXT NOT NULL,
    end_date      TEXT
);
CREATE INDEX department_member_dept ON department_member(department_id);
CREATE INDEX department_member_user ON department_member(user_id);

-- One stationed team and one auxiliary team per village.
CREATE TABLE village_team (
    id             INTEGER PRIMARY KEY,
    village_code   TEXT NOT NULL REFERENCES region(code),
    kind           TEXT NOT NULL CHECK (kind IN ('station', 'auxiliary')),
    leader_user_id INTEGER REFERENCES app_user(id),
    station_weekday INTEGER CHECK (station_weekday BETWEEN 1 AND 7),     -- 1 = Monday
    station_every_weeks INTEGER NOT NULL DEFAULT 1 CHECK (station_every_weeks IN (1, 2)),
    station_start  TEXT,                 -- "09:00"
    station_end    TEXT,                 -- "12:00"
    station_place  TEXT,                 -- usually the village committee office
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (village_code, kind)
);

-- Members of a team; auxiliary members (volunteers, legal advisers) may have
-- no account, so user_id is optional and name is kept.
CREATE TABLE team_member (
    id         INTEGER PRIMARY KEY,
    team_id    INTEGER NOT NULL REFERENCES village_team(id),
    user_id    INTEGER REFERENCES app_user(id),
    name       TEXT NOT NULL,
    team_role  TEXT NOT NULL CHECK (team_role IN ('leader', 'cadre', 'department_head', 'party_member',
                 'deputy', 'cppcc_member', 'village_committee', 'service_centre', 'graduate_official',
                 'legal_adviser', 'volunteer', 'other')),
    position   TEXT,
    phone      TEXT,
    start_date TEXT NOT NULL,
    end_date   TEXT
);
CREATE INDEX team_member_team ON team_member(team_id);
CREATE INDEX team_member_user ON team_member(user_id);

-- A handover moves a cadre's current responsibilities to another.
CREATE TABLE handover (
    id             INTEGER PRIMARY KEY,
    from_user_id   INTEGER NOT NULL REFERENCES app_user(id),
    to_user_id     INTEGER NOT NULL REFERENCES app_user(id),
    effective_date TEXT NOT NULL,
    whole_scope    INTEGER NOT NULL,     -- 1: everything; 0: the listed items only
    note           TEXT,
    summary_json   TEXT NOT NULL,        -- counts and ids of what moved
    created_by     INTEGER REFERENCES app_user(id),
    created_at     TEXT NOT NULL
);
CREATE INDEX handover_from ON handover(from_user_id);
CREATE INDEX handover_to ON handover(to_user_id);

-- 驻点: the village a cadre is stationed at.
CREATE TABLE station_assignment (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES app_user(id),
    village_code TEXT NOT NULL REFERENCES region(code),
    start_date   TEXT NOT NULL,
    end_date     TEXT,
    handover_id  INTEGER REFERENCES handover(id),
    created_at   TEXT NOT NULL,
    CHECK (end_date IS NULL OR end_date > start_date)
);
CREATE INDEX station_assignment_user ON station_assignment(user_id, start_date);
CREATE INDEX station_assignment_village ON station_assignment(village_code, start_date);
CREATE UNIQUE INDEX station_assignment_current ON station_assignment(user_id, village_code) WHERE end_date IS NULL;

-- The inbox: what a user needs to know (new assignment, handover, warnings).
CREATE TABLE notification (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES app_user(id),
    kind       TEXT NOT NULL,            -- "handover.in", "assignment.new", ...
    title_zh   TEXT NOT NULL,
    title_en   TEXT NOT NULL,
    entity     TEXT,
    entity_id  TEXT,
    created_at TEXT NOT NULL,
    read_at    TEXT
);
CREATE INDEX notification_user ON notification(user_id, id);
