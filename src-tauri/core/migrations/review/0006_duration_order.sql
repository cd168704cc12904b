-- The log's duration order beside the review rows, as 0004 did for its time order: a page of the
-- log sorted by duration and filtered by a tag or a review state is then a range of one index
-- here, from the cursor on, joined to `calls` by primary key, instead of a walk of the whole log.
--
-- `log_dur` is the call's duration as the log sorts it (`ifnull(duration, -1)`), kept by the same
-- writers as `log_ms` and always set with it (`review::keys`). The keys are cleared here, so that
-- opening the store fills both at once for every row whose call is indexed: a row keyed in time
-- but not in duration would otherwise pass for keyed.
ALTER TABLE call_tags ADD COLUMN log_dur INTEGER;
ALTER TABLE review_states ADD COLUMN log_dur INTEGER;
ALTER TABLE review_any ADD COLUMN log_dur INTEGER;
UPDATE call_tags SET log_ms = NULL;
UPDATE review_states SET log_ms = NULL;
UPDATE review_any SET log_ms = NULL;

CREATE INDEX call_tags_by_duration ON call_tags (tag, log_dur, call_id);
CREATE INDEX review_states_by_duration ON review_states (reviewer, state, log_dur, call_id);
CREATE INDEX review_any_by_duration ON review_any (state, log_dur, call_id);
