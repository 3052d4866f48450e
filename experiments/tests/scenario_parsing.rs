//! Property tests over scenario parsing: every bundled scenario loads, and
//! any text (random, or a bundled scenario with bytes changed, cut or
//! inserted) is either a scenario or a clear error, never a panic.
//! `PROPTEST_CASES` raises the number of cases.

use std::path::Path;

use hetfaas_experiments::scenario::Scenario;
use proptest::prelude::*;

const BUNDLED: [&str; 5] = ["quick", "ci", "paper", "overhead", "soak"];

fn text_of(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../scenarios/{name}.toml"))).unwrap()
}

fn load(text: &[u8]) -> Result<Scenario, String> {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), text).unwrap();
    Scenario::load(file.path()).map(|(s, _)| s).map_err(|e| e.to_string())
}

#[test]
fn every_bundled_scenario_loads() {
    for name in BUNDLED {
        let scenario = load(text_of(name).as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(scenario.name, name);
    }
}

proptest! {
    #[test]
    fn random_text_is_a_scenario_or_an_error(text in "(\\PC|\n){0,400}") {
        if let Err(message) = load(text.as_bytes()) {
            prop_assert!(message.contains("invalid scenario") || message.contains("cannot read"), "{}", message);
        }
    }

    #[test]
    fn edited_scenarios_never_panic(which in 0usize..BUNDLED.len(), edits in prop::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..6)) {
        let mut bytes = text_of(BUNDLED[which]).into_bytes();
        for (at, byte, kind) in edits {
            let at = at % bytes.len().max(1);
            match kind {
                0 => bytes[at] = byte,
                1 => { bytes.remove(at); }
                _ => bytes.insert(at, byte),
            }
        }
        let _ = load(&bytes);
    }
}
