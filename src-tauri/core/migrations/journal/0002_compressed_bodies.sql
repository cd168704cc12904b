-- Compressed bodies (store::bodies). Adding columns with constant defaults rewrites nothing: every
-- existing row reads as raw (codec 0) and is compressed later, in the background, in batches.

-- How `body` is stored: 0 raw, 1 zstd with the dictionary `dict_id`. `raw_len` is the length of
-- the exact bytes received (NULL for a raw body: its own length).
ALTER TABLE deliveries ADD COLUMN codec INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN dict_id INTEGER;
ALTER TABLE deliveries ADD COLUMN raw_len INTEGER;

-- Dictionaries trained on this folder's own payloads. Never changed or deleted: a body names the
-- one it was compressed with, so every body stays readable; a newer one gets the next id.
CREATE TABLE body_dicts (
    id          INTEGER PRIMARY KEY,
    created_ms  INTEGER NOT NULL,
    samples     INTEGER NOT NULL,
    bytes       BLOB    NOT NULL
);

-- How far the background pass that compresses bodies written raw has got: every delivery with an
-- id up to `done_up_to` is compressed (or stays raw because compressing did not make it smaller).
CREATE TABLE body_compaction (
    one         INTEGER PRIMARY KEY CHECK (one = 1),
    done_up_to  INTEGER NOT NULL
);
INSERT INTO body_compaction (one, done_up_to) VALUES (1, 0);
