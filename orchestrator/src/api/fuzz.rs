//! Property tests over request parsing: whatever bytes arrive as an event
//! or a create body, parsing answers (Ok or a 400 naming the problem) and
//! never panics, however deep or malformed. `PROPTEST_CASES` raises the
//! number of cases (the issue note records a long run).

use axum::http::StatusCode;
use proptest::prelude::*;
use serde_json::Value;

use super::error::parse_json;
use super::functions::parse_event;
use crate::function::FunctionSpec;

/// Arbitrary JSON, nested up to a few levels.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            prop::collection::btree_map(".{0,8}", inner, 0..8).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn any_bytes_as_an_event_are_answered_without_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        match parse_event(&body) {
            Ok(size) => {
                let value: Value = serde_json::from_slice(&body).expect("accepted events are JSON");
                prop_assert_eq!(size, value.as_array().map_or(1, |a| a.len() as u64));
            }
            Err(e) => prop_assert_eq!(e.status, StatusCode::BAD_REQUEST),
        }
    }

    #[test]
    fn every_json_value_is_an_event_of_the_right_size(value in json()) {
        let body = serde_json::to_vec(&value).unwrap();
        prop_assert_eq!(parse_event(&body).unwrap(), value.as_array().map_or(1, |a| a.len() as u64));
    }

    #[test]
    fn nesting_of_any_depth_is_scanned_without_recursion(depth in 1usize..50_000, object in any::<bool>()) {
        let (open, close) = if object { ("{\"a\":", "}") } else { ("[", "]") };
        let body = format!("{}1{}", open.repeat(depth), close.repeat(depth));
        // Well-formed at any depth: the event is scanned, not built, so depth
        // cannot overflow the stack here; the handler's own decoder decides
        // (Python's raises RecursionError, see tests/bad_input.rs).
        prop_assert_eq!(parse_event(body.as_bytes()).unwrap(), 1);
        prop_assert_eq!(parse_event(&body.as_bytes()[..body.len() - 1]).unwrap_err().status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn create_bodies_parse_or_give_a_400(value in json()) {
        let body = serde_json::to_vec(&value).unwrap();
        if let Err(e) = parse_json::<FunctionSpec>(&body) {
            prop_assert_eq!(e.status, StatusCode::BAD_REQUEST);
            prop_assert!(e.body.error.message.starts_with("invalid JSON body"));
        }
    }

    #[test]
    fn mutated_create_bodies_never_panic(cut in 0usize..200, byte in any::<u8>(), at in 0usize..200) {
        let mut body = br#"{"name":"f","source_code":"def handler(e, c):\n    return e","edge_supported":true,"cloud_supported":true,"example_inputs":[[1,2]]}"#.to_vec();
        let at = at % body.len();
        body[at] = byte;
        body.truncate(body.len() - cut % body.len());
        if let Ok(spec) = parse_json::<FunctionSpec>(&body) {
            let _ = spec.validate();
        }
    }
}
