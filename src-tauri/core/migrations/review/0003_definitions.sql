-- The team's definitions become events (call_id 0, kinds tag.define / tag.delete /
-- scorecard.save / scorecard.delete) so the team's server shares them like annotations, and the
-- two tables become views over those events: for each tag name or scorecard id, the latest event
-- (by created_at, then event_id) decides, so every machine with the same events lists the same
-- definitions. Definitions made before this upgrade become events dated at the epoch, so any
-- definition made since, here or elsewhere, wins over them; they wait in the outbox like other
-- local events.
INSERT INTO review_events (event_id, seq, call_id, author_email, author_name, kind, body, created_at, schema_version)
SELECT 'def-' || lower(hex(randomblob(16))),
       (SELECT ifnull(max(seq), 0) FROM review_events) + row_number() OVER (ORDER BY name),
       0, 'unknown@localhost', 'unknown reviewer', 'tag.define',
       json_object('name', name, 'color', color), '1970-01-01T00:00:00.000Z', 2
FROM tag_defs;

INSERT INTO review_events (event_id, seq, call_id, author_email, author_name, kind, body, created_at, schema_version)
SELECT 'def-' || lower(hex(randomblob(16))),
       (SELECT ifnull(max(seq), 0) FROM review_events) + row_number() OVER (ORDER BY id),
       0, 'unknown@localhost', 'unknown reviewer', 'scorecard.save',
       definition, '1970-01-01T00:00:00.000Z', 2
FROM scorecards WHERE json_valid(definition);

INSERT OR IGNORE INTO review_outbox (seq, event_id)
SELECT seq, event_id FROM review_events WHERE event_id LIKE 'def-%';

DROP TABLE tag_defs;
DROP TABLE scorecards;

-- A colour that is not #rrggbb (from a machine that did not check it) defines nothing.
CREATE VIEW tag_defs AS
SELECT name, color FROM (
    SELECT kind,
           json_extract(body, '$.name') AS name,
           lower(json_extract(body, '$.color')) AS color,
           row_number() OVER (PARTITION BY json_extract(body, '$.name') ORDER BY created_at DESC, event_id DESC) AS latest
    FROM review_events
    WHERE call_id = 0 AND kind IN ('tag.define', 'tag.delete') AND json_valid(body)
)
WHERE latest = 1 AND kind = 'tag.define'
  AND typeof(name) = 'text' AND length(name) BETWEEN 1 AND 60
  AND color GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]';

CREATE VIEW scorecards AS
SELECT id, definition FROM (
    SELECT kind,
           json_extract(body, '$.id') AS id,
           body AS definition,
           row_number() OVER (PARTITION BY json_extract(body, '$.id') ORDER BY created_at DESC, event_id DESC) AS latest
    FROM review_events
    WHERE call_id = 0 AND kind IN ('scorecard.save', 'scorecard.delete') AND json_valid(body)
)
WHERE latest = 1 AND kind = 'scorecard.save' AND typeof(id) = 'text';
