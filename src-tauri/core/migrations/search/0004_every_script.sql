-- Search in every script (see search::scripts): text in scripts written without spaces (CJK,
-- Thai, Lao, Khmer, Myanmar) is indexed in a rewritten form (CJK as bigrams, the others word by
-- word), and calls_fts gains a column with that form of the summary and variables (NULL when it
-- is the text itself, as for any Latin text). Indexes written before hold those texts as single
-- tokens, so they are emptied here and their mark cleared: the next writer to start (the app, the
-- listener, an import) rebuilds them from the call database, with progress
-- (store::search_index::recover). The calls, turns and journal are untouched.
DROP TABLE transcript_terms;
DROP TABLE calls_terms;
DROP TABLE transcript_fts;
DROP TABLE calls_fts;
DROP TABLE fragments_fts;
DELETE FROM search_state;

CREATE VIRTUAL TABLE transcript_fts USING fts5 (
    text, content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE calls_fts USING fts5 (
    summary, variables, phones, scripts,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE fragments_fts USING fts5 (tokens, tokenize = 'trigram');
CREATE VIRTUAL TABLE transcript_terms USING fts5vocab (transcript_fts, 'row');
CREATE VIRTUAL TABLE calls_terms USING fts5vocab (calls_fts, 'row');

-- The settings of 0001 to 0003, which lived in the dropped tables.
INSERT INTO transcript_fts (transcript_fts, rank) VALUES ('hashsize', 16777216);
INSERT INTO calls_fts (calls_fts, rank) VALUES ('hashsize', 16777216);
INSERT INTO fragments_fts (fragments_fts, rank) VALUES ('hashsize', 16777216);
INSERT INTO transcript_fts (transcript_fts, rank) VALUES ('automerge', 16);
INSERT INTO calls_fts (calls_fts, rank) VALUES ('automerge', 16);
INSERT INTO fragments_fts (fragments_fts, rank) VALUES ('automerge', 16);
INSERT INTO transcript_fts (transcript_fts, rank)
    SELECT 'pgsz', 16000 WHERE (SELECT page_size FROM pragma_page_size()) >= 16384;
INSERT INTO calls_fts (calls_fts, rank)
    SELECT 'pgsz', 16000 WHERE (SELECT page_size FROM pragma_page_size()) >= 16384;
INSERT INTO fragments_fts (fragments_fts, rank)
    SELECT 'pgsz', 16000 WHERE (SELECT page_size FROM pragma_page_size()) >= 16384;
INSERT INTO transcript_fts (transcript_fts, rank) VALUES ('crisismerge', 64);
INSERT INTO calls_fts (calls_fts, rank) VALUES ('crisismerge', 64);
INSERT INTO fragments_fts (fragments_fts, rank) VALUES ('crisismerge', 64);
