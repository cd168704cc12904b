-- Insights: small summary tables that `postcall stats` and the dashboard read instead of the
-- million rows of `calls` (see src/insights/mod.rs).
--
-- Keys are the UTC day of the call (`sort_ms`, as the log's date filter), its status and its
-- campaign ('' for none, so that the keys compare equal and the upserts below find their row).

-- Calls per day × status × campaign: how many, how many achieved their objective, and how many
-- have a known objective at all (the rate's denominator).
CREATE TABLE call_tally (
    day      TEXT    NOT NULL,
    status   TEXT    NOT NULL,
    campaign TEXT    NOT NULL,
    calls    INTEGER NOT NULL,
    achieved INTEGER NOT NULL,
    judged   INTEGER NOT NULL,
    PRIMARY KEY (day, status, campaign)
) WITHOUT ROWID;

-- Durations in buckets, per day × status × campaign: exact seconds under a minute, then 5 s
-- buckets under 10 minutes, 30 s under an hour, 5 minutes beyond (the bucket is its lower
-- bound; -1 for no duration). Median and p90 are read from these within a bucket's width.
CREATE TABLE duration_tally (
    day      TEXT    NOT NULL,
    status   TEXT    NOT NULL,
    campaign TEXT    NOT NULL,
    bucket   INTEGER NOT NULL,
    calls    INTEGER NOT NULL,
    PRIMARY KEY (day, status, campaign, bucket)
) WITHOUT ROWID;

-- Kept by triggers, so every writer of `calls` (indexer, upgrade, tests) keeps them right without
-- knowing about them. An update only touches them when a key, the objective or the duration
-- changed; the indexer's upsert rewrites every column of a call seen before.
CREATE TRIGGER calls_tally_insert AFTER INSERT ON calls BEGIN
    INSERT INTO call_tally (day, status, campaign, calls, achieved, judged)
    VALUES (date(new.sort_ms / 1000, 'unixepoch'), ifnull(new.status, ''), ifnull(new.campaign, ''), 1,
            new.objective IS 1, new.objective IS NOT NULL)
    ON CONFLICT DO UPDATE SET calls = calls + 1, achieved = achieved + excluded.achieved,
                              judged = judged + excluded.judged;
    INSERT INTO duration_tally (day, status, campaign, bucket, calls)
    VALUES (date(new.sort_ms / 1000, 'unixepoch'), ifnull(new.status, ''), ifnull(new.campaign, ''),
            CASE WHEN new.duration IS NULL THEN -1
                 WHEN new.duration < 60 THEN max(new.duration, 0)
                 WHEN new.duration < 600 THEN new.duration - new.duration % 5
                 WHEN new.duration < 3600 THEN new.duration - new.duration % 30
                 ELSE new.duration - new.duration % 300 END, 1)
    ON CONFLICT DO UPDATE SET calls = calls + 1;
END;

CREATE TRIGGER calls_tally_update AFTER UPDATE OF sort_ms, status, campaign, objective, duration ON calls
WHEN date(old.sort_ms / 1000, 'unixepoch') IS NOT date(new.sort_ms / 1000, 'unixepoch')
  OR old.status IS NOT new.status OR old.campaign IS NOT new.campaign
  OR old.objective IS NOT new.objective OR old.duration IS NOT new.duration
BEGIN
    UPDATE call_tally SET calls = calls - 1, achieved = achieved - (old.objective IS 1),
                          judged = judged - (old.objective IS NOT NULL)
    WHERE day = date(old.sort_ms / 1000, 'unixepoch') AND status = ifnull(old.status, '')
      AND campaign = ifnull(old.campaign, '');
    UPDATE duration_tally SET calls = calls - 1
    WHERE day = date(old.sort_ms / 1000, 'unixepoch') AND status = ifnull(old.status, '')
      AND campaign = ifnull(old.campaign, '')
      AND bucket = CASE WHEN old.duration IS NULL THEN -1
                        WHEN old.duration < 60 THEN max(old.duration, 0)
                        WHEN old.duration < 600 THEN old.duration - old.duration % 5
                        WHEN old.duration < 3600 THEN old.duration - old.duration % 30
                        ELSE old.duration - old.duration % 300 END;
    INSERT INTO call_tally (day, status, campaign, calls, achieved, judged)
    VALUES (date(new.sort_ms / 1000, 'unixepoch'), ifnull(new.status, ''), ifnull(new.campaign, ''), 1,
            new.objective IS 1, new.objective IS NOT NULL)
    ON CONFLICT DO UPDATE SET calls = calls + 1, achieved = achieved + excluded.achieved,
                              judged = judged + excluded.judged;
    INSERT INTO duration_tally (day, status, campaign, bucket, calls)
    VALUES (date(new.sort_ms / 1000, 'unixepoch'), ifnull(new.status, ''), ifnull(new.campaign, ''),
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
    WHERE day = date(old.sort_ms / 1000, 'unixepoch') AND status = ifnull(old.status, '')
      AND campaign = ifnull(old.campaign, '');
    UPDATE duration_tally SET calls = calls - 1
    WHERE day = date(old.sort_ms / 1000, 'unixepoch') AND status = ifnull(old.status, '')
      AND campaign = ifnull(old.campaign, '')
      AND bucket = CASE WHEN old.duration IS NULL THEN -1
                        WHEN old.duration < 60 THEN max(old.duration, 0)
                        WHEN old.duration < 600 THEN old.duration - old.duration % 5
                        WHEN old.duration < 3600 THEN old.duration - old.duration % 30
                        ELSE old.duration - old.duration % 300 END;
END;

-- The calls stored before this upgrade.
INSERT INTO call_tally (day, status, campaign, calls, achieved, judged)
SELECT date(sort_ms / 1000, 'unixepoch'), ifnull(status, ''), ifnull(campaign, ''), count(*),
       count(*) FILTER (WHERE objective IS 1), count(objective)
FROM calls GROUP BY 1, 2, 3;
INSERT INTO duration_tally (day, status, campaign, bucket, calls)
SELECT date(sort_ms / 1000, 'unixepoch'), ifnull(status, ''), ifnull(campaign, ''),
       CASE WHEN duration IS NULL THEN -1
            WHEN duration < 60 THEN max(duration, 0)
            WHEN duration < 600 THEN duration - duration % 5
            WHEN duration < 3600 THEN duration - duration % 30
            ELSE duration - duration % 300 END, count(*)
FROM calls GROUP BY 1, 2, 3, 4;

-- What the insights pass (src/insights/mod.rs) has read of the journal: every stored delivery up
-- to `delivery_id` is reflected in the tables below.
CREATE TABLE insights_state (
    name        TEXT PRIMARY KEY,
    delivery_id INTEGER NOT NULL
);
INSERT INTO insights_state (name, delivery_id) VALUES ('insights', 0);

-- Each call's extracted variables as the pass last saw them, with the keys it was tallied under
-- (so a later delivery that moves the call to another day, status or campaign moves its counts).
-- `value` is NULL for a variable that is present but empty; `api`: it came from the calls API
-- (a webhook's or an import's variables replace those, never the other way round).
CREATE TABLE call_variables (
    call_id  INTEGER NOT NULL,
    name     TEXT    NOT NULL,
    value    TEXT,
    day      TEXT    NOT NULL,
    status   TEXT    NOT NULL,
    campaign TEXT    NOT NULL,
    api      INTEGER NOT NULL,
    PRIMARY KEY (call_id, name)
) WITHOUT ROWID;

-- How many calls have each variable filled, per day × status × campaign.
CREATE TABLE variable_fill (
    day      TEXT    NOT NULL,
    status   TEXT    NOT NULL,
    campaign TEXT    NOT NULL,
    name     TEXT    NOT NULL,
    calls    INTEGER NOT NULL,
    PRIMARY KEY (day, status, campaign, name)
) WITHOUT ROWID;

-- How many calls have each value, for variables with few distinct values (a label, a yes/no, a
-- next action). A variable whose values keep differing (names, references, free text) is marked
-- `free_text` in `variable_names` once it passes a threshold and its values are dropped: its
-- top values would all be 1 anyway, and counting them would make this table as large as `calls`.
CREATE TABLE variable_values (
    name     TEXT    NOT NULL,
    value    TEXT    NOT NULL,
    day      TEXT    NOT NULL,
    status   TEXT    NOT NULL,
    campaign TEXT    NOT NULL,
    calls    INTEGER NOT NULL,
    PRIMARY KEY (name, value, day, status, campaign)
) WITHOUT ROWID;
CREATE INDEX variable_values_by_day ON variable_values (day, name, value, calls);

CREATE TABLE variable_names (
    name            TEXT PRIMARY KEY,
    distinct_values INTEGER NOT NULL,
    free_text       INTEGER NOT NULL
);

-- The payload schema: every field path seen in webhook and import bodies (`a.b`, `a[]` for an
-- array's items, `a[].b`), the JSON types seen there, in how many deliveries, and when.
CREATE TABLE payload_fields (
    path            TEXT PRIMARY KEY,
    types           TEXT    NOT NULL,   -- comma-separated, in the order first seen
    deliveries      INTEGER NOT NULL,   -- deliveries that had it
    parent_seen     INTEGER NOT NULL,   -- deliveries that had its parent (all deliveries at the top)
    first_seen_ms   INTEGER NOT NULL,
    last_seen_ms    INTEGER NOT NULL,
    example_call_id INTEGER
);

-- Changes of the payload's shape: a field added, a field that was always there gone, a type
-- changed. The first delivery ever sets the baseline and records none.
CREATE TABLE payload_drift (
    id           INTEGER PRIMARY KEY,
    path         TEXT    NOT NULL,
    change       TEXT    NOT NULL CHECK (change IN ('added', 'missing', 'type')),
    from_type    TEXT,
    to_type      TEXT,
    seen_ms      INTEGER NOT NULL,
    delivery_id  INTEGER NOT NULL,
    call_id      INTEGER
);
