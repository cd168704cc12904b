-- A call's first webhook or import delivery is its whole document, byte for byte the raw body
-- the journal already keeps. Such a call now refers to that delivery (`doc_delivery`) instead of
-- holding a second copy: a third of the call database's bytes, and of what indexing writes.
-- `doc` holds text only once deliveries have been merged (or when the body had to be cleaned up,
-- such as a leading byte-order mark). Rows written before keep their `doc`.
ALTER TABLE calls ADD COLUMN doc_delivery INTEGER;

-- FTS5 merges segments once `automerge` of them sit on one level (4 by default). Indexing writes
-- one segment per batch, so at 4 the same postings were rewritten once per level on the way up;
-- 16 merges a quarter as often, and a search still reads few segments.
INSERT INTO transcript_fts (transcript_fts, rank) VALUES ('automerge', 16);
INSERT INTO calls_fts (calls_fts, rank) VALUES ('automerge', 16);
INSERT INTO fragments_fts (fragments_fts, rank) VALUES ('automerge', 16);
