-- 0015: analysis meetings (分析研判): a village team's regular review of what
-- was collected. The agenda is drawn from the village's open appeals and the
-- open issues raised in contacts; the minutes record a decision for each item
-- and link it to what the decision produced (the appeal an issue became, the
-- issue closed). Also the reason and who closed a contact issue.

ALTER TABLE contact_issue ADD COLUMN close_reason TEXT;
ALTER TABLE contact_issue ADD COLUMN closed_by INTEGER REFERENCES app_user(id);
ALTER TABLE contact_issue ADD COLUMN closed_at TEXT;
CREATE INDEX contact_issue_appeal ON contact_issue(appeal_id) WHERE appeal_id IS NOT NULL;

CREATE TABLE meeting (
    id            INTEGER PRIMARY KEY,
    village_code  TEXT NOT NULL REFERENCES region(code),
    title         TEXT,
    held_at       TEXT NOT NULL,                 -- UTC storage form
    place         TEXT,
    state         TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'final')),
    finalised_at  TEXT,
    finalised_by  INTEGER REFERENCES app_user(id),
    created_by    INTEGER REFERENCES app_user(id),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX meeting_village_held ON meeting(village_code, held_at);

CREATE TABLE meeting_attendee (
    meeting_id INTEGER NOT NULL REFERENCES meeting(id),
    user_id    INTEGER NOT NULL REFERENCES app_user(id),
    PRIMARY KEY (meeting_id, user_id)
);

-- One agenda item: an open appeal, a contact issue, or a free item the leader
-- added. text is what the item said when it was drawn. The decision and what
-- it produced are filled in the minutes.
CREATE TABLE meeting_item (
    id               INTEGER PRIMARY KEY,
    meeting_id       INTEGER NOT NULL REFERENCES meeting(id),
    seq              INTEGER NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('appeal', 'issue', 'free')),
    appeal_id        INTEGER REFERENCES appeal(id),
    contact_issue_id INTEGER REFERENCES contact_issue(id),
    text             TEXT NOT NULL,
    decision         TEXT CHECK (decision IN ('solve_village', 'appeal', 'close')),
    owner_user_id    INTEGER REFERENCES app_user(id),  -- solve_village: who
    due_date         TEXT,                             -- solve_village: by when (YYYY-MM-DD)
    reason           TEXT,                             -- close: why
    note             TEXT,
    result_appeal_id INTEGER REFERENCES appeal(id),    -- appeal: the appeal created or linked
    closed_issue_id  INTEGER REFERENCES contact_issue(id), -- close: the issue closed
    decided_by       INTEGER REFERENCES app_user(id),
    decided_at       TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CHECK ((kind = 'appeal') = (appeal_id IS NOT NULL)),
    CHECK ((kind = 'issue') = (contact_issue_id IS NOT NULL))
);
CREATE INDEX meeting_item_meeting ON meeting_item(meeting_id, seq);
CREATE INDEX meeting_item_issue ON meeting_item(contact_issue_id) WHERE contact_issue_id IS NOT NULL;
CREATE INDEX meeting_item_appeal ON meeting_item(appeal_id) WHERE appeal_id IS NOT NULL;
