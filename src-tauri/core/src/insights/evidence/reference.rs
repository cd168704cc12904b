//! The matcher as it was before a turn was read once for all the variables: every variable
//! re-derived the turn's digit runs and spoken numbers, and every character was folded through
//! a decomposition of its own. Kept here, for tests only, as the definition the faster matcher
//! must agree with, output for output.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::{
    contiguous, date_match, fold, for_call, loose, quote, spoken_digit, spoken_numbers, Evidence, Target, Token,
    MAX_TURNS,
};
use crate::store::turns::StoredTurn;

fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut current: Option<Token> = None;
    for (i, c) in text.char_indices() {
        let folded = fold(c.encode_utf8(&mut [0; 4]));
        if folded.chars().all(char::is_alphanumeric) && !folded.is_empty() {
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

fn digits_of(t: &Token) -> Option<String> {
    if t.folded.bytes().all(|b| b.is_ascii_digit()) {
        return Some(t.folded.clone());
    }
    spoken_digit(&t.folded).map(String::from)
}

fn digit_runs(toks: &[Token]) -> Vec<(String, usize, usize)> {
    let mut runs = Vec::new();
    let mut run: Option<(String, usize, usize)> = None;
    let mut repeat = 1;
    for (i, t) in toks.iter().enumerate() {
        if let Some(d) = digits_of(t) {
            let r = run.get_or_insert_with(|| (String::new(), i, i));
            for _ in 0..repeat {
                r.0.push_str(&d);
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

fn compact(toks: &[Token], target: &str) -> Option<(usize, usize)> {
    for i in 0..toks.len() {
        let mut spelled = String::new();
        for (j, t) in toks.iter().enumerate().skip(i) {
            spelled.push_str(&digits_of(t).unwrap_or_else(|| t.folded.clone()));
            if !target.starts_with(&spelled) {
                break;
            }
            if spelled.len() == target.len() {
                return Some((i, j));
            }
        }
    }
    None
}

fn digit_match(toks: &[Token], target: &str) -> Option<(f64, usize, usize)> {
    let runs = digit_runs(toks);
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

fn best(target: &Target, toks: &[Token]) -> Option<(f64, usize, usize)> {
    match target {
        Target::Words(words) => contiguous(toks, words).map(|(a, b)| (1.0, a, b)).or_else(|| loose(toks, words)),
        Target::Compact(c) => compact(toks, c).map(|(a, b)| (1.0, a, b)),
        Target::Digits(d) => digit_match(toks, d),
        Target::Number(n) => {
            let figures = n.to_string();
            let weak = if n.abs() < 10 { 0.6 } else { 1.0 };
            digit_runs(toks)
                .into_iter()
                .find(|r| r.0 == figures)
                .map(|r| (weak, r.1, r.2))
                .or_else(|| spoken_numbers(toks).into_iter().find(|s| s.0 == *n).map(|s| (weak, s.1, s.2)))
        }
        Target::Date { day, month } => date_match(toks, *day, *month),
    }
}

fn reference(vars: &Value, turns: &[StoredTurn]) -> BTreeMap<String, Vec<Evidence>> {
    let Some(vars) = vars.as_object() else { return BTreeMap::new() };
    let targets: Vec<(&String, Target)> =
        vars.iter().filter(|(k, _)| *k != "summary").filter_map(|(k, v)| Some((k, Target::of(v)?))).collect();
    if targets.is_empty() {
        return BTreeMap::new();
    }
    let parsed: Vec<(i64, &str, Vec<Token>)> =
        turns.iter().map(|t| (t.index, t.text.as_str(), tokens(&t.text))).collect();
    targets
        .into_iter()
        .map(|(name, target)| {
            let mut found: Vec<Evidence> = parsed
                .iter()
                .filter_map(|(index, text, toks)| {
                    let (score, first, last) = best(&target, toks)?;
                    Some(Evidence { turn: *index, quote: quote(text, toks[first].start, toks[last].end), score })
                })
                .collect();
            found.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.turn.cmp(&b.turn)));
            found.truncate(MAX_TURNS);
            found.sort_by_key(|e| e.turn);
            (name.clone(), found)
        })
        .collect()
}

/// Words a transcript and its values share: digits in figures and in words, months, ids,
/// diacritics, scripts without case, and the separators between them.
const WORDS: &[&str] = &[
    "one",
    "two",
    "five",
    "seven",
    "nine",
    "oh",
    "zero",
    "double",
    "triple",
    "twenty",
    "hundred",
    "and",
    "thousand",
    "fifteen",
    "January",
    "ianuarie",
    "16th",
    "16",
    "01",
    "1er",
    "ZX",
    "4471",
    "QQ",
    "0721",
    "123",
    "456",
    "+40",
    "Brașov",
    "BRASOV",
    "ÇA",
    "İstanbul",
    "ﬁle",
    "Straße",
    "十点",
    "東京",
    "ﾃｽﾄ",
    "schedule",
    "demo",
    "Thursday",
    "high",
    "e\u{301}",
    "Ⅻ",
    "٣",
    "½",
    "-",
    ",",
    ".",
    "/",
    " ",
    "  ",
];

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..14).prop_map(|w| w.join(" "))
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        text().prop_map(Value::String),
        prop::collection::vec(prop::sample::select(WORDS), 1..4).prop_map(|w| Value::String(w.concat())),
        (-30i64..3000).prop_map(Value::from),
        Just(json!("2025-01-16")),
        Just(json!("+40721123456")),
        Just(json!(1.5)),
        Just(json!(true)),
    ]
}

/// Turns that say the same values in stronger and weaker ways, so that more turns match than
/// are kept and which ones are kept matters.
const SAID: &[&str] = &[
    "Shall we schedule a demo?",
    "schedule demo then",
    "a demo, or schedule it later",
    "call me on 0721 123 456",
    "it's +40 721-123-456",
    "about twenty one pounds",
    "maybe 21",
    "seven",
    "nothing to see here",
];

proptest! {
    #[test]
    fn evidence_of_many_matching_turns_is_as_before(texts in prop::collection::vec(prop::sample::select(SAID), 0..60)) {
        let vars = json!({"next": "schedule_demo", "phone": "+40721123456", "amount": 21, "count": 7});
        let turns: Vec<StoredTurn> = texts
            .into_iter()
            .enumerate()
            .map(|(i, text)| StoredTurn { index: i as i64, sender: "bot".into(), text: text.into(), timestamp: None, offset_seconds: None })
            .collect();
        prop_assert_eq!(for_call(&vars, &turns), reference(&vars, &turns));
    }

    #[test]
    fn words_are_read_as_before(s in any::<String>()) {
        let (new, old) = (super::tokens(&s), tokens(&s));
        prop_assert_eq!(
            new.iter().map(|t| (&t.folded, t.start, t.end)).collect::<Vec<_>>(),
            old.iter().map(|t| (&t.folded, t.start, t.end)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn evidence_is_as_before(
        vars in prop::collection::vec(value(), 1..6),
        texts in prop::collection::vec(text(), 0..30),
    ) {
        let vars = Value::Object(vars.into_iter().enumerate().map(|(i, v)| (format!("v{i}"), v)).collect::<Map<_, _>>());
        let turns: Vec<StoredTurn> = texts
            .into_iter()
            .enumerate()
            .map(|(i, text)| StoredTurn { index: i as i64, sender: "human".into(), text, timestamp: None, offset_seconds: None })
            .collect();
        prop_assert_eq!(for_call(&vars, &turns), reference(&vars, &turns));
    }
}
