//! `search.sqlite`: the full-text indexes, one set of rows per call (rowid = call id).
//!
//! Every row is derived from the call database, which is derived from the journal. The indexer
//! writes the calls and turns, then hands each batch's [`SearchRows`] to the search writer, which
//! writes them here on its own thread, beside it. Each file records how far into the journal it
//! is (`index_state`, `search_state`); the index is never ahead of the calls, and [`recover`]
//! rebuilds whatever it lacks from the calls after a crash, or all of it after an upgrade.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension};

use super::scripts::index_form;
use super::{calls, Result};

/// The search index's rows for one call.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRows {
    pub id: i64,
    /// The call had no rows yet: nothing to remove first.
    pub fresh: bool,
    /// The turns' texts one per line, when they changed; `None` keeps the indexed transcript.
    pub transcript: Option<String>,
    pub summary: Option<String>,
    pub variables: String,
    pub phones: String,
    pub fragments: String,
}

const MARK: &str = "journal";

/// Replaces one call's rows.
pub fn write(conn: &Connection, r: &SearchRows) -> Result<()> {
    if !r.fresh {
        if r.transcript.is_some() {
            conn.prepare_cached("DELETE FROM transcript_fts WHERE rowid = ?1")?.execute([r.id])?;
        }
        conn.prepare_cached("DELETE FROM calls_fts WHERE rowid = ?1")?.execute([r.id])?;
        conn.prepare_cached("DELETE FROM fragments_fts WHERE rowid = ?1")?.execute([r.id])?;
    }
    if let Some(text) = r.transcript.as_deref().filter(|t| !t.is_empty()) {
        conn.prepare_cached("INSERT INTO transcript_fts (rowid, text) VALUES (?1, ?2)")?
            .execute(params![r.id, index_form(text).as_ref()])?;
    }
    conn.prepare_cached(
        "INSERT INTO calls_fts (rowid, summary, variables, phones, scripts) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![r.id, r.summary, r.variables, r.phones, scripts_column(r)])?;
    conn.prepare_cached("INSERT INTO fragments_fts (rowid, tokens) VALUES (?1, ?2)")?
        .execute(params![r.id, r.fragments])?;
    Ok(())
}

/// `calls_fts.scripts`: the summary and variables as FTS5 should see them, when that is not the
/// text itself (CJK or Thai in them; see [`crate::search::scripts`]). The other columns keep the
/// text as written, for the snippets.
fn scripts_column(r: &SearchRows) -> Option<String> {
    let summary = r.summary.as_deref().unwrap_or_default();
    match (index_form(summary), index_form(&r.variables)) {
        (Cow::Borrowed(_), Cow::Borrowed(_)) => None,
        (summary, variables) => Some(format!("{summary}\n{variables}")),
    }
}

/// Writes a batch in one transaction and, with `mark`, records that the index now reflects the
/// journal up to that delivery.
pub fn write_batch(conn: &mut Connection, rows: &[SearchRows], mark: Option<i64>) -> Result<()> {
    let tx = conn.transaction()?;
    for r in rows {
        write(&tx, r)?;
    }
    if let Some(mark) = mark {
        set_mark(&tx, mark)?;
    }
    tx.commit()?;
    Ok(())
}

fn set_mark(conn: &Connection, delivery_id: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO search_state (name, delivery_id) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET delivery_id = max(delivery_id, excluded.delivery_id)",
    )?
    .execute(params![MARK, delivery_id])?;
    Ok(())
}

fn mark(conn: &Connection, sql: &str) -> Result<i64> {
    Ok(conn.query_row(sql, [MARK], |r| r.get(0)).optional()?.unwrap_or(0))
}

/// The rows call `id` should have, read back from the call database.
pub(crate) fn rows_for_call(conn: &Connection, id: i64) -> Result<Option<SearchRows>> {
    let Some((doc, api_doc, _)) = calls::docs(conn, id)? else { return Ok(None) };
    let view = calls::effective(doc.as_ref(), api_doc.as_ref());
    Ok(Some(calls::Derived::of(id, &view).search_rows(id, false, true)))
}

/// Brings the search index up to the call database, on a connection that reaches both (and the
/// journal), as a writer starts: after a crash between the two writers' commits, the calls of
/// the deliveries in between; when the index is empty but calls exist (the upgrade that created
/// it, or a deleted file), every call. Returns the calls re-indexed.
pub fn recover(conn: &mut Connection) -> Result<usize> {
    bring_up_to_date(conn, false)
}

/// [`recover`] for a reader (a command that starts no writer): only an index missing entirely is
/// built, since a lagging one is the running writer's to catch up.
pub fn build_if_missing(conn: &mut Connection) -> Result<usize> {
    bring_up_to_date(conn, true)
}

/// (the call database's mark, the index's mark)
fn marks(conn: &Connection) -> Result<(i64, i64)> {
    Ok((
        mark(conn, "SELECT delivery_id FROM main.index_state WHERE name = ?1")?,
        mark(conn, "SELECT delivery_id FROM search_state WHERE name = ?1")?,
    ))
}

fn bring_up_to_date(conn: &mut Connection, only_if_missing: bool) -> Result<usize> {
    let needed = |(calls, search): (i64, i64)| search < calls && !(only_if_missing && search > 0);
    if !needed(marks(conn)?) {
        return Ok(0);
    }
    // One transaction, entered by taking the index's write lock (and only its: not the journal's)
    // and looking again, so that two processes starting at once rebuild it once, and an
    // interrupted rebuild leaves the index as it was.
    let tx = conn.transaction()?;
    tx.execute("UPDATE search_state SET delivery_id = delivery_id WHERE name = ?1", [MARK])?;
    let (calls_mark, search_mark) = marks(&tx)?;
    if !needed((calls_mark, search_mark)) {
        return Ok(0);
    }
    let ids: Vec<i64> = if search_mark == 0 {
        let mut stmt = tx.prepare("SELECT id FROM calls ORDER BY id")?;
        let ids = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        ids
    } else {
        let mut stmt = tx.prepare(
            "SELECT DISTINCT call_id FROM deliveries
             WHERE id > ?1 AND id <= ?2 AND outcome = 'stored' AND call_id IS NOT NULL ORDER BY call_id",
        )?;
        let ids = stmt.query_map([search_mark, calls_mark], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        ids
    };
    let started = Instant::now();
    let total = ids.len();
    if total > 10_000 {
        eprintln!("building the search index over {total} calls…");
    }
    let mut progress = crate::startup::Progress::start("Building the search index", "calls", total as u64);
    for (n, id) in ids.iter().enumerate() {
        if let Some(rows) = rows_for_call(&tx, *id)? {
            write(&tx, &rows)?;
        }
        progress.set(n as u64);
    }
    set_mark(&tx, calls_mark)?;
    tx.commit()?;
    if started.elapsed() > Duration::from_secs(1) {
        eprintln!("search index built: {total} calls in {:.1} s", started.elapsed().as_secs_f64());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::open_in_memory;

    fn rows(id: i64, fresh: bool, transcript: Option<&str>, summary: &str) -> SearchRows {
        SearchRows {
            id,
            fresh,
            transcript: transcript.map(str::to_string),
            summary: Some(summary.into()),
            variables: String::new(),
            phones: String::new(),
            fragments: format!("{id}"),
        }
    }

    fn hits(conn: &Connection, table: &str, q: &str) -> Vec<i64> {
        let mut stmt = conn.prepare(&format!("SELECT rowid FROM {table} WHERE {table} MATCH ?1")).expect("prepare");
        let ids = stmt.query_map([q], |r| r.get(0)).expect("query").collect::<rusqlite::Result<_>>().expect("rows");
        ids
    }

    #[test]
    fn rows_are_replaced_and_a_missing_transcript_keeps_the_indexed_one() {
        let conn = open_in_memory().expect("db");
        write(&conn, &rows(1, true, Some("hello walrus\nhi"), "first summary")).expect("first");
        write(&conn, &rows(1, false, None, "second summary")).expect("second");
        assert_eq!(hits(&conn, "transcript_fts", "walrus"), vec![1], "the transcript stays");
        assert_eq!(hits(&conn, "calls_fts", "first"), Vec::<i64>::new(), "the old summary left");
        assert_eq!(hits(&conn, "calls_fts", "second"), vec![1]);
        write(&conn, &rows(1, false, Some("hello penguin"), "second summary")).expect("third");
        assert_eq!(hits(&conn, "transcript_fts", "walrus"), Vec::<i64>::new());
        assert_eq!(hits(&conn, "transcript_fts", "penguin"), vec![1]);
        // Rebuilding a call that has no rows (recovery deletes first) is harmless.
        write(&conn, &rows(2, false, Some("a lone walrus"), "x")).expect("rebuild");
        assert_eq!(hits(&conn, "transcript_fts", "walrus"), vec![2]);
    }

    /// Live segments of an FTS5 index: its leaves are the `_data` rows from segment 1 up, keyed
    /// by segment id << 37.
    fn segments(conn: &Connection, table: &str) -> i64 {
        conn.query_row(&format!("SELECT count(DISTINCT id >> 37) FROM {table}_data WHERE id >= 1 << 37"), [], |r| {
            r.get(0)
        })
        .expect("segments")
    }

    #[test]
    fn segments_merge_a_little_at_each_write_not_a_level_at_once() {
        let mut conn = open_in_memory().expect("db");
        // Small leaves, so that each call writes a dozen and a level's merge is large next to one
        // transaction's own writes.
        conn.execute("INSERT INTO transcript_fts (transcript_fts, rank) VALUES ('pgsz', 64)", []).expect("pgsz");
        conn.execute_batch(
            "CREATE TEMP TABLE leaves (n INTEGER NOT NULL); INSERT INTO leaves VALUES (0);
             CREATE TEMP TRIGGER count_leaves AFTER INSERT ON transcript_fts_data BEGIN
                 UPDATE leaves SET n = n + 1;
             END;",
        )
        .expect("a leaf counter");
        let word = |id: i64, w: i64| format!("w{w}x{}", (id * 7 + w) % 97);
        let (mut most, mut most_segments) = (0, 0);
        for id in 1..=400_i64 {
            conn.execute("UPDATE leaves SET n = 0", []).expect("reset");
            // Words of each call's own, and words it shares with others.
            let text: Vec<String> = (0..60).map(|w| word(id, w)).collect();
            write_batch(&mut conn, &[rows(id, true, Some(&text.join(" ")), "s")], Some(id)).expect("write");
            let written: i64 = conn.query_row("SELECT n FROM leaves", [], |r| r.get(0)).expect("count");
            most = most.max(written);
            most_segments = most_segments.max(segments(&conn, "transcript_fts"));
        }
        // Gradual merging does at most FTS5's work unit (64 leaves) per level for each 64 leaves
        // written: 224 leaves here at most. Merging a whole level at once (crisismerge at 16, the
        // default) wrote 1,567 leaves in one transaction, the deepest merge more each time.
        assert!(most < 500, "one transaction wrote {most} leaves");
        assert!(most_segments <= 64, "{most_segments} segments to read for a query");
        let expected: Vec<i64> = (1..=400).filter(|&id| word(id, 5) == "w5x12").collect();
        let mut found = hits(&conn, "transcript_fts", "w5x12");
        found.sort_unstable();
        assert_eq!(found, expected, "every call is still found after the merges");
    }
}
