-- A call's first webhook or import delivery is its whole document, byte for byte the raw body
-- the journal already keeps. Such a call now refers to that delivery (`doc_delivery`) instead of
-- holding a second copy: a third of the call database's bytes, and of what indexing writes.
-- `doc` holds text only once deliveries have been merged (or when the body had to be cleaned up,
-- such as a leading byte-order mark). Rows written before keep their `doc`.
ALTER TABLE calls ADD COLUMN doc_delivery INTEGER;

