-- Segments merge a few pages at a time, after each write, instead of a whole level at once.
-- With automerge at 16, FTS5's default crisismerge (also 16) fired as soon as a level held 16
-- segments, before the gradual merge could start: every merge was done inside one transaction,
-- each level's cascading into the next. At a million calls that meant rewriting hundreds of
-- megabytes of postings in a single transaction every so often, while the indexer, and behind
-- it every delivery, waited for the search writer. A level now reaches 64 segments only if the
-- gradual merges fall that far behind.
INSERT INTO transcript_fts (transcript_fts, rank) VALUES ('crisismerge', 64);
INSERT INTO calls_fts (calls_fts, rank) VALUES ('crisismerge', 64);
INSERT INTO fragments_fts (fragments_fts, rank) VALUES ('crisismerge', 64);
