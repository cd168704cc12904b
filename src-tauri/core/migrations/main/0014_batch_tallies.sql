-- Insights: a new call is added to the per-day tallies by its writer, once per transaction for all
-- the calls it inserts (src/store/tally.rs), not by a trigger per call. A trigger made each call's
-- insert a statement that writes several rows and may abort halfway, which SQLite backs with a
-- statement journal, a copy of every page the statement changes: about 230 KB per call, half the
-- indexer's time. Changing or deleting a call keeps its triggers (0012).

DROP TRIGGER calls_tally_insert;
DROP TRIGGER calls_hours_insert;
