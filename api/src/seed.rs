//! A stable hash for seeds derived from names.
//!
//! Seeds must not change between releases or platforms: the same scenario
//! and seed must draw the same functions and inputs, and a function's
//! training inputs must not depend on the hasher of the day. FNV-1a is
//! tiny, stable and good enough for seeding.

/// The 64-bit FNV-1a hash of `text`.
pub fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_values() {
        assert_eq!(super::stable_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(super::stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
