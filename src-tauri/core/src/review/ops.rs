//! What a reviewer can do, shared by the CLI and the window's commands: each operation checks its
//! input, then writes its events and their projection in one transaction (so bad input writes
//! nothing), and returns what the caller shows.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use rusqlite::{Connection, OptionalExtension, Transaction};
use serde::Serialize;
use serde_json::{json, Map, Value};
use ts_rs::TS;

use super::store as rstore;
use super::Result;
use super::{
    kind, CallReview, Event, Note, QuestionKind, ReviewError, ReviewState, Reviewer, Score, ScoreAnswer, Scorecard,
    TagDef,
};
use crate::config::DataDir;
use crate::query::{self, CallQuery, CallSummary};
use crate::Store;

/// The reviewer: `flag` (`Name <email>`), else the data folder's setting.
pub fn reviewer(data: &DataDir, flag: Option<&str>) -> Result<Reviewer> {
    match flag.map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => Reviewer::parse(f),
        None => data.settings()?.reviewer.ok_or(ReviewError::NoReviewer),
    }
}

/// Saves the data folder's reviewer.
pub fn set_reviewer(data: &DataDir, name: &str, email: &str) -> Result<Reviewer> {
    let r = Reviewer::new(name, email)?;
    let mut settings = data.settings()?;
    settings.reviewer = Some(r.clone());
    data.save_settings(&settings)?;
    Ok(r)
}

fn ensure_calls(store: &Store, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Err(ReviewError::Invalid("no call ids were given".into()));
    }
    let missing: Vec<i64> = store.read(|c| {
        let mut stmt = c.prepare_cached("SELECT 1 FROM calls WHERE id = ?1")?;
        let mut missing = Vec::new();
        for id in ids {
            if stmt.query_row([id], |_| Ok(())).optional()?.is_none() {
                missing.push(*id);
            }
        }
        Ok(missing)
    })?;
    match missing.as_slice() {
        [] => Ok(()),
        [one] => Err(ReviewError::NotFound(format!("no call with id {one}"))),
        many => Err(ReviewError::NotFound(format!(
            "no calls with ids {}",
            many.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Builds events inside the write transaction (`build` may refuse, and then nothing is written),
/// stores them with their projection and commits. Returns the touched calls and `build`'s value.
fn write<T>(store: &Store, build: impl FnOnce(&Transaction) -> Result<(Vec<Event>, T)>) -> Result<(Vec<i64>, T)> {
    store.review_write(|conn| {
        let tx = conn.transaction()?;
        let (events, out) = build(&tx)?;
        let (touched, _) = rstore::insert_events(&tx, &events)?;
        tx.commit()?;
        Ok((touched, out))
    })
}

/// A call's review; the call must exist.
pub fn call_review(store: &Store, id: i64) -> Result<CallReview> {
    ensure_calls(store, &[id])?;
    Ok(store.read(|c| rstore::call_review(c, id, "review."))?)
}

pub fn set_state(store: &Store, me: &Reviewer, ids: &[i64], state: ReviewState) -> Result<Vec<i64>> {
    ensure_calls(store, ids)?;
    let events = ids.iter().map(|&id| Event::new(id, me, kind::STATE, json!({"state": state.as_str()}))).collect();
    Ok(write(store, |_| Ok((events, ())))?.0)
}

const NOTE_MAX_CHARS: usize = 20_000;

fn note_text(text: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(ReviewError::Invalid("a note needs some text".into()));
    }
    if t.chars().count() > NOTE_MAX_CHARS {
        return Err(ReviewError::Invalid(format!("a note holds at most {NOTE_MAX_CHARS} characters")));
    }
    Ok(t.to_string())
}

fn note_by_id(store: &Store, id: i64, note_id: &str) -> Result<Note> {
    store
        .read(|c| rstore::call_review(c, id, "review."))?
        .notes
        .into_iter()
        .find(|n| n.id == note_id)
        .ok_or_else(|| ReviewError::NotFound(format!("call {id} has no note {note_id}")))
}

pub fn add_note(
    store: &Store,
    me: &Reviewer,
    id: i64,
    text: &str,
    turn: Option<i64>,
    at_seconds: Option<f64>,
) -> Result<Note> {
    let text = note_text(text)?;
    if turn.is_some_and(|t| t < 0) {
        return Err(ReviewError::Invalid("--turn is a 0-based transcript index (0 or more)".into()));
    }
    if at_seconds.is_some_and(|s| !s.is_finite() || s < 0.0) {
        return Err(ReviewError::Invalid("--at is a playback time in seconds (0 or more)".into()));
    }
    ensure_calls(store, &[id])?;
    let e = Event::new(id, me, kind::NOTE_ADD, json!({"text": text, "turn": turn, "at_seconds": at_seconds}));
    let note_id = e.event_id.clone();
    write(store, |_| Ok((vec![e], ())))?;
    note_by_id(store, id, &note_id)
}

/// Checks that the note exists and is `me`'s (only its author edits or deletes it).
fn own_note(tx: &Connection, me: &Reviewer, id: i64, note_id: &str) -> Result<()> {
    match rstore::note_author(tx, id, note_id)? {
        None => Err(ReviewError::NotFound(format!("call {id} has no note {note_id}"))),
        Some(a) if a != me.email => {
            Err(ReviewError::Invalid(format!("only its author ({a}) can change this note; add a note of your own")))
        }
        Some(_) => Ok(()),
    }
}

pub fn edit_note(store: &Store, me: &Reviewer, id: i64, note_id: &str, text: &str) -> Result<Note> {
    let text = note_text(text)?;
    ensure_calls(store, &[id])?;
    write(store, |tx| {
        own_note(tx, me, id, note_id)?;
        Ok((vec![Event::new(id, me, kind::NOTE_EDIT, json!({"note_id": note_id, "text": text}))], ()))
    })?;
    note_by_id(store, id, note_id)
}

pub fn delete_note(store: &Store, me: &Reviewer, id: i64, note_id: &str) -> Result<()> {
    ensure_calls(store, &[id])?;
    write(store, |tx| {
        own_note(tx, me, id, note_id)?;
        Ok((vec![Event::new(id, me, kind::NOTE_DELETE, json!({"note_id": note_id}))], ()))
    })?;
    Ok(())
}

fn known_tags(tx: &Connection, tags: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in tags.iter().map(|t| t.trim()) {
        if !rstore::tag_defined(tx, "", t)? {
            return Err(ReviewError::UnknownTag(t.to_string()));
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    if out.is_empty() {
        return Err(ReviewError::Invalid("no tags were given".into()));
    }
    Ok(out)
}

/// Adds each tag to each call (a call already carrying a tag gets no new event).
pub fn add_tags(store: &Store, me: &Reviewer, ids: &[i64], tags: &[String]) -> Result<Vec<i64>> {
    ensure_calls(store, ids)?;
    Ok(write(store, |tx| {
        let tags = known_tags(tx, tags)?;
        let mut events = Vec::new();
        for &id in ids {
            for t in &tags {
                if rstore::open_tag_adds(tx, id, t)?.is_empty() {
                    events.push(Event::new(id, me, kind::TAG_ADD, json!({"tag": t})));
                }
            }
        }
        Ok((events, ()))
    })?
    .0)
}

/// Removes each tag from each call: the remove names the adds seen here, so an add made
/// elsewhere at the same time survives.
pub fn remove_tags(store: &Store, me: &Reviewer, ids: &[i64], tags: &[String]) -> Result<Vec<i64>> {
    ensure_calls(store, ids)?;
    Ok(write(store, |tx| {
        let tags = known_tags(tx, tags)?;
        let mut events = Vec::new();
        for &id in ids {
            for t in &tags {
                let adds = rstore::open_tag_adds(tx, id, t)?;
                if !adds.is_empty() {
                    events.push(Event::new(id, me, kind::TAG_REMOVE, json!({"tag": t, "adds": adds})));
                }
            }
        }
        Ok((events, ()))
    })?
    .0)
}

pub fn list_tags(store: &Store) -> Result<Vec<TagDef>> {
    Ok(store.read(|c| rstore::tag_defs(c, "review."))?)
}

fn valid_tag_name(name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 60 || n.chars().any(char::is_control) {
        return Err(ReviewError::Invalid(format!("{name:?} is not a tag name (1 to 60 characters)")));
    }
    Ok(n.to_string())
}

/// Defines a tag, or changes its colour (`#rrggbb`): a definition event, shared with the team.
pub fn save_tag(store: &Store, author: Option<&Reviewer>, name: &str, color: &str) -> Result<Vec<TagDef>> {
    let name = valid_tag_name(name)?;
    let color = color.trim().to_lowercase();
    let hex = color.strip_prefix('#').filter(|h| h.len() == 6 && h.chars().all(|c| c.is_ascii_hexdigit()));
    if hex.is_none() {
        return Err(ReviewError::Invalid(format!("{color:?} is not a colour; write it as #rrggbb (e.g. #3366cc)")));
    }
    write(store, |_| {
        Ok((vec![Event::definition(author, kind::TAG_DEFINE, json!({"name": name, "color": color}))], ()))
    })?;
    list_tags(store)
}

/// Removes a tag from the team's list: no call shows it any more (its events are kept, and
/// defining it again brings it back where it was).
pub fn delete_tag(store: &Store, author: Option<&Reviewer>, name: &str) -> Result<Vec<TagDef>> {
    let name = name.trim().to_string();
    write(store, |tx| {
        if !rstore::tag_defined(tx, "", &name)? {
            return Err(ReviewError::UnknownTag(name.clone()));
        }
        Ok((vec![Event::definition(author, kind::TAG_DELETE, json!({ "name": name }))], ()))
    })?;
    list_tags(store)
}

/// The calls that carry `tag` now: a change of its definition (colour, deletion) changes how
/// they show.
pub fn calls_with_tag(store: &Store, tag: &str) -> Result<Vec<i64>> {
    Ok(store.read(|c| {
        let mut st = c.prepare_cached("SELECT call_id FROM review.call_tags WHERE tag = ?1")?;
        let ids = st.query_map([tag.trim()], |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(ids)
    })?)
}

pub fn list_scorecards(store: &Store) -> Result<Vec<Scorecard>> {
    Ok(store.read(|c| rstore::scorecards(c, "review."))?)
}

fn validate_scorecard(s: &Scorecard) -> Result<()> {
    let bad = |m: String| Err(ReviewError::Invalid(m));
    let id_ok = |id: &str| {
        !id.is_empty() && id.len() <= 60 && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
    };
    if !id_ok(&s.id) {
        return bad(format!("{:?} is not a scorecard id (letters, digits, - and _)", s.id));
    }
    if s.name.trim().is_empty() {
        return bad("a scorecard needs a name".into());
    }
    if s.questions.is_empty() {
        return bad("a scorecard needs at least one question".into());
    }
    let mut seen = std::collections::HashSet::new();
    for q in &s.questions {
        if !id_ok(&q.id) || !seen.insert(q.id.as_str()) {
            return bad(format!("question id {:?} is not valid or repeated", q.id));
        }
        if q.label.trim().is_empty() {
            return bad(format!("question {} needs a label", q.id));
        }
        if !q.weight.is_finite() || q.weight < 0.0 {
            return bad(format!("question {}: the weight must be 0 or more", q.id));
        }
        if q.kind == QuestionKind::Choice && q.choices.len() < 2 {
            return bad(format!("question {}: a choice needs at least two choices", q.id));
        }
    }
    Ok(())
}

/// Saves a scorecard (a new one, or a new version of one): a definition event, shared with the
/// team. Scores already given keep the total they were given.
pub fn save_scorecard(store: &Store, author: Option<&Reviewer>, s: &Scorecard) -> Result<Vec<Scorecard>> {
    validate_scorecard(s)?;
    let def = serde_json::to_value(s).map_err(|e| ReviewError::Invalid(e.to_string()))?;
    write(store, |_| Ok((vec![Event::definition(author, kind::SCORECARD_SAVE, def)], ())))?;
    list_scorecards(store)
}

pub fn delete_scorecard(store: &Store, author: Option<&Reviewer>, id: &str) -> Result<Vec<Scorecard>> {
    write(store, |tx| {
        if !rstore::scorecards(tx, "")?.iter().any(|s| s.id == id) {
            return Err(ReviewError::NotFound(format!("no scorecard {id:?}")));
        }
        Ok((vec![Event::definition(author, kind::SCORECARD_DELETE, json!({ "id": id }))], ()))
    })?;
    list_scorecards(store)
}

fn scorecard(store: &Store, id: &str) -> Result<Scorecard> {
    list_scorecards(store)?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| ReviewError::NotFound(format!("no scorecard {id:?}; define it first")))
}

/// How much of a question's points an answer earns (0..1): yes 1, no 0; a scale of 1..5
/// linearly; a choice by its place in the list, the first best.
fn fraction(kind: QuestionKind, choices: &[String], v: &Value) -> Option<f64> {
    match kind {
        QuestionKind::YesNo => v.as_bool().map(|b| if b { 1.0 } else { 0.0 }),
        QuestionKind::Scale => v.as_f64().filter(|n| (1.0..=5.0).contains(n)).map(|n| (n - 1.0) / 4.0),
        QuestionKind::Choice => {
            let i = choices.iter().position(|c| Some(c.as_str()) == v.as_str())?;
            Some(1.0 - i as f64 / (choices.len().max(2) - 1) as f64)
        }
    }
}

/// The weighted percent of the answered questions (none answered: no total).
pub fn total(card: &Scorecard, answers: &BTreeMap<String, ScoreAnswer>) -> Option<f64> {
    let (mut got, mut max) = (0.0, 0.0);
    for q in &card.questions {
        let Some(f) = answers.get(&q.id).and_then(|a| a.value.as_ref()).and_then(|v| fraction(q.kind, &q.choices, v))
        else {
            continue;
        };
        got += q.weight * f;
        max += q.weight;
    }
    (max > 0.0).then(|| (got / max * 1000.0).round() / 10.0)
}

fn check_answers(card: &Scorecard, answers: &BTreeMap<String, ScoreAnswer>) -> Result<()> {
    for (qid, a) in answers {
        let q = card
            .questions
            .iter()
            .find(|q| &q.id == qid)
            .ok_or_else(|| ReviewError::Invalid(format!("scorecard {} has no question {qid:?}", card.id)))?;
        if let Some(v) = &a.value {
            if fraction(q.kind, &q.choices, v).is_none() {
                let want = match q.kind {
                    QuestionKind::YesNo => "yes or no (true/false)".to_string(),
                    QuestionKind::Scale => "a number from 1 to 5".to_string(),
                    QuestionKind::Choice => format!("one of {}", q.choices.join(", ")),
                };
                return Err(ReviewError::Invalid(format!("{qid}: {v} is not an answer; give {want}")));
            }
        }
    }
    Ok(())
}

pub fn set_score(
    store: &Store,
    me: &Reviewer,
    id: i64,
    scorecard_id: &str,
    answers: &BTreeMap<String, ScoreAnswer>,
) -> Result<Score> {
    let card = scorecard(store, scorecard_id)?;
    check_answers(&card, answers)?;
    ensure_calls(store, &[id])?;
    let total = total(&card, answers);
    let body = json!({"scorecard": card.id, "answers": answers, "total": total});
    write(store, |_| Ok((vec![Event::new(id, me, kind::SCORE_SET, body)], ())))?;
    store
        .read(|c| rstore::call_review(c, id, "review."))?
        .scores
        .into_iter()
        .find(|s| s.reviewer == me.email && s.scorecard == card.id)
        .ok_or_else(|| ReviewError::NotFound("the score was not stored".into()))
}

/// A scorecard's answers taken from the call's variables where a question names one, marked
/// pre-filled; nothing is stored.
pub fn prefill_score(store: &Store, id: i64, scorecard_id: &str) -> Result<BTreeMap<String, ScoreAnswer>> {
    let card = scorecard(store, scorecard_id)?;
    let detail = store.read(|c| query::detail(c, id)).map_err(|e| match e {
        crate::store::StoreError::NotFound(_) => ReviewError::NotFound(format!("no call with id {id}")),
        other => other.into(),
    })?;
    let mut out = BTreeMap::new();
    for q in &card.questions {
        let Some(var) = q.variable.as_deref() else { continue };
        let raw = [&detail.extracted_variables, &detail.input_variables]
            .iter()
            .find_map(|vars| vars.get(var).filter(|v| !v.is_null()).cloned());
        let Some(raw) = raw else { continue };
        let value = match q.kind {
            QuestionKind::YesNo => match &raw {
                Value::Bool(b) => Some(Value::Bool(*b)),
                Value::String(s) => match s.trim().to_lowercase().as_str() {
                    "yes" | "true" | "1" => Some(Value::Bool(true)),
                    "no" | "false" | "0" => Some(Value::Bool(false)),
                    _ => None,
                },
                Value::Number(n) => n.as_f64().map(|n| Value::Bool(n != 0.0)),
                _ => None,
            },
            QuestionKind::Scale => {
                let n = raw.as_f64().or_else(|| raw.as_str().and_then(|s| s.trim().parse().ok()));
                n.filter(|n| (1.0..=5.0).contains(n)).map(|n| json!(n.round() as i64))
            }
            QuestionKind::Choice => raw.as_str().and_then(|s| {
                q.choices.iter().find(|c| c.eq_ignore_ascii_case(s.trim())).map(|c| Value::String(c.clone()))
            }),
        };
        if let Some(v) = value {
            out.insert(q.id.clone(), ScoreAnswer { value: Some(v), prefilled: true });
        }
    }
    Ok(out)
}

/// What an import did.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ImportReport {
    pub read: u64,
    pub new: u64,
    pub calls: usize,
}

/// Stores events exported elsewhere (already held ones, by `event_id`, are skipped). Every line
/// is checked first: one bad line and nothing is imported.
pub fn import_events(store: &Store, reader: impl BufRead) -> Result<(ImportReport, Vec<i64>)> {
    let mut events = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| ReviewError::Invalid(format!("cannot read the file: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let e: Event = serde_json::from_str(&line)
            .map_err(|e| ReviewError::Invalid(format!("line {}: not a review event: {e}", n + 1)))?;
        e.validate().map_err(|e| ReviewError::Invalid(format!("line {}: {e}", n + 1)))?;
        events.push(e);
    }
    let read = events.len() as u64;
    let (touched, new) = store.review_write(|conn| {
        let tx = conn.transaction()?;
        let out = rstore::insert_events(&tx, &events)?;
        tx.commit()?;
        Ok::<_, ReviewError>(out)
    })?;
    let calls = touched.iter().filter(|&&c| c != super::DEFINITIONS).count();
    Ok((ImportReport { read, new, calls }, touched))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EventFormat {
    Jsonl,
    Csv,
}

/// Writes every event in apply order: JSON Lines (what `import` reads) or CSV (for spreadsheets).
pub fn export_events(store: &Store, format: EventFormat, out: &mut dyn Write) -> Result<u64> {
    let io = |e: std::io::Error| ReviewError::Invalid(format!("cannot write: {e}"));
    if format == EventFormat::Csv {
        writeln!(out, "event_id,call_id,author_email,author_name,kind,body,created_at,schema_version").map_err(io)?;
    }
    let mut failed = None;
    let n = store.read(|c| {
        rstore::all_events(c, "review.", |e| {
            let line = match format {
                EventFormat::Jsonl => serde_json::to_string(&e).unwrap_or_default(),
                EventFormat::Csv => [
                    e.event_id.clone(),
                    e.call_id.to_string(),
                    e.author_email.clone(),
                    e.author_name.clone(),
                    e.kind.clone(),
                    e.body.to_string(),
                    e.created_at.clone(),
                    e.schema_version.to_string(),
                ]
                .iter()
                .map(|c| crate::export::csv_cell(c))
                .collect::<Vec<_>>()
                .join(","),
            };
            if failed.is_none() {
                if let Err(e) = writeln!(out, "{line}") {
                    failed = Some(e);
                }
            }
            Ok(())
        })
    })?;
    match failed {
        Some(e) => Err(io(e)),
        None => Ok(n),
    }
}

/// Rebuilds the projection from the events; returns how many calls have review state.
pub fn rebuild(store: &Store) -> Result<usize> {
    store.review_write(|c| Ok(rstore::rebuild(c)?))
}

/// Other calls with the same customer phone, newest first.
pub fn number_history(store: &Store, id: i64, me: Option<&str>) -> Result<Vec<CallSummary>> {
    let phone: Option<String> = store
        .read(|c| {
            Ok(c.prepare_cached("SELECT customer_phone FROM calls WHERE id = ?1")?
                .query_row([id], |r| r.get(0))
                .optional()?)
        })?
        .ok_or_else(|| ReviewError::NotFound(format!("no call with id {id}")))?;
    let Some(phone) = phone.filter(|p| !p.trim().is_empty()) else { return Ok(Vec::new()) };
    let q =
        CallQuery { phone: Some(phone.clone()), limit: Some(200), me: me.map(str::to_string), ..CallQuery::default() };
    let page = store.read(|c| query::list(c, &q))?;
    Ok(page.items.into_iter().filter(|c| c.id != id && c.customer_phone.as_deref() == Some(phone.as_str())).collect())
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, TS)]
pub struct ReviewProgress {
    pub total: i64,
    pub reviewed: i64,
}

/// In the filter `q`: how many calls, and how many of them `me` reviewed or flagged.
pub fn review_progress(store: &Store, q: &CallQuery, me: &str) -> Result<ReviewProgress> {
    let total = store.read(|c| query::count(c, q))?;
    let mine = CallQuery { me: Some(me.to_string()), mine_done: Some(true), ..q.clone() };
    let reviewed = store.read(|c| query::count(c, &mine))?;
    Ok(ReviewProgress { total, reviewed })
}

/// The next call after `after` in the filter's order that `me` has not reviewed or flagged.
pub fn next_unreviewed(store: &Store, q: &CallQuery, after: Option<i64>, me: &str) -> Result<Option<i64>> {
    let mut next =
        CallQuery { me: Some(me.to_string()), mine_done: Some(false), limit: Some(1), cursor: None, ..q.clone() };
    if let Some(after) = after {
        next.cursor = store.read(|c| query::cursor_of(c, q.sort, after))?;
    }
    Ok(store.read(|c| query::list(c, &next))?.items.first().map(|c| c.id))
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct VariableName {
    pub name: String,
    #[ts(as = "crate::store::names::VariableKind")]
    pub kind: &'static str,
}

/// The variable names of the latest calls (extracted, then input), with their kind, for the
/// variable filter's picker.
pub fn variable_names(store: &Store) -> Result<Vec<VariableName>> {
    let docs: Vec<(Option<String>, Option<String>)> = store.read(|c| {
        Ok(c.prepare_cached(&format!(
            "SELECT json_extract({doc}, '$.extracted_variables'), json_extract({doc}, '$.input_variables')
             FROM calls ORDER BY sort_ms DESC LIMIT 500",
            doc = crate::store::calls::DOC_SQL
        ))?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?)
    })?;
    let mut kinds: BTreeMap<String, &'static str> = BTreeMap::new();
    for (ev, iv) in docs {
        for map in [ev, iv].into_iter().flatten().filter_map(|s| serde_json::from_str::<Map<String, Value>>(&s).ok()) {
            for (k, v) in map {
                let kind = match v {
                    Value::Bool(_) => "boolean",
                    Value::Number(_) => "number",
                    Value::Null => continue,
                    _ => "text",
                };
                kinds.entry(k).or_insert(kind);
            }
        }
    }
    Ok(kinds.into_iter().map(|(name, kind)| VariableName { name, kind }).collect())
}

/// Each call's review, for `postcall export`: only calls with review events are looked up.
pub fn reviews_for_export(conn: &Connection) -> crate::store::Result<std::collections::HashSet<i64>> {
    Ok(conn
        .prepare("SELECT DISTINCT call_id FROM review.review_events")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}
