-- Numeric extracted variables: how their values are distributed, per day × status × campaign, in
-- buckets of a tenth of a decade (about 26% wide), with the bucket's sum for exact means. Kept by
-- the insights pass beside `variable_fill` (see src/insights/numbers.rs); every value, free text or
-- not, that reads as a JSON number is counted.
CREATE TABLE variable_numbers (
    day      TEXT    NOT NULL,
    status   TEXT    NOT NULL,
    campaign TEXT    NOT NULL,
    name     TEXT    NOT NULL,
    bucket   INTEGER NOT NULL,
    calls    INTEGER NOT NULL,
    total    REAL    NOT NULL,
    PRIMARY KEY (day, status, campaign, name, bucket)
) WITHOUT ROWID;

-- A data folder that already tallied variables fills the table once from `call_variables` (the
-- next insights pass does it); a new one has nothing to fill.
INSERT INTO insights_state (name, delivery_id)
SELECT 'numbers', 0 WHERE NOT EXISTS (SELECT 1 FROM call_variables);
