-- 0018: contact statistics (联系统计, GET /api/v1/contacts/stats) read the
-- contacts of a period village by village from this covering index, so the
-- wide contact rows (summary, place) are never read: about 100k contacts a
-- year cost some tens of milliseconds. It starts with contact_village_started's
-- columns, so it answers that index's queries too.
CREATE INDEX contact_stats ON contact(village_code, started_at, method, author_user_id, confirmation);
