-- In a file of 16 KB pages (every file since they became the default), FTS5 leaves of 16,000
-- bytes instead of 4,050: a quarter as many rows to write, read and merge per segment. A file of
-- 4 KB pages keeps the default, which fits its pages. Segments already written keep their leaves.
INSERT INTO transcript_fts (transcript_fts, rank)
    SELECT 'pgsz', 16000 WHERE (SELECT page_size FROM pragma_page_size()) >= 16384;
INSERT INTO calls_fts (calls_fts, rank)
    SELECT 'pgsz', 16000 WHERE (SELECT page_size FROM pragma_page_size()) >= 16384;
INSERT INTO fragments_fts (fragments_fts, rank)
    SELECT 'pgsz', 16000 WHERE (SELECT page_size FROM pragma_page_size()) >= 16384;
