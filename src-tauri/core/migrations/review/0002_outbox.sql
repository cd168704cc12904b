-- The team outbox: events made on this machine (or imported into it) that the team's review
-- stream has not acknowledged yet. An event arriving from the stream is never added here, so
-- nothing received is sent back; a row goes once JetStream acknowledged it (or the stream echoed
-- it). Events held before this upgrade were made here, so they wait to be shared too.
CREATE TABLE review_outbox (
    seq      INTEGER PRIMARY KEY,   -- review_events.seq: the order they are published in
    event_id TEXT NOT NULL UNIQUE
);
INSERT INTO review_outbox (seq, event_id) SELECT seq, event_id FROM review_events;
