-- Insights, third table set: each per-day tally again without its day, for a range that holds
-- every day (the dashboard's default, and `postcall stats` without --from/--to). Read per day,
-- such a range costs a row per day × status × campaign × bucket (or hour, assistant, variable,
-- value): 400,000 rows at 200,000 calls, growing with the days. Without the day, the same figures
-- are a few thousand rows whatever the number of calls (see src/insights/stats.rs).
--
-- `variable_course` is the other way round: the variables' filled calls and numeric sums per day
-- without status and campaign, for the variables' course over a range when neither is filtered.
--
-- Each is kept by triggers on the per-day table it follows, so whatever keeps that one (the
-- triggers on `calls`, the insights pass) keeps this one, and filled below from it once.

CREATE TABLE duration_total (
    status   TEXT    NOT NULL,
    campaign TEXT    NOT NULL,
    bucket   INTEGER NOT NULL,
    calls    INTEGER NOT NULL,
    PRIMARY KEY (status, campaign, bucket)
) WITHOUT ROWID;

-- `weekday` 0 = Monday … 6 = Sunday, of the UTC day; `hour` the UTC hour, as in `hour_tally`.
CREATE TABLE hour_total (
    status   TEXT    NOT NULL,
    campaign TEXT    NOT NULL,
    weekday  INTEGER NOT NULL,
    hour     INTEGER NOT NULL,
    calls    INTEGER NOT NULL,
    PRIMARY KEY (status, campaign, weekday, hour)
) WITHOUT ROWID;

CREATE TABLE assistant_total (
    status    TEXT    NOT NULL,
    campaign  TEXT    NOT NULL,
    assistant TEXT    NOT NULL,
    calls     INTEGER NOT NULL,
    achieved  INTEGER NOT NULL,
    judged    INTEGER NOT NULL,
    PRIMARY KEY (status, campaign, assistant)
) WITHOUT ROWID;

CREATE TABLE variable_fill_total (
    name     TEXT    NOT NULL,
    status   TEXT    NOT NULL,
    campaign TEXT    NOT NULL,
    calls    INTEGER NOT NULL,
    PRIMARY KEY (name, status, campaign)
) WITHOUT ROWID;

CREATE TABLE variable_value_total (
    name     TEXT    NOT NULL,
    value    TEXT    NOT NULL,
    status   TEXT    NOT NULL,
    campaign TEXT    NOT NULL,
    calls    INTEGER NOT NULL,
    PRIMARY KEY (name, value, status, campaign)
) WITHOUT ROWID;

CREATE TABLE variable_number_total (
    name     TEXT    NOT NULL,
    bucket   INTEGER NOT NULL,
    status   TEXT    NOT NULL,
    campaign TEXT    NOT NULL,
    calls    INTEGER NOT NULL,
    total    REAL    NOT NULL,
    PRIMARY KEY (name, bucket, status, campaign)
) WITHOUT ROWID;

-- `filled`: calls with the variable filled; `numbers`, `total`: how many of them are numbers and
-- their sum (the day's mean).
CREATE TABLE variable_course (
    name    TEXT    NOT NULL,
    day     TEXT    NOT NULL,
    filled  INTEGER NOT NULL,
    numbers INTEGER NOT NULL,
    total   REAL    NOT NULL,
    PRIMARY KEY (name, day)
) WITHOUT ROWID;

-- Durations.
CREATE TRIGGER duration_total_insert AFTER INSERT ON duration_tally BEGIN
    INSERT INTO duration_total (status, campaign, bucket, calls) VALUES (new.status, new.campaign, new.bucket, new.calls)
    ON CONFLICT DO UPDATE SET calls = calls + excluded.calls;
END;
CREATE TRIGGER duration_total_update AFTER UPDATE OF calls ON duration_tally BEGIN
    UPDATE duration_total SET calls = calls + new.calls - old.calls
    WHERE status = new.status AND campaign = new.campaign AND bucket = new.bucket;
END;
CREATE TRIGGER duration_total_delete AFTER DELETE ON duration_tally BEGIN
    UPDATE duration_total SET calls = calls - old.calls
    WHERE status = old.status AND campaign = old.campaign AND bucket = old.bucket;
END;

-- Hours.
CREATE TRIGGER hour_total_insert AFTER INSERT ON hour_tally BEGIN
    INSERT INTO hour_total (status, campaign, weekday, hour, calls)
    VALUES (new.status, new.campaign, (CAST(strftime('%w', new.day) AS INTEGER) + 6) % 7, new.hour, new.calls)
    ON CONFLICT DO UPDATE SET calls = calls + excluded.calls;
END;
CREATE TRIGGER hour_total_update AFTER UPDATE OF calls ON hour_tally BEGIN
    UPDATE hour_total SET calls = calls + new.calls - old.calls
    WHERE status = new.status AND campaign = new.campaign
      AND weekday = (CAST(strftime('%w', new.day) AS INTEGER) + 6) % 7 AND hour = new.hour;
END;
CREATE TRIGGER hour_total_delete AFTER DELETE ON hour_tally BEGIN
    UPDATE hour_total SET calls = calls - old.calls
    WHERE status = old.status AND campaign = old.campaign
      AND weekday = (CAST(strftime('%w', old.day) AS INTEGER) + 6) % 7 AND hour = old.hour;
END;

-- Assistants.
CREATE TRIGGER assistant_total_insert AFTER INSERT ON assistant_tally BEGIN
    INSERT INTO assistant_total (status, campaign, assistant, calls, achieved, judged)
    VALUES (new.status, new.campaign, new.assistant, new.calls, new.achieved, new.judged)
    ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, achieved = achieved + excluded.achieved,
                              judged = judged + excluded.judged;
END;
CREATE TRIGGER assistant_total_update AFTER UPDATE OF calls, achieved, judged ON assistant_tally BEGIN
    UPDATE assistant_total SET calls = calls + new.calls - old.calls, achieved = achieved + new.achieved - old.achieved,
                               judged = judged + new.judged - old.judged
    WHERE status = new.status AND campaign = new.campaign AND assistant = new.assistant;
END;
CREATE TRIGGER assistant_total_delete AFTER DELETE ON assistant_tally BEGIN
    UPDATE assistant_total SET calls = calls - old.calls, achieved = achieved - old.achieved,
                               judged = judged - old.judged
    WHERE status = old.status AND campaign = old.campaign AND assistant = old.assistant;
END;

-- Variables filled (rows of `variable_fill` are counted up and down, never deleted; the delete
-- trigger is there for completeness).
CREATE TRIGGER variable_fill_total_insert AFTER INSERT ON variable_fill BEGIN
    INSERT INTO variable_fill_total (name, status, campaign, calls) VALUES (new.name, new.status, new.campaign, new.calls)
    ON CONFLICT DO UPDATE SET calls = calls + excluded.calls;
    INSERT INTO variable_course (name, day, filled, numbers, total) VALUES (new.name, new.day, new.calls, 0, 0)
    ON CONFLICT DO UPDATE SET filled = filled + excluded.filled;
END;
CREATE TRIGGER variable_fill_total_update AFTER UPDATE OF calls ON variable_fill BEGIN
    UPDATE variable_fill_total SET calls = calls + new.calls - old.calls
    WHERE name = new.name AND status = new.status AND campaign = new.campaign;
    UPDATE variable_course SET filled = filled + new.calls - old.calls WHERE name = new.name AND day = new.day;
END;
CREATE TRIGGER variable_fill_total_delete AFTER DELETE ON variable_fill BEGIN
    UPDATE variable_fill_total SET calls = calls - old.calls
    WHERE name = old.name AND status = old.status AND campaign = old.campaign;
    UPDATE variable_course SET filled = filled - old.calls WHERE name = old.name AND day = old.day;
END;

-- Values: a variable that turns free text has its rows deleted, and so loses its totals.
CREATE TRIGGER variable_value_total_insert AFTER INSERT ON variable_values BEGIN
    INSERT INTO variable_value_total (name, value, status, campaign, calls)
    VALUES (new.name, new.value, new.status, new.campaign, new.calls)
    ON CONFLICT DO UPDATE SET calls = calls + excluded.calls;
END;
CREATE TRIGGER variable_value_total_update AFTER UPDATE OF calls ON variable_values BEGIN
    UPDATE variable_value_total SET calls = calls + new.calls - old.calls
    WHERE name = new.name AND value = new.value AND status = new.status AND campaign = new.campaign;
END;
CREATE TRIGGER variable_value_total_delete AFTER DELETE ON variable_values BEGIN
    UPDATE variable_value_total SET calls = calls - old.calls
    WHERE name = old.name AND value = old.value AND status = old.status AND campaign = old.campaign;
    DELETE FROM variable_value_total
    WHERE name = old.name AND value = old.value AND status = old.status AND campaign = old.campaign AND calls <= 0;
END;

-- Numbers.
CREATE TRIGGER variable_number_total_insert AFTER INSERT ON variable_numbers BEGIN
    INSERT INTO variable_number_total (name, bucket, status, campaign, calls, total)
    VALUES (new.name, new.bucket, new.status, new.campaign, new.calls, new.total)
    ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, total = total + excluded.total;
    INSERT INTO variable_course (name, day, filled, numbers, total) VALUES (new.name, new.day, 0, new.calls, new.total)
    ON CONFLICT DO UPDATE SET numbers = numbers + excluded.numbers, total = total + excluded.total;
END;
CREATE TRIGGER variable_number_total_update AFTER UPDATE OF calls, total ON variable_numbers BEGIN
    UPDATE variable_number_total SET calls = calls + new.calls - old.calls, total = total + (new.total - old.total)
    WHERE name = new.name AND bucket = new.bucket AND status = new.status AND campaign = new.campaign;
    UPDATE variable_course SET numbers = numbers + new.calls - old.calls, total = total + (new.total - old.total)
    WHERE name = new.name AND day = new.day;
END;
CREATE TRIGGER variable_number_total_delete AFTER DELETE ON variable_numbers BEGIN
    UPDATE variable_number_total SET calls = calls - old.calls, total = total - old.total
    WHERE name = old.name AND bucket = old.bucket AND status = old.status AND campaign = old.campaign;
    DELETE FROM variable_number_total
    WHERE name = old.name AND bucket = old.bucket AND status = old.status AND campaign = old.campaign AND calls <= 0;
    UPDATE variable_course SET numbers = numbers - old.calls, total = total - old.total
    WHERE name = old.name AND day = old.day;
END;

-- What was tallied before this upgrade.
INSERT INTO duration_total (status, campaign, bucket, calls)
SELECT status, campaign, bucket, sum(calls) FROM duration_tally GROUP BY 1, 2, 3;
INSERT INTO hour_total (status, campaign, weekday, hour, calls)
SELECT status, campaign, (CAST(strftime('%w', day) AS INTEGER) + 6) % 7, hour, sum(calls) FROM hour_tally GROUP BY 1, 2, 3, 4;
INSERT INTO assistant_total (status, campaign, assistant, calls, achieved, judged)
SELECT status, campaign, assistant, sum(calls), sum(achieved), sum(judged) FROM assistant_tally GROUP BY 1, 2, 3;
INSERT INTO variable_fill_total (name, status, campaign, calls)
SELECT name, status, campaign, sum(calls) FROM variable_fill GROUP BY 1, 2, 3;
INSERT INTO variable_value_total (name, value, status, campaign, calls)
SELECT name, value, status, campaign, sum(calls) FROM variable_values GROUP BY 1, 2, 3, 4 HAVING sum(calls) > 0;
INSERT INTO variable_number_total (name, bucket, status, campaign, calls, total)
SELECT name, bucket, status, campaign, sum(calls), sum(total) FROM variable_numbers GROUP BY 1, 2, 3, 4 HAVING sum(calls) > 0;
INSERT INTO variable_course (name, day, filled, numbers, total)
SELECT name, day, sum(filled), sum(numbers), sum(total) FROM (
    SELECT name, day, calls AS filled, 0 AS numbers, 0.0 AS total FROM variable_fill
    UNION ALL
    SELECT name, day, 0, calls, total FROM variable_numbers)
GROUP BY 1, 2;
