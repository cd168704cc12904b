//! Full-text search over transcript turns, summaries, variable values and phone numbers.
//!
//! User input is never passed to FTS5 as syntax: it is split into words, `prefix*` terms and
//! `"exact phrases"`, and each is quoted, so quotes, `-`, `*` or parentheses can never cause an
//! error. Words are matched case- and diacritics-insensitively (`unicode61 remove_diacritics 2`);
//! a single term containing a digit also matches fragments of ids and numbers through a trigram
//! index (`4471` finds `ZX-4471-QQ`, `5551234` finds `+15551234567`).
//!
//! Ranking: BM25 over the most recent [`CANDIDATES`] matching calls of each index, scored here
//! rather than by FTS5's `bm25()`: that one weighs each term by how many rows contain it, which
//! FTS5 counts by walking every match in the whole index (tens of milliseconds per common word
//! at a million calls, a hundred for a phrase). Here a term's rarity is estimated among the
//! candidates, and term counts and lengths come from matching the terms against each candidate's
//! turns and summary with the index's own folding ([`Needles`]). For rare terms the candidates are
//! every match; for a word said in hundreds of thousands of calls search stays instant at the cost
//! of ranking only the newest.
//!
//! The transcript index has one row per call, so a transcript hit is a call; the turn it points at
//! (and the marked snippet) is found the same way, for the hits shown.
//!
//! Scripts written without spaces (CJK, Thai…) are indexed and looked up in a rewritten form, and
//! matched here word by word the same way: see [`scripts`].

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use ts_rs::TS;
use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

use crate::store::Result;

/// The text forms the index is given (CJK bigrams, unspaced scripts in words): kept with the
/// store, which writes them, and used here for the queries.
pub use crate::store::scripts;

pub const CANDIDATES: i64 = 300;
/// BM25's term-frequency saturation and length normalization.
const K1: f64 = 1.2;
const B: f64 = 0.75;
/// A summary counts this many times a transcript turn.
const SUMMARY_WEIGHT: f64 = 2.0;
/// The marks around a hit inside a marked text. Payload text can hold these code points too:
/// [`unmarked`] takes them out before a text is marked, so only the matcher's marks remain.
const MARK_START: char = '\u{2}';
const MARK_END: char = '\u{3}';

/// `text` without the mark code points, so a payload cannot mark (or unbalance) its own hits.
fn unmarked(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([MARK_START, MARK_END]) {
        std::borrow::Cow::Owned(text.replace([MARK_START, MARK_END], ""))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Term {
    Word(String),
    Prefix(String),
    Phrase(String),
}

/// Quotes a string as one FTS5 string (a phrase of its tokens).
pub fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn has_token_chars(s: &str) -> bool {
    s.chars().any(char::is_alphanumeric)
}

fn terms(input: &str) -> Vec<Term> {
    // Control characters separate words, as in the index; a NUL would also end an FTS5 string early.
    let input = input.replace(char::is_control, " ");
    let mut out = Vec::new();
    let mut rest = input.as_str();
    while let Some(start) = rest.find('"') {
        words(&rest[..start], &mut out);
        let after = &rest[start + 1..];
        let (phrase, next) = match after.find('"') {
            Some(end) => (&after[..end], &after[end + 1..]),
            None => (after, ""),
        };
        if has_token_chars(phrase) {
            out.push(Term::Phrase(phrase.trim().to_string()));
        }
        rest = next;
    }
    words(rest, &mut out);
    out
}

fn words(s: &str, out: &mut Vec<Term>) {
    for w in s.split_whitespace() {
        let prefix = w.ends_with('*');
        let w = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '+');
        let w = w.trim_start_matches('+');
        if !has_token_chars(w) {
            continue;
        }
        out.push(if prefix { Term::Prefix(w.to_string()) } else { Term::Word(w.to_string()) });
    }
}

/// The most terms a `prefix*` is expanded into before falling back to FTS5's own prefix query.
const MAX_EXPANSION: usize = 64;

/// The FTS5 query for one index. A plain-ASCII `prefix*` is expanded through the index's term
/// list (`vocab`, an 'instance' vocabulary) into `("term1" OR "term2" …)`, which FTS5 streams
/// newest first; its own prefix query would merge every matching doclist before returning the
/// first row. `None`: nothing can match.
fn index_query(conn: &Connection, terms: &[Term], vocab: &str) -> Result<Option<String>> {
    let mut parts = Vec::with_capacity(terms.len());
    for t in terms {
        let expand = |low: &str| -> Result<Option<String>> {
            let found = terms_starting(conn, vocab, low, MAX_EXPANSION + 1)?;
            Ok(match found.len() {
                0 => None,
                n if n > MAX_EXPANSION => Some(format!("{}*", quote(low))),
                _ => Some(format!("({})", found.iter().map(|t| quote(t)).collect::<Vec<_>>().join(" OR "))),
            })
        };
        parts.push(match t {
            // One CJK character: the bigrams it starts, or a run's last character (see `scripts`).
            Term::Word(w) | Term::Prefix(w) if scripts::is_one_cjk_char(w) => {
                match expand(scripts::query_form(w).trim())? {
                    Some(q) => q,
                    None => return Ok(None),
                }
            }
            Term::Word(w) | Term::Phrase(w) => quote(&scripts::query_form(w)),
            Term::Prefix(w) if w.is_ascii() && w.chars().all(char::is_alphanumeric) => {
                match expand(&w.to_ascii_lowercase())? {
                    Some(q) => q,
                    None => return Ok(None),
                }
            }
            Term::Prefix(w) => format!("{}*", quote(&scripts::query_form(w))),
        });
    }
    // FTS5 allows an implicit AND only between phrases, not next to a parenthesized group.
    Ok(Some(parts.join(" AND ")))
}

/// The first `most` indexed terms that start with `low`, in order: one seek per term. The
/// vocabulary's cursor stops at a term's first occurrence, so each seek costs the same for a
/// word in every call as for a word in one (a 'row' vocabulary counts the calls of each term,
/// walking its whole doclist: 40 ms for `warranty` at a million calls). No term holds U+0001 (a
/// control character separates tokens), so `term || U+0001` is the least string after `term`.
fn terms_starting(conn: &Connection, vocab: &str, low: &str, most: usize) -> Result<Vec<String>> {
    let mut stmt = conn
        .prepare_cached(&format!("SELECT term FROM {vocab} WHERE term >= ?1 AND term < ?2 || char(1114111) LIMIT 1"))?;
    let mut found: Vec<String> = Vec::new();
    let mut from = low.to_string();
    while found.len() < most {
        let Some(term) = stmt.query_row(params![from, low], |r| r.get::<_, String>(0)).optional()? else { break };
        from = format!("{term}\u{1}");
        found.push(term);
    }
    Ok(found)
}

/// A single term with a digit in it, 3+ characters: also looked up as a fragment.
fn fragment(terms: &[Term]) -> Option<String> {
    match terms {
        [Term::Word(w) | Term::Prefix(w)] if w.chars().count() >= 3 && w.chars().any(|c| c.is_ascii_digit()) => {
            Some(w.clone())
        }
        _ => None,
    }
}

/// The calls whose digit tokens (ids, references, phones) contain `fragment`, newest first, at
/// most `cap`. A long run of digits is not looked up as the phrase of all its trigrams: that
/// reads the postings of its first trigrams too, which most numbers share (a country code), 6 ms
/// at a million calls. Three trigrams from its end find a handful of candidates, each checked for
/// the whole run (digits have no case, so the check is exact).
pub fn fragment_ids(conn: &Connection, fragment: &str, cap: i64) -> Result<Vec<i64>> {
    let collect = |sql: &str, params: &[&dyn rusqlite::ToSql]| -> Result<Vec<i64>> {
        let mut stmt = conn.prepare_cached(sql)?;
        let ids = stmt.query_map(params, |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    };
    if fragment.len() >= 9 && fragment.bytes().all(|b| b.is_ascii_digit()) {
        let tail = &fragment[fragment.len() - 9..];
        let q = format!("\"{}\" AND \"{}\" AND \"{}\"", &tail[..3], &tail[3..6], &tail[6..]);
        collect(
            "SELECT rowid FROM fragments_fts WHERE fragments_fts MATCH ?1 AND instr(tokens, ?2) > 0
             ORDER BY rowid DESC LIMIT ?3",
            params![q, fragment, cap],
        )
    } else {
        collect(
            "SELECT rowid FROM fragments_fts WHERE fragments_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?2",
            params![quote(fragment), cap],
        )
    }
}

/// The ids of the calls matching `input`, for filtering the call log: the most recent `cap`
/// matches of each index.
pub fn matching_call_ids(conn: &Connection, input: &str, cap: i64) -> Result<Vec<i64>> {
    let t = terms(input);
    let mut ids = Vec::new();
    if t.is_empty() {
        return Ok(ids);
    }
    for (index, vocab) in [("transcript_fts", "transcript_terms"), ("calls_fts", "calls_terms")] {
        if let Some(q) = index_query(conn, &t, vocab)? {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT rowid FROM {index} WHERE {index} MATCH ?1 ORDER BY rowid DESC LIMIT ?2"
            ))?;
            ids.extend(stmt.query_map(params![q, cap], |r| r.get::<_, i64>(0))?.collect::<rusqlite::Result<Vec<_>>>()?);
        }
    }
    if let Some(f) = fragment(&t) {
        ids.extend(fragment_ids(conn, &f, cap)?);
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct SnippetPart {
    pub text: String,
    pub hit: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct SearchHit {
    pub call_id: i64,
    pub turn_index: Option<i64>,
    pub sender: Option<String>,
    /// `transcript`, `summary`, `variables`, `phone` or `id`.
    #[ts(as = "crate::store::names::SearchField")]
    pub field: &'static str,
    /// The snippet with each match in `[` `]`.
    pub snippet: String,
    pub snippet_parts: Vec<SnippetPart>,
    pub created_at_ms: Option<i64>,
    pub customer_phone: Option<String>,
    pub status: Option<String>,
    pub summary: Option<String>,
    /// BM25: lower is better.
    pub rank: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Origin {
    Transcript,
    Call,
    Fragment,
}

pub fn search(conn: &Connection, input: &str, limit: usize) -> Result<Vec<SearchHit>> {
    let t = terms(input);
    if t.is_empty() {
        return Ok(vec![]);
    }
    let transcript_q = index_query(conn, &t, "transcript_terms")?;
    let calls_q = index_query(conn, &t, "calls_terms")?;
    let frag = fragment(&t);
    // Where each candidate matched.
    let mut found: HashMap<i64, Origin> = HashMap::new();
    let mut collect = |sql: &str, q: &str, origin: Origin| -> Result<()> {
        let mut stmt = conn.prepare_cached(sql)?;
        let mut rows = stmt.query(params![q, CANDIDATES])?;
        while let Some(r) = rows.next()? {
            // A transcript match is the one that can point at a turn; then summaries, variables
            // and phones; then fragments.
            let e = found.entry(r.get(0)?).or_insert(origin);
            *e = (*e).min(origin);
        }
        Ok(())
    };
    if let Some(q) = &transcript_q {
        collect(
            "SELECT rowid FROM transcript_fts WHERE transcript_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?2",
            q,
            Origin::Transcript,
        )?;
    }
    if let Some(q) = &calls_q {
        collect("SELECT rowid FROM calls_fts WHERE calls_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?2", q, Origin::Call)?;
    }
    if let Some(f) = &frag {
        for id in fragment_ids(conn, f, CANDIDATES)? {
            found.entry(id).or_insert(Origin::Fragment);
        }
    }

    let needles = Needles::new(&t);
    let mut ranked = score(conn, &needles, found)?;
    ranked.sort_by(|a, b| a.rank.total_cmp(&b.rank).then(b.call_id.cmp(&a.call_id)));
    ranked.truncate(limit);
    ranked.into_iter().map(|c| hit(conn, &needles, frag.as_deref(), c)).collect()
}

/// A matching call, with what scoring read of it (and the hit shown reuses).
struct Candidate {
    call_id: i64,
    origin: Origin,
    created_at_ms: Option<i64>,
    customer_phone: Option<String>,
    status: Option<String>,
    summary: Option<String>,
    /// BM25, negated: lower is better, as FTS5 reports it.
    rank: f64,
    /// The index of the turn the hit shows: the first of those matching the most terms.
    best_turn: Option<i64>,
}

/// Reads each candidate and scores it: BM25 with term counts and length from its turns and
/// summary, each term's rarity from how many candidates contain it.
fn score(conn: &Connection, needles: &Needles, found: HashMap<i64, Origin>) -> Result<Vec<Candidate>> {
    let n = needles.0.len();
    let mut row_of =
        conn.prepare_cached("SELECT created_ms, customer_phone, status, summary FROM calls WHERE id = ?1")?;
    // Only the text: most candidates are scored and dropped, so their turns are not built. The
    // turn a hit shows is chosen here too, so a kept hit reads that one turn, not all of them.
    let mut texts_of = conn.prepare_cached("SELECT idx, text FROM turns WHERE call_id = ?1 ORDER BY idx")?;
    let mut stats = Vec::with_capacity(found.len());
    let mut seen = vec![false; n];
    for (call_id, origin) in found {
        let mut tf = vec![0.0; n];
        let mut len = 0_u32;
        let (mut most, mut best_turn) = (0, None);
        if origin == Origin::Transcript {
            let mut rows = texts_of.query([call_id])?;
            while let Some(r) = rows.next()? {
                seen.fill(false);
                len += needles.occurrences(r.get_ref(1)?.as_str().unwrap_or_default(), |i, _, _| {
                    tf[i] += 1.0;
                    seen[i] = true;
                });
                let matched = seen.iter().filter(|s| **s).count();
                if matched > most {
                    (most, best_turn) = (matched, Some(r.get(0)?));
                }
            }
        }
        let (created_at_ms, customer_phone, status, summary): (_, _, _, Option<String>) = row_of
            .query_row([call_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?
            .unwrap_or((None, None, None, None));
        if let Some(summary) = summary.as_deref() {
            len += needles.count(summary, &mut tf, SUMMARY_WEIGHT);
        }
        let c = Candidate { call_id, origin, created_at_ms, customer_phone, status, summary, rank: 0.0, best_turn };
        stats.push((c, tf, len));
    }
    let total = stats.len() as f64;
    let avg_len = (stats.iter().map(|s| f64::from(s.2)).sum::<f64>() / total.max(1.0)).max(1.0);
    let idf: Vec<f64> = (0..n)
        .map(|i| {
            let df = stats.iter().filter(|s| s.1[i] > 0.0).count() as f64;
            (1.0 + (total - df + 0.5) / (df + 0.5)).ln()
        })
        .collect();
    Ok(stats
        .into_iter()
        .map(|(mut c, tf, len)| {
            let norm = K1 * (1.0 - B + B * f64::from(len) / avg_len);
            let bm25: f64 = tf.iter().zip(&idf).map(|(tf, idf)| idf * tf * (K1 + 1.0) / (tf + norm)).sum();
            c.rank = -bm25;
            c
        })
        .collect())
}

fn hit(conn: &Connection, needles: &Needles, frag: Option<&str>, c: Candidate) -> Result<SearchHit> {
    let call_id = c.call_id;
    let (mut turn_index, mut sender, mut field) = (None, None, "transcript");
    let marked: String;
    match c.origin {
        Origin::Transcript => {
            let best = match c.best_turn {
                Some(idx) => conn
                    .prepare_cached("SELECT idx, sender, text FROM turns WHERE call_id = ?1 AND idx = ?2")?
                    .query_row(params![call_id, idx], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get::<_, String>(2)?)))
                    .optional()?,
                None => None,
            };
            match best {
                Some((i, s, text)) => {
                    let (_, spans) = needles.find(&text);
                    (turn_index, sender, marked) = (Some(i), Some(s), mark_spans(&text, &spans));
                }
                // The index and the matcher disagree only on exotic text (or the transcript was
                // replaced since it was scored): show the opening instead.
                None => {
                    marked = conn
                        .prepare_cached("SELECT text FROM turns WHERE call_id = ?1 ORDER BY idx LIMIT 1")?
                        .query_row([call_id], |r| r.get::<_, String>(0))
                        .optional()?
                        .map(|t| unmarked(&t).into_owned())
                        .unwrap_or_default();
                }
            }
        }
        Origin::Call => {
            // Marked by the same matcher as turns. FTS5's highlight() would need the query run
            // again for this one row, and FTS5 walks a common term's postings to find it there:
            // 25 ms for a word in a third of a million calls' variables.
            let [summary, variables, phones] = call_texts(conn, call_id)?;
            let found = [("summary", &summary), ("variables", &variables), ("phone", &phones)].into_iter().find_map(
                |(name, text)| {
                    let text = text.as_deref()?;
                    let (found, spans) = needles.find(text);
                    (found > 0).then(|| (name, mark_spans(text, &spans)))
                },
            );
            // The index and the matcher disagree only on exotic text: show the summary.
            (field, marked) = found.unwrap_or_else(|| ("summary", unmarked(&summary.unwrap_or_default()).into_owned()));
        }
        Origin::Fragment => {
            let f = frag.unwrap_or_default();
            let turn: Option<(i64, String, String)> = conn
                .prepare_cached(
                    "SELECT idx, sender, text FROM turns WHERE call_id = ?1 AND instr(lower(text), lower(?2)) > 0
                     ORDER BY idx LIMIT 1",
                )?
                .query_row(params![call_id, f], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            if let Some((i, s, text)) = turn {
                (turn_index, sender, marked) = (Some(i), Some(s), mark_fragment(&text, f));
            } else {
                let [_, variables, phones] = call_texts(conn, call_id)?;
                (field, marked) = [("phone", phones), ("variables", variables), ("id", Some(call_id.to_string()))]
                    .into_iter()
                    .filter_map(|(n, t)| t.map(|t| (n, t)))
                    .find(|(_, t)| t.to_lowercase().contains(&f.to_lowercase()))
                    .map(|(n, t)| (n, mark_fragment(&t, f)))
                    .unwrap_or(("id", call_id.to_string()));
            }
        }
    }
    let parts = snippet_parts(&window(&marked, 60, 160));
    let snippet = parts.iter().map(|p| if p.hit { format!("[{}]", p.text) } else { p.text.clone() }).collect();
    Ok(SearchHit {
        call_id,
        turn_index,
        sender,
        field,
        snippet,
        snippet_parts: parts,
        created_at_ms: c.created_at_ms,
        customer_phone: c.customer_phone,
        status: c.status,
        summary: c.summary,
        rank: c.rank,
    })
}

/// A call's indexed summary, variables and phones (none when it has no row).
fn call_texts(conn: &Connection, call_id: i64) -> Result<[Option<String>; 3]> {
    Ok(conn
        .prepare_cached("SELECT summary, variables, phones FROM calls_fts WHERE rowid = ?1")?
        .query_row([call_id], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?]))
        .optional()?
        .unwrap_or_default())
}

/// The query's terms as token sequences, normalized the way the index normalizes text
/// (`unicode61 remove_diacritics 2`: lowercase, no diacritics, split at anything that is not a
/// letter or digit), for finding which turn of a matching call matched, and where.
struct Needles(Vec<Needle>);

struct Needle {
    tokens: Vec<String>,
    /// The last token is a prefix (`warr*`).
    prefix: bool,
}

fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

fn fold(token: &str) -> String {
    if token.is_ascii() {
        token.to_ascii_lowercase()
    } else {
        token
            .chars()
            .map(scripts::narrow)
            .nfd()
            .filter(|c| !is_combining_mark(*c))
            .flat_map(char::to_lowercase)
            .collect()
    }
}

/// The byte ranges of the tokens of `text`: runs of letters, digits and marks, split further
/// where a script is written without spaces ([`scripts::split_token`]).
fn token_spans(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    // The current token has a character of a script without spaces (all from U+0E00 on).
    let mut unspaced = false;
    let push = |s: usize, e: usize, unspaced: bool, out: &mut Vec<(usize, usize)>| match unspaced {
        true => scripts::split_token(text, s, e, out),
        false => out.push((s, e)),
    };
    for (i, c) in text.char_indices() {
        match (is_token_char(c), start) {
            (true, None) => {
                start = Some(i);
                unspaced = c >= '\u{E00}';
            }
            (true, Some(_)) => unspaced |= c >= '\u{E00}',
            (false, Some(s)) => {
                push(s, i, unspaced, &mut out);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        push(s, text.len(), unspaced, &mut out);
    }
    out
}

/// The folded tokens of `text`.
fn tokens(text: &str) -> Vec<String> {
    token_spans(text).into_iter().map(|(s, e)| fold(&text[s..e])).collect()
}

/// Whether token `tok` (as written) folds to `want` (already folded), or starts with it.
fn same_token(tok: &str, want: &str, prefix: bool) -> bool {
    if tok.is_ascii() {
        let (t, w) = (tok.as_bytes(), want.as_bytes());
        match prefix {
            true => t.len() >= w.len() && t[..w.len()].eq_ignore_ascii_case(w),
            false => t.eq_ignore_ascii_case(w),
        }
    } else {
        let folded = fold(tok);
        if prefix {
            folded.starts_with(want)
        } else {
            folded == want
        }
    }
}

impl Needles {
    fn new(terms: &[Term]) -> Self {
        Self(
            terms
                .iter()
                .map(|t| match t {
                    Term::Word(w) | Term::Phrase(w) => (w, false),
                    Term::Prefix(w) => (w, true),
                })
                .map(|(w, prefix)| Needle { tokens: tokens(w), prefix })
                .filter(|n| !n.tokens.is_empty())
                .collect(),
        )
    }

    /// Every occurrence of a needle in `text` as (needle, byte range), and how many tokens
    /// `text` has. Tokens are compared in place; only non-ASCII ones are folded.
    fn occurrences(&self, text: &str, each: impl FnMut(usize, usize, usize)) -> u32 {
        // Scoring reads every turn of each candidate, and many turns hold none of the terms. In
        // ASCII, where a token is a run of letters and digits and folding is lowercasing, that is
        // told by a scan for each needle's first token, and the tokens counted without being listed.
        if text.is_ascii() && !self.0.iter().any(|n| contains_ignoring_ascii_case(text.as_bytes(), &n.tokens[0])) {
            return ascii_token_count(text.as_bytes());
        }
        self.occurrences_listed(text, each)
    }

    /// [`Self::occurrences`] by listing every token of `text`.
    fn occurrences_listed(&self, text: &str, mut each: impl FnMut(usize, usize, usize)) -> u32 {
        let spans = token_spans(text);
        for (n, needle) in self.0.iter().enumerate() {
            let k = needle.tokens.len();
            for w in spans.windows(k) {
                let hit = needle
                    .tokens
                    .iter()
                    .zip(w)
                    .enumerate()
                    .all(|(j, (want, &(s, e)))| same_token(&text[s..e], want, needle.prefix && j == k - 1));
                if hit {
                    each(n, w[0].0, w[k - 1].1);
                }
            }
        }
        u32::try_from(spans.len()).unwrap_or(u32::MAX)
    }

    /// Adds `weight` to `tf[n]` for each occurrence of needle `n` in `text`; returns its length in
    /// tokens.
    fn count(&self, text: &str, tf: &mut [f64], weight: f64) -> u32 {
        self.occurrences(text, |n, _, _| tf[n] += weight)
    }

    /// How many of the needles occur in `text`, and the byte ranges of every occurrence.
    fn find(&self, text: &str) -> (usize, Vec<(usize, usize)>) {
        let mut which = vec![false; self.0.len()];
        let mut spans = Vec::new();
        self.occurrences(text, |n, s, e| {
            which[n] = true;
            spans.push((s, e));
        });
        spans.sort_unstable();
        (which.iter().filter(|w| **w).count(), spans)
    }
}

/// Whether ASCII `hay` holds `needle` (folded: lowercase) in any case. A needle with a non-ASCII
/// character matches no ASCII token.
fn contains_ignoring_ascii_case(hay: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    let (Some(&first), true) = (needle.first(), needle.is_ascii()) else { return false };
    let upper = first.to_ascii_uppercase();
    needle.len() <= hay.len()
        && hay.windows(needle.len()).any(|w| (w[0] == first || w[0] == upper) && w.eq_ignore_ascii_case(needle))
}

/// How many tokens ASCII `text` has: runs of letters and digits, as [`token_spans`] cuts it.
fn ascii_token_count(text: &[u8]) -> u32 {
    let mut n = 0_u32;
    let mut inside = false;
    for b in text {
        let token = b.is_ascii_alphanumeric();
        n += u32::from(token && !inside);
        inside = token;
    }
    n
}

/// `text` with each range wrapped in the snippet marks (overlapping ranges merged).
fn mark_spans(text: &str, spans: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(text.len() + spans.len() * 2);
    let mut at = 0;
    for &(start, end) in spans {
        if end <= at {
            continue;
        }
        let start = start.max(at);
        out.push_str(&unmarked(&text[at..start]));
        out.push(MARK_START);
        out.push_str(&unmarked(&text[start..end]));
        out.push(MARK_END);
        at = end;
    }
    out.push_str(&unmarked(&text[at..]));
    out
}

fn mark_fragment(text: &str, f: &str) -> String {
    let lower = text.to_lowercase();
    match lower.find(&f.to_lowercase()) {
        // Lowercasing can change byte lengths outside ASCII; only mark when it did not.
        Some(at) if lower.len() == text.len() && text.is_char_boundary(at) && text.is_char_boundary(at + f.len()) => {
            let (before, hit, after) = (&text[..at], &text[at..at + f.len()], &text[at + f.len()..]);
            format!("{}{MARK_START}{}{MARK_END}{}", unmarked(before), unmarked(hit), unmarked(after))
        }
        _ => unmarked(text).into_owned(),
    }
}

/// Cuts a long marked text to a window around its first mark.
fn window(marked: &str, before: usize, after: usize) -> String {
    let chars: Vec<char> = marked.chars().collect();
    let first = chars.iter().position(|&c| c == MARK_START).unwrap_or(0);
    let start = first.saturating_sub(before);
    let end = (first + after).min(chars.len());
    let mut out: String = chars[start..end].iter().collect();
    // A window can cut a mark in half: close it.
    if out.matches(MARK_START).count() > out.matches(MARK_END).count() {
        out.push(MARK_END);
    }
    let out = out.replace('\n', " ");
    format!("{}{}{}", if start > 0 { "…" } else { "" }, out.trim(), if end < chars.len() { "…" } else { "" })
}

fn snippet_parts(marked: &str) -> Vec<SnippetPart> {
    let mut parts = Vec::new();
    for (i, piece) in marked.split(MARK_START).enumerate() {
        if i == 0 {
            if !piece.is_empty() {
                parts.push(SnippetPart { text: piece.to_string(), hit: false });
            }
            continue;
        }
        let (hit, rest) = piece.split_once(MARK_END).unwrap_or((piece, ""));
        if !hit.is_empty() {
            parts.push(SnippetPart { text: hit.to_string(), hit: true });
        }
        if !rest.is_empty() {
            parts.push(SnippetPart { text: rest.to_string(), hit: false });
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Source;
    use crate::store::{calls, open_in_memory};
    use serde_json::json;

    fn db() -> Connection {
        let conn = open_in_memory().expect("db");
        let calls = [
            json!({"id": 1, "customer_phone": "+15551234567", "extracted_variables": {"summary": "Wants a refund"},
                "transcript": [{"sender": "bot", "text": "Bună ziua, cu ce vă pot ajuta?", "timestamp": 1.0},
                               {"sender": "human", "text": "My order ZX-4471-QQ never arrived", "timestamp": 5.0}]}),
            json!({"id": 2, "extracted_variables": {"summary": "Booked a demo", "plan": "Enterprise"},
                "transcript": "AI: Would Tuesday work for the demo?\nCustomer: Tuesday afternoon works great"}),
            json!({"id": 30017, "transcript": "AI: Thank you for calling support"}),
        ];
        for c in calls {
            let id = c["id"].as_i64().expect("id");
            calls::upsert(&conn, id, Source::Webhook, c.as_object().expect("obj"), 1).expect("upsert");
        }
        conn
    }

    #[test]
    fn a_hit_without_its_turn_shows_the_opening_unmarked() {
        let conn = db();
        let needles = Needles::new(&terms("arrived"));
        let candidate = |best_turn| Candidate {
            call_id: 1,
            origin: Origin::Transcript,
            created_at_ms: None,
            customer_phone: None,
            status: None,
            summary: None,
            rank: -1.0,
            best_turn,
        };
        // No turn matched (the index and the matcher disagree), or the transcript was replaced
        // after scoring and turn 7 is gone.
        for best_turn in [None, Some(7)] {
            let h = hit(&conn, &needles, None, candidate(best_turn)).expect("hit");
            assert_eq!((h.turn_index, h.sender.as_deref()), (None, None), "{best_turn:?}");
            assert_eq!(h.snippet, "Bună ziua, cu ce vă pot ajuta?", "{best_turn:?}");
        }
        let h = hit(&conn, &needles, None, candidate(Some(1))).expect("hit");
        assert_eq!((h.turn_index, h.sender.as_deref()), (Some(1), Some("human")));
        assert_eq!(h.snippet, "My order ZX-4471-QQ never [arrived]");
    }

    fn ids(conn: &Connection, q: &str) -> Vec<i64> {
        let mut v: Vec<i64> = search(conn, q, 50).expect(q).iter().map(|h| h.call_id).collect();
        v.sort_unstable();
        v
    }

    /// FTS5's own form of a query, every prefix its prefix query: what the expansion must match.
    fn unexpanded(t: &[Term]) -> String {
        let part = |t: &Term| match t {
            Term::Word(w) if scripts::is_one_cjk_char(w) => format!("{}*", quote(scripts::query_form(w).trim())),
            Term::Word(w) | Term::Phrase(w) => quote(&scripts::query_form(w)),
            Term::Prefix(w) => format!("{}*", quote(scripts::query_form(w).trim())),
        };
        t.iter().map(part).collect::<Vec<_>>().join(" AND ")
    }

    fn rowids(conn: &Connection, index: &str, q: &str) -> Vec<i64> {
        let mut stmt = conn
            .prepare(&format!("SELECT rowid FROM {index} WHERE {index} MATCH ?1 ORDER BY rowid DESC"))
            .expect("prepare");
        let ids = stmt.query_map([q], |r| r.get(0)).expect(q).collect::<rusqlite::Result<_>>().expect(q);
        ids
    }

    /// The benchmark's calls, and calls in Han, kana and Romanian with its diacritics.
    fn generated() -> Connection {
        let conn = open_in_memory().expect("db");
        let mut rng = crate::sample::Rng::new(16);
        for id in 1..=300_i64 {
            let c = crate::sample::call(id, &mut rng, 1_700_000_000_000 + id * 60_000);
            calls::upsert(&conn, id, Source::Webhook, c.as_object().expect("obj"), 1).expect("upsert");
        }
        let more = [
            "AI: 您希望几点送货？\nCustomer: 十点比较好，谢谢。十分感谢",
            "AI: 十一点可以吗？\nCustomer: 明日の午後三時に予約を変更したいです。",
            "AI: Bună ziua, mulțumesc pentru răbdare.\nCustomer: Aș vrea garanția extinsă, warranty cover please.",
            "Customer: warrant warranties warranted WARRANTY Warr-42 garanție",
        ];
        for (n, text) in more.iter().enumerate() {
            let id = 1_000 + n as i64;
            let c = json!({"id": id, "transcript": text, "extracted_variables": {"summary": text}});
            calls::upsert(&conn, id, Source::Webhook, c.as_object().expect("obj"), 1).expect("upsert");
        }
        conn
    }

    #[test]
    fn expanded_queries_find_the_calls_fts5_prefix_queries_find_in_the_same_order() {
        let conn = generated();
        let queries = [
            "warr*",
            "WARR*",
            "war*",
            "w*",
            "a*",
            "t*",
            "post*",
            "engin*",
            "bun*",
            "multu*",
            "garan*",
            "warranty cover",
            "monthly bill",
            "\"monthly electricity\" bi*",
            "engineer avail*",
            "十",
            "十*",
            "十点",
            "十 好*",
            "予約 変*",
            "zzq*",
            "warranty* zzq",
        ];
        for q in queries {
            let t = terms(q);
            for (index, vocab) in [("transcript_fts", "transcript_terms"), ("calls_fts", "calls_terms")] {
                let expanded = index_query(&conn, &t, vocab).expect(q).map(|e| rowids(&conn, index, &e));
                let fts5 = rowids(&conn, index, &unexpanded(&t));
                assert_eq!(expanded.unwrap_or_default(), fts5, "{q} in {index}");
            }
        }
        // And the terms a seek lists are every term a 'row' vocabulary (which counts) lists.
        conn.execute_batch(
            "CREATE VIRTUAL TABLE temp.counted_t USING fts5vocab (main, transcript_fts, 'row');
             CREATE VIRTUAL TABLE temp.counted_c USING fts5vocab (main, calls_fts, 'row');",
        )
        .expect("row vocabularies");
        for low in ["", "a", "b", "warr", "w", "bun", "multu", "十", "予", "zzq"] {
            for (vocab, counted) in [("transcript_terms", "counted_t"), ("calls_terms", "counted_c")] {
                let mut stmt = conn
                    .prepare(&format!("SELECT term FROM {counted} WHERE term >= ?1 AND term < ?1 || char(1114111)"))
                    .expect("prepare");
                let all: Vec<String> = stmt
                    .query_map([low], |r| r.get(0))
                    .expect("terms")
                    .collect::<rusqlite::Result<_>>()
                    .expect("terms");
                assert!(!all.is_empty() || low == "zzq", "{low}: the generated calls have such terms");
                assert_eq!(terms_starting(&conn, vocab, low, 100_000).expect(low), all, "{low} in {vocab}");
                let few = terms_starting(&conn, vocab, low, 3).expect(low);
                assert_eq!(few, all[..all.len().min(3)], "{low}: the first three");
            }
        }
    }

    #[test]
    fn texts_without_a_term_are_counted_as_listing_their_tokens_counts_them() {
        let conn = generated();
        let mut stmt = conn.prepare("SELECT text FROM turns ORDER BY call_id, idx").expect("prepare");
        let texts: Vec<String> =
            stmt.query_map([], |r| r.get(0)).expect("turns").collect::<rusqlite::Result<_>>().expect("turns");
        assert!(texts.len() > 1_000, "{} turns", texts.len());
        let extra = ["", "  ", "a", "x1y2 z", "engineer,available", "ENGINEER", "Warr-42", "e\u{301}ngineer"];
        for q in ["warranty cover", "engineer", "\"engineer available\"", "warr*", "bill", "buna", "x1y2", "十点", "é"]
        {
            let needles = Needles::new(&terms(q));
            for text in texts.iter().map(String::as_str).chain(extra) {
                let (mut fast, mut listed) = (Vec::new(), Vec::new());
                let n = needles.occurrences(text, |i, s, e| fast.push((i, s, e)));
                let m = needles.occurrences_listed(text, |i, s, e| listed.push((i, s, e)));
                assert_eq!((n, &fast), (m, &listed), "{q} in {text:?}");
                assert_eq!(n as usize, token_spans(text).len(), "{text:?}");
            }
        }
    }

    #[test]
    fn words_phrases_prefixes_and_diacritics() {
        let conn = db();
        assert_eq!(ids(&conn, "buna"), vec![1], "diacritics-insensitive");
        assert_eq!(ids(&conn, "TUESDAY"), vec![2], "case-insensitive");
        assert_eq!(ids(&conn, "\"afternoon works\""), vec![2]);
        assert_eq!(ids(&conn, "\"works afternoon\""), Vec::<i64>::new(), "a phrase keeps its order");
        assert_eq!(ids(&conn, "tues*"), vec![2]);
        assert_eq!(ids(&conn, "TUES*"), vec![2], "an expanded prefix is case-insensitive");
        assert_eq!(ids(&conn, "zzq*"), Vec::<i64>::new(), "a prefix of no term matches nothing");
        assert_eq!(ids(&conn, "ref*"), vec![1], "prefixes reach summaries too");
        assert_eq!(matching_call_ids(&conn, "tues*", 100).expect("ids"), vec![2]);
        assert_eq!(ids(&conn, "refund"), vec![1], "summaries");
        assert_eq!(ids(&conn, "enterprise"), vec![2], "variable values");
    }

    #[test]
    fn fragments_ids_and_phones() {
        let conn = db();
        assert_eq!(ids(&conn, "4471"), vec![1]);
        assert_eq!(ids(&conn, "447"), vec![1], "fragment of 3+ characters");
        assert_eq!(ids(&conn, "+15551234567"), vec![1]);
        assert_eq!(fragment_ids(&conn, "551 AND 234", 10).expect("ids"), Vec::<i64>::new(), "quoted");
        assert_eq!(ids(&conn, "15551234567"), vec![1], "call 40 has the trigrams, not the run");
        assert_eq!(ids(&conn, "0017"), vec![30017], "a fragment of a call id");
        // The long-run lookup only narrows by trigrams; the whole run must still be there, in one token.
        let parts = json!({"id": 40, "transcript": "Customer: codes 5510, 2340 and 5670"});
        calls::upsert(&conn, 40, Source::Webhook, parts.as_object().expect("obj"), 1).expect("upsert");
        assert_eq!(fragment_ids(&conn, "551 AND 234", 10).expect("ids"), Vec::<i64>::new(), "quoted");
        assert_eq!(ids(&conn, "15551234567"), vec![1], "call 40 has the trigrams, not the run");
        assert_eq!(fragment_ids(&conn, "5551234567", 10).expect("ids"), vec![1], "a run inside a token");
        assert_eq!(fragment_ids(&conn, "1234567", 10).expect("ids"), vec![1], "shorter: the phrase");
    }

    #[test]
    fn hostile_input_never_errors() {
        let conn = db();
        for q in [
            "\"",
            "-",
            "*",
            "(",
            ")",
            "a AND",
            "NOT",
            "\"unterminated",
            "col:val",
            "^",
            "NEAR(a b)",
            "'; DROP TABLE calls; --",
            "tues* \"the demo\" ref*",
            "AND\0+",
            "\"a\0b\"",
            "x\0*",
            "十*",
            "\"点\"*",
            "ๆ",
            "\u{E31}",
            "ั*",
            "〇 \"\u{3099}\"",
            "ｚｘ＊",
            "",
        ] {
            assert!(search(&conn, q, 10).is_ok(), "{q}");
            assert!(matching_call_ids(&conn, q, 100).is_ok(), "{q}");
        }
    }

    #[test]
    fn a_transcript_hit_points_at_the_turn_that_matched_most() {
        let conn = db();
        let h = &search(&conn, "buna", 10).expect("search")[0];
        assert_eq!((h.turn_index, h.snippet.as_str()), (Some(0), "[Bună] ziua, cu ce vă pot ajuta?"));
        // Both words are in call 2, in different turns; the turn with both wins over the first.
        let conn2 = open_in_memory().expect("db");
        let c =
            json!({"id": 7, "transcript": "AI: Tuesday then?\nCustomer: Tuesday afternoon, the demo\nAI: demo booked"});
        calls::upsert(&conn2, 7, Source::Webhook, c.as_object().expect("obj"), 1).expect("upsert");
        let h = &search(&conn2, "demo tuesday", 10).expect("search")[0];
        assert_eq!((h.turn_index, h.snippet.as_str()), (Some(1), "[Tuesday] afternoon, the [demo]"));
        let h = &search(&conn2, "\"the demo\" aftern*", 10).expect("search")[0];
        assert_eq!(h.snippet, "Tuesday [afternoon], [the demo]");
        // A call matches on words spread over several turns, as the index sees one call.
        assert_eq!(ids(&conn2, "booked then"), vec![7]);
    }

    #[test]
    fn hits_rank_by_how_often_and_how_densely_they_match() {
        let conn = open_in_memory().expect("db");
        let filler = "we talked about the weather and the traffic for a while";
        let calls = [
            (1, format!("AI: hello\nCustomer: refund please, a refund, the refund is late, refund now\nAI: {filler}")),
            (2, format!("AI: hello\nCustomer: I want a refund\nAI: {filler}\nCustomer: {filler} {filler}")),
            (3, "AI: hello\nCustomer: I want a refund".to_string()),
            (4, format!("AI: hello\nCustomer: {filler}")),
        ];
        for (id, transcript) in calls {
            let c = json!({"id": id, "transcript": transcript});
            calls::upsert(&conn, id, Source::Webhook, c.as_object().expect("obj"), 1).expect("upsert");
        }
        let order: Vec<i64> = search(&conn, "refund", 10).expect("search").iter().map(|h| h.call_id).collect();
        assert_eq!(order, vec![1, 3, 2], "four mentions first, then one in a short call before one in a long call");
        let ranks: Vec<f64> = search(&conn, "refund", 10).expect("search").iter().map(|h| h.rank).collect();
        assert!(ranks.windows(2).all(|w| w[0] < w[1]), "lower is better: {ranks:?}");
    }

    #[test]
    fn mark_code_points_in_payload_text_cannot_fake_or_break_highlights() {
        let conn = open_in_memory().expect("db");
        let c = json!({"id": 9, "extracted_variables": {"summary": "fake \u{2}hit\u{3} and a refund"},
            "transcript": "AI: \u{2}injected\u{3} words\nCustomer: my refund \u{2}please\nAI: order 4471\u{3}x"});
        calls::upsert(&conn, 9, Source::Webhook, c.as_object().expect("obj"), 1).expect("upsert");
        for q in ["refund", "words", "4471", "please"] {
            for h in search(&conn, q, 10).expect(q) {
                let hits: Vec<&str> = h.snippet_parts.iter().filter(|p| p.hit).map(|p| p.text.as_str()).collect();
                assert!(hits.iter().all(|t| t.to_lowercase().contains(q)), "{q}: only real matches are hits: {hits:?}");
                assert!(
                    h.snippet_parts.iter().all(|p| !p.text.contains(['\u{2}', '\u{3}'])),
                    "{q}: no mark code point is left in the text: {:?}",
                    h.snippet_parts
                );
            }
        }
        let h = &search(&conn, "words", 10).expect("search")[0];
        assert_eq!(h.snippet, "injected [words]");
        assert_eq!(mark_spans("a\u{2}b\u{3}c", &[]), "abc");
        assert_eq!(mark_fragment("x\u{3}4471\u{2}", "4471"), "x\u{2}4471\u{3}");
    }

    #[test]
    fn needles_fold_like_the_index() {
        let n = Needles::new(&terms("SOFÍA zx-4471"));
        let (found, spans) = n.find("Hola Sofia, order ZX 4471-b");
        assert_eq!(found, 2);
        assert_eq!(
            mark_spans("Hola Sofia, order ZX 4471-b", &spans),
            "Hola \u{2}Sofia\u{3}, order \u{2}ZX 4471\u{3}-b"
        );
        assert_eq!(n.find("Sofía ordered zx4471").0, 1, "a phrase of two tokens does not match one token");
    }

    #[test]
    fn hits_point_at_the_turn_with_a_marked_snippet() {
        let conn = db();
        let h = &search(&conn, "arrived", 10).expect("search")[0];
        assert_eq!((h.call_id, h.turn_index, h.sender.as_deref(), h.field), (1, Some(1), Some("human"), "transcript"));
        assert_eq!(h.snippet, "My order ZX-4471-QQ never [arrived]");
        assert_eq!(h.snippet_parts.iter().filter(|p| p.hit).count(), 1);
        let f = &search(&conn, "4471", 10).expect("search")[0];
        assert_eq!(f.turn_index, Some(1));
        assert!(f.snippet.contains("ZX-[4471]-QQ"), "{}", f.snippet);
    }

    /// Real sentences in scripts with and without spaces, one call each (and an English one that
    /// must not match).
    fn every_script() -> Connection {
        let conn = open_in_memory().expect("db");
        let calls = [
            (1, "AI: 您希望几点送货？\nCustomer: 十点比较好，谢谢。\nCustomer: 我的订单 ZX-4471 还没有到。"),
            (2, "AI: ご用件をどうぞ。\nCustomer: 明日の午後三時に予約を変更したいです。キャンセル料はかかりますか？"),
            (3, "AI: 무엇을 도와드릴까요?\nCustomer: 내일 오후 세 시에 예약을 변경하고 싶어요."),
            (4, "AI: สวัสดีครับ มีอะไรให้ช่วยไหมครับ\nCustomer: ผมอยากเปลี่ยนเวลานัดหมายครับ"),
            (5, "AI: مرحبا، كيف يمكنني مساعدتك؟\nCustomer: أُرِيدُ تَغْيِيرَ مَوْعِدِي إِلَى يَوْمِ الثُّلَاثَاءِ"),
            (6, "AI: Bună ziua, cu ce vă pot ajuta?\nCustomer: Aș vrea să comand ceaiul 龙井茶 pentru mâine, înainte de ora zece, mulțumesc."),
            (7, "AI: Ten o'clock works, thank you."),
        ];
        for (id, transcript) in calls {
            let c = json!({"id": id, "transcript": transcript});
            calls::upsert(&conn, id, Source::Webhook, c.as_object().expect("obj"), 1).expect("upsert");
        }
        let c = json!({"id": 8, "extracted_variables": {"summary": "客户想把预约改到明天上午", "城市": "上海"}});
        calls::upsert(&conn, 8, Source::Webhook, c.as_object().expect("obj"), 1).expect("upsert");
        conn
    }

    /// (call, the marked texts of the first hit).
    fn first(conn: &Connection, q: &str) -> (i64, Vec<String>, String) {
        let h = search(conn, q, 10).expect(q).into_iter().next().unwrap_or_else(|| panic!("{q}: no hit"));
        let marked = h.snippet_parts.iter().filter(|p| p.hit).map(|p| p.text.clone()).collect();
        (h.call_id, marked, h.snippet)
    }

    #[test]
    fn chinese_words_inside_a_run_of_han_are_found_and_marked() {
        let conn = every_script();
        assert_eq!(ids(&conn, "十点"), vec![1]);
        assert_eq!(first(&conn, "十点").2, "[十点]比较好，谢谢。");
        assert_eq!(first(&conn, "比较好").2, "十点[比较好]，谢谢。");
        assert_eq!(ids(&conn, "点比"), vec![1], "any two neighbours");
        assert_eq!(ids(&conn, "十好"), Vec::<i64>::new(), "not two characters apart");
        assert_eq!(ids(&conn, "好十点"), Vec::<i64>::new(), "nor out of order");
        // One character: the start of a bigram, or the last character of a run.
        assert_eq!(ids(&conn, "点"), vec![1]);
        assert_eq!(ids(&conn, "好"), vec![1], "the last character of 十点比较好");
        assert_eq!(first(&conn, "好").1, ["好"]);
        assert_eq!(ids(&conn, "茶"), vec![6], "the last of 龙井茶, beside Latin words");
        // Mixed with Latin, with or without the space.
        assert_eq!(ids(&conn, "订单 ZX-4471"), vec![1]);
        assert_eq!(first(&conn, "订单 ZX-4471").1, ["订单", "ZX-4471"]);
        assert_eq!(ids(&conn, "\"订单ZX-4471\""), vec![1]);
        assert_eq!(ids(&conn, "没有到"), vec![1]);
        assert_eq!(matching_call_ids(&conn, "十点", 100).expect("ids"), vec![1], "the call log's filter");
    }

    #[test]
    fn summaries_and_variables_in_han_are_found_and_marked_as_written() {
        let conn = every_script();
        let h = &search(&conn, "预约", 10).expect("search");
        assert_eq!(h.iter().map(|h| (h.call_id, h.field)).collect::<Vec<_>>(), [(8, "summary")]);
        assert_eq!(h[0].snippet, "客户想把[预约]改到明天上午");
        assert_eq!(first(&conn, "上海").0, 8, "a variable's value");
        assert_eq!(ids(&conn, "明天 上午"), vec![8]);
    }

    #[test]
    fn japanese_kana_and_kanji_are_found_and_marked() {
        let conn = every_script();
        assert_eq!(ids(&conn, "予約"), vec![2]);
        assert_eq!(first(&conn, "予約").2, "明日の午後三時に[予約]を変更したいです。キャンセル料はかかりますか？");
        assert_eq!(ids(&conn, "変更したい"), vec![2], "kanji and hiragana together");
        assert_eq!(ids(&conn, "キャンセル"), vec![2], "katakana");
        assert_eq!(first(&conn, "キャンセル").1, ["キャンセル"]);
    }

    #[test]
    fn korean_words_are_found_without_their_particles() {
        let conn = every_script();
        assert_eq!(ids(&conn, "예약"), vec![3], "예약 in 예약을");
        assert_eq!(first(&conn, "예약").2, "내일 오후 세 시에 [예약]을 변경하고 싶어요.");
        assert_eq!(ids(&conn, "변경"), vec![3]);
    }

    #[test]
    fn thai_words_are_found_and_marked() {
        let conn = every_script();
        assert_eq!(ids(&conn, "นัดหมาย"), vec![4], "appointment, inside an unspaced sentence");
        assert_eq!(first(&conn, "นัดหมาย").1, ["นัดหมาย"]);
        assert_eq!(ids(&conn, "เปลี่ยน"), vec![4], "change");
        assert_eq!(ids(&conn, "สวัสดี"), vec![4], "hello, with its vowel signs");
    }

    #[test]
    fn arabic_is_found_with_or_without_its_vowel_marks() {
        let conn = every_script();
        assert_eq!(ids(&conn, "موعدي"), vec![5], "a query without harakat finds the word written with them");
        assert_eq!(first(&conn, "موعدي").1, ["مَوْعِدِي"]);
        assert_eq!(ids(&conn, "مساعدتك"), vec![5]);
        assert_eq!(ids(&conn, "الثلاثاء"), vec![5]);
    }

    #[test]
    fn romanian_with_and_without_diacritics_beside_han() {
        let conn = every_script();
        assert_eq!(ids(&conn, "maine"), vec![6], "mâine without its diacritic");
        assert_eq!(ids(&conn, "înainte"), vec![6]);
        assert_eq!(ids(&conn, "multumesc"), vec![6], "ț without its comma");
        assert_eq!(first(&conn, "mulţumesc").1, ["mulțumesc"], "ţ with a cedilla finds ț with a comma");
        assert_eq!(ids(&conn, "Aș"), vec![6]);
        assert_eq!(first(&conn, "as vrea").1, ["Aș", "vrea"]);
        assert_eq!(ids(&conn, "\"ceaiul 龙井茶 pentru\""), vec![6], "a phrase across scripts");
        assert_eq!(first(&conn, "龙井").1, ["龙井"], "Longjing in 龙井茶, Longjing tea");
        assert_eq!(ids(&conn, "ten"), vec![7], "English is as it was");
    }

    #[test]
    fn summary_and_variable_hits_name_their_field_with_the_match_marked() {
        let conn = db();
        let field_and_snippet = |q: &str| {
            let h = &search(&conn, q, 10).expect(q)[0];
            (h.call_id, h.turn_index, h.field, h.snippet.clone())
        };
        assert_eq!(field_and_snippet("REFUND"), (1, None, "summary", "Wants a [refund]".into()));
        assert_eq!(field_and_snippet("\"booked a\""), (2, None, "summary", "[Booked a] demo".into()));
        assert_eq!(field_and_snippet("refu*"), (1, None, "summary", "Wants a [refund]".into()));
        let (id, turn, field, snippet) = field_and_snippet("enterprise");
        assert_eq!((id, turn, field), (2, None, "variables"));
        assert!(snippet.contains("[Enterprise]"), "{snippet}");
    }
}
