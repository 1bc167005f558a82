-- 0007: appeals (诉求): categories with default departments and time limits,
-- appeals with their workflow state and deadlines, the event history of every
-- action, and the holiday calendar (法定节假日 and 调休 workdays) that working
-- time follows. The calendar rows below are data/holidays.csv for 2024-2026.
-- Times are stored as UTC RFC 3339 text; days as 'YYYY-MM-DD' (Asia/Shanghai).

CREATE TABLE appeal_category (
    id                    INTEGER PRIMARY KEY,
    parent_id             INTEGER REFERENCES appeal_category(id),
    name                  TEXT NOT NULL,
    name_en               TEXT,
    default_department_id INTEGER REFERENCES department(id),
    sort                  INTEGER NOT NULL DEFAULT 0,
    retired_at            TEXT,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
CREATE UNIQUE INDEX appeal_category_name ON appeal_category(COALESCE(parent_id, 0), name);

-- Time limits of a category, one row per urgency: the accept-or-reject limit
-- and the resolve limit, each an amount in a unit.
CREATE TABLE appeal_limit (
    category_id    INTEGER NOT NULL REFERENCES appeal_category(id),
    urgency        TEXT NOT NULL CHECK (urgency IN ('emergency', 'urgent', 'general', 'complex')),
    accept_amount  INTEGER NOT NULL CHECK (accept_amount > 0),
    accept_unit    TEXT NOT NULL CHECK (accept_unit IN ('working_hours', 'working_days', 'natural_hours', 'natural_days')),
    resolve_amount INTEGER NOT NULL CHECK (resolve_amount > 0),
    resolve_unit   TEXT NOT NULL CHECK (resolve_unit IN ('working_hours', 'working_days', 'natural_hours', 'natural_days')),
    PRIMARY KEY (category_id, urgency)
);

CREATE TABLE appeal (
    id                INTEGER PRIMARY KEY,
    receipt_code      TEXT NOT NULL UNIQUE,   -- told to the resident: "7KQM-X2HD-9P"
    channel           TEXT NOT NULL CHECK (channel IN ('portal', 'cadre', 'phone', 'contact', 'open311')),
    village_code      TEXT NOT NULL REFERENCES region(code),
    household_id      INTEGER REFERENCES household(id),
    contact_issue_id  INTEGER,                -- the contact record it came from (contacts module)
    category_id       INTEGER NOT NULL REFERENCES appeal_category(id),
    urgency           TEXT NOT NULL CHECK (urgency IN ('emergency', 'urgent', 'general', 'complex')),
    title             TEXT NOT NULL,
    description       TEXT NOT NULL,
    submitter_name_enc  BLOB,
    submitter_name_hash TEXT,
    submitter_name_mask TEXT,
    submitter_phone_enc BLOB,
    submitter_phone_hash TEXT,
    submitter_phone_mask TEXT,
    anonymous         INTEGER NOT NULL DEFAULT 0,
    state             TEXT NOT NULL CHECK (state IN ('submitted', 'accepted', 'rejected', 'assigned',
                        'in_progress', 'waiting_resident', 'resolved', 'reopened', 'closed')),
    assignee_user_id  INTEGER REFERENCES app_user(id),
    department_id     INTEGER REFERENCES department(id),
    -- the limits copied from the category when submitted (a later edit of the
    -- category does not move running deadlines)
    accept_amount     INTEGER NOT NULL,
    accept_unit       TEXT NOT NULL,
    resolve_amount    INTEGER NOT NULL,
    resolve_unit      TEXT NOT NULL,
    accept_due_at     TEXT,
    accepted_at       TEXT,
    due_at            TEXT,
    paused_since      TEXT,
    paused_total_sec  INTEGER NOT NULL DEFAULT 0,   -- counted time lost to pauses
    extension_sec     INTEGER NOT NULL DEFAULT 0,   -- counted time added by approved extensions
    extension_requested_days INTEGER,               -- a pending request_extension
    overdue_at        TEXT,
    warned_at         TEXT,
    escalated_at      TEXT,
    escalation_level  INTEGER NOT NULL DEFAULT 0,
    escalated_to_user_id INTEGER REFERENCES app_user(id),
    merged_into_id    INTEGER REFERENCES appeal(id),
    resolution        TEXT,
    resolved_at       TEXT,
    feedback          TEXT CHECK (feedback IN ('satisfied', 'basically_satisfied', 'dissatisfied')),
    feedback_comment  TEXT,
    public_consent    INTEGER NOT NULL DEFAULT 0,   -- the resident agrees to the public board
    created_by        INTEGER REFERENCES app_user(id),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX appeal_village ON appeal(village_code, id);
CREATE INDEX appeal_state ON appeal(state, due_at);
CREATE INDEX appeal_assignee ON appeal(assignee_user_id, state);
CREATE INDEX appeal_household ON appeal(household_id);
CREATE INDEX appeal_department ON appeal(department_id);
CREATE INDEX appeal_phone ON appeal(submitter_phone_hash);
CREATE INDEX appeal_merged ON appeal(merged_into_id);

-- Every action on an appeal: who, when, from which state to which, and what
-- was given (masked values only).
CREATE TABLE appeal_event (
    id           INTEGER PRIMARY KEY,
    appeal_id    INTEGER NOT NULL REFERENCES appeal(id),
    at           TEXT NOT NULL,
    user_id      INTEGER REFERENCES app_user(id),   -- NULL for the system (the time-limit job)
    action       TEXT NOT NULL,
    from_state   TEXT,
    to_state     TEXT,
    payload_json TEXT
);
CREATE INDEX appeal_event_appeal ON appeal_event(appeal_id, id);
CREATE INDEX appeal_event_at ON appeal_event(at, id);

-- Days that differ from the Monday-Friday week: holidays (also the weekend
-- days inside a holiday) and adjusted workdays (调休: a weekend day worked).
CREATE TABLE calendar_day (
    day  TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name TEXT
);

INSERT INTO appeal_category(id, parent_id, name, name_en, sort, created_at, updated_at) VALUES
    (1, NULL, '道路交通', 'roads and traffic', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    (2, NULL, '水电气暖', 'water, power, gas and heating', 2, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    (3, NULL, '环境卫生', 'environment and sanitation', 3, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    (4, NULL, '社会保障', 'social security', 4, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    (5, NULL, '就业创业', 'jobs and business', 5, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    (6, NULL, '土地与宅基地', 'land and homesteads', 6, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    (7, NULL, '邻里纠纷', 'disputes between neighbours', 7, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    (8, NULL, '治安安全', 'public safety', 8, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    (9, NULL, '教育医疗', 'education and health care', 9, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    (10, NULL, '村务公开', 'village affairs transparency', 10, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    (11, NULL, '其他', 'other', 11, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');

-- Beijing 12345's norm: accept or reject within 2 working hours; emergency
-- 2 hours; water, power, gas and heating 24 hours; general 7 working days;
-- complex 15 working days. Urgent (not a 12345 class of its own) 24 hours.
INSERT INTO appeal_limit(category_id, urgency, accept_amount, accept_unit, resolve_amount, resolve_unit)
    SELECT id, 'emergency', 2, 'working_hours', 2, 'natural_hours' FROM appeal_category;
INSERT INTO appeal_limit(category_id, urgency, accept_amount, accept_unit, resolve_amount, resolve_unit)
    SELECT id, 'urgent', 2, 'working_hours', 24, 'natural_hours' FROM appeal_category;
INSERT INTO appeal_limit(category_id, urgency, accept_amount, accept_unit, resolve_amount, resolve_unit)
    SELECT id, 'general', 2, 'working_hours', 7, 'working_days' FROM appeal_category WHERE id <> 2;
INSERT INTO appeal_limit(category_id, urgency, accept_amount, accept_unit, resolve_amount, resolve_unit)
    VALUES (2, 'general', 2, 'working_hours', 24, 'natural_hours');
INSERT INTO appeal_limit(category_id, urgency, accept_amount, accept_unit, resolve_amount, resolve_unit)
    SELECT id, 'complex', 2, 'working_hours', 15, 'working_days' FROM appeal_category;

INSERT INTO calendar_day(day, kind, name) VALUES
    ('2024-01-01', 'holiday', '元旦'),
    ('2024-02-04', 'workday', '春节调休上班'),
    ('2024-02-10', 'holiday', '春节'),
    ('2024-02-11', 'holiday', '春节'),
    ('2024-02-12', 'holiday', '春节'),
    ('2024-02-13', 'holiday', '春节'),
    ('2024-02-14', 'holiday', '春节'),
    ('2024-02-15', 'holiday', '春节'),
    ('2024-02-16', 'holiday', '春节'),
    ('2024-02-17', 'holiday', '春节'),
    ('2024-02-18', 'workday', '春节调休上班'),
    ('2024-04-04', 'holiday', '清明节'),
    ('2024-04-05', 'holiday', '清明节'),
    ('2024-04-06', 'holiday', '清明节'),
    ('2024-04-07', 'workday', '清明节调休上班'),
    ('2024-04-28', 'workday', '劳动节调休上班'),
    ('2024-05-01', 'holiday', '劳动节'),
    ('2024-05-02', 'holiday', '劳动节'),
    ('2024-05-03', 'holiday', '劳动节'),
    ('2024-05-04', 'holiday', '劳动节'),
    ('2024-05-05', 'holiday', '劳动节'),
    ('2024-05-11', 'workday', '劳动节调休上班'),
    ('2024-06-10', 'holiday', '端午节'),
    ('2024-09-14', 'workday', '中秋节调休上班'),
    ('2024-09-15', 'holiday', '中秋节'),
    ('2024-09-16', 'holiday', '中秋节'),
    ('2024-09-17', 'holiday', '中秋节'),
    ('2024-09-29', 'workday', '国庆节调休上班'),
    ('2024-10-01', 'holiday', '国庆节'),
    ('2024-10-02', 'holiday', '国庆节'),
    ('2024-10-03', 'holiday', '国庆节'),
    ('2024-10-04', 'holiday', '国庆节'),
    ('2024-10-05', 'holiday', '国庆节'),
    ('2024-10-06', 'holiday', '国庆节'),
    ('2024-10-07', 'holiday', '国庆节'),
    ('2024-10-12', 'workday', '国庆节调休上班'),
    ('2025-01-01', 'holiday', '元旦'),
    ('2025-01-26', 'workday', '春节调休上班'),
    ('2025-01-28', 'holiday', '春节'),
    ('2025-01-29', 'holiday', '春节'),
    ('2025-01-30', 'holiday', '春节'),
    ('2025-01-31', 'holiday', '春节'),
    ('2025-02-01', 'holiday', '春节'),
    ('2025-02-02', 'holiday', '春节'),
    ('2025-02-03', 'holiday', '春节'),
    ('2025-02-04', 'holiday', '春节'),
    ('2025-02-08', 'workday', '春节调休上班'),
    ('2025-04-04', 'holiday', '清明节'),
    ('2025-04-05', 'holiday', '清明节'),
    ('2025-04-06', 'holiday', '清明节'),
    ('2025-04-27', 'workday', '劳动节调休上班'),
    ('2025-05-01', 'holiday', '劳动节'),
    ('2025-05-02', 'holiday', '劳动节'),
    ('2025-05-03', 'holiday', '劳动节'),
    ('2025-05-04', 'holiday', '劳动节'),
    ('2025-05-05', 'holiday', '劳动节'),
    ('2025-05-31', 'holiday', '端午节'),
    ('2025-06-01', 'holiday', '端午节'),
    ('2025-06-02', 'holiday', '端午节'),
    ('2025-09-28', 'workday', '国庆节调休上班'),
    ('2025-10-01', 'holiday', '国庆节、中秋节'),
    ('2025-10-02', 'holiday', '国庆节、中秋节'),
    ('2025-10-03', 'holiday', '国庆节、中秋节'),
    ('2025-10-04', 'holiday', '国庆节、中秋节'),
    ('2025-10-05', 'holiday', '国庆节、中秋节'),
    ('2025-10-06', 'holiday', '国庆节、中秋节'),
    ('2025-10-07', 'holiday', '国庆节、中秋节'),
    ('2025-10-08', 'holiday', '国庆节、中秋节'),
    ('2025-10-11', 'workday', '国庆节调休上班'),
    ('2026-01-01', 'holiday', '元旦'),
    ('2026-01-02', 'holiday', '元旦'),
    ('2026-01-03', 'holiday', '元旦'),
    ('2026-01-04', 'workday', '元旦调休上班'),
    ('2026-02-14', 'workday', '春节调休上班'),
    ('2026-02-15', 'holiday', '春节'),
    ('2026-02-16', 'holiday', '春节'),
    ('2026-02-17', 'holiday', '春节'),
    ('2026-02-18', 'holiday', '春节'),
    ('2026-02-19', 'holiday', '春节'),
    ('2026-02-20', 'holiday', '春节'),
    ('2026-02-21', 'holiday', '春节'),
    ('2026-02-22', 'holiday', '春节'),
    ('2026-02-23', 'holiday', '春节'),
    ('2026-02-28', 'workday', '春节调休上班'),
    ('2026-04-04', 'holiday', '清明节'),
    ('2026-04-05', 'holiday', '清明节'),
    ('2026-04-06', 'holiday', '清明节'),
    ('2026-05-01', 'holiday', '劳动节'),
    ('2026-05-02', 'holiday', '劳动节'),
    ('2026-05-03', 'holiday', '劳动节'),
    ('2026-05-04', 'holiday', '劳动节'),
    ('2026-05-05', 'holiday', '劳动节'),
    ('2026-05-09', 'workday', '劳动节调休上班'),
    ('2026-06-19', 'holiday', '端午节'),
    ('2026-06-20', 'holiday', '端午节'),
    ('2026-06-21', 'holiday', '端午节'),
    ('2026-09-20', 'workday', '国庆节调休上班'),
    ('2026-09-25', 'holiday', '中秋节'),
    ('2026-09-26', 'holiday', '中秋节'),
    ('2026-09-27', 'holiday', '中秋节'),
    ('2026-10-01', 'holiday', '国庆节'),
    ('2026-10-02', 'holiday', '国庆节'),
    ('2026-10-03', 'holiday', '国庆节'),
    ('2026-10-04', 'holiday', '国庆节'),
    ('2026-10-05', 'holiday', '国庆节'),
    ('2026-10-06', 'holiday', '国庆节'),
    ('2026-10-07', 'holiday', '国庆节'),
    ('2026-10-10', 'workday', '国庆节调休上班');
