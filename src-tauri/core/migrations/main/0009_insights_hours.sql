-- Insights, second table set: calls per hour of the day (the dashboard's time-of-day × weekday
-- heat map) and per assistant phone, both per day × status × campaign like `call_tally`, so the
-- log's filters apply to them too. Kept by triggers on `calls`, as the tables of 0008.
--
-- `hour` is the UTC hour of `sort_ms`; the heat map moves it to the viewer's time zone when it
-- reads (see src/insights/stats.rs). `assistant` is '' for calls without an assistant phone.

CREATE TABLE hour_tally (
    day      TEXT    NOT NULL,
    status   TEXT    NOT NULL,
    campaign TEXT    NOT NULL,
    hour     INTEGER NOT NULL,
    calls    INTEGER NOT NULL,
    PRIMARY KEY (day, status, campaign, hour)
) WITHOUT ROWID;

CREATE TABLE assistant_tally (
    day       TEXT    NOT NULL,
    status    TEXT    NOT NULL,
    campaign  TEXT    NOT NULL,
    assistant TEXT    NOT NULL,
    calls     INTEGER NOT NULL,
    achieved  INTEGER NOT NULL,
    judged    INTEGER NOT NULL,
    PRIMARY KEY (day, status, campaign, assistant)
) WITHOUT ROWID;

CREATE TRIGGER calls_hours_insert AFTER INSERT ON calls BEGIN
    INSERT INTO hour_tally (day, status, campaign, hour, calls)
    VALUES (date(new.sort_ms / 1000, 'unixepoch'), ifnull(new.status, ''), ifnull(new.campaign, ''),
            (new.sort_ms / 3600000) % 24, 1)
    ON CONFLICT DO UPDATE SET calls = calls + 1;
    INSERT INTO assistant_tally (day, status, campaign, assistant, calls, achieved, judged)
    VALUES (date(new.sort_ms / 1000, 'unixepoch'), ifnull(new.status, ''), ifnull(new.campaign, ''),
            ifnull(new.assistant_phone, ''), 1, new.objective IS 1, new.objective IS NOT NULL)
    ON CONFLICT DO UPDATE SET calls = calls + 1, achieved = achieved + excluded.achieved,
                              judged = judged + excluded.judged;
END;

CREATE TRIGGER calls_hours_update AFTER UPDATE OF sort_ms, status, campaign, objective, assistant_phone ON calls
WHEN old.sort_ms / 3600000 IS NOT new.sort_ms / 3600000
  OR old.status IS NOT new.status OR old.campaign IS NOT new.campaign
  OR old.objective IS NOT new.objective OR old.assistant_phone IS NOT new.assistant_phone
BEGIN
    UPDATE hour_tally SET calls = calls - 1
    WHERE day = date(old.sort_ms / 1000, 'unixepoch') AND status = ifnull(old.status, '')
      AND campaign = ifnull(old.campaign, '') AND hour = (old.sort_ms / 3600000) % 24;
    UPDATE assistant_tally SET calls = calls - 1, achieved = achieved - (old.objective IS 1),
                               judged = judged - (old.objective IS NOT NULL)
    WHERE day = date(old.sort_ms / 1000, 'unixepoch') AND status = ifnull(old.status, '')
      AND campaign = ifnull(old.campaign, '') AND assistant = ifnull(old.assistant_phone, '');
    INSERT INTO hour_tally (day, status, campaign, hour, calls)
    VALUES (date(new.sort_ms / 1000, 'unixepoch'), ifnull(new.status, ''), ifnull(new.campaign, ''),
            (new.sort_ms / 3600000) % 24, 1)
    ON CONFLICT DO UPDATE SET calls = calls + 1;
    INSERT INTO assistant_tally (day, status, campaign, assistant, calls, achieved, judged)
    VALUES (date(new.sort_ms / 1000, 'unixepoch'), ifnull(new.status, ''), ifnull(new.campaign, ''),
            ifnull(new.assistant_phone, ''), 1, new.objective IS 1, new.objective IS NOT NULL)
    ON CONFLICT DO UPDATE SET calls = calls + 1, achieved = achieved + excluded.achieved,
                              judged = judged + excluded.judged;
END;

CREATE TRIGGER calls_hours_delete AFTER DELETE ON calls BEGIN
    UPDATE hour_tally SET calls = calls - 1
    WHERE day = date(old.sort_ms / 1000, 'unixepoch') AND status = ifnull(old.status, '')
      AND campaign = ifnull(old.campaign, '') AND hour = (old.sort_ms / 3600000) % 24;
    UPDATE assistant_tally SET calls = calls - 1, achieved = achieved - (old.objective IS 1),
                               judged = judged - (old.objective IS NOT NULL)
    WHERE day = date(old.sort_ms / 1000, 'unixepoch') AND status = ifnull(old.status, '')
      AND campaign = ifnull(old.campaign, '') AND assistant = ifnull(old.assistant_phone, '');
END;

-- The calls stored before this upgrade.
INSERT INTO hour_tally (day, status, campaign, hour, calls)
SELECT date(sort_ms / 1000, 'unixepoch'), ifnull(status, ''), ifnull(campaign, ''), (sort_ms / 3600000) % 24, count(*)
FROM calls GROUP BY 1, 2, 3, 4;
INSERT INTO assistant_tally (day, status, campaign, assistant, calls, achieved, judged)
SELECT date(sort_ms / 1000, 'unixepoch'), ifnull(status, ''), ifnull(campaign, ''), ifnull(assistant_phone, ''),
       count(*), count(*) FILTER (WHERE objective IS 1), count(objective)
FROM calls GROUP BY 1, 2, 3, 4;
