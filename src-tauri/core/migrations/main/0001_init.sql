-- The call view, built from the delivery journal (journal.sqlite).

-- One row per call id. `doc` is the merged webhook/import payload (latest delivery wins per
-- top-level key); `api_doc` the merged call object from the calls API, which only fills what
-- `doc` lacks. The other columns are derived from both, for listing and filtering.
CREATE TABLE calls (
    id              INTEGER PRIMARY KEY,
    status          TEXT,
    customer_phone  TEXT,
    assistant_phone TEXT,
    duration        INTEGER,
    created_at      TEXT,
    finished_at     TEXT,
    created_ms      INTEGER,
    finished_ms     INTEGER,
    summary         TEXT,
    objective       INTEGER,
    campaign        TEXT,
    recording_url   TEXT,
    has_recording   INTEGER NOT NULL DEFAULT 0,
    doc             TEXT,
    api_doc         TEXT,
    sources         INTEGER NOT NULL DEFAULT 0, -- bits: 1 webhook, 2 import, 4 api
    first_seen_ms   INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL,
    sort_ms         INTEGER NOT NULL            -- created_ms, else first_seen_ms
);
CREATE INDEX calls_by_time ON calls (sort_ms, id);
CREATE INDEX calls_by_duration ON calls (ifnull(duration, -1), id);
CREATE INDEX calls_by_status ON calls (status, sort_ms, id);
CREATE INDEX calls_by_campaign ON calls (campaign, sort_ms, id);
CREATE INDEX calls_by_customer ON calls (customer_phone, sort_ms);
CREATE INDEX calls_by_objective ON calls (objective, sort_ms, id);

-- The conversation, one row per turn, so a search hit can point at (and seek to) its turn.
CREATE TABLE turns (
    id       INTEGER PRIMARY KEY,
    call_id  INTEGER NOT NULL,
    idx      INTEGER NOT NULL,
    sender   TEXT    NOT NULL,
    text     TEXT    NOT NULL,
    ts       REAL,
    offset_s REAL,
    UNIQUE (call_id, idx)
);

CREATE VIRTUAL TABLE turns_fts USING fts5 (
    text, content = 'turns', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER turns_ai AFTER INSERT ON turns BEGIN
    INSERT INTO turns_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER turns_ad AFTER DELETE ON turns BEGIN
    INSERT INTO turns_fts (turns_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER turns_au AFTER UPDATE ON turns BEGIN
    INSERT INTO turns_fts (turns_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO turns_fts (rowid, text) VALUES (new.id, new.text);
END;

-- Call-level text (rowid = call id): summary, variable keys and values, phone numbers.
CREATE VIRTUAL TABLE calls_fts USING fts5 (
    summary, variables, phones,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Tokens that contain a digit (ids, order numbers, phones) from everything above, indexed by
-- trigrams (rowid = call id) so a fragment such as `4471` finds `ZX-4471-QQ`.
CREATE VIRTUAL TABLE fragments_fts USING fts5 (tokens, tokenize = 'trigram');

-- How far the calls have been built from the journal: every stored delivery up to
-- `delivery_id` is reflected in the tables above (updated in the same transaction).
CREATE TABLE index_state (
    name        TEXT PRIMARY KEY,
    delivery_id INTEGER NOT NULL
);

-- The indexed terms, so a `prefix*` query can be expanded into the few terms it stands for and
-- streamed newest first, instead of merging every matching doclist up front.
CREATE VIRTUAL TABLE turns_terms USING fts5vocab (turns_fts, 'row');
CREATE VIRTUAL TABLE calls_terms USING fts5vocab (calls_fts, 'row');
