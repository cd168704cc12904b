//! Reading calls back: the call log (filtered, keyset-paged), counts and facets, and one call's
//! full detail in the payload's own field names. Pages never use OFFSET: a cursor carries the
//! last row's sort key, so page 10,000 costs what page 1 does.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection, Row};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::contract::CallDetail;
use crate::payload;
use crate::store::deliveries::DeliveryHead;
use crate::store::{calls, deliveries, turns, Result, StoreError};

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[serde(default)]
#[ts(optional_fields = nullable)]
pub struct CallQuery {
    pub search: Option<String>,
    #[ts(as = "Option<Vec<String>>", optional)]
    pub statuses: Vec<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub objective: Option<bool>,
    pub campaign: Option<String>,
    pub has_recording: Option<bool>,
    pub phone: Option<String>,
    pub recovered: Option<bool>,
    #[ts(as = "Option<SortKey>", optional)]
    pub sort: SortKey,
    #[ts(as = "Option<SortOrder>", optional)]
    pub order: SortOrder,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
    /// Calls carrying every one of these tags.
    #[ts(as = "Option<Vec<String>>", optional)]
    pub tags: Vec<String>,
    /// With `reviewer`, that reviewer's state; without, anyone's ("unreviewed": nobody reviewed
    /// or flagged it).
    pub review_state: Option<crate::review::ReviewState>,
    pub reviewer: Option<String>,
    #[ts(as = "Option<Vec<crate::review::filter::VarFilter>>", optional)]
    pub vars: Vec<crate::review::filter::VarFilter>,
    /// The current reviewer's email: whose state the rows' `review.my_state` shows.
    #[serde(skip)]
    pub me: Option<String>,
    /// Only calls `me` has (true) or has not (false) reviewed or flagged.
    #[serde(skip)]
    pub mine_done: Option<bool>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq, TS)]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    #[default]
    Time,
    Duration,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq, TS)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    #[default]
    Desc,
    Asc,
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct CallSummary {
    pub id: i64,
    pub status: Option<String>,
    pub customer_phone: Option<String>,
    pub assistant_phone: Option<String>,
    pub duration: Option<i64>,
    pub created_at: Option<String>,
    pub finished_at: Option<String>,
    pub created_at_ms: Option<i64>,
    pub summary: Option<String>,
    pub objective_achieved: Option<bool>,
    pub campaign: Option<String>,
    pub has_recording: bool,
    pub recovered: bool,
    pub review: crate::review::RowReview,
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct CallPage {
    pub items: Vec<CallSummary>,
    pub next_cursor: Option<String>,
}

const SUMMARY_COLUMNS: &str = "id, status, customer_phone, assistant_phone, duration, created_at, finished_at, \
     created_ms, summary, objective, campaign, has_recording, sources, sort_ms, ifnull(duration, -1)";

fn summary_from_row(row: &Row) -> rusqlite::Result<CallSummary> {
    Ok(CallSummary {
        id: row.get(0)?,
        status: row.get(1)?,
        customer_phone: row.get(2)?,
        assistant_phone: row.get(3)?,
        duration: row.get(4)?,
        created_at: row.get(5)?,
        finished_at: row.get(6)?,
        created_at_ms: row.get(7)?,
        summary: row.get(8)?,
        objective_achieved: row.get(9)?,
        campaign: row.get(10)?,
        has_recording: row.get(11)?,
        recovered: row.get::<_, i64>(12)? == calls::SOURCE_API,
        review: Default::default(),
    })
}

/// The WHERE clause and its parameters for a query's filters (not its cursor).
/// How many of the most recent matching turns a search filter on the call log considers.
pub const SEARCH_FILTER_CAP: i64 = 5000;
/// Past this many matching calls, a list page walks the list and keeps the matches.
const WALK_THRESHOLD: usize = 500;

/// The WHERE terms of `q`. `in_order`: for a page in list order, where a search matching many
/// calls is better checked row by row while walking the list than looked up match by match and
/// sorted (a count wants the opposite).
/// With `in_order`, also the review index that drives the page, if one does.
type Filters = (Vec<String>, Vec<SqlValue>, Option<crate::review::filter::Driver>);

fn filters(conn: &Connection, q: &CallQuery, in_order: bool) -> Result<Filters> {
    let mut w = Vec::new();
    let mut p: Vec<SqlValue> = Vec::new();
    status_and_campaign(q, &mut w, &mut p);
    if let Some(from) = q.from_ms {
        w.push("sort_ms >= ?".into());
        p.push(SqlValue::Integer(from));
    }
    if let Some(to) = q.to_ms {
        w.push("sort_ms < ?".into());
        p.push(SqlValue::Integer(to));
    }
    if let Some(o) = q.objective {
        w.push("objective = ?".into());
        p.push(SqlValue::Integer(o.into()));
    }
    if let Some(r) = q.has_recording {
        w.push("has_recording = ?".into());
        p.push(SqlValue::Integer(r.into()));
    }
    if let Some(r) = q.recovered {
        w.push(if r { "sources = 4" } else { "sources != 4" }.into());
    }
    if let Some(phone) = q.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 3 {
            // Looked up first: handed a subquery, SQLite walks the whole log in order and probes
            // it row by row (4 ms at a million calls for the one call of a customer), while a
            // list of ids it fetches directly. A fragment matching more calls than that (`447`)
            // stays a subquery, so none is left out.
            let ids = crate::search::fragment_ids(conn, &digits, SEARCH_FILTER_CAP + 1)?;
            if ids.len() as i64 <= SEARCH_FILTER_CAP {
                one_of(conn, q, &ids, in_order, &mut w, &mut p)?;
            } else {
                w.push("id IN (SELECT rowid FROM fragments_fts WHERE fragments_fts MATCH ?)".into());
                p.push(SqlValue::Text(crate::search::quote(&digits)));
            }
        } else {
            w.push("(customer_phone LIKE ? OR assistant_phone LIKE ?)".into());
            let like = format!("%{phone}%");
            p.push(SqlValue::Text(like.clone()));
            p.push(SqlValue::Text(like));
        }
    }
    if let Some(search) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let ids = crate::search::matching_call_ids(conn, search, SEARCH_FILTER_CAP)?;
        one_of(conn, q, &ids, in_order, &mut w, &mut p)?;
    }
    let driver = crate::review::filter::push(conn, q, in_order, &mut w, &mut p)?;
    Ok((w, p, driver))
}

/// The status and campaign conditions (empty values ask for nothing), the same on `calls` and on
/// the insights' totals.
fn status_and_campaign(q: &CallQuery, w: &mut Vec<String>, p: &mut Vec<SqlValue>) {
    let statuses: Vec<&String> = q.statuses.iter().filter(|s| !s.is_empty()).collect();
    if !statuses.is_empty() {
        w.push(format!("status IN ({})", vec!["?"; statuses.len()].join(", ")));
        p.extend(statuses.into_iter().map(|s| SqlValue::Text(s.clone())));
    }
    if let Some(c) = q.campaign.as_deref().filter(|c| !c.is_empty()) {
        w.push("campaign = ?".into());
        p.push(SqlValue::Text(c.to_string()));
    }
}

/// Adds the condition "the call is one of `ids`". A few ids drive the query (each row fetched by
/// id, then sorted). With many, a page in order walks the log and checks each row against them
/// instead (`+id` keeps SQLite from driving by the list), between the first and the last match's
/// place in that order: a page past the last match ends there rather than at the end of the log.
pub(crate) fn one_of(
    conn: &Connection,
    q: &CallQuery,
    ids: &[i64],
    in_order: bool,
    w: &mut Vec<String>,
    p: &mut Vec<SqlValue>,
) -> Result<()> {
    let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    if !(in_order && ids.len() > WALK_THRESHOLD) {
        w.push("id IN (SELECT value FROM json_each(?))".into());
        p.push(SqlValue::Text(list));
        return Ok(());
    }
    let key = sort_expr(q.sort);
    let (first, last): (Option<i64>, Option<i64>) = conn
        .prepare_cached(&format!(
            "SELECT min({key}), max({key}) FROM calls WHERE id IN (SELECT value FROM json_each(?1))"
        ))?
        .query_row([&list], |r| Ok((r.get(0)?, r.get(1)?)))?;
    w.push("+id IN (SELECT value FROM json_each(?))".into());
    p.push(SqlValue::Text(list));
    if let (Some(first), Some(last)) = (first, last) {
        w.push(format!("{key} BETWEEN ? AND ?"));
        p.push(SqlValue::Integer(first));
        p.push(SqlValue::Integer(last));
    }
    Ok(())
}

fn sort_expr(key: SortKey) -> &'static str {
    match key {
        SortKey::Time => "sort_ms",
        SortKey::Duration => "ifnull(duration, -1)",
    }
}

fn parse_cursor(q: &CallQuery) -> Option<(i64, i64)> {
    let c = q.cursor.as_deref()?;
    let (key, rest) = c.split_at_checked(2)?;
    if key != format!("{}:", sort_letter(q.sort)) {
        return None;
    }
    let (a, b) = rest.split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Whether the query's cursor, if it has one, is one its sort order can continue from.
pub fn cursor_fits(q: &CallQuery) -> bool {
    q.cursor.is_none() || parse_cursor(q).is_some()
}

fn sort_letter(k: SortKey) -> char {
    match k {
        SortKey::Time => 't',
        SortKey::Duration => 'd',
    }
}

pub fn list(conn: &Connection, q: &CallQuery) -> Result<CallPage> {
    let limit = q.limit.unwrap_or(100).clamp(1, 500) as usize;
    let (mut w, mut p, driver) = filters(conn, q, true)?;
    // Driven by a review index, the page continues by that index's copy of the same key.
    let (from, key, id_col) = match &driver {
        Some(d) => (d.from.as_str(), d.key, d.id),
        None => ("calls", sort_expr(q.sort), "id"),
    };
    let (cmp, dir) = match q.order {
        SortOrder::Desc => ("<", "DESC"),
        SortOrder::Asc => (">", "ASC"),
    };
    if let Some((k, id)) = parse_cursor(q) {
        w.push(format!("({key}, {id_col}) {cmp} (?, ?)"));
        p.push(SqlValue::Integer(k));
        p.push(SqlValue::Integer(id));
    }
    let where_sql = if w.is_empty() { String::new() } else { format!("WHERE {}", w.join(" AND ")) };
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM {from} {where_sql} ORDER BY {key} {dir}, {id_col} {dir} LIMIT {}",
        limit + 1
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut keys = Vec::new();
    let mut items = stmt
        .query_map(params_from_iter(p), |r| {
            let s = summary_from_row(r)?;
            let k: i64 = match q.sort {
                SortKey::Time => r.get(13)?,
                SortKey::Duration => r.get(14)?,
            };
            Ok((s, k))
        })?
        .map(|r| {
            r.map(|(s, k)| {
                keys.push(k);
                s
            })
        })
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        let last = &items[limit - 1];
        Some(format!("{}:{}:{}", sort_letter(q.sort), keys[limit - 1], last.id))
    } else {
        None
    };
    let ids: Vec<i64> = items.iter().map(|c| c.id).collect();
    for (item, review) in items.iter_mut().zip(crate::review::store::row_reviews(conn, &ids, q.me.as_deref())?) {
        item.review = review;
    }
    Ok(CallPage { items, next_cursor })
}

/// The cursor that continues a list in `sort` order right after the call `id`.
pub fn cursor_of(conn: &Connection, sort: SortKey, id: i64) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    let key: Option<i64> = conn
        .prepare_cached(&format!("SELECT {} FROM calls WHERE id = ?1", sort_expr(sort)))?
        .query_row([id], |r| r.get(0))
        .optional()?;
    Ok(key.map(|k| format!("{}:{k}:{id}", sort_letter(sort))))
}

/// The WHERE terms over `calls` of `q`'s filters (not its cursor): the dashboard's figures of the
/// calls the log shows.
pub fn conditions(conn: &Connection, q: &CallQuery) -> Result<(Vec<String>, Vec<SqlValue>)> {
    let (w, p, _) = filters(conn, q, false)?;
    Ok((w, p))
}

pub fn count(conn: &Connection, q: &CallQuery) -> Result<i64> {
    if let Some(n) = count_from_totals(conn, q)? {
        return Ok(n);
    }
    let (w, p, _) = filters(conn, q, false)?;
    let where_sql = if w.is_empty() { String::new() } else { format!("WHERE {}", w.join(" AND ")) };
    Ok(conn
        .prepare_cached(&format!("SELECT count(*) FROM calls {where_sql}"))?
        .query_row(params_from_iter(p), |r| r.get(0))?)
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct FacetValue {
    pub value: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct Facets {
    pub statuses: Vec<FacetValue>,
    pub campaigns: Vec<FacetValue>,
}

/// Counts a filter of status, campaign and objective alone from the insights' running totals
/// (`assistant_total`, kept in the transaction that writes the calls, so never behind),
/// which are keyed by them: a few thousand rows instead of a walk over every call, whose pages
/// would then sit in the connection's cache. `None` for any other filter.
fn count_from_totals(conn: &Connection, q: &CallQuery) -> Result<Option<i64>> {
    let rest = CallQuery {
        statuses: Vec::new(),
        campaign: None,
        objective: None,
        sort: SortKey::default(),
        order: SortOrder::default(),
        cursor: None,
        limit: None,
        me: None,
        ..q.clone()
    };
    if rest != CallQuery::default() {
        return Ok(None);
    }
    // The totals keep a missing status or campaign as '', which no filter asks for.
    let mut w = Vec::new();
    let mut p = Vec::new();
    status_and_campaign(q, &mut w, &mut p);
    let what = match q.objective {
        None => "calls",
        Some(true) => "achieved",
        Some(false) => "judged - achieved",
    };
    let where_sql = if w.is_empty() { String::new() } else { format!("WHERE {}", w.join(" AND ")) };
    Ok(Some(
        conn.prepare_cached(&format!("SELECT ifnull(sum({what}), 0) FROM assistant_total {where_sql}"))?
            .query_row(params_from_iter(p), |r| r.get(0))?,
    ))
}

/// The statuses and campaigns the filters offer, with their counts, from the insights' running
/// totals (see [`count_from_totals`]); an empty status or campaign is not offered.
pub fn facets(conn: &Connection) -> Result<Facets> {
    let facet = |col: &str| -> Result<Vec<FacetValue>> {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {col}, sum(calls) FROM assistant_total WHERE {col} != '' GROUP BY {col}
             HAVING sum(calls) > 0 ORDER BY 2 DESC, 1 LIMIT 200"
        ))?;
        let rows = stmt
            .query_map([], |r| Ok(FacetValue { value: r.get(0)?, count: r.get(1)? }))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    };
    Ok(Facets { statuses: facet("status")?, campaigns: facet("campaign")? })
}

pub fn latest(conn: &Connection) -> Result<Option<CallSummary>> {
    Ok(list(conn, &CallQuery { limit: Some(1), ..CallQuery::default() })?.items.into_iter().next())
}

/// The whole call, as `postcall show --json` prints it.
pub fn detail(conn: &Connection, id: i64) -> Result<CallDetail> {
    let all = deliveries::for_call(conn, id)?;
    let raw = all
        .iter()
        .rev()
        .find(|d| d.outcome == "stored" && d.body_encoding == "utf8")
        .and_then(|d| serde_json::from_str::<Value>(&d.body).ok());
    detail_with(conn, id, all, raw)
}

/// The call as the window's detail view shows it: like [`detail`], but deliveries without their
/// bodies (loaded when opened) and no `raw` payload (`null`), which it never shows; for a one-hour
/// call that is most of the bytes.
pub fn detail_lean(conn: &Connection, id: i64) -> Result<CallDetail<DeliveryHead>> {
    detail_with(conn, id, deliveries::heads_for_call(conn, id)?, Some(Value::Null))
}

/// `raw`: the latest raw payload, `None` for the call's document as stored.
fn detail_with<D>(conn: &Connection, id: i64, deliveries: Vec<D>, raw: Option<Value>) -> Result<CallDetail<D>> {
    let (doc, api_doc, sources) = calls::docs(conn, id)?.ok_or_else(|| StoreError::NotFound(format!("call {id}")))?;
    let view = calls::effective(doc.as_ref(), api_doc.as_ref());
    let f = payload::derive_fields(&view);
    let raw = raw.unwrap_or_else(|| Value::Object(view.clone()));
    let turns = turns::for_call(conn, id)?;
    let object_or_empty = |k: &str| view.get(k).and_then(Value::as_object).cloned().unwrap_or_default();
    let extracted_variables = object_or_empty("extracted_variables");
    let evidence = crate::insights::evidence::for_call(&Value::Object(extracted_variables.clone()), &turns);
    let recording = crate::recordings::detail(conn, &recordings_dir(conn)?, id, f.recording_url.as_deref())?;
    let mut out = CallDetail {
        id,
        customer_phone: f.customer_phone,
        assistant_phone: f.assistant_phone,
        duration: f.duration,
        status: f.status,
        summary: f.summary,
        objective_achieved: f.objective,
        extracted_variables,
        input_variables: object_or_empty("input_variables"),
        evidence,
        transcript: turns,
        formatted_transcript: view.get("formatted_transcript").and_then(Value::as_str).map(str::to_string),
        recording_url: f.recording_url,
        created_at: f.created_at,
        finished_at: f.finished_at,
        created_at_ms: f.created_ms,
        finished_at_ms: f.finished_ms,
        lead: view.get("lead").cloned().unwrap_or(Value::Null),
        campaign: payload::campaign(&view).cloned(),
        transfers: view.get("transfers").and_then(Value::as_array).cloned(),
        sources: calls::source_names(sources),
        deliveries,
        raw,
        recording,
        review: crate::review::store::call_review(conn, id, "review.")?,
        other_fields: serde_json::Map::new(),
    };
    // Fields the API adds (costs, answered_by, names) and anything unknown stay visible.
    out.other_fields = view
        .iter()
        .filter(|(k, _)| !DETAIL_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(out)
}

/// The top-level names of [`CallDetail`] but `other_fields`: payload fields of these names are
/// shown in their own place, not again among the others.
const DETAIL_FIELDS: &[&str] = &[
    "id",
    "customer_phone",
    "assistant_phone",
    "duration",
    "status",
    "summary",
    "objective_achieved",
    "extracted_variables",
    "input_variables",
    "evidence",
    "transcript",
    "formatted_transcript",
    "recording_url",
    "created_at",
    "finished_at",
    "created_at_ms",
    "finished_at_ms",
    "lead",
    "campaign",
    "transfers",
    "sources",
    "deliveries",
    "raw",
    "recording",
    "review",
];

/// The vault folder beside the database this connection reads.
fn recordings_dir(conn: &Connection) -> Result<std::path::PathBuf> {
    let main: Option<String> =
        conn.query_row("SELECT file FROM pragma_database_list WHERE name = 'main'", [], |r| r.get(0))?;
    let db = std::path::PathBuf::from(main.unwrap_or_default());
    Ok(db.parent().map(|p| p.join("recordings")).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Source;
    use crate::store::open_in_memory;
    use serde_json::json;

    fn seed(conn: &Connection, n: i64) {
        for id in 1..=n {
            let d = json!({"id": id, "status": if id % 2 == 0 { "completed" } else { "busy" },
                "duration": id * 10, "customer_phone": format!("+1555000{id:04}"),
                "created_at": crate::time::ms_to_rfc3339(1_700_000_000_000 + id * 60_000),
                "extracted_variables": {"status": id % 3 == 0, "summary": format!("call number {id}")},
                "campaign": if id % 5 == 0 { json!({"name": "Renewals"}) } else { Value::Null }});
            calls::upsert(conn, id, Source::Webhook, d.as_object().expect("obj"), 1).expect("upsert");
        }
    }

    #[test]
    fn counts_and_facets_from_the_totals_equal_a_walk_over_the_calls() {
        let conn = open_in_memory().expect("db");
        seed(&conn, 30);
        // Calls change status, campaign and objective after they were counted; some have none.
        for id in [3_i64, 10, 17, 25] {
            let d = json!({"id": id, "status": if id == 17 { Value::Null } else { json!("failed") },
                "created_at": crate::time::ms_to_rfc3339(1_700_000_000_000 + id * 60_000),
                "extracted_variables": if id == 10 { json!({}) } else { json!({"status": id != 25}) },
                "campaign": if id == 3 { json!({"name": "Win-back"}) } else { Value::Null }});
            calls::upsert(&conn, id, Source::Webhook, d.as_object().expect("obj"), 2).expect("upsert");
        }
        let walked = |q: &CallQuery| -> i64 {
            let (w, p, _) = filters(&conn, q, false).expect("filters");
            let where_sql = if w.is_empty() { String::new() } else { format!("WHERE {}", w.join(" AND ")) };
            conn.query_row(&format!("SELECT count(*) FROM calls {where_sql}"), params_from_iter(p), |r| r.get(0))
                .expect("walk")
        };
        let statuses: [&[&str]; 5] = [&[], &["completed"], &["busy", "failed"], &["", "busy"], &["nobody"]];
        let mut checked = 0;
        for st in statuses {
            for campaign in [None, Some("Renewals"), Some("Win-back"), Some(""), Some("None such")] {
                for objective in [None, Some(true), Some(false)] {
                    let q = CallQuery {
                        statuses: st.iter().map(|s| s.to_string()).collect(),
                        campaign: campaign.map(str::to_string),
                        objective,
                        limit: Some(5),
                        ..CallQuery::default()
                    };
                    let from_totals = count_from_totals(&conn, &q).expect("totals").expect("a totals filter");
                    assert_eq!(from_totals, walked(&q), "{q:?}");
                    assert_eq!(count(&conn, &q).expect("count"), from_totals);
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 75);
        assert_eq!(count(&conn, &CallQuery::default()).expect("count"), 30);
        // Any other filter walks the calls.
        let q = CallQuery { has_recording: Some(false), ..CallQuery::default() };
        assert_eq!(count_from_totals(&conn, &q).expect("totals"), None);
        assert_eq!(count(&conn, &q).expect("count"), 30);

        let f = facets(&conn).expect("facets");
        let grouped = |col: &str| -> Vec<FacetValue> {
            let mut v: Vec<FacetValue> = conn
                .prepare(&format!("SELECT {col}, count(*) FROM calls WHERE {col} != '' GROUP BY 1"))
                .expect("prepare")
                .query_map([], |r| Ok(FacetValue { value: r.get(0)?, count: r.get(1)? }))
                .expect("query")
                .collect::<rusqlite::Result<_>>()
                .expect("rows");
            v.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
            v
        };
        assert_eq!(f.statuses, grouped("status"));
        assert_eq!(f.campaigns, grouped("campaign"));
        assert_eq!(f.statuses.iter().map(|v| v.count).sum::<i64>(), 29, "the call without a status is not offered");
    }

    /// The ids of every page of `q`, following the cursors.
    fn every_page(conn: &Connection, mut q: CallQuery) -> Vec<i64> {
        let mut seen = Vec::new();
        loop {
            let page = list(conn, &q).expect("page");
            seen.extend(page.items.iter().map(|c| c.id));
            match page.next_cursor {
                Some(c) => q.cursor = Some(c),
                None => return seen,
            }
        }
    }

    #[test]
    fn the_windows_detail_leaves_out_bodies_and_raw_and_show_keeps_them() {
        let conn = open_in_memory().expect("db");
        seed(&conn, 1);
        let body = br#"{"id": 1, "status": "busy", "transcript": []}"#;
        deliveries::insert(&conn, 1_700_000_000_000, Source::Webhook, Some("application/json"), body, Ok(1))
            .expect("delivery");
        let full = serde_json::to_value(detail(&conn, 1).expect("detail")).expect("json");
        let lean = serde_json::to_value(detail_lean(&conn, 1).expect("lean detail")).expect("json");
        assert_eq!(full["deliveries"][0]["body"], json!(std::str::from_utf8(body).expect("utf-8")));
        assert!(full["raw"].is_object(), "show --json keeps the raw payload: {full}");
        assert!(lean["raw"].is_null(), "the window's detail has no raw payload: {lean}");
        assert!(lean["deliveries"][0].get("body").is_none(), "no body in the window's detail: {lean}");
        assert_eq!(lean["deliveries"][0]["body_bytes"], json!(body.len()));
        assert_eq!(lean["deliveries"][0]["id"], full["deliveries"][0]["id"]);
        // Everything else is the same, in the same order.
        let keys =
            |v: &Value| v.as_object().expect("object").keys().filter(|k| *k != "raw").cloned().collect::<Vec<_>>();
        assert_eq!(keys(&lean), keys(&full));
        assert_eq!(lean["transcript"], full["transcript"]);
    }

    #[test]
    fn keyset_pages_cover_every_call_once_in_order() {
        let conn = open_in_memory().expect("db");
        seed(&conn, 25);
        for (sort, order) in [(SortKey::Time, SortOrder::Desc), (SortKey::Duration, SortOrder::Asc)] {
            let seen = every_page(&conn, CallQuery { sort, order, limit: Some(10), ..CallQuery::default() });
            let mut expected: Vec<i64> = (1..=25).collect();
            if order == SortOrder::Desc {
                expected.reverse();
            }
            assert_eq!(seen, expected, "{sort:?} {order:?}");
        }
    }

    #[test]
    fn a_search_matching_many_calls_pages_in_order_and_ends_at_its_last_match() {
        let conn = open_in_memory().expect("db");
        for id in 1..=1200_i64 {
            let word = if (301..=900).contains(&id) { "walrus" } else { "penguin" };
            let d = json!({"id": id, "duration": 5000 - id,
                "created_at": crate::time::ms_to_rfc3339(1_700_000_000_000 + id * 60_000),
                "extracted_variables": {"summary": format!("a {word} call")}});
            calls::upsert(&conn, id, Source::Webhook, d.as_object().expect("obj"), 1).expect("upsert");
        }
        for (sort, order) in [(SortKey::Time, SortOrder::Desc), (SortKey::Duration, SortOrder::Asc)] {
            let mut q =
                CallQuery { sort, order, limit: Some(100), search: Some("walrus".into()), ..CallQuery::default() };
            let mut seen = Vec::new();
            loop {
                let page = list(&conn, &q).expect("page");
                seen.extend(page.items.iter().map(|c| c.id));
                match page.next_cursor {
                    Some(c) => q.cursor = Some(c),
                    None => break,
                }
            }
            // Newest first, or shortest first: the same order here, 900 down to 301.
            assert_eq!(seen, (301..=900).rev().collect::<Vec<i64>>(), "{sort:?} {order:?}");
        }
        let past = CallQuery {
            search: Some("walrus".into()),
            cursor: Some(format!("t:{}:100", 1_700_000_000_000_i64 + 100 * 60_000)),
            ..CallQuery::default()
        };
        assert!(list(&conn, &past).expect("past the matches").items.is_empty());
    }

    #[test]
    fn filters_combine_and_count_matches() {
        let conn = open_in_memory().expect("db");
        seed(&conn, 30);
        let q = CallQuery { statuses: vec!["completed".into()], objective: Some(true), ..CallQuery::default() };
        let ids: Vec<i64> = list(&conn, &q).expect("list").items.iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![30, 24, 18, 12, 6]);
        assert_eq!(count(&conn, &q).expect("count"), 5);
        let q = CallQuery { campaign: Some("Renewals".into()), phone: Some("00002".into()), ..CallQuery::default() };
        assert_eq!(list(&conn, &q).expect("list").items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![25, 20]);
        let q = CallQuery { from_ms: Some(1_700_000_000_000 + 28 * 60_000), ..CallQuery::default() };
        assert_eq!(count(&conn, &q).expect("count"), 3);
        let q = CallQuery { search: Some("\"number 7\"".into()), ..CallQuery::default() };
        assert_eq!(list(&conn, &q).expect("list").items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![7]);
        let f = facets(&conn).expect("facets");
        assert_eq!(f.statuses.iter().map(|v| v.count).sum::<i64>(), 30);
        assert_eq!(f.campaigns, vec![FacetValue { value: "Renewals".into(), count: 6 }]);
    }

    #[test]
    fn detail_uses_the_payload_field_names() {
        let conn = open_in_memory().expect("db");
        seed(&conn, 1);
        let d = serde_json::to_value(detail(&conn, 1).expect("detail")).expect("json");
        // The order `postcall show --json` has always printed (scripts diff it).
        let keys: Vec<&str> = d.as_object().expect("an object").keys().map(String::as_str).collect();
        let mut expected = DETAIL_FIELDS.to_vec();
        expected.push("other_fields");
        assert_eq!(keys, expected);
        assert_eq!(d["recording"]["state"], "none");
        assert_eq!(d["recording"]["offset_seconds"], json!(0.0));
        assert_eq!(d["sources"], json!(["webhook"]));
        assert!(d["extracted_variables"].is_object() && d["campaign"].is_null() && d["transfers"].is_null());
        assert!(matches!(detail(&conn, 99), Err(StoreError::NotFound(_))));
    }
}
