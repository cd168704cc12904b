-- The delivery journal: a separate file so acknowledging a webhook (append its raw bytes,
-- fsync) never waits behind indexing, which writes the main database.

-- Every authenticated request, kept byte for byte whatever happened after.
CREATE TABLE deliveries (
    id           INTEGER PRIMARY KEY,
    received_ms  INTEGER NOT NULL,
    source       TEXT    NOT NULL CHECK (source IN ('webhook', 'import', 'api')),
    content_type TEXT,
    body         BLOB    NOT NULL,
    outcome      TEXT    NOT NULL CHECK (outcome IN ('stored', 'failed')),
    error        TEXT,
    call_id      INTEGER
);
CREATE INDEX deliveries_by_call ON deliveries (call_id, id);
CREATE INDEX deliveries_failed ON deliveries (id) WHERE outcome = 'failed';
