-- The recording vault's queue at scale (a folder holds a recording per call; the vault's loop
-- reads the queue at every turn).

-- Opening a data folder requeues downloads a crash left half done. Without an index that looked
-- at every recording, and the pages it read stayed in the connection's cache for as long as the
-- app ran. Only downloads in flight are in this one.
CREATE INDEX recordings_downloading ON recordings (updated_ms) WHERE state = 'downloading';

-- The next recording is the newest call among those due first: in the order of the claim, so
-- that taking one does not sort every queued recording due at the same time (all of them, in a
-- backlog).
DROP INDEX recordings_due;
CREATE INDEX recordings_due ON recordings (next_attempt_ms, call_id DESC) WHERE state = 'queued';

-- With automatic download off (or while hosts cannot be reached) only recordings someone asked
-- for are taken, and finding them walked every queued one.
CREATE INDEX recordings_requested ON recordings (next_attempt_ms, call_id DESC) WHERE state = 'queued' AND requested = 1;
