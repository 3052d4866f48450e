//! Property tests over the input-spec generator and its parser: every
//! bundled spec generates, for any seed, a non-empty case (all blanks is a
//! valid text for some problems) that is the same for the same seed; edited
//! spec text parses or is refused with a clear error, never a panic, and an
//! edited spec that parses generates a case, or refuses one that would be
//! too large, with a clear error and never a panic or a runaway.
//! `PROPTEST_CASES` raises the number of cases.

use std::path::{Path, PathBuf};

use codenet_loader::spec::InputSpec;
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

fn bundled() -> Vec<(PathBuf, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../datasets/specs");
    let mut specs: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    specs.sort();
    specs.into_iter().map(|p| (p.clone(), std::fs::read_to_string(p).unwrap())).collect()
}

proptest! {
    #[test]
    fn every_bundled_spec_generates_the_same_case_for_the_same_seed(seed in any::<u64>()) {
        for (path, text) in bundled() {
            let spec = InputSpec::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let case = spec.generate(&mut StdRng::seed_from_u64(seed)).unwrap();
            prop_assert!(!case.is_empty(), "{}: an empty case", path.display());
            prop_assert_eq!(&case, &spec.generate(&mut StdRng::seed_from_u64(seed)).unwrap(), "{}", path.display());
        }
    }

    #[test]
    fn edited_specs_parse_or_are_refused(which in any::<usize>(), seed in any::<u64>(), edits in prop::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..6)) {
        let specs = bundled();
        let mut bytes = specs[which % specs.len()].1.clone().into_bytes();
        for (at, byte, kind) in edits {
            let at = at % bytes.len().max(1);
            match kind {
                0 => bytes[at] = byte,
                1 => { bytes.remove(at); }
                _ => bytes.insert(at, byte),
            }
        }
        if let Ok(text) = String::from_utf8(bytes) {
            match InputSpec::parse(&text) {
                Err(e) => prop_assert!(e.to_string().starts_with("invalid input spec") || e.to_string().starts_with("input spec for"), "{}", e),
                Ok(spec) => match spec.generate(&mut StdRng::seed_from_u64(seed)) {
                    Ok(case) => prop_assert!(case.len() <= codenet_loader::spec::MAX_CASE_BYTES, "{} bytes", case.len()),
                    Err(e) => prop_assert!(e.to_string().contains("exceed"), "{}", e),
                },
            }
        }
    }
}
