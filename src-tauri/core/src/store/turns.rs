//! `turns`: the conversation, one row per turn. Its words are indexed per call in the search
//! file's `transcript_fts` (rowid = call id, the turns' texts one per line, [`transcript_text`]).
//! A delivery that carries a transcript replaces the call's turns as a whole.

use rusqlite::Connection;
use serde::Serialize;
use ts_rs::TS;

use super::Result;
use crate::payload::Turn;

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
#[ts(rename = "Turn")]
pub struct StoredTurn {
    pub index: i64,
    pub sender: String,
    pub text: String,
    pub timestamp: Option<f64>,
    pub offset_seconds: Option<f64>,
}

/// The turns' texts one per line: the transcript index's row for a call.
pub fn transcript_text(turns: &[Turn]) -> String {
    let mut text = String::with_capacity(turns.iter().map(|t| t.text.len() + 1).sum());
    for (i, turn) in turns.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        text.push_str(&turn.text);
    }
    text
}

/// The most rows one `INSERT` into `turns` carries.
const ROWS_PER_INSERT: usize = 32;

/// `INSERT OR FAIL INTO turns … VALUES (…), (…), …` with `rows` rows, for each power of two up
/// to [`ROWS_PER_INSERT`]: one statement per 32 turns instead of one per turn.
///
/// `OR FAIL`, not the default `ABORT`: a statement that writes several rows and may abort makes
/// SQLite copy every page it is about to change into a statement journal first, so that it can
/// undo its own rows alone; that copy was a sixth of the indexer's time. Here nothing needs
/// undoing alone: the indexer and a replay write the turns inside a transaction that is rolled
/// back whole when any statement in it fails.
fn insert_sql(rows: usize) -> &'static str {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = SQL.get_or_init(|| {
        (0..=ROWS_PER_INSERT.trailing_zeros())
            .map(|p| {
                let values = vec!["(?, ?, ?, ?, ?, ?)"; 1 << p].join(", ");
                format!("INSERT OR FAIL INTO turns (call_id, idx, sender, text, ts, offset_s) VALUES {values}")
            })
            .collect()
    });
    &all[rows.trailing_zeros() as usize]
}

/// Replaces the call's turns. `fresh`: the call is new, so there is nothing to remove first.
pub fn replace(conn: &Connection, call_id: i64, turns: &[Turn], offsets: &[Option<f64>], fresh: bool) -> Result<()> {
    if !fresh {
        conn.prepare_cached("DELETE FROM turns WHERE call_id = ?1")?.execute([call_id])?;
    }
    let mut rows = turns.iter().zip(offsets).enumerate();
    let mut left = turns.len().min(offsets.len());
    while left > 0 {
        // The largest power of two that fits: 38 turns are inserted as 32 + 4 + 2.
        let n = ROWS_PER_INSERT.min(1 << left.ilog2());
        let mut insert = conn.prepare_cached(insert_sql(n))?;
        let mut param = 1;
        for (i, (turn, offset)) in rows.by_ref().take(n) {
            insert.raw_bind_parameter(param, call_id)?;
            insert.raw_bind_parameter(param + 1, i as i64)?;
            insert.raw_bind_parameter(param + 2, &turn.sender)?;
            insert.raw_bind_parameter(param + 3, &turn.text)?;
            insert.raw_bind_parameter(param + 4, turn.timestamp)?;
            insert.raw_bind_parameter(param + 5, offset)?;
            param += 6;
        }
        insert.raw_execute()?;
        left -= n;
    }
    Ok(())
}

pub fn for_call(conn: &Connection, call_id: i64) -> Result<Vec<StoredTurn>> {
    let mut stmt =
        conn.prepare_cached("SELECT idx, sender, text, ts, offset_s FROM turns WHERE call_id = ?1 ORDER BY idx")?;
    let rows = stmt
        .query_map([call_id], |r| {
            Ok(StoredTurn {
                index: r.get(0)?,
                sender: r.get(1)?,
                text: r.get(2)?,
                timestamp: r.get(3)?,
                offset_seconds: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::open_in_memory;

    #[test]
    fn replace_swaps_the_whole_conversation() {
        let conn = open_in_memory().expect("db");
        let t = |s: &str, x: &str| Turn { sender: s.into(), text: x.into(), timestamp: None };
        let first = [t("bot", "hello walrus"), t("human", "hi")];
        replace(&conn, 1, &first, &[Some(0.0), None], true).expect("first");
        assert_eq!(transcript_text(&first), "hello walrus\nhi");
        replace(&conn, 1, &[t("bot", "hello penguin")], &[Some(1.5)], false).expect("second");
        let turns = for_call(&conn, 1).expect("read");
        assert_eq!(turns.len(), 1);
        assert_eq!((turns[0].text.as_str(), turns[0].offset_seconds), ("hello penguin", Some(1.5)));
    }

    #[test]
    fn every_turn_is_stored_in_order_whatever_the_count() {
        let conn = open_in_memory().expect("db");
        for (call, count) in [0usize, 1, 2, 3, 31, 32, 33, 38, 64, 100, 499].into_iter().enumerate() {
            let turns: Vec<Turn> = (0..count)
                .map(|i| Turn {
                    sender: if i % 2 == 0 { "bot" } else { "human" }.into(),
                    text: format!("turn {i}"),
                    timestamp: Some(i as f64),
                })
                .collect();
            let offsets: Vec<Option<f64>> = (0..count).map(|i| (i % 3 != 0).then_some(i as f64 / 2.0)).collect();
            replace(&conn, call as i64, &turns, &offsets, true).expect("insert");
            let stored = for_call(&conn, call as i64).expect("read");
            assert_eq!(stored.len(), count, "{count} turns");
            for (i, t) in stored.iter().enumerate() {
                assert_eq!(t.index, i as i64);
                assert_eq!(t.text, format!("turn {i}"));
                assert_eq!(t.sender, turns[i].sender);
                assert_eq!(t.timestamp, Some(i as f64));
                assert_eq!(t.offset_seconds, offsets[i]);
            }
        }
    }

    #[test]
    fn a_failed_write_leaves_nothing_once_its_transaction_rolls_back() {
        let mut conn = open_in_memory().expect("db");
        conn.execute("INSERT INTO turns (call_id, idx, sender, text) VALUES (1, 35, 'bot', 'kept')", [])
            .expect("a turn already there");
        let turns: Vec<Turn> =
            (0..40).map(|i| Turn { sender: "bot".into(), text: format!("turn {i}"), timestamp: None }).collect();
        let tx = conn.transaction().expect("tx");
        // 32 turns go in by the first statement and three by the next before turn 35 collides.
        let err = replace(&tx, 1, &turns, &[None; 40], true).expect_err("turn 35 is taken");
        assert!(err.to_string().contains("UNIQUE"), "{err}");
        let written: i64 = tx.query_row("SELECT count(*) FROM turns WHERE call_id = 1", [], |r| r.get(0)).expect("n");
        assert_eq!(written, 36, "OR FAIL keeps the statement's rows until the transaction ends");
        drop(tx);
        let left = for_call(&conn, 1).expect("read");
        assert_eq!(left.iter().map(|t| (t.index, t.text.as_str())).collect::<Vec<_>>(), vec![(35, "kept")]);
    }
}
