-- Deliveries whose call could not be built in this file. The index mark passes a delivery only
-- once its call is built or the delivery is listed here, so nothing acknowledged drops out of
-- the log: these are counted in the status and `postcall deliveries --failed`, and retried at
-- every start and by `postcall reindex`.
CREATE TABLE index_errors (
    delivery_id INTEGER PRIMARY KEY,
    call_id     INTEGER NOT NULL,
    error       TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 1,
    failed_ms   INTEGER NOT NULL
);
CREATE INDEX index_errors_by_call ON index_errors (call_id);
