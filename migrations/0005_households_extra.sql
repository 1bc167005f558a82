-- 0005: household files, second part: the reason a member left a household
-- (members are marked removed, never deleted, so the reason stays beside
-- the record).
ALTER TABLE household_member ADD COLUMN removed_reason TEXT;
