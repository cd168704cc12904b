//! `turns`: the conversation, one row per turn. Its words are indexed per call in the search
//! file's `transcript_fts` (rowid = call id, the turns' texts one per line, [`transcript_text`]).
//! A delivery that carries a transcript replaces the call's turns as a whole.

use rusqlite::{params, Connection};
use serde::Serialize;

use super::Result;
use crate::payload::Turn;

#[derive(Debug, Clone, Serialize, PartialEq)]
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

/// Replaces the call's turns. `fresh`: the call is new, so there is nothing to remove first.
pub fn replace(conn: &Connection, call_id: i64, turns: &[Turn], offsets: &[Option<f64>], fresh: bool) -> Result<()> {
    if !fresh {
        conn.prepare_cached("DELETE FROM turns WHERE call_id = ?1")?.execute([call_id])?;
    }
    let mut insert = conn.prepare_cached(
        "INSERT INTO turns (call_id, idx, sender, text, ts, offset_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (i, (turn, offset)) in turns.iter().zip(offsets).enumerate() {
        insert.execute(params![call_id, i as i64, turn.sender, turn.text, turn.timestamp, offset])?;
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
}
