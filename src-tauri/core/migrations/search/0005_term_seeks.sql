-- A `prefix*` is expanded into the terms it stands for by seeking in the index's term list (see
-- search::index_query). The 'row' vocabularies this replaces count each term's calls, and FTS5
-- counts them by walking the term's whole doclist: 40 ms for `warr*` at a million calls, where
-- `warranty` is in most of them. An 'instance' vocabulary yields a term's first occurrence as
-- soon as it has found the term, so one seek per term costs the same for a rare word and a common
-- one. Vocabulary tables are views of the index: they hold nothing on disk.
DROP TABLE transcript_terms;
DROP TABLE calls_terms;
CREATE VIRTUAL TABLE transcript_terms USING fts5vocab (transcript_fts, 'instance');
CREATE VIRTUAL TABLE calls_terms USING fts5vocab (calls_fts, 'instance');
