//! Opening a call over the log, as the open path's speed work left it: the log hidden under the
//! call is not laid out again (`content-visibility: hidden`) yet keeps its scroll position and
//! selects the call that was open; a one-hour call opened from a search hit far down it is drawn
//! at that turn, in view and marked.

use super::*;

/// `n` calls posted through the webhook, ids from `first`.
fn post_calls(app: &App, first: i64, n: i64) -> Vec<i64> {
    (0..n).map(|i| app.post(&newer_call(first + i))).collect()
}

/// Where `css` is, relative to its scroll box's visible part: (top, bottom, box height).
const IN_BOX: &str = r#"
const el = document.querySelector(arguments[0]);
if (!el) return null;
let box = el.parentElement;
while (box && !['auto', 'scroll'].includes(getComputedStyle(box).overflowY)) box = box.parentElement;
const b = box.getBoundingClientRect(), r = el.getBoundingClientRect();
return [r.top - b.top, r.bottom - b.top, box.clientHeight];
"#;

#[test]
fn the_log_keeps_its_place_under_an_open_call() {
    let app = App::start();
    let ids = post_calls(&app, 780_001, 60);
    app.wait_rows(&ids[ids.len() - 5..]);
    app.wait_count("60 calls");
    // Down the log, then open a row that is in view there.
    let top = app.js("const t = document.querySelector('.table-scroll'); t.scrollTop = 900; return t.scrollTop;");
    let top = top.as_f64().expect("the log's scrollTop");
    assert!(top > 500.0, "the log scrolls: {top}");
    let row = app
        .js("const t = document.querySelector('.table-scroll').getBoundingClientRect();
             const r = [...document.querySelectorAll('[data-testid=\"call-row\"]')]
               .find(r => r.getBoundingClientRect().top > t.top + 80);
             return Number(r.getAttribute('data-call-id'));")
        .as_i64()
        .expect("a row in view");
    app.open_row(row);
    // Hidden under the call: neither shown nor styled again.
    let hidden = app.js("return getComputedStyle(document.querySelector('.calls')).contentVisibility;");
    assert_eq!(hidden, json!("hidden"), "the log under the open call");
    app.click(".detail-bar button");
    app.wait_until("the detail to close", |a| Ok(a.ids("call-detail")?.is_empty()));
    let back = app.js("return document.querySelector('.table-scroll').scrollTop;");
    assert_eq!(back.as_f64(), Some(top), "the log is where it was");
    let selected = app.js(&format!(
        "return document.querySelector('[data-testid=\"call-row\"][data-call-id=\"{row}\"]').getAttribute('aria-selected');"
    ));
    assert_eq!(selected, json!("true"), "the call that was open is selected in the log");
    app.finish();
}

#[test]
fn a_hit_far_down_a_one_hour_call_opens_at_its_turn() {
    let app = App::start();
    let mut call = newer_call(790_001);
    let turns: Vec<Value> = (0..2400)
        .map(|i| {
            let text = if i == 1800 {
                "The kingfisher logo is on the van.".to_string()
            } else {
                format!("Turn {i}: could you confirm the postcode for the property?")
            };
            json!({"sender": if i % 2 == 0 { "bot" } else { "human" }, "text": text, "timestamp": 1_767_225_600.0 + i as f64 * 1.5})
        })
        .collect();
    call["transcript"] = json!(turns);
    call["recording_url"] = Value::Null;
    let id = app.post(&call);
    app.wait_rows(&[id]);
    app.search("kingfisher");
    app.open_hit(id);
    let turn = "[data-testid=\"call-detail\"] [data-turn-index=\"1800\"]";
    app.wait_element(turn);
    let mut at = Value::Null;
    app.wait_until("the hit's turn to be in view", |a| {
        at = a.s().execute(IN_BOX, vec![json!(turn)])?;
        let (Some(t), Some(b), Some(h)) = (at[0].as_f64(), at[1].as_f64(), at[2].as_f64()) else { return Ok(false) };
        Ok(t >= 0.0 && b <= h)
    });
    eprintln!("turn 1800 in its scroll box: {at}");
    let marked = app.js(&format!(
        "return document.querySelector('{}').classList.contains('turn-focus');",
        turn.replace('\'', "\\'")
    ));
    assert_eq!(marked, json!(true), "the hit's turn is marked");
    let first =
        app.js("return document.querySelector('[data-testid=\"call-detail\"] [data-turn-index=\"0\"]') !== null;");
    assert_eq!(first, json!(false), "the top of the call is not drawn");
    app.screenshot("open-long-call-at-hit.png");
    app.finish();
}
