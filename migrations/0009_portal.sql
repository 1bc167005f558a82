-- 0009: the resident portal's follow-up: a resolved appeal whose resident has
-- not answered "is it fixed, are you satisfied?" within 7 days is asked once
-- more. One row per appeal records that ask; the SMS gateway (other work)
-- sends the rows whose sms_sent_at is NULL and stamps them.

CREATE TABLE appeal_followup (
    appeal_id        INTEGER PRIMARY KEY REFERENCES appeal(id),
    resolved_at      TEXT NOT NULL,            -- the resolution this ask is about
    asked_at         TEXT NOT NULL,            -- when the tick found it due
    notified_user_id INTEGER REFERENCES app_user(id), -- the assignee told in the inbox
    sms_sent_at      TEXT                      -- set by the SMS gateway once sent
);
CREATE INDEX appeal_followup_sms ON appeal_followup(sms_sent_at);
CREATE INDEX appeal_resolved ON appeal(state, resolved_at);
