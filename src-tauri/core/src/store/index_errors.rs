//! `index_errors`: journaled deliveries whose call could not be built. A delivery is listed here
//! in the same transaction that moves the index mark past it, so a call that failed to index is
//! never forgotten: it is counted where failed deliveries are, and rebuilt from the journal at
//! the next start or by `postcall reindex`. A call's rows go once it has been rebuilt.

use rusqlite::{params, Connection};

use super::Result;

/// Records (or records again) that `delivery` of `call_id` could not be indexed.
pub fn record(conn: &Connection, delivery: i64, call_id: i64, error: &str, now_ms: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO index_errors (delivery_id, call_id, error, failed_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (delivery_id) DO UPDATE SET
            error = excluded.error, failed_ms = excluded.failed_ms, attempts = attempts + 1",
    )?
    .execute(params![delivery, call_id, error, now_ms])?;
    Ok(())
}

/// Records a failed rebuild of the whole call against each of its listed deliveries.
pub fn record_call(conn: &Connection, call_id: i64, error: &str, now_ms: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE index_errors SET error = ?2, failed_ms = ?3, attempts = attempts + 1 WHERE call_id = ?1",
    )?
    .execute(params![call_id, error, now_ms])?;
    Ok(())
}

/// The call has been rebuilt from all its deliveries.
pub fn clear_call(conn: &Connection, call_id: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM index_errors WHERE call_id = ?1")?.execute([call_id])?;
    Ok(())
}

pub fn clear_all(conn: &Connection) -> Result<()> {
    conn.execute("DELETE FROM index_errors", [])?;
    Ok(())
}

/// Calls with at least one delivery not indexed, in order.
pub fn calls(conn: &Connection) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare("SELECT DISTINCT call_id FROM index_errors ORDER BY call_id")?;
    let ids = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// Deliveries not indexed.
pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM index_errors", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::open_in_memory;

    #[test]
    fn records_retries_and_clears_per_call() {
        let conn = open_in_memory().expect("db");
        record(&conn, 4, 40, "disk I/O error", 1).expect("record");
        record(&conn, 4, 40, "disk I/O error again", 2).expect("again");
        record(&conn, 5, 50, "x", 2).expect("record");
        let (attempts, error): (i64, String) = conn
            .query_row("SELECT attempts, error FROM index_errors WHERE delivery_id = 4", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .expect("row");
        assert_eq!((attempts, error.as_str()), (2, "disk I/O error again"));
        assert_eq!((count(&conn).expect("count"), calls(&conn).expect("calls")), (2, vec![40, 50]));
        clear_call(&conn, 40).expect("clear");
        assert_eq!(calls(&conn).expect("calls"), vec![50]);
    }
}
