-- 0016: the people's-condition diary (民情日记): a cadre's dated notes, each
-- belonging to one village (for scope), optionally linked to contacts and
-- households and carrying a few free tags (民生, 矛盾, 建议 ...). The author
-- may edit an entry for 24 hours; after that it stays as written, because it
-- prints into the station log (驻点日志).

CREATE TABLE diary_entry (
    id             INTEGER PRIMARY KEY,
    author_user_id INTEGER NOT NULL REFERENCES app_user(id),
    date           TEXT NOT NULL,                 -- YYYY-MM-DD (Asia/Shanghai)
    village_code   TEXT NOT NULL REFERENCES region(code),
    text           TEXT NOT NULL,
    tags_json      TEXT NOT NULL DEFAULT '[]',    -- a JSON array of short strings
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX diary_entry_author ON diary_entry(author_user_id, date, id);
CREATE INDEX diary_entry_village ON diary_entry(village_code, date, id);
CREATE INDEX diary_entry_date ON diary_entry(date, id);

CREATE TABLE diary_contact (
    entry_id   INTEGER NOT NULL REFERENCES diary_entry(id),
    contact_id INTEGER NOT NULL REFERENCES contact(id),
    PRIMARY KEY (entry_id, contact_id)
);
CREATE INDEX diary_contact_contact ON diary_contact(contact_id, entry_id);

CREATE TABLE diary_household (
    entry_id     INTEGER NOT NULL REFERENCES diary_entry(id),
    household_id INTEGER NOT NULL REFERENCES household(id),
    PRIMARY KEY (entry_id, household_id)
);
CREATE INDEX diary_household_household ON diary_household(household_id, entry_id);
