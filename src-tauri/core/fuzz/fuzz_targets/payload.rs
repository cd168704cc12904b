//! The payload parsers agree: the webhook's quick id check, the full parse and the lean parse
//! used for indexing accept the same bodies with the same call id, and derive the same call.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postcall_core::payload;
use postcall_core::store::calls::Derived;

fuzz_target!(|body: &[u8]| {
    let full = payload::parse_body(body);
    let quick = payload::body_call_id(body);
    assert_eq!(full.as_ref().map(|(id, _)| *id).map_err(Clone::clone), quick, "parse_body vs body_call_id");
    match (payload::lean::parse(body), full) {
        (Some((id, lean)), Ok((full_id, doc))) => {
            assert_eq!(id, full_id);
            assert_eq!(Derived::of_lean(id, lean), Derived::of(full_id, &doc));
        }
        (None, Err(_)) => {}
        (lean, full) => panic!("lean {:?} but full {:?}", lean.map(|(id, _)| id), full.map(|(id, _)| id)),
    }
});
