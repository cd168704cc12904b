//! The one function from a call's review events to its review state.
//!
//! Pure and deterministic: the events are deduplicated by `event_id` and put in their own order
//! (creation time, then id) before anything is decided, so any interleaving of the same events,
//! with repeats, gives the same state. The merge rules make two reviewers' events never conflict:
//!
//! - review state, scores: per reviewer (per reviewer and scorecard), the latest event wins;
//! - notes: added by anyone; edited or deleted only by their author (others' edits are ignored);
//!   the latest edit wins, a delete is final, every version is kept as history;
//! - tags: an add-wins set: a `tag.remove` names the `tag.add` events it has seen, and a tag is
//!   on while any of its adds is not named by a remove (so a concurrent add survives);
//! - assignment: the latest event wins;
//! - kinds from a newer schema are skipped (the events stay stored).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::Value;

use super::{kind, CallReview, Event, Note, ReviewState, ReviewStateEntry, Score};

/// One version of a note.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteVersion {
    pub event_id: String,
    pub note_id: String,
    pub kind: String,
    pub text: Option<String>,
    pub at: String,
}

/// One `tag.add` and whether a remove has covered it.
#[derive(Debug, Clone, PartialEq)]
pub struct TagAdd {
    pub event_id: String,
    pub tag: String,
    pub removed: bool,
}

/// Everything the projection tables hold for one call.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Projection {
    /// The visible state (notes without the deleted ones).
    pub review: CallReview,
    /// Every note, deleted ones included (`true` when deleted).
    pub notes: Vec<(Note, bool)>,
    pub history: Vec<NoteVersion>,
    pub tag_adds: Vec<TagAdd>,
}

fn text(body: &Value, key: &str) -> Option<String> {
    body.get(key).and_then(Value::as_str).map(str::to_string)
}

/// The state of one call from its events (events of other calls must not be passed).
pub fn project(events: &[Event]) -> Projection {
    // Deduplicate and order. Two different events under one id (a corrupt import) are resolved
    // the same way every time: the smallest serialisation is kept.
    let mut sorted: Vec<&Event> = events.iter().collect();
    sorted.sort_by(|a, b| {
        a.order_key().cmp(&b.order_key()).then_with(|| {
            serde_json::to_string(a).unwrap_or_default().cmp(&serde_json::to_string(b).unwrap_or_default())
        })
    });
    sorted.dedup_by(|b, a| a.event_id == b.event_id);

    let mut states: BTreeMap<String, ReviewStateEntry> = BTreeMap::new();
    let mut scores: BTreeMap<(String, String), Score> = BTreeMap::new();
    let mut assignee: Option<String> = None;
    let mut notes: BTreeMap<String, (Note, bool)> = BTreeMap::new();
    let mut history = Vec::new();
    let mut adds: Vec<(String, String)> = Vec::new();
    let mut removed: HashSet<String> = HashSet::new();

    // Notes first, so an edit made on a machine whose clock ran behind still finds its note.
    for e in &sorted {
        if e.kind != kind::NOTE_ADD {
            continue;
        }
        let Some(body_text) = text(&e.body, "text") else { continue };
        let note = Note {
            id: e.event_id.clone(),
            author: e.author_email.clone(),
            author_name: e.author_name.clone(),
            text: body_text.clone(),
            turn: e.body.get("turn").and_then(Value::as_i64),
            at_seconds: e.body.get("at_seconds").and_then(Value::as_f64),
            created_at: e.created_at.clone(),
            edited_at: None,
        };
        notes.insert(e.event_id.clone(), (note, false));
        history.push(NoteVersion {
            event_id: e.event_id.clone(),
            note_id: e.event_id.clone(),
            kind: e.kind.clone(),
            text: Some(body_text),
            at: e.created_at.clone(),
        });
    }

    for e in &sorted {
        match e.kind.as_str() {
            kind::STATE => {
                let Some(state) = e.body.get("state").and_then(Value::as_str).and_then(ReviewState::parse) else {
                    continue;
                };
                states.insert(
                    e.author_email.clone(),
                    ReviewStateEntry {
                        reviewer: e.author_email.clone(),
                        reviewer_name: e.author_name.clone(),
                        state,
                        at: e.created_at.clone(),
                    },
                );
            }
            kind::NOTE_EDIT | kind::NOTE_DELETE => {
                let Some(note_id) = text(&e.body, "note_id") else { continue };
                let Some((note, deleted)) = notes.get_mut(&note_id) else { continue };
                if note.author != e.author_email || *deleted {
                    continue;
                }
                let new_text = if e.kind == kind::NOTE_EDIT {
                    let Some(t) = text(&e.body, "text") else { continue };
                    note.text = t.clone();
                    note.edited_at = Some(e.created_at.clone());
                    Some(t)
                } else {
                    *deleted = true;
                    None
                };
                history.push(NoteVersion {
                    event_id: e.event_id.clone(),
                    note_id,
                    kind: e.kind.clone(),
                    text: new_text,
                    at: e.created_at.clone(),
                });
            }
            kind::TAG_ADD => {
                if let Some(tag) = text(&e.body, "tag") {
                    adds.push((e.event_id.clone(), tag));
                }
            }
            kind::TAG_REMOVE => {
                if let Some(list) = e.body.get("adds").and_then(Value::as_array) {
                    removed.extend(list.iter().filter_map(Value::as_str).map(str::to_string));
                }
            }
            kind::SCORE_SET => {
                let Some(scorecard) = text(&e.body, "scorecard") else { continue };
                let answers = e.body.get("answers").and_then(Value::as_object).cloned().unwrap_or_default();
                scores.insert(
                    (e.author_email.clone(), scorecard.clone()),
                    Score {
                        reviewer: e.author_email.clone(),
                        reviewer_name: e.author_name.clone(),
                        scorecard,
                        total: e.body.get("total").and_then(Value::as_f64),
                        answers,
                        at: e.created_at.clone(),
                    },
                );
            }
            kind::ASSIGN => {
                assignee = e.body.get("assignee").and_then(Value::as_str).map(str::to_string);
            }
            _ => {}
        }
    }

    let tag_adds: Vec<TagAdd> = adds
        .into_iter()
        .map(|(event_id, tag)| TagAdd { removed: removed.contains(&event_id), event_id, tag })
        .collect();
    let tags: BTreeSet<String> = tag_adds.iter().filter(|a| !a.removed).map(|a| a.tag.clone()).collect();
    let mut all_notes: Vec<(Note, bool)> = notes.into_values().collect();
    all_notes.sort_by(|a, b| {
        (crate::time::parse_ms(&a.0.created_at), &a.0.id).cmp(&(crate::time::parse_ms(&b.0.created_at), &b.0.id))
    });
    Projection {
        review: CallReview {
            states: states.into_values().collect(),
            notes: all_notes.iter().filter(|(_, deleted)| !deleted).map(|(n, _)| n.clone()).collect(),
            tags: tags.into_iter().collect(),
            scores: scores.into_values().collect(),
            assignee,
        },
        notes: all_notes,
        history,
        tag_adds,
    }
}

/// The state of every call in `events`, by call id.
pub fn project_all(events: &[Event]) -> BTreeMap<i64, Projection> {
    let mut by_call: BTreeMap<i64, Vec<Event>> = BTreeMap::new();
    for e in events {
        by_call.entry(e.call_id).or_default().push(e.clone());
    }
    by_call.into_iter().map(|(id, evs)| (id, project(&evs))).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::review::Reviewer;
    use proptest::prelude::*;
    use serde_json::json;

    pub(crate) fn ev(id: &str, call: i64, who: &str, kind: &str, at_ms: i64, body: Value) -> Event {
        Event {
            event_id: id.to_string(),
            call_id: call,
            author_email: format!("{who}@example.com"),
            author_name: who.to_string(),
            kind: kind.to_string(),
            body,
            created_at: crate::time::ms_to_rfc3339(at_ms),
            schema_version: 1,
        }
    }

    /// A mixed set of events over two calls and three reviewers, with ties in time, foreign
    /// edits, concurrent tag adds and removes, and a kind from the future.
    pub(crate) fn sample_events() -> Vec<Event> {
        let t = 1_760_000_000_000;
        vec![
            ev("e01", 1, "ana", kind::STATE, t, json!({"state": "in_review"})),
            ev("e02", 1, "ana", kind::STATE, t + 5, json!({"state": "reviewed"})),
            ev("e03", 1, "bo", kind::STATE, t + 5, json!({"state": "flagged"})),
            ev("e04", 1, "bo", kind::STATE, t + 5, json!({"state": "reviewed"})),
            ev(
                "e05",
                1,
                "ana",
                kind::NOTE_ADD,
                t + 1,
                json!({"text": "price objection", "turn": 3, "at_seconds": 12.5}),
            ),
            ev("e06", 1, "bo", kind::NOTE_EDIT, t + 9, json!({"note_id": "e05", "text": "hijacked"})),
            ev("e07", 1, "ana", kind::NOTE_EDIT, t + 2, json!({"note_id": "e05", "text": "price objection, handled"})),
            ev("e08", 1, "ana", kind::NOTE_EDIT, t - 50, json!({"note_id": "e05", "text": "an older edit"})),
            ev("e09", 1, "bo", kind::NOTE_ADD, t + 3, json!({"text": "call back", "turn": null})),
            ev("e10", 1, "bo", kind::NOTE_DELETE, t + 4, json!({"note_id": "e09"})),
            ev("e11", 1, "bo", kind::NOTE_EDIT, t + 6, json!({"note_id": "e09", "text": "too late"})),
            ev("e12", 1, "ana", kind::TAG_ADD, t, json!({"tag": "upsell"})),
            ev("e13", 1, "bo", kind::TAG_ADD, t + 1, json!({"tag": "upsell"})),
            ev("e14", 1, "ana", kind::TAG_REMOVE, t + 2, json!({"tag": "upsell", "adds": ["e12"]})),
            ev("e15", 1, "ana", kind::TAG_ADD, t, json!({"tag": "angry"})),
            ev("e16", 1, "cy", kind::TAG_REMOVE, t + 7, json!({"tag": "angry", "adds": ["e15"]})),
            ev(
                "e17",
                1,
                "ana",
                kind::SCORE_SET,
                t,
                json!({"scorecard": "qa", "answers": {"greet": {"value": true, "prefilled": false}}, "total": 100.0}),
            ),
            ev(
                "e18",
                1,
                "ana",
                kind::SCORE_SET,
                t + 8,
                json!({"scorecard": "qa", "answers": {"greet": {"value": false, "prefilled": false}}, "total": 0.0}),
            ),
            ev("e19", 1, "cy", kind::ASSIGN, t, json!({"assignee": "bo@example.com"})),
            ev("e20", 1, "cy", "review.future_kind", t, json!({"anything": 1})),
            ev("e21", 2, "cy", kind::STATE, t, json!({"state": "flagged"})),
            ev("e22", 2, "cy", kind::TAG_ADD, t, json!({"tag": "angry"})),
            ev("e23", 2, "cy", kind::STATE, t, json!({"state": "no-such-state"})),
        ]
    }

    #[test]
    fn the_merge_rules_hold() {
        let all = project_all(&sample_events());
        let one = &all[&1].review;
        let states: Vec<(&str, ReviewState)> = one.states.iter().map(|s| (s.reviewer.as_str(), s.state)).collect();
        // bo's two events tie on time: the larger id (e04) wins.
        assert_eq!(states, [("ana@example.com", ReviewState::Reviewed), ("bo@example.com", ReviewState::Reviewed)]);
        assert_eq!(one.notes.len(), 1, "bo's note was deleted and stays deleted");
        assert_eq!(one.notes[0].text, "price objection, handled", "the author's latest edit; bo's edit ignored");
        assert_eq!(one.notes[0].turn, Some(3));
        assert_eq!(one.notes[0].at_seconds, Some(12.5));
        assert_eq!(one.tags, ["upsell"], "bo's concurrent add survives ana's remove; angry was removed");
        assert_eq!(one.scores.len(), 1);
        assert_eq!(one.scores[0].total, Some(0.0));
        assert_eq!(one.assignee.as_deref(), Some("bo@example.com"));
        let p = &all[&1];
        assert_eq!(p.history.iter().filter(|h| h.note_id == "e05").count(), 3, "add and two edits by its author");
        let two = &all[&2].review;
        assert_eq!(two.states.len(), 1, "an unknown state is ignored");
        assert_eq!(two.tags, ["angry"]);
        let _ = Reviewer::new("x", "x@y").expect("reviewer");
    }

    fn shuffled(events: &[Event], order: &[usize], dups: &[usize]) -> Vec<Event> {
        let mut out: Vec<Event> = order.iter().map(|&i| events[i].clone()).collect();
        for &d in dups {
            out.insert(d % (out.len() + 1), events[d % events.len()].clone());
        }
        out
    }

    proptest! {
        #[test]
        fn any_interleaving_with_repeats_gives_the_same_state(
            order in Just((0..sample_events().len()).collect::<Vec<_>>()).prop_shuffle(),
            dups in proptest::collection::vec(0usize..1000, 0..12),
        ) {
            let events = sample_events();
            let expected = project_all(&events);
            prop_assert_eq!(project_all(&shuffled(&events, &order, &dups)), expected);
        }
    }
}
