-- 0004: what the organisation module needs beyond 0002: one current
-- membership per person in a department or team, and the look-ups the
-- region tree, the inbox and the assignment lists use.
-- (The shortest station day is the setting 'org.station_min_minutes'; the
-- program uses 210 minutes, half a day, while no row sets it.)

-- A person holds at most one current membership of a department or a team
-- (ended memberships stay as history).
CREATE UNIQUE INDEX department_member_current ON department_member(department_id, user_id)
    WHERE end_date IS NULL;
CREATE UNIQUE INDEX team_member_current ON team_member(team_id, user_id)
    WHERE end_date IS NULL AND user_id IS NOT NULL;

CREATE INDEX region_level ON region(level, code);
CREATE INDEX notification_unread ON notification(user_id, id) WHERE read_at IS NULL;
CREATE INDEX household_assignment_user_start ON household_assignment(user_id, start_date);
CREATE INDEX handover_created ON handover(created_at);
