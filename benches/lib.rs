//! Criterion benchmarks of hetfaas live in `benches/`; see `README.md`.
//! This crate has no library code of its own.
