//! Reading payload files for `postcall import`: one JSON payload, a JSON array of payloads, or
//! JSON Lines (one payload a line). A file is whatever someone was handed, so any bytes must read
//! without a panic; what is not a payload becomes a failed delivery, kept with its reason, never
//! silently dropped. Fuzzed by `tests/fuzz_props.rs` and the `import` target of `core/fuzz`.

use std::io::BufRead;

use serde_json::value::RawValue;

/// Hands each payload in `input` to `each`, as raw bytes. JSON Lines (`jsonl`): every line that
/// is not blank, as it is. Otherwise a JSON array is split into its items, each exactly as written
/// (not parsed and written again, which would change numbers in their last digit); anything else
/// is one payload, exactly the bytes read.
pub fn payloads(mut input: impl BufRead, jsonl: bool, mut each: impl FnMut(Vec<u8>)) -> std::io::Result<()> {
    if jsonl {
        for line in input.split(b'\n') {
            let line = line?;
            if !line.iter().all(u8::is_ascii_whitespace) {
                each(line);
            }
        }
        return Ok(());
    }
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes)?;
    // A JSON array of payloads is split; anything else is one delivery, kept even if unusable.
    match serde_json::from_slice::<Vec<&RawValue>>(&bytes) {
        Ok(items) => items.into_iter().for_each(|item| each(item.get().as_bytes().to_vec())),
        Err(_) => each(bytes),
    }
    Ok(())
}

/// Whether a file is read as JSON Lines, by its extension (`.jsonl`, `.ndjson`).
pub fn is_jsonl(path: &std::path::Path) -> bool {
    path.extension().is_some_and(|e| e == "jsonl" || e == "ndjson")
}
