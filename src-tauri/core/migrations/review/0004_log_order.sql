-- The log's order beside the review rows, so a page of the log filtered by a tag or a review
-- state is a range of one index here (newest first, from the cursor on) joined to `calls` by
-- primary key, instead of a walk of the whole log probing each call.
--
-- `log_ms` is the call's `sort_ms` (the log's time order). It lives in another file than the
-- calls, so it is NULL until the call is known: the review writer fills it when it projects a
-- call's events, the indexer when a call with review rows arrives or moves, and opening the
-- store fills whatever is still missing (`review::keys`). A row without it is never lost: the
-- filters fall back to the walk while any matching row lacks its key.
ALTER TABLE call_tags ADD COLUMN log_ms INTEGER;
ALTER TABLE review_states ADD COLUMN log_ms INTEGER;

-- Per call, each state at least one reviewer gave it ("flagged by anyone"): one row per call and
-- state, so a page of it has no duplicates. Derived from `review_states` by the projection.
CREATE TABLE review_any (
    state   TEXT NOT NULL,
    call_id INTEGER NOT NULL,
    log_ms  INTEGER,
    PRIMARY KEY (state, call_id)
) WITHOUT ROWID;
INSERT INTO review_any (state, call_id) SELECT DISTINCT state, call_id FROM review_states;
CREATE INDEX review_any_by_call ON review_any (call_id);

CREATE INDEX call_tags_in_order ON call_tags (tag, log_ms, call_id);
CREATE INDEX review_states_in_order ON review_states (reviewer, state, log_ms, call_id);
CREATE INDEX review_any_in_order ON review_any (state, log_ms, call_id);
-- The rows still waiting for their call's key: found without reading the others.
CREATE INDEX call_tags_unkeyed ON call_tags (call_id) WHERE log_ms IS NULL;
CREATE INDEX review_states_unkeyed ON review_states (call_id) WHERE log_ms IS NULL;
CREATE INDEX review_any_unkeyed ON review_any (call_id) WHERE log_ms IS NULL;
