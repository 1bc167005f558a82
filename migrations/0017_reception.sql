-- 0017: reception days (接访日): the station team's fixed day at the village,
-- the duty roster a leader may set for a date, and the walk-in visitors the
-- cadres on duty register (each a contact, and optionally an appeal).

-- At least half a day: 3 hours or more (the county's rule as the town
-- applies it; teams.c reads this setting and used 210 minutes while unset).
INSERT OR IGNORE INTO setting(key, value) VALUES ('org.station_min_minutes', '180');

-- 偏远驻点: a remote station point may meet every two weeks instead of every
-- week (the Guangdong rule). Kept on the station team beside
-- station_every_weeks, which it gates: it is part of the team's approved
-- fixed-time arrangement (三固定), set and audited with it.
ALTER TABLE village_team ADD COLUMN station_remote INTEGER NOT NULL DEFAULT 0
    CHECK (station_remote IN (0, 1));

-- The roster of a station day set by a leader. A date without rows has the
-- default roster: the cadres stationed at the village (station_assignment)
-- on that date. Replacing a roster replaces its rows; the audit log keeps
-- what it was.
CREATE TABLE station_duty (
    id           INTEGER PRIMARY KEY,
    village_code TEXT NOT NULL REFERENCES region(code),
    date         TEXT NOT NULL,                  -- the station day, YYYY-MM-DD (Asia/Shanghai)
    user_id      INTEGER NOT NULL REFERENCES app_user(id),
    set_by       INTEGER REFERENCES app_user(id),
    created_at   TEXT NOT NULL,
    UNIQUE (village_code, date, user_id)
);
CREATE INDEX station_duty_user ON station_duty(user_id, date);

-- A walk-in visitor registered on a reception day: the contact it became
-- (method reception_day) and the appeal made from it, if any. The visitor's
-- name is in the contact's people; the phone only in the appeal (encrypted).
CREATE TABLE reception_walkin (
    id           INTEGER PRIMARY KEY,
    contact_id   INTEGER NOT NULL UNIQUE REFERENCES contact(id),
    village_code TEXT NOT NULL REFERENCES region(code),
    date         TEXT NOT NULL,
    appeal_id    INTEGER REFERENCES appeal(id),
    created_by   INTEGER NOT NULL REFERENCES app_user(id),
    created_at   TEXT NOT NULL
);
CREATE INDEX reception_walkin_day ON reception_walkin(village_code, date);
