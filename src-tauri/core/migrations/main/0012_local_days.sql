-- Insights, days of the machine's zone: the tallies of 0008 and 0009 were keyed by the UTC day and
-- hour of `sort_ms`, while the call log filters by local days. Their triggers now key them by the
-- day and hour of the zone recorded in `tally_zone`, through the functions `local_day(ms, zone)`
-- and `local_hour(ms, zone)` that every connection registers (src/insights/zone.rs). Reading the
-- zone from the table, not from the machine, keeps every writer (the window, a command line, an
-- import) on the zone the tallies hold, whatever the machine's zone at that moment; when the
-- machine's zone differs, the tallies are rebuilt for it in one transaction that also changes
-- this row (`zone::ensure`).
--
-- The tallies held so far are UTC days, so the recorded zone starts as UTC, and the next open
-- rebuilds them for the machine's zone.

CREATE TABLE tally_zone (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    zone TEXT NOT NULL
);
INSERT INTO tally_zone (id, zone) VALUES (1, 'UTC');

DROP TRIGGER calls_tally_insert;
DROP TRIGGER calls_tally_update;
DROP TRIGGER calls_tally_delete;
DROP TRIGGER calls_hours_insert;
DROP TRIGGER calls_hours_update;
DROP TRIGGER calls_hours_delete;

-- As in 0008 and 0009 with `day` and `hour` local; an update that moves `sort_ms` at all moves the
-- call (in a half-hour zone a local hour does not start with a UTC hour).
CREATE TRIGGER calls_tally_insert AFTER INSERT ON calls BEGIN
    INSERT INTO call_tally (day, status, campaign, calls, achieved, judged)
    VALUES (local_day(new.sort_ms, (SELECT zone FROM tally_zone)), ifnull(new.status, ''), ifnull(new.campaign, ''), 1,
            new.objective IS 1, new.objective IS NOT NULL)
    ON CONFLICT DO UPDATE SET calls = calls + 1, achieved = achieved + excluded.achieved,
                              judged = judged + excluded.judged;
    INSERT INTO duration_tally (day, status, campaign, bucket, calls)
    VALUES (local_day(new.sort_ms, (SELECT zone FROM tally_zone)), ifnull(new.status, ''), ifnull(new.campaign, ''),
            CASE WHEN new.duration IS NULL THEN -1
                 WHEN new.duration < 60 THEN max(new.duration, 0)
                 WHEN new.duration < 600 THEN new.duration - new.duration % 5
                 WHEN new.duration < 3600 THEN new.duration - new.duration % 30
                 ELSE new.duration - new.duration % 300 END, 1)
    ON CONFLICT DO UPDATE SET calls = calls + 1;
END;

CREATE TRIGGER calls_tally_update AFTER UPDATE OF sort_ms, status, campaign, objective, duration ON calls
WHEN old.sort_ms IS NOT new.sort_ms
  OR old.status IS NOT new.status OR old.campaign IS NOT new.campaign
  OR old.objective IS NOT new.objective OR old.duration IS NOT new.duration
BEGIN
    UPDATE call_tally SET calls = calls - 1, achieved = achieved - (old.objective IS 1),
                          judged = judged - (old.objective IS NOT NULL)
    WHERE day = local_day(old.sort_ms, (SELECT zone FROM tally_zone)) AND status = ifnull(old.status, '')
      AND campaign = ifnull(old.campaign, '');
    UPDATE duration_tally SET calls = calls - 1
    WHERE day = local_day(old.sort_ms, (SELECT zone FROM tally_zone)) AND status = ifnull(old.status, '')
      AND campaign = ifnull(old.campaign, '')
      AND bucket = CASE WHEN old.duration IS NULL THEN -1
                        WHEN old.duration < 60 THEN max(old.duration, 0)
                        WHEN old.duration < 600 THEN old.duration - old.duration % 5
                        WHEN old.duration < 3600 THEN old.duration - old.duration % 30
                        ELSE old.duration - old.duration % 300 END;
    INSERT INTO call_tally (day, status, campaign, calls, achieved, judged)
    VALUES (local_day(new.sort_ms, (SELECT zone FROM tally_zone)), ifnull(new.status, ''), ifnull(new.campaign, ''), 1,
            new.objective IS 1, new.objective IS NOT NULL)
    ON CONFLICT DO UPDATE SET calls = calls + 1, achieved = achieved + excluded.achieved,
                              judged = judged + excluded.judged;
    INSERT INTO duration_tally (day, status, campaign, bucket, calls)
    VALUES (local_day(new.sort_ms, (SELECT zone FROM tally_zone)), ifnull(new.status, ''), ifnull(new.campaign, ''),
            CASE WHEN new.duration IS NULL THEN -1
                 WHEN new.duration < 60 THEN max(new.duration, 0)
                 WHEN new.duration < 600 THEN new.duration - new.duration % 5
                 WHEN new.duration < 3600 THEN new.duration - new.duration % 30
                 ELSE new.duration - new.duration % 300 END, 1)
    ON CONFLICT DO UPDATE SET calls = calls + 1;
END;

CREATE TRIGGER calls_tally_delete AFTER DELETE ON calls BEGIN
    UPDATE call_tally SET calls = calls - 1, achieved = achieved - (old.objective IS 1),
                          judged = judged - (old.objective IS NOT NULL)
    WHERE day = local_day(old.sort_ms, (SELECT zone FROM tally_zone)) AND status = ifnull(old.status, '')
      AND campaign = ifnull(old.campaign, '');
    UPDATE duration_tally SET calls = calls - 1
    WHERE day = local_day(old.sort_ms, (SELECT zone FROM tally_zone)) AND status = ifnull(old.status, '')
      AND campaign = ifnull(old.campaign, '')
      AND bucket = CASE WHEN old.duration IS NULL THEN -1
                        WHEN old.duration < 60 THEN max(old.duration, 0)
                        WHEN old.duration < 600 THEN old.duration - old.duration % 5
                        WHEN old.duration < 3600 THEN old.duration - old.duration % 30
                        ELSE old.duration - old.duration % 300 END;
END;

CREATE TRIGGER calls_hours_insert AFTER INSERT ON calls BEGIN
    INSERT INTO hour_tally (day, status, campaign, hour, calls)
    VALUES (local_day(new.sort_ms, (SELECT zone FROM tally_zone)), ifnull(new.status, ''), ifnull(new.campaign, ''),
            local_hour(new.sort_ms, (SELECT zone FROM tally_zone)), 1)
    ON CONFLICT DO UPDATE SET calls = calls + 1;
    INSERT INTO assistant_tally (day, status, campaign, assistant, calls, achieved, judged)
    VALUES (local_day(new.sort_ms, (SELECT zone FROM tally_zone)), ifnull(new.status, ''), ifnull(new.campaign, ''),
            ifnull(new.assistant_phone, ''), 1, new.objective IS 1, new.objective IS NOT NULL)
    ON CONFLICT DO UPDATE SET calls = calls + 1, achieved = achieved + excluded.achieved,
                              judged = judged + excluded.judged;
END;

CREATE TRIGGER calls_hours_update AFTER UPDATE OF sort_ms, status, campaign, objective, assistant_phone ON calls
WHEN old.sort_ms IS NOT new.sort_ms
  OR old.status IS NOT new.status OR old.campaign IS NOT new.campaign
  OR old.objective IS NOT new.objective OR old.assistant_phone IS NOT new.assistant_phone
BEGIN
    UPDATE hour_tally SET calls = calls - 1
    WHERE day = local_day(old.sort_ms, (SELECT zone FROM tally_zone)) AND status = ifnull(old.status, '')
      AND campaign = ifnull(old.campaign, '') AND hour = local_hour(old.sort_ms, (SELECT zone FROM tally_zone));
    UPDATE assistant_tally SET calls = calls - 1, achieved = achieved - (old.objective IS 1),
                               judged = judged - (old.objective IS NOT NULL)
    WHERE day = local_day(old.sort_ms, (SELECT zone FROM tally_zone)) AND status = ifnull(old.status, '')
      AND campaign = ifnull(old.campaign, '') AND assistant = ifnull(old.assistant_phone, '');
    INSERT INTO hour_tally (day, status, campaign, hour, calls)
    VALUES (local_day(new.sort_ms, (SELECT zone FROM tally_zone)), ifnull(new.status, ''), ifnull(new.campaign, ''),
            local_hour(new.sort_ms, (SELECT zone FROM tally_zone)), 1)
    ON CONFLICT DO UPDATE SET calls = calls + 1;
    INSERT INTO assistant_tally (day, status, campaign, assistant, calls, achieved, judged)
    VALUES (local_day(new.sort_ms, (SELECT zone FROM tally_zone)), ifnull(new.status, ''), ifnull(new.campaign, ''),
            ifnull(new.assistant_phone, ''), 1, new.objective IS 1, new.objective IS NOT NULL)
    ON CONFLICT DO UPDATE SET calls = calls + 1, achieved = achieved + excluded.achieved,
                              judged = judged + excluded.judged;
END;

CREATE TRIGGER calls_hours_delete AFTER DELETE ON calls BEGIN
    UPDATE hour_tally SET calls = calls - 1
    WHERE day = local_day(old.sort_ms, (SELECT zone FROM tally_zone)) AND status = ifnull(old.status, '')
      AND campaign = ifnull(old.campaign, '') AND hour = local_hour(old.sort_ms, (SELECT zone FROM tally_zone));
    UPDATE assistant_tally SET calls = calls - 1, achieved = achieved - (old.objective IS 1),
                               judged = judged - (old.objective IS NOT NULL)
    WHERE day = local_day(old.sort_ms, (SELECT zone FROM tally_zone)) AND status = ifnull(old.status, '')
      AND campaign = ifnull(old.campaign, '') AND assistant = ifnull(old.assistant_phone, '');
END;
