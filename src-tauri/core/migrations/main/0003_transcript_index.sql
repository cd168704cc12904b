-- The transcript index moves from one FTS5 row per turn to one row per call (rowid = call id),
-- written by the code that writes `turns` (store::turns::replace) instead of by triggers.
--
-- Why: a statement that fires a trigger opens a statement savepoint, and FTS5 flushes its pending
-- in-memory index to a new on-disk segment at every savepoint, so indexing turn by turn wrote one
-- tiny segment per turn and spent most of its time merging them again. One row per call also
-- makes the index a fraction of the size (a common word's doclist has an entry per call, not per
-- turn), and a search's candidates are calls, which is what it lists. The turn a hit points at is
-- found afterwards, among the few calls shown (search::hit).
DROP TRIGGER turns_ai;
DROP TRIGGER turns_ad;
DROP TRIGGER turns_au;
DROP TABLE turns_terms;
DROP TABLE turns_fts;

CREATE VIRTUAL TABLE transcript_fts USING fts5 (
    text, content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE transcript_terms USING fts5vocab (transcript_fts, 'row');

-- FTS5 also writes a segment whenever its pending index passes `hashsize` (1 MB by default),
-- which one indexing batch of a thousand calls passes several times; 16 MB keeps a batch in one
-- segment, so there is less to merge.
INSERT INTO transcript_fts (transcript_fts, rank) VALUES ('hashsize', 16777216);
INSERT INTO calls_fts (calls_fts, rank) VALUES ('hashsize', 16777216);
INSERT INTO fragments_fts (fragments_fts, rank) VALUES ('hashsize', 16777216);

INSERT INTO transcript_fts (rowid, text)
    SELECT call_id, group_concat(text, char(10) ORDER BY idx) FROM turns GROUP BY call_id;

-- Turns are only ever read and replaced by call: one b-tree keyed by (call_id, idx) instead of
-- a rowid table plus a unique index on the same key, which every turn was written to twice.
CREATE TABLE turns_by_call (
    call_id  INTEGER NOT NULL,
    idx      INTEGER NOT NULL,
    sender   TEXT    NOT NULL,
    text     TEXT    NOT NULL,
    ts       REAL,
    offset_s REAL,
    PRIMARY KEY (call_id, idx)
) WITHOUT ROWID;
INSERT INTO turns_by_call SELECT call_id, idx, sender, text, ts, offset_s FROM turns;
DROP TABLE turns;
ALTER TABLE turns_by_call RENAME TO turns;

-- The call list's filter indexes carry every filterable column, so a page that combines filters
-- (status + objective + campaign, say) is decided from the index alone, and only the rows shown
-- are read from the table (whose rows hold the whole payload), even far down the log.
DROP INDEX calls_by_time;
DROP INDEX calls_by_status;
DROP INDEX calls_by_campaign;
DROP INDEX calls_by_objective;
CREATE INDEX calls_by_time ON calls (sort_ms, id, status, objective, campaign, has_recording, sources);
CREATE INDEX calls_by_status ON calls (status, sort_ms, id, objective, campaign, has_recording, sources);
CREATE INDEX calls_by_campaign ON calls (campaign, sort_ms, id, status, objective, has_recording, sources);
CREATE INDEX calls_by_objective ON calls (objective, sort_ms, id, status, campaign, has_recording, sources);
