//! Any file reads without a panic, as JSON Lines (one payload per non-blank line) and as JSON
//! (an array split into its items, anything else one payload of exactly the bytes read).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let mut lines = 0;
    postcall_core::import::payloads(bytes, true, |_| lines += 1).expect("reading memory");
    let non_blank = bytes.split(|b| *b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)).count();
    assert_eq!(lines, non_blank);
    let mut whole = Vec::new();
    postcall_core::import::payloads(bytes, false, |b| whole.push(b)).expect("reading memory");
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Array(items)) => assert_eq!(whole.len(), items.len()),
        _ => assert_eq!(whole, vec![bytes.to_vec()]),
    }
    for body in whole {
        // What the reader hands on is what a webhook body would be: the parsers take it too.
        let _ = postcall_core::payload::parse_body(&body);
    }
});
