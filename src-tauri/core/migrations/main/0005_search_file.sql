-- The search indexes move to their own file, search.sqlite (see migrations/search), written by
-- their own thread. They are rebuilt there from the calls on the first start after this upgrade.
DROP TABLE transcript_terms;
DROP TABLE calls_terms;
DROP TABLE transcript_fts;
DROP TABLE calls_fts;
DROP TABLE fragments_fts;
