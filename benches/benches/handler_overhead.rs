//! The per-case overhead of a generated CodeNet handler: what running one
//! more test case costs beyond the program's own work. The program here is
//! the cheapest possible (read a line, print it), so the per-case figure is
//! almost all overhead: a fresh stdin/stdout pair, the swapped builtins and
//! one `exec` of the precompiled code. One Python process per measurement,
//! with 1 and with 1,001 cases; per case = (t(1,001) − t(1)) / 1,000, which
//! cancels the process start.

use std::path::Path;

use codenet_loader::handler::render;
use codenet_loader::runner::{resolve_python, run_handler};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

fn handler(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let main_py = dir.path().join("main.py");
    std::fs::write(&main_py, render("p00000", "s000000000", "print(input())\n")).expect("writing main.py");
    let python = resolve_python(Path::new("python3"));
    let mut group = c.benchmark_group("handler_cases");
    group.sample_size(10);
    for cases in [1usize, 1001] {
        let event: Vec<String> = (0..cases).map(|i| format!("{i}\n")).collect();
        group.bench_with_input(BenchmarkId::from_parameter(cases), &event, |b, event| {
            b.iter(|| run_handler(&python, &main_py, event).expect("the handler runs"));
        });
    }
    group.finish();
}

criterion_group!(benches, handler);
criterion_main!(benches);
