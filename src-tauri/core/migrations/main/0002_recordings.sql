-- The recording vault: one row per call that has a recording_url. The audio itself lives in
-- <data>/recordings/<file>; this row says where it stands. `state` is what users see:
-- queued (waiting, or waiting to retry), downloading, ready, failed, none (not in the vault:
-- automatic download is off, or retention removed it). A delivery with another URL re-queues it.
CREATE TABLE recordings (
    call_id         INTEGER PRIMARY KEY,
    url             TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('queued', 'downloading', 'ready', 'failed', 'none')),
    -- asked for by the user (Download / Retry / `recordings fetch`): fetched even with automatic download off
    requested       INTEGER NOT NULL DEFAULT 0,
    bytes           INTEGER,
    total_bytes     INTEGER,
    content_type    TEXT,
    format          TEXT,
    duration_s      REAL,
    -- one byte (0..255) per bucket, evenly spaced over the duration
    peaks           BLOB,
    file            TEXT,
    error           TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL DEFAULT 0,
    -- seconds added to the transcript's turn times to line them up with the audio
    offset_s        REAL NOT NULL DEFAULT 0,
    fetched_ms      INTEGER,
    updated_ms      INTEGER NOT NULL
);

CREATE INDEX recordings_due ON recordings (next_attempt_ms) WHERE state = 'queued';
CREATE INDEX recordings_by_fetch ON recordings (fetched_ms) WHERE state = 'ready';

-- Calls stored before the vault existed get a row too.
INSERT INTO recordings (call_id, url, state, updated_ms)
SELECT id, recording_url, 'queued', CAST(unixepoch('subsec') * 1000 AS INTEGER)
FROM calls WHERE recording_url IS NOT NULL;
