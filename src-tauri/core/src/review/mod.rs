//! Review work on calls: review states, notes at a moment, tags, scorecards and assignment.
//!
//! Every annotation is an immutable event ([`Event`]) kept in `review.sqlite` beside the call
//! database, never in the journal or the call rows, so that deleting a recording or re-indexing
//! the calls keeps it, and so that the same events can later be exchanged between reviewers'
//! machines. What the window and the CLI read is a projection of those events, computed by one
//! pure function ([`projection::project`]) a call at a time: applying an event recomputes its
//! call from all of the call's events, so applying events one by one, in any order and with
//! repeats, gives what a rebuild from scratch gives.
//!
//! Definitions (the team's tag list and scorecards) are events too, on no call
//! ([`DEFINITIONS`]), so that the team's server shares them like annotations: `tag_defs` and
//! `scorecards` are SQL views that take the latest definition or deletion of each name (by
//! creation time, then event id), so every machine holding the same events lists the same
//! definitions. The reviewer (name and email) is a setting of the data folder.

pub mod cli;
#[cfg(test)]
mod db_tests;
pub mod filter;
pub use crate::store::review_keys as keys;
#[cfg(test)]
mod keys_tests;
pub mod ops;
pub mod projection;
pub mod store;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

pub use ops::*;

/// The version of the event bodies this Postcall writes.
pub const SCHEMA_VERSION: i64 = 2;

/// The `call_id` of events about the team's definitions rather than a call.
pub const DEFINITIONS: i64 = 0;

/// Event kinds this version understands. Others (from a newer Postcall) are kept and ignored.
pub mod kind {
    pub const STATE: &str = "review.state";
    pub const NOTE_ADD: &str = "note.add";
    pub const NOTE_EDIT: &str = "note.edit";
    pub const NOTE_DELETE: &str = "note.delete";
    pub const TAG_ADD: &str = "tag.add";
    pub const TAG_REMOVE: &str = "tag.remove";
    pub const SCORE_SET: &str = "score.set";
    pub const ASSIGN: &str = "assign";
    /// Definitions (on [`super::DEFINITIONS`], since schema 2): `{"name","color"}`, `{"name"}`,
    /// a whole scorecard, `{"id"}`.
    pub const TAG_DEFINE: &str = "tag.define";
    pub const TAG_DELETE: &str = "tag.delete";
    pub const SCORECARD_SAVE: &str = "scorecard.save";
    pub const SCORECARD_DELETE: &str = "scorecard.delete";

    /// Whether `kind` changes the team's definitions.
    pub fn is_definition(kind: &str) -> bool {
        [TAG_DEFINE, TAG_DELETE, SCORECARD_SAVE, SCORECARD_DELETE].contains(&kind)
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default, clap::ValueEnum, TS,
)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    #[default]
    #[value(name = "unreviewed")]
    Unreviewed,
    #[value(name = "in_review")]
    InReview,
    #[value(name = "reviewed")]
    Reviewed,
    #[value(name = "flagged")]
    Flagged,
}

impl ReviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unreviewed => "unreviewed",
            Self::InReview => "in_review",
            Self::Reviewed => "reviewed",
            Self::Flagged => "flagged",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "unreviewed" => Self::Unreviewed,
            "in_review" => Self::InReview,
            "reviewed" => Self::Reviewed,
            "flagged" => Self::Flagged,
            _ => return None,
        })
    }
}

/// Who is reviewing: asked once per data folder, overridable with `--as "Name <email>"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Reviewer {
    pub name: String,
    pub email: String,
}

impl Reviewer {
    /// A reviewer with a trimmed name and a lower-case email, or why not.
    pub fn new(name: &str, email: &str) -> Result<Self, ReviewError> {
        let name = name.trim();
        let email = email.trim().to_lowercase();
        let valid_email = email.len() <= 254
            && email.split_once('@').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains('@'))
            && !email.chars().any(|c| c.is_whitespace() || c.is_control() || "<>\"".contains(c));
        if !valid_email {
            return Err(ReviewError::Invalid(format!("{email:?} is not an email address")));
        }
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(ReviewError::Invalid("the reviewer needs a name (up to 200 characters)".into()));
        }
        Ok(Self { name: name.to_string(), email })
    }

    /// Parses `Name <email>`.
    pub fn parse(s: &str) -> Result<Self, ReviewError> {
        let bad = || ReviewError::Invalid(format!("{s:?} is not a reviewer; write it as \"Name <email>\""));
        let (name, rest) = s.split_once('<').ok_or_else(bad)?;
        let email = rest.trim_end().strip_suffix('>').ok_or_else(bad)?;
        Self::new(name, email)
    }
}

impl std::fmt::Display for Reviewer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} <{}>", self.name, self.email)
    }
}

/// One annotation, as stored, exported and imported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub event_id: String,
    pub call_id: i64,
    pub author_email: String,
    pub author_name: String,
    pub kind: String,
    pub body: Value,
    pub created_at: String,
    pub schema_version: i64,
}

impl Event {
    /// A new definition event by `author`, or by nobody known when no reviewer is set yet.
    pub fn definition(author: Option<&Reviewer>, kind: &str, body: Value) -> Self {
        let nobody = Reviewer { name: "unknown reviewer".into(), email: "unknown@localhost".into() };
        Self::new(DEFINITIONS, author.unwrap_or(&nobody), kind, body)
    }

    /// A new event by `author`, now.
    pub fn new(call_id: i64, author: &Reviewer, kind: &str, body: Value) -> Self {
        Self {
            event_id: uuid_v7(),
            call_id,
            author_email: author.email.clone(),
            author_name: author.name.clone(),
            kind: kind.to_string(),
            body,
            created_at: crate::time::ms_to_rfc3339(crate::time::now_ms()),
            schema_version: SCHEMA_VERSION,
        }
    }

    /// Checks what every event needs (of any kind, known or not), for imports.
    pub fn validate(&self) -> Result<(), ReviewError> {
        let bad = |what: &str| ReviewError::Invalid(format!("event {:?}: {what}", self.event_id));
        if self.event_id.is_empty() || self.event_id.len() > 100 {
            return Err(bad("event_id must be 1 to 100 characters"));
        }
        if self.kind.is_empty() || self.kind.len() > 100 {
            return Err(bad("kind must be 1 to 100 characters"));
        }
        if self.author_email.is_empty() {
            return Err(bad("author_email is missing"));
        }
        if crate::time::parse_ms(&self.created_at).is_none() {
            return Err(bad("created_at is not an RFC 3339 time"));
        }
        if !self.body.is_object() {
            return Err(bad("body must be a JSON object"));
        }
        Ok(())
    }

    /// The order in which events take effect: creation time, then id.
    pub fn order_key(&self) -> (i64, &str) {
        (crate::time::parse_ms(&self.created_at).unwrap_or(i64::MIN), self.event_id.as_str())
    }
}

/// A UUIDv7: 48 bits of Unix milliseconds, then random bits (RFC 9562), so ids sort by time.
pub fn uuid_v7() -> String {
    // Events of one millisecond are ordered by their id (the projection sorts by time, then id),
    // so ids made here must rise even within a millisecond: the 12 bits after the time count up
    // (RFC 9562, method 1), and a full counter borrows the next millisecond.
    static LAST: std::sync::Mutex<(u64, u16)> = std::sync::Mutex::new((0, 0));
    let now = crate::time::now_ms().max(0) as u64;
    let (ms, seq) = {
        let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
        let next = if now > last.0 {
            (now, 0)
        } else if last.1 < 0x0fff {
            (last.0, last.1 + 1)
        } else {
            (last.0 + 1, 0)
        };
        *last = next;
        next
    };
    let mut b = [0u8; 16];
    // getrandom fails only when the OS has no randomness source; the time part still differs.
    let _ = getrandom::fill(&mut b[8..]);
    b[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    b[6] = 0x70 | ((seq >> 8) as u8 & 0x0f);
    b[7] = seq as u8;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ReviewStateEntry {
    pub reviewer: String,
    pub reviewer_name: String,
    pub state: ReviewState,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Note {
    pub id: String,
    pub author: String,
    pub author_name: String,
    pub text: String,
    pub turn: Option<i64>,
    pub at_seconds: Option<f64>,
    pub created_at: String,
    pub edited_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ScoreAnswer {
    #[ts(as = "Option<crate::store::names::ScoreValue>")]
    pub value: Option<Value>,
    #[serde(default)]
    pub prefilled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Score {
    pub reviewer: String,
    pub reviewer_name: String,
    pub scorecard: String,
    pub total: Option<f64>,
    #[ts(as = "std::collections::HashMap<String, ScoreAnswer>")]
    pub answers: serde_json::Map<String, Value>,
    pub at: String,
}

/// A call's review, as `postcall show --json` and the detail view show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, TS)]
pub struct CallReview {
    pub states: Vec<ReviewStateEntry>,
    pub notes: Vec<Note>,
    pub tags: Vec<String>,
    pub scores: Vec<Score>,
    pub assignee: Option<String>,
}

/// What a log row shows of a call's review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, TS)]
pub struct RowReview {
    /// The current reviewer's state (unreviewed when none is set).
    pub my_state: ReviewState,
    pub any_flagged: bool,
    /// How many reviewers marked it reviewed.
    pub reviewed_by: i64,
    pub tags: Vec<String>,
    /// The current reviewer's latest scorecard total, else anyone's.
    pub score: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TagDef {
    pub name: String,
    pub color: String,
    #[serde(default)]
    pub count: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    YesNo,
    Scale,
    Choice,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Question {
    pub id: String,
    pub label: String,
    pub kind: QuestionKind,
    #[serde(default)]
    pub choices: Vec<String>,
    #[serde(default = "one")]
    pub weight: f64,
    #[serde(default)]
    pub variable: Option<String>,
}

fn one() -> f64 {
    1.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Scorecard {
    pub id: String,
    pub name: String,
    pub questions: Vec<Question>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("no reviewer is set: run `postcall review whoami --set \"Your Name <you@example.com>\"` once (or pass --as \"Name <email>\"), or enter your name and email in the window")]
    NoReviewer,
    #[error(
        "unknown tag {0:?}: define it first with `postcall tag define {0:?} --color '#3366cc'` (or in Settings → Tags)"
    )]
    UnknownTag(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
}

impl From<rusqlite::Error> for ReviewError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.into())
    }
}

impl ReviewError {
    /// The `{code}` the window receives.
    pub fn code(&self) -> crate::contract::ErrorCode {
        use crate::contract::ErrorCode;
        match self {
            Self::NoReviewer => ErrorCode::NoReviewer,
            Self::UnknownTag(_) => ErrorCode::UnknownTag,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Invalid(_) => ErrorCode::Invalid,
            Self::Store(_) => ErrorCode::Storage,
            Self::Config(_) => ErrorCode::Config,
        }
    }

    /// Bad input (exit status 2) rather than a failure of the machine (1).
    pub fn is_usage(&self) -> bool {
        !matches!(self, Self::Store(_) | Self::Config(_))
    }
}

pub type Result<T, E = ReviewError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_v7_rises_within_a_millisecond() {
        let ids: Vec<String> = (0..5_000).map(|_| uuid_v7()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids of one burst sort in the order they were made");
    }

    #[test]
    fn uuid_v7_has_the_version_and_sorts_by_time() {
        let a = uuid_v7();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = uuid_v7();
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "7");
        assert!("89ab".contains(&a[19..20]));
        assert!(a < b, "{a} {b}");
    }

    #[test]
    fn reviewers_parse_from_name_and_email() {
        let r = Reviewer::parse("Ana Pop <Ana@Example.com>").expect("parse");
        assert_eq!(r, Reviewer { name: "Ana Pop".into(), email: "ana@example.com".into() });
        assert!(Reviewer::parse("Ana").is_err());
        assert!(Reviewer::parse("<a@b>").is_err(), "a name is needed");
        assert!(Reviewer::parse("Ana <not-an-email>").is_err());
    }
}
