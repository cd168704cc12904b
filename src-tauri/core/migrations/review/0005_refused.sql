-- Events of the team outbox the team server refused to take (a permissions violation: this
-- machine's NATS user may not publish as their author). They are kept, with the server's reason,
-- out of the outbox so later edits still go out; `postcall team refused --retry` queues them again
-- (after the administrator changed the permissions).
CREATE TABLE review_refused (
    seq        INTEGER PRIMARY KEY,   -- review_events.seq, as in review_outbox
    event_id   TEXT NOT NULL UNIQUE,
    reason     TEXT NOT NULL,
    refused_ms INTEGER NOT NULL
);
