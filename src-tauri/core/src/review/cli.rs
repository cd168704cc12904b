//! The review commands of the CLI: `review`, `note`, `tag`, `tags`, `score`, `scorecards`, and
//! the review filters of `calls`. Scripts rely on these names. Bad input (an unknown tag, a
//! missing call, an unparsable value, no reviewer) exits with status 2 and writes nothing;
//! failures of the machine exit with 1.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::filter::VarFilter;
use super::ops::{self, EventFormat};
use super::{QuestionKind, ReviewError, ReviewState, Reviewer, ScoreAnswer};
use crate::cli::{Cli, Command};
use crate::config::DataDir;
use crate::query::CallQuery;
use crate::Store;

/// `--as "Name <email>"`: who makes this change (default: the data folder's reviewer).
#[derive(Debug, Clone, Args, Default)]
pub struct AsArg {
    #[arg(long = "as", value_name = "NAME <EMAIL>")]
    pub as_reviewer: Option<String>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ReviewArgs {
    /// The call to mark (without --state: show its review).
    pub id: Option<i64>,
    #[arg(long, value_enum)]
    pub state: Option<ReviewState>,
    #[command(flatten)]
    pub who: AsArg,
    #[arg(long)]
    pub json: bool,
    #[command(subcommand)]
    pub action: Option<ReviewAction>,
}

#[derive(Debug, Subcommand)]
pub enum ReviewAction {
    /// Every review event (JSON Lines re-import with `postcall review import`; CSV for spreadsheets).
    Export {
        #[arg(long, value_enum, default_value = "jsonl")]
        format: EventFormat,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Add review events exported elsewhere; events already held are skipped.
    Import {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Rebuild the review state from the events.
    Rebuild,
    /// A digest of the review state and the events held: equal on two machines when their review
    /// work converged (team mode).
    Hash {
        #[arg(long)]
        json: bool,
    },
    /// Show or set who reviews from this data folder.
    Whoami {
        /// "Name <email>"
        #[arg(long, value_name = "NAME <EMAIL>")]
        set: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum NoteAction {
    /// Add a note, optionally at a turn (0-based transcript index) and a playback time.
    Add {
        id: i64,
        text: String,
        #[arg(long, value_name = "N")]
        turn: Option<i64>,
        #[arg(long, value_name = "SECONDS")]
        at: Option<f64>,
        #[command(flatten)]
        who: AsArg,
        #[arg(long)]
        json: bool,
    },
    /// A call's notes, oldest first.
    List {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Change the text of one of your notes.
    Edit {
        id: i64,
        note_id: String,
        text: String,
        #[command(flatten)]
        who: AsArg,
        #[arg(long)]
        json: bool,
    },
    /// Delete one of your notes (its history is kept).
    Delete {
        id: i64,
        note_id: String,
        #[command(flatten)]
        who: AsArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum TagAction {
    /// Put tags on a call.
    Add {
        id: i64,
        #[arg(required = true)]
        tags: Vec<String>,
        #[command(flatten)]
        who: AsArg,
    },
    /// Take tags off a call.
    Remove {
        id: i64,
        #[arg(required = true)]
        tags: Vec<String>,
        #[command(flatten)]
        who: AsArg,
    },
    /// Define a tag for the team (or change its colour).
    Define {
        name: String,
        #[arg(long, default_value = "#3366cc", value_name = "#RRGGBB")]
        color: String,
    },
    /// Remove a tag from the team's list (no call shows it any more).
    Delete { name: String },
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    pub id: i64,
    #[arg(long, value_name = "ID")]
    pub scorecard: String,
    /// QUESTION=VALUE (yes/no, 1-5, or one of the choices); repeatable.
    #[arg(long = "answer", value_name = "Q=V")]
    pub answers: Vec<String>,
    /// Take answers from the call's variables where a question names one.
    #[arg(long)]
    pub prefill: bool,
    #[command(flatten)]
    pub who: AsArg,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ScorecardAction {
    /// Define or replace a scorecard from a JSON file ({id, name, questions: [{id, label,
    /// kind: yes_no|scale|choice, choices, weight, variable}]}).
    Save { file: PathBuf },
    /// Delete a scorecard definition (scores given with it stay).
    Delete { id: String },
}

/// The review filters of `postcall calls`.
#[derive(Debug, Clone, Args, Default)]
pub struct CallFilterArgs {
    /// Only calls carrying this tag (repeatable: all of them).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Only calls in this review state (by anyone, or by --reviewer).
    #[arg(long, value_enum, value_name = "STATE")]
    pub review_state: Option<ReviewState>,
    /// Whose review state --review-state means (an email).
    #[arg(long, value_name = "EMAIL")]
    pub reviewer: Option<String>,
    /// A variable condition: NAME=VALUE, NAME~TEXT, NAME>N, NAME>=N, NAME<N, NAME<=N, NAME? (missing).
    #[arg(long = "var", value_name = "COND", value_parser = clap::value_parser!(VarFilter))]
    pub vars: Vec<VarFilter>,
}

impl CallFilterArgs {
    /// `q` with these filters, and the current reviewer (if any) for the rows' own state.
    pub fn apply(&self, q: CallQuery, data: &DataDir) -> CallQuery {
        CallQuery {
            tags: self.tags.clone(),
            review_state: self.review_state,
            reviewer: self.reviewer.clone(),
            vars: self.vars.clone(),
            me: data.settings().ok().and_then(|s| s.reviewer).map(|r| r.email),
            ..q
        }
    }
}

/// Runs the review commands, and checks the review filters of `calls`: `Some(status)` when
/// handled (or refused), `None` to let the ordinary dispatch run.
pub fn intercept(cli: &Cli, command: &Command) -> Option<ExitCode> {
    let outcome = match command {
        Command::Review(a) => review(cli, a),
        Command::Note { action } => note(cli, action),
        Command::Tag { action } => tag(cli, action),
        Command::Tags { json } => tags(cli, *json),
        Command::Score(a) => score(cli, a),
        Command::Scorecards { action, json } => scorecards(cli, action.as_ref(), *json),
        Command::Calls { review, .. } => match check_filters(cli, review) {
            Ok(()) => return None,
            Err(e) => Err(e),
        },
        _ => return None,
    };
    Some(match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(if e.is_usage() { 2 } else { 1 })
        }
    })
}

fn check_filters(cli: &Cli, f: &CallFilterArgs) -> Result<(), ReviewError> {
    if f.tags.is_empty() {
        return Ok(());
    }
    let defined = ops::list_tags(&open(cli)?.1)?;
    for t in &f.tags {
        if !defined.iter().any(|d| d.name == t.trim()) {
            return Err(ReviewError::UnknownTag(t.clone()));
        }
    }
    Ok(())
}

fn open(cli: &Cli) -> Result<(DataDir, Store), ReviewError> {
    let data = DataDir::resolve(cli.data_dir.as_deref())?;
    let store = Store::open(&data.db_path())?;
    Ok((data, store))
}

fn me(data: &DataDir, who: &AsArg) -> Result<Reviewer, ReviewError> {
    ops::reviewer(data, who.as_reviewer.as_deref())
}

fn print_json(v: &impl serde::Serialize) -> Result<(), ReviewError> {
    let text = serde_json::to_string_pretty(v).map_err(|e| ReviewError::Invalid(e.to_string()))?;
    println!("{text}");
    Ok(())
}

fn review(cli: &Cli, a: &ReviewArgs) -> Result<(), ReviewError> {
    match &a.action {
        Some(ReviewAction::Whoami { set, json }) => {
            let data = DataDir::resolve(cli.data_dir.as_deref())?;
            let r = match set {
                Some(s) => {
                    let r = Reviewer::parse(s)?;
                    ops::set_reviewer(&data, &r.name, &r.email)?
                }
                None => ops::reviewer(&data, None)?,
            };
            if *json {
                print_json(&r)
            } else {
                println!("{r}");
                Ok(())
            }
        }
        Some(ReviewAction::Export { format, out }) => {
            let (_, store) = open(cli)?;
            let write_err =
                |p: &PathBuf, e: std::io::Error| ReviewError::Invalid(format!("cannot write {}: {e}", p.display()));
            let n = match out {
                Some(path) => {
                    let tmp = path.with_extension("partial");
                    let file = std::fs::File::create(&tmp).map_err(|e| write_err(&tmp, e))?;
                    let mut w = std::io::BufWriter::new(file);
                    let n = ops::export_events(&store, *format, &mut w)?;
                    w.flush().map_err(|e| write_err(&tmp, e))?;
                    std::fs::rename(&tmp, path).map_err(|e| write_err(path, e))?;
                    n
                }
                None => {
                    let mut w = std::io::BufWriter::new(std::io::stdout().lock());
                    let n = ops::export_events(&store, *format, &mut w)?;
                    w.flush().map_err(|e| ReviewError::Invalid(format!("cannot write: {e}")))?;
                    n
                }
            };
            eprintln!("exported {n} review events");
            Ok(())
        }
        Some(ReviewAction::Import { file, json }) => {
            let (_, store) = open(cli)?;
            let f = std::fs::File::open(file)
                .map_err(|e| ReviewError::Invalid(format!("cannot read {}: {e}", file.display())))?;
            let (report, _) = ops::import_events(&store, std::io::BufReader::new(f))?;
            if *json {
                print_json(&report)
            } else {
                println!(
                    "read {} review events: {} new ({} already held), {} calls updated",
                    report.read,
                    report.new,
                    report.read - report.new,
                    report.calls
                );
                Ok(())
            }
        }
        Some(ReviewAction::Hash { json }) => {
            let (_, store) = open(cli)?;
            let d = store.read(|c| super::store::projection_digest(c, "review."))?;
            if *json {
                print_json(&d)
            } else {
                println!("{} ({} events on {} calls)", d.hash, d.events, d.calls);
                Ok(())
            }
        }
        Some(ReviewAction::Rebuild) => {
            let (_, store) = open(cli)?;
            let n = ops::rebuild(&store)?;
            println!("rebuilt the review state of {n} calls from their events");
            Ok(())
        }
        None => {
            let id = a.id.ok_or_else(|| {
                ReviewError::Invalid(
                    "give a call id (postcall review ID --state reviewed) or one of export, import, rebuild, hash, whoami"
                        .into(),
                )
            })?;
            let (data, store) = open(cli)?;
            if let Some(state) = a.state {
                let me = me(&data, &a.who)?;
                ops::set_state(&store, &me, &[id], state)?;
            }
            let r = ops::call_review(&store, id)?;
            if a.json {
                return print_json(&r);
            }
            if r.states.is_empty() {
                println!("call {id}: nobody has reviewed it");
            }
            for s in &r.states {
                println!("call {id}: {} by {} <{}> at {}", s.state.as_str(), s.reviewer_name, s.reviewer, s.at);
            }
            Ok(())
        }
    }
}

fn note(cli: &Cli, action: &NoteAction) -> Result<(), ReviewError> {
    let (data, store) = open(cli)?;
    match action {
        NoteAction::Add { id, text, turn, at, who, json } => {
            let me = me(&data, who)?;
            let n = ops::add_note(&store, &me, *id, text, *turn, *at)?;
            if *json {
                print_json(&n)
            } else {
                println!("{}", n.id);
                Ok(())
            }
        }
        NoteAction::Edit { id, note_id, text, who, json } => {
            let me = me(&data, who)?;
            let n = ops::edit_note(&store, &me, *id, note_id, text)?;
            if *json {
                print_json(&n)
            } else {
                println!("{}", n.id);
                Ok(())
            }
        }
        NoteAction::Delete { id, note_id, who } => {
            let me = me(&data, who)?;
            ops::delete_note(&store, &me, *id, note_id)
        }
        NoteAction::List { id, json } => {
            let notes = ops::call_review(&store, *id)?.notes;
            if *json {
                return print_json(&notes);
            }
            if notes.is_empty() {
                println!("(no notes)");
            }
            for n in &notes {
                let turn = n.turn.map(|t| format!(" turn {t}")).unwrap_or_default();
                let at =
                    n.at_seconds.map(|s| format!(" at {}", crate::cli::fmt_duration(s as i64))).unwrap_or_default();
                let edited = if n.edited_at.is_some() { " (edited)" } else { "" };
                println!("{}  {} <{}>{turn}{at}{edited}", n.id, n.author_name, n.author);
                for line in n.text.lines() {
                    println!("    {line}");
                }
            }
            Ok(())
        }
    }
}

fn tag(cli: &Cli, action: &TagAction) -> Result<(), ReviewError> {
    let (data, store) = open(cli)?;
    match action {
        TagAction::Add { id, tags, who } => {
            let me = me(&data, who)?;
            ops::add_tags(&store, &me, &[*id], tags)?;
        }
        TagAction::Remove { id, tags, who } => {
            let me = me(&data, who)?;
            ops::remove_tags(&store, &me, &[*id], tags)?;
        }
        TagAction::Define { name, color } => {
            ops::save_tag(&store, ops::reviewer(&data, None).ok().as_ref(), name, color)?;
        }
        TagAction::Delete { name } => {
            ops::delete_tag(&store, ops::reviewer(&data, None).ok().as_ref(), name)?;
        }
    }
    Ok(())
}

fn tags(cli: &Cli, json: bool) -> Result<(), ReviewError> {
    let list = ops::list_tags(&open(cli)?.1)?;
    if json {
        return print_json(&list);
    }
    if list.is_empty() {
        println!("(no tags; define one with: postcall tag define NAME --color '#3366cc')");
    }
    for t in &list {
        println!("{:<24} {}  {} calls", t.name, t.color, t.count);
    }
    Ok(())
}

/// Reads `Q=V` for a question of the scorecard into its typed answer.
fn parse_answer(card: &super::Scorecard, s: &str) -> Result<(String, ScoreAnswer), ReviewError> {
    let (q, v) =
        s.split_once('=').ok_or_else(|| ReviewError::Invalid(format!("{s:?}: write an answer as QUESTION=VALUE")))?;
    let question = card
        .questions
        .iter()
        .find(|x| x.id == q.trim())
        .ok_or_else(|| ReviewError::Invalid(format!("scorecard {} has no question {:?}", card.id, q.trim())))?;
    let v = v.trim();
    let value = match question.kind {
        QuestionKind::YesNo => match v.to_lowercase().as_str() {
            "yes" | "true" | "y" => json!(true),
            "no" | "false" | "n" => json!(false),
            _ => return Err(ReviewError::Invalid(format!("{}: answer yes or no, not {v:?}", question.id))),
        },
        QuestionKind::Scale => v
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=5).contains(n))
            .map(|n| json!(n))
            .ok_or_else(|| ReviewError::Invalid(format!("{}: answer 1 to 5, not {v:?}", question.id)))?,
        QuestionKind::Choice => Value::String(v.to_string()),
    };
    Ok((question.id.clone(), ScoreAnswer { value: Some(value), prefilled: false }))
}

fn score(cli: &Cli, a: &ScoreArgs) -> Result<(), ReviewError> {
    let (data, store) = open(cli)?;
    let me = me(&data, &a.who)?;
    let card = ops::list_scorecards(&store)?.into_iter().find(|s| s.id == a.scorecard).ok_or_else(|| {
        ReviewError::NotFound(format!("no scorecard {:?}; define it with postcall scorecards save FILE", a.scorecard))
    })?;
    let mut answers: BTreeMap<String, ScoreAnswer> =
        if a.prefill { ops::prefill_score(&store, a.id, &card.id)? } else { BTreeMap::new() };
    for s in &a.answers {
        let (q, v) = parse_answer(&card, s)?;
        answers.insert(q, v);
    }
    let score = ops::set_score(&store, &me, a.id, &card.id, &answers)?;
    if a.json {
        return print_json(&score);
    }
    match score.total {
        Some(t) => println!("call {}: {} total {t}%", a.id, card.name),
        None => println!("call {}: {} saved, nothing answered yet", a.id, card.name),
    }
    Ok(())
}

fn scorecards(cli: &Cli, action: Option<&ScorecardAction>, json: bool) -> Result<(), ReviewError> {
    let (data, store) = open(cli)?;
    let author = ops::reviewer(&data, None).ok();
    let list = match action {
        Some(ScorecardAction::Save { file }) => {
            let text = std::fs::read(file)
                .map_err(|e| ReviewError::Invalid(format!("cannot read {}: {e}", file.display())))?;
            let card = serde_json::from_slice(&text)
                .map_err(|e| ReviewError::Invalid(format!("{} is not a scorecard: {e}", file.display())))?;
            ops::save_scorecard(&store, author.as_ref(), &card)?
        }
        Some(ScorecardAction::Delete { id }) => ops::delete_scorecard(&store, author.as_ref(), id)?,
        None => ops::list_scorecards(&store)?,
    };
    if json {
        return print_json(&list);
    }
    for c in &list {
        println!("{}  {} ({} questions)", c.id, c.name, c.questions.len());
    }
    Ok(())
}

/// `postcall export`'s `review` object for one call.
pub fn export_review(conn: &rusqlite::Connection, id: i64) -> crate::store::Result<Value> {
    Ok(serde_json::to_value(super::store::call_review(conn, id, "review.")?).unwrap_or(Value::Null))
}
