-- 0019: the plan rules as they were. A rule's row holds what is in force
-- now; each change (create, edit, retire, restore) closes the version in
-- force and opens the next, so plan completion for any past period is
-- computed against the rule of that period ([valid_from, valid_to), UTC
-- storage form; valid_to NULL while in force).

CREATE TABLE plan_rule_version (
    id           INTEGER PRIMARY KEY,
    rule_id      INTEGER NOT NULL REFERENCES plan_rule(id),
    region_code  TEXT,
    tag_id       INTEGER,
    every        TEXT NOT NULL,
    every_days   INTEGER,
    min_contacts INTEGER NOT NULL,
    valid_from   TEXT NOT NULL,
    valid_to     TEXT,
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX plan_rule_version_rule ON plan_rule_version(rule_id, valid_from);
CREATE UNIQUE INDEX plan_rule_version_open ON plan_rule_version(rule_id) WHERE valid_to IS NULL;

INSERT INTO plan_rule_version(rule_id, region_code, tag_id, every, every_days, min_contacts, valid_from, valid_to)
    SELECT id, region_code, tag_id, every, every_days, min_contacts, created_at, retired_at FROM plan_rule;
