-- 0010: visit plans (the long-term mechanism): plan rules that say how often
-- a household must be contacted, and check-ins on the station days (驻点日).
-- Due items are not stored: they are computed on read from the rules, the
-- responsible cadre (household_assignment) and the contacts (contact_household),
-- so a contact closes an item and a handover moves it without extra writes.

-- A rule: households in region_code (NULL: everywhere) carrying tag_id
-- (NULL: every household) are contacted at least min_contacts times in each
-- period: a calendar week (Monday-Sunday), month, quarter, or every_days days
-- (periods counted from 1970-01-01). The strictest applicable rule wins.
CREATE TABLE plan_rule (
    id           INTEGER PRIMARY KEY,
    region_code  TEXT REFERENCES region(code),
    tag_id       INTEGER REFERENCES tag(id),
    every        TEXT NOT NULL CHECK (every IN ('week', 'month', 'quarter', 'days')),
    every_days   INTEGER CHECK (every_days IS NULL OR every_days BETWEEN 1 AND 366),
    min_contacts INTEGER NOT NULL DEFAULT 1 CHECK (min_contacts BETWEEN 1 AND 31),
    retired_at   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    CHECK ((every = 'days') = (every_days IS NOT NULL))
);

-- the shipped defaults: every household once a quarter; 低保户, 特困供养 and
-- 独居老人 once a month
INSERT INTO plan_rule(region_code, tag_id, every, min_contacts, created_at, updated_at)
    VALUES (NULL, NULL, 'quarter', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
INSERT INTO plan_rule(region_code, tag_id, every, min_contacts, created_at, updated_at)
    SELECT NULL, id, 'month', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'
    FROM tag WHERE name IN ('低保户', '特困供养', '独居老人') ORDER BY sort;

-- A cadre present at the village on a station day checks in.
CREATE TABLE station_checkin (
    id           INTEGER PRIMARY KEY,
    village_code TEXT NOT NULL REFERENCES region(code),
    date         TEXT NOT NULL,                  -- the station day, YYYY-MM-DD (Asia/Shanghai)
    user_id      INTEGER NOT NULL REFERENCES app_user(id),
    at           TEXT NOT NULL,                  -- UTC storage form
    lat          REAL,
    lng          REAL,
    UNIQUE (village_code, date, user_id)
);
CREATE INDEX station_checkin_user ON station_checkin(user_id, date);

-- 驻点天数: the days a month a stationed cadre is at the village, counted
-- from contacts at the village and check-ins; fortnightly station days count
-- from this reference Monday.
INSERT OR IGNORE INTO setting(key, value) VALUES ('plan.station_days_per_month', '4');
INSERT OR IGNORE INTO setting(key, value) VALUES ('plan.station_reference_monday', '2026-01-05');
