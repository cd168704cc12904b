//! What the variables' evidence costs a one-hour call when it is opened: `get_call` computes it
//! on every read (`insights::evidence::for_call`), so its CPU time is part of the time from a
//! click to the call's turns. A figure, not a check (`#[ignore]`): run with
//! `cargo test -p postcall-core --test evidence_figure -- --ignored --nocapture` (add
//! `--release` for the shipped build's figure).

use std::time::Instant;

use postcall_core::insights::evidence::for_call;
use postcall_core::store::turns::StoredTurn;
use serde_json::json;

/// CPU time this thread has run, in nanoseconds (Linux).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The benchmark's one-hour call (tests/tests/e2e/bench_desktop.rs): 2,400 turns, one every 1.5 s.
fn one_hour() -> Vec<StoredTurn> {
    let lines = [
        "Thank you for calling, how can I help you today?",
        "I am calling about the engineer visit for my boiler.",
        "I can see the booking here. Could you confirm the postcode for the property?",
        "Yes, it is SW1A 1AA, and Thursday morning would suit me better.",
        "Of course. Your reference is ZX-4471-QQ and the engineer will call on 0721 123 456.",
        "Perfect, the sixteenth of January, around twenty one past nine. Merci, ça me va très bien.",
    ];
    (0..2400)
        .map(|i| StoredTurn {
            index: i,
            sender: if i % 2 == 0 { "bot" } else { "human" }.into(),
            text: lines[i as usize % lines.len()].to_string(),
            timestamp: None,
            offset_seconds: Some(i as f64 * 1.5),
        })
        .collect()
}

#[test]
#[ignore = "a figure: run with --ignored --nocapture"]
fn evidence_of_a_one_hour_call() {
    let turns = one_hour();
    // The fixture's variables (newer_doc.json) and one of each kind the matcher knows.
    let vars = json!({
        "status": true,
        "summary": "Customer interested in product demo",
        "lead_quality": "high",
        "next_action": "schedule_demo",
        "callback_day": "Thursday",
        "reference": "ZX-4471-QQ",
        "phone": "+40721123456",
        "visit_date": "2025-01-16",
        "minutes": 21,
        "city": "Brașov",
    });
    let runs = 5;
    let first = for_call(&vars, &turns);
    let cpu = thread_cpu_ns();
    let t = Instant::now();
    for _ in 0..runs {
        assert_eq!(for_call(&vars, &turns), first);
    }
    let wall_ms = t.elapsed().as_secs_f64() * 1e3 / runs as f64;
    let cpu_ms = (thread_cpu_ns() - cpu) as f64 / 1e6 / runs as f64;
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    eprintln!(
        "evidence of 2,400 turns × {} variables ({profile}): {cpu_ms:.1} ms CPU, {wall_ms:.1} ms wall per call",
        first.len()
    );
}
