-- The search indexes, in a file of their own (search.sqlite) so that they are written by a
-- thread of their own, beside the one writing the calls and turns: a second core for indexing.
-- Every row is keyed by call id (rowid) and derived from the call database, so this file can be
-- rebuilt from it at any time (see store::search_index::recover).

-- The transcript, one row per call: the turns' texts, one per line.
CREATE VIRTUAL TABLE transcript_fts USING fts5 (
    text, content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Call-level text: summary, variable keys and values, phone numbers.
CREATE VIRTUAL TABLE calls_fts USING fts5 (
    summary, variables, phones,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Tokens that contain a digit (ids, order numbers, phones) from everything above, indexed by
-- trigrams so a fragment such as `4471` finds `ZX-4471-QQ`.
CREATE VIRTUAL TABLE fragments_fts USING fts5 (tokens, tokenize = 'trigram');

-- The indexed terms, so a `prefix*` query can be expanded into the few terms it stands for.
CREATE VIRTUAL TABLE transcript_terms USING fts5vocab (transcript_fts, 'row');
CREATE VIRTUAL TABLE calls_terms USING fts5vocab (calls_fts, 'row');

-- One indexing batch stays one segment (hashsize), and segments merge 16 at a time (automerge)
-- rather than 4, so postings are rewritten less often on their way up the levels.
INSERT INTO transcript_fts (transcript_fts, rank) VALUES ('hashsize', 16777216);
INSERT INTO calls_fts (calls_fts, rank) VALUES ('hashsize', 16777216);
INSERT INTO fragments_fts (fragments_fts, rank) VALUES ('hashsize', 16777216);
INSERT INTO transcript_fts (transcript_fts, rank) VALUES ('automerge', 16);
INSERT INTO calls_fts (calls_fts, rank) VALUES ('automerge', 16);
INSERT INTO fragments_fts (fragments_fts, rank) VALUES ('automerge', 16);

-- How far this index reflects the journal: every stored delivery up to `delivery_id` (which the
-- call database's own mark is never behind).
CREATE TABLE search_state (
    name        TEXT PRIMARY KEY,
    delivery_id INTEGER NOT NULL
);
