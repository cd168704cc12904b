//! Evidence for extracted values: the turns of the transcript where each value was said.
//!
//! Matching is normalised the way people say things: case and diacritics are folded
//! ("Brașov" = "brasov"); punctuation and spacing between digits do not count ("07 21-123 456");
//! spoken digits are digits ("four four seven one", "double five"); a phone number is found
//! without its country code or with a national `0` instead; an id matches when its letters and
//! digits follow each other in the turn ("ZX 4471 QQ"); a number matches in figures or in words
//! ("twenty one"); a date (`YYYY-MM-DD`) matches its day beside its month's name (English,
//! Romanian, French, Spanish, German) or in figures (`16/01`). Each match has a score from 0 to 1:
//! 1 for the value as such, less for a phone without its prefix, a loose word match or a bare
//! one-digit number.
//!
//! Computed when a call is read, not at indexing: it needs only the call's variables and turns,
//! which the detail view reads anyway, and takes microseconds for a usual call (a few variables
//! against a few dozen turns). Nothing to store means nothing to rebuild: calls indexed before
//! this existed have evidence at once, and a better matcher applies to every call at the next
//! read. The indexer, whose throughput is the import benchmark's figure, does not pay for it.
//!
//! Values that are not quotes are left out of the map: booleans (the objective flag), null,
//! objects and arrays, Intellixent's `summary`, and free text of more than six words (a summary
//! paraphrases, it is never said as such). Every other variable has a list, empty when its value was never said — the
//! case a reviewer wants to see.

use std::cell::OnceCell;
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::store::turns::StoredTurn;

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct Evidence {
    /// 0-based index into the transcript.
    pub turn: i64,
    /// The words that matched, with a little of the turn around them.
    pub quote: String,
    pub score: f64,
}

/// Free text longer than this is a paraphrase, not a quote.
const MAX_WORDS: usize = 6;
/// Turns listed per variable.
const MAX_TURNS: usize = 10;
/// Characters of context each side of a match in a quote.
const CONTEXT: usize = 40;

/// The evidence for each quotable variable of `vars` (the call's `extracted_variables`).
pub fn for_call(vars: &Value, turns: &[StoredTurn]) -> BTreeMap<String, Vec<Evidence>> {
    let Some(vars) = vars.as_object() else { return BTreeMap::new() };
    // `summary` is Intellixent's own account of the call: a paraphrase, whatever its length.
    let targets: Vec<(&String, Target)> =
        vars.iter().filter(|(k, _)| *k != "summary").filter_map(|(k, v)| Some((k, Target::of(v)?))).collect();
    if targets.is_empty() {
        return BTreeMap::new();
    }
    // Each turn is read once for all the variables: its words, and (when a variable needs them)
    // its runs of digits and its numbers said in words.
    let parsed: Vec<Said> = turns.iter().map(|t| Said::of(t.index, &t.text)).collect();
    targets
        .into_iter()
        .map(|(name, target)| {
            // (score, turn, the turn as read, first and last token matched)
            let mut found: Vec<(f64, i64, &Said, usize, usize)> = parsed
                .iter()
                .filter_map(|said| {
                    let (score, first, last) = target.best(said)?;
                    Some((score, said.index, said, first, last))
                })
                .collect();
            // The strongest evidence first, then in the order said; a handful is plenty, and
            // only those are quoted.
            found.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            found.truncate(MAX_TURNS);
            found.sort_by_key(|e| e.1);
            let found = found
                .into_iter()
                .map(|(score, turn, said, first, last)| Evidence {
                    turn,
                    quote: quote(said.text, said.toks[first].start, said.toks[last].end),
                    score,
                })
                .collect();
            (name.clone(), found)
        })
        .collect()
}

/// A word of a turn: its folded text and where it is in the original.
#[derive(Debug, Clone)]
struct Token {
    folded: String,
    start: usize,
    end: usize,
}

/// Lower case without diacritics.
fn fold(s: &str) -> String {
    s.nfd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase).collect()
}

/// The words of `text`: runs of characters that fold to letters and digits only.
fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut current: Option<Token> = None;
    let mut folded = String::new();
    let mut buf = [0; 4];
    for (i, c) in text.char_indices() {
        folded.clear();
        if c.is_ascii() {
            // Most of any transcript: it folds to itself in lower case, nothing to decompose.
            if c.is_ascii_alphanumeric() {
                folded.push(c.to_ascii_lowercase());
            }
        } else {
            folded.push_str(&fold(c.encode_utf8(&mut buf)));
        }
        if !folded.is_empty() && folded.chars().all(char::is_alphanumeric) {
            let t = current.get_or_insert_with(|| Token { folded: String::new(), start: i, end: i });
            t.folded.push_str(&folded);
            t.end = i + c.len_utf8();
        } else if let Some(t) = current.take() {
            out.push(t);
        }
    }
    out.extend(current);
    out
}

/// A turn as the matchers read it: its words, and what some kinds of value look for in them,
/// worked out the first time one asks.
struct Said<'a> {
    index: i64,
    text: &'a str,
    toks: Vec<Token>,
    runs: OnceCell<Vec<(String, usize, usize)>>,
    numbers: OnceCell<Vec<(i64, usize, usize)>>,
}

impl<'a> Said<'a> {
    fn of(index: i64, text: &'a str) -> Self {
        Said { index, text, toks: tokens(text), runs: OnceCell::new(), numbers: OnceCell::new() }
    }

    fn runs(&self) -> &[(String, usize, usize)] {
        self.runs.get_or_init(|| digit_runs(&self.toks))
    }

    fn numbers(&self) -> &[(i64, usize, usize)] {
        self.numbers.get_or_init(|| spoken_numbers(&self.toks))
    }
}

fn spoken_digit(word: &str) -> Option<char> {
    Some(match word {
        "zero" | "oh" | "nought" => '0',
        "one" => '1',
        "two" => '2',
        "three" => '3',
        "four" => '4',
        "five" => '5',
        "six" => '6',
        "seven" => '7',
        "eight" => '8',
        "nine" => '9',
        _ => return None,
    })
}

/// A token as digits: figures as they are, a spoken digit as its figure.
fn digits_of(t: &Token) -> Option<&str> {
    const FIGURES: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    if t.folded.bytes().all(|b| b.is_ascii_digit()) {
        return Some(&t.folded);
    }
    spoken_digit(&t.folded).map(|d| FIGURES[(d as u8 - b'0') as usize])
}

/// Runs of consecutive digit tokens ("0721 123 456", "four four seven one", "double five"):
/// (digits, first token, last token).
fn digit_runs(toks: &[Token]) -> Vec<(String, usize, usize)> {
    let mut runs = Vec::new();
    let mut run: Option<(String, usize, usize)> = None;
    let mut repeat = 1;
    for (i, t) in toks.iter().enumerate() {
        if let Some(d) = digits_of(t) {
            let r = run.get_or_insert_with(|| (String::new(), i, i));
            for _ in 0..repeat {
                r.0.push_str(d);
            }
            r.2 = i;
            repeat = 1;
        } else if matches!(t.folded.as_str(), "double" | "triple") && toks.get(i + 1).and_then(digits_of).is_some() {
            repeat = if t.folded == "double" { 2 } else { 3 };
            run.get_or_insert_with(|| (String::new(), i, i));
        } else {
            runs.extend(run.take().filter(|r| !r.0.is_empty()));
            repeat = 1;
        }
    }
    runs.extend(run.filter(|r| !r.0.is_empty()));
    runs
}

/// Numbers said in words ("twenty one", "one hundred and five"): (value, first, last).
fn spoken_numbers(toks: &[Token]) -> Vec<(i64, usize, usize)> {
    fn small(w: &str) -> Option<i64> {
        const UNITS: [&str; 20] = [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ];
        const TENS: [&str; 8] = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
        UNITS
            .iter()
            .position(|u| *u == w)
            .map(|n| n as i64)
            .or_else(|| TENS.iter().position(|t| *t == w).map(|n| (n as i64 + 2) * 10))
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let Some(first) = small(&toks[i].folded) else {
            i += 1;
            continue;
        };
        let (mut total, mut current, mut last) = (0, first, i);
        let mut j = i + 1;
        while j < toks.len() {
            let w = toks[j].folded.as_str();
            match (w, small(w)) {
                ("hundred", _) => current *= 100,
                ("thousand", _) => {
                    total += current * 1000;
                    current = 0;
                }
                ("and", _) if toks.get(j + 1).and_then(|t| small(&t.folded)).is_some() => {}
                // "twenty one", "hundred five": a smaller number after a larger one adds to it.
                (_, Some(n)) if (current % 10 == 0 && current > 0 && n < 10) || (current >= 100 && n < 100) => {
                    current += n
                }
                _ => break,
            }
            last = j;
            j += 1;
        }
        out.push((total + current, i, last));
        i = last + 1;
    }
    out
}

const MONTHS: [[&str; 5]; 12] = [
    ["january", "ianuarie", "janvier", "enero", "januar"],
    ["february", "februarie", "fevrier", "febrero", "februar"],
    ["march", "martie", "mars", "marzo", "marz"],
    ["april", "aprilie", "avril", "abril", "april"],
    ["may", "mai", "mai", "mayo", "mai"],
    ["june", "iunie", "juin", "junio", "juni"],
    ["july", "iulie", "juillet", "julio", "juli"],
    ["august", "august", "aout", "agosto", "august"],
    ["september", "septembrie", "septembre", "septiembre", "september"],
    ["october", "octombrie", "octobre", "octubre", "oktober"],
    ["november", "noiembrie", "novembre", "noviembre", "november"],
    ["december", "decembrie", "decembre", "diciembre", "dezember"],
];

/// What a value looks like when said.
#[derive(Debug)]
enum Target {
    /// Words, folded ("schedule demo" for `schedule_demo`).
    Words(Vec<String>),
    /// Letters and digits in a row, folded ("zx4471qq"), for ids that mix them.
    Compact(String),
    /// Only digits: a phone number, a reference number.
    Digits(String),
    /// A number: in figures, digit by digit or in words.
    Number(i64),
    Date {
        day: u32,
        month: u32,
    },
}

impl Target {
    fn of(v: &Value) -> Option<Self> {
        match v {
            Value::Number(n) => match n.as_i64() {
                Some(i) => Some(Target::Number(i)),
                None => Some(Target::Digits(n.to_string().chars().filter(char::is_ascii_digit).collect())),
            },
            Value::String(s) => Self::of_text(s.trim()),
            _ => None,
        }
    }

    fn of_text(s: &str) -> Option<Self> {
        let words: Vec<String> = tokens(s).into_iter().map(|t| t.folded).collect();
        if words.is_empty() || words.len() > MAX_WORDS {
            return None;
        }
        if let Ok(d) = chrono::NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d") {
            use chrono::Datelike;
            return Some(Target::Date { day: d.day(), month: d.month() });
        }
        let digits = s.chars().filter(char::is_ascii_digit).count();
        let letters = s.chars().filter(|c| c.is_alphabetic()).count();
        if digits > 0 && letters == 0 {
            let only: String = s.chars().filter(char::is_ascii_digit).collect();
            return Some(match only.parse::<i64>() {
                Ok(n) if only.len() <= 4 && !only.starts_with('0') => Target::Number(n),
                _ => Target::Digits(only),
            });
        }
        if digits > 0 {
            return Some(Target::Compact(words.concat()));
        }
        (words.len() <= MAX_WORDS).then_some(Target::Words(words))
    }

    /// The best match in a turn: (score, first token, last token).
    fn best(&self, said: &Said) -> Option<(f64, usize, usize)> {
        let toks = &said.toks;
        match self {
            Target::Words(words) => contiguous(toks, words).map(|(a, b)| (1.0, a, b)).or_else(|| loose(toks, words)),
            Target::Compact(c) => compact(toks, c).map(|(a, b)| (1.0, a, b)),
            Target::Digits(d) => digit_match(said.runs(), d),
            Target::Number(n) => {
                let figures = n.to_string();
                let weak = if n.abs() < 10 { 0.6 } else { 1.0 };
                said.runs()
                    .iter()
                    .find(|r| r.0 == figures)
                    .map(|r| (weak, r.1, r.2))
                    .or_else(|| said.numbers().iter().find(|s| s.0 == *n).map(|s| (weak, s.1, s.2)))
            }
            Target::Date { day, month } => date_match(toks, *day, *month),
        }
    }
}

fn contiguous(toks: &[Token], words: &[String]) -> Option<(usize, usize)> {
    if words.is_empty() || toks.len() < words.len() {
        return None;
    }
    (0..=toks.len() - words.len())
        .find(|&i| words.iter().zip(&toks[i..]).all(|(w, t)| *w == t.folded))
        .map(|i| (i, i + words.len() - 1))
}

/// Several words of the value said, not in a row ("schedule a demo" for `schedule_demo`):
/// scored by the share said, at most 0.8; at least half of them, and at least two.
fn loose(toks: &[Token], words: &[String]) -> Option<(f64, usize, usize)> {
    if words.len() < 2 {
        return None;
    }
    let positions: Vec<usize> = words.iter().filter_map(|w| toks.iter().position(|t| t.folded == *w)).collect();
    let share = positions.len() as f64 / words.len() as f64;
    (positions.len() >= 2 && share >= 0.5).then(|| {
        let (a, b) = (positions.iter().min().copied().unwrap_or(0), positions.iter().max().copied().unwrap_or(0));
        ((share * 0.8 * 100.0).round() / 100.0, a, b)
    })
}

/// Tokens whose letters and digits, one after the other, spell `target`.
fn compact(toks: &[Token], target: &str) -> Option<(usize, usize)> {
    for i in 0..toks.len() {
        // What is left of `target` once the tokens from i on are spelled.
        let mut rest = target;
        for (j, t) in toks.iter().enumerate().skip(i) {
            let Some(after) = rest.strip_prefix(digits_of(t).unwrap_or(&t.folded)) else { break };
            if after.is_empty() {
                return Some((i, j));
            }
            rest = after;
        }
    }
    None
}

/// A run of digits equal to `target`; for seven digits or more (a phone), also the run said
/// without the country code or with a national `0` in its place.
fn digit_match(runs: &[(String, usize, usize)], target: &str) -> Option<(f64, usize, usize)> {
    if let Some(r) = runs.iter().find(|r| r.0 == target) {
        return Some((1.0, r.1, r.2));
    }
    runs.iter()
        .filter(|_| target.len() >= 7)
        .find(|r| {
            let national = r.0.strip_prefix('0').unwrap_or(&r.0);
            national.len() >= 7 && target.ends_with(national)
        })
        .map(|r| (0.9, r.1, r.2))
}

/// The day beside the month's name ("16 January", "January 16th"), or day and month in figures
/// ("16/01", "01.16").
fn date_match(toks: &[Token], day: u32, month: u32) -> Option<(f64, usize, usize)> {
    let names = &MONTHS[(month as usize).saturating_sub(1).min(11)];
    let is_day = |t: &Token| {
        // "16", "16th", "1er", "16-lea"
        t.folded.trim_end_matches(|c: char| c.is_alphabetic()).parse::<u32>().ok() == Some(day)
    };
    for (i, t) in toks.iter().enumerate() {
        if names.contains(&t.folded.as_str()) {
            let lo = i.saturating_sub(3);
            let hi = (i + 3).min(toks.len() - 1);
            if let Some(j) = (lo..=hi).find(|&j| j != i && is_day(&toks[j])) {
                return Some((0.9, i.min(j), i.max(j)));
            }
        }
    }
    let numeric = |t: &Token| t.folded.parse::<u32>().ok();
    toks.windows(2)
        .position(|w| {
            matches!((numeric(&w[0]), numeric(&w[1])), (Some(a), Some(b)) if (a, b) == (day, month) || (a, b) == (month, day))
        })
        .map(|i| (0.8, i, i + 1))
}

/// The matched span of `text` with up to [`CONTEXT`] characters each side.
fn quote(text: &str, start: usize, end: usize) -> String {
    let before: Vec<(usize, char)> = text[..start].char_indices().collect();
    let from = if before.len() > CONTEXT { before[before.len() - CONTEXT].0 } else { 0 };
    let after_end = text[end..].char_indices().nth(CONTEXT).map(|(i, _)| end + i).unwrap_or(text.len());
    let mut q = String::new();
    if from > 0 {
        q.push('…');
    }
    q.push_str(text[from..after_end].trim());
    if after_end < text.len() {
        q.push('…');
    }
    q
}

#[cfg(test)]
mod reference;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn turns(texts: &[&str]) -> Vec<StoredTurn> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| StoredTurn {
                index: i as i64,
                sender: if i % 2 == 0 { "bot" } else { "human" }.into(),
                text: t.to_string(),
                timestamp: None,
                offset_seconds: None,
            })
            .collect()
    }

    fn said(value: Value, texts: &[&str]) -> Vec<(i64, f64)> {
        for_call(&json!({"v": value}), &turns(texts))
            .remove("v")
            .expect("quotable")
            .into_iter()
            .map(|e| (e.turn, e.score))
            .collect()
    }

    #[test]
    fn words_fold_case_and_diacritics() {
        assert_eq!(said(json!("Brașov"), &["Where do you live?", "In BRASOV, near the centre."]), [(1, 1.0)]);
        assert_eq!(
            said(json!("Thursday"), &["Can you call back on Thursday?", "Sure, thursday."]),
            [(0, 1.0), (1, 1.0)]
        );
        assert_eq!(said(json!("Friday"), &["Can you call back on Thursday?"]), [], "never said: an empty list");
        let loose = said(json!("schedule_demo"), &["Shall we schedule a demo?"]);
        assert_eq!(loose, [(0, 0.8)], "words of the value, not in a row, score lower");
    }

    #[test]
    fn ids_and_phones_match_across_separators_and_spoken_digits() {
        assert_eq!(said(json!("ZX-4471-QQ"), &["My order is zx 4471 qq."]), [(0, 1.0)]);
        assert_eq!(said(json!("ZX-4471-QQ"), &["It's Z X four four seven one Q Q"]), [(0, 1.0)]);
        assert_eq!(said(json!("ZX-4471-QQ"), &["It's ZX-4472-QQ"]), []);
        assert_eq!(said(json!("123"), &["the code is one two three"]), [(0, 1.0)]);
        assert_eq!(said(json!("+40721123456"), &["call me on 0721 123 456"]), [(0, 0.9)], "national form");
        assert_eq!(said(json!("+40721123456"), &["it's +40 721-123-456"]), [(0, 1.0)]);
        assert_eq!(said(json!("07700 900 555"), &["oh seven seven double oh nine oh oh five five five"]), [(0, 1.0)]);
        assert_eq!(said(json!("+40721123456"), &["call me on 0721 123 457"]), []);
    }

    #[test]
    fn numbers_match_in_figures_and_in_words() {
        assert_eq!(said(json!(21), &["about twenty one pounds", "maybe 21"]), [(0, 1.0), (1, 1.0)]);
        assert_eq!(said(json!(1250), &["it was 1,250 last month"]), [(0, 1.0)]);
        assert_eq!(said(json!(105), &["one hundred and five"]), [(0, 1.0)]);
        assert_eq!(said(json!(7), &["I'd say seven"]), [(0, 0.6)], "a one-digit number is weak evidence");
        assert_eq!(said(json!(7), &["I'd say seventy"]), []);
    }

    #[test]
    fn dates_match_the_day_beside_the_month() {
        assert_eq!(said(json!("2025-01-16"), &["How about the 16th of January?"]), [(0, 0.9)]);
        assert_eq!(said(json!("2025-01-16"), &["Pe 16 ianuarie, vă rog."]), [(0, 0.9)]);
        assert_eq!(said(json!("2025-01-16"), &["on 16/01 then"]), [(0, 0.8)]);
        assert_eq!(said(json!("2025-01-16"), &["on 17 January"]), []);
    }

    #[test]
    fn only_quotable_values_get_evidence_and_quotes_are_short() {
        let vars = json!({"status": true, "summary": "Customer asked to be called back on Thursday afternoon please",
            "notes": null, "address": {"city": "Cluj"}, "day": "Thursday"});
        let long = format!("{} we will call you back on Thursday. {}", "word ".repeat(30), "more ".repeat(30));
        let ev = for_call(&vars, &turns(&[&long]));
        assert_eq!(ev.keys().collect::<Vec<_>>(), ["day"]);
        let q = &ev["day"][0].quote;
        assert!(q.starts_with('…') && q.ends_with('…') && q.contains("Thursday"), "{q}");
        assert!(q.chars().count() < 100, "{q}");
    }

    #[test]
    fn both_payload_versions() {
        for (file, name, turn) in
            [("newer_doc.json", "lead_quality", None), ("older_doc.json", "callback_day", Some(1))]
        {
            let path = format!("{}/../../tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
            let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
            let parsed = crate::payload::turns(doc.as_object().expect("object")).expect("turns");
            let stored: Vec<StoredTurn> = parsed
                .into_iter()
                .enumerate()
                .map(|(i, t)| StoredTurn {
                    index: i as i64,
                    sender: t.sender,
                    text: t.text,
                    timestamp: None,
                    offset_seconds: None,
                })
                .collect();
            let ev = for_call(&doc["extracted_variables"], &stored);
            assert_eq!(ev[name].first().map(|e| e.turn), turn, "{file}: {ev:?}");
            assert!(!ev.contains_key("summary") && !ev.contains_key("status"), "{file}");
        }
    }
}
