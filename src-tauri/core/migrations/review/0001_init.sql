-- Review work: annotations as immutable events, the state projected from them, and the team's
-- definitions (tags, scorecards). A file of its own, so that a reviewer's writes never wait on
-- the indexer's large transactions and never touch the journal or the call rows.

-- Every annotation, as it was made (here or on another machine). `seq` is the local apply order;
-- `created_at` (RFC 3339) and `event_id` (UUIDv7) order events across machines.
CREATE TABLE review_events (
    event_id       TEXT PRIMARY KEY,
    seq            INTEGER NOT NULL UNIQUE,
    call_id        INTEGER NOT NULL,
    author_email   TEXT NOT NULL,
    author_name    TEXT NOT NULL,
    kind           TEXT NOT NULL,
    body           TEXT NOT NULL,   -- JSON object
    created_at     TEXT NOT NULL,
    schema_version INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX review_events_by_call ON review_events (call_id);

-- The projection: rebuilt from the events by one function (`review::projection`), a call at a
-- time. Nothing writes these tables but that.
CREATE TABLE review_states (
    call_id       INTEGER NOT NULL,
    reviewer      TEXT NOT NULL,
    reviewer_name TEXT NOT NULL,
    state         TEXT NOT NULL,
    at            TEXT NOT NULL,
    PRIMARY KEY (call_id, reviewer)
) WITHOUT ROWID;
CREATE INDEX review_states_by_reviewer ON review_states (reviewer, state, call_id);
CREATE INDEX review_states_by_state ON review_states (state, call_id);

CREATE TABLE notes (
    note_id     TEXT PRIMARY KEY,
    call_id     INTEGER NOT NULL,
    author      TEXT NOT NULL,
    author_name TEXT NOT NULL,
    text        TEXT NOT NULL,
    turn        INTEGER,
    at_seconds  REAL,
    created_at  TEXT NOT NULL,
    edited_at   TEXT,
    deleted     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX notes_by_call ON notes (call_id);

-- Every version of every note (adds and the author's edits, deletes), oldest first.
CREATE TABLE note_history (
    event_id TEXT PRIMARY KEY,
    note_id  TEXT NOT NULL,
    call_id  INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    text     TEXT,
    at       TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX note_history_by_call ON note_history (call_id);

-- Each `tag.add` event and whether a `tag.remove` has covered it (add-wins set).
CREATE TABLE tag_adds (
    event_id TEXT PRIMARY KEY,
    call_id  INTEGER NOT NULL,
    tag      TEXT NOT NULL,
    removed  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX tag_adds_by_call ON tag_adds (call_id);

-- The tags a call carries now (derived from tag_adds), indexed both ways for the log's filter.
CREATE TABLE call_tags (
    tag     TEXT NOT NULL,
    call_id INTEGER NOT NULL,
    PRIMARY KEY (tag, call_id)
) WITHOUT ROWID;
CREATE INDEX call_tags_by_call ON call_tags (call_id, tag);

CREATE TABLE scores (
    call_id       INTEGER NOT NULL,
    reviewer      TEXT NOT NULL,
    scorecard     TEXT NOT NULL,
    reviewer_name TEXT NOT NULL,
    total         REAL,
    answers       TEXT NOT NULL,  -- JSON object: question id -> {value, prefilled}
    at            TEXT NOT NULL,
    PRIMARY KEY (call_id, reviewer, scorecard)
) WITHOUT ROWID;

CREATE TABLE assignees (
    call_id  INTEGER PRIMARY KEY,
    assignee TEXT,
    at       TEXT NOT NULL
);

-- Definitions, not annotations: the team's tag list and scorecards.
CREATE TABLE tag_defs (
    name  TEXT PRIMARY KEY,
    color TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE scorecards (
    id         TEXT PRIMARY KEY,
    definition TEXT NOT NULL  -- JSON: {id, name, questions}
) WITHOUT ROWID;
