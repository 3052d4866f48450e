//! For every accepted solution in `datasets/`, the generated handler prints
//! exactly what the original program prints when run as its own `python3`
//! process, case by case, on 50 generated cases.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use codenet_loader::import::{ImportOptions, Imported, import};
use codenet_loader::runner::{resolve_python, run_handler};
use codenet_loader::tree::Tree;

const CASES: usize = 50;

fn run_original(python: &Path, path: &Path, case: &str) -> String {
    let mut child = Command::new(python).arg(path).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(case.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{} failed on {case:?}", path.display());
    String::from_utf8(output.stdout).unwrap()
}

fn check(python: &Path, f: &Imported) -> Result<(), String> {
    let original = f.dir.join("original.py");
    std::fs::write(&original, &f.original).unwrap();
    let handled = run_handler(python, &f.dir.join("main.py"), &f.cases)?;
    for (i, (case, output)) in f.cases.iter().zip(&handled).enumerate() {
        let expected = run_original(python, &original, case);
        if *output != expected {
            return Err(format!("{} case {i}: handler printed {output:?}, the program {expected:?}", f.name));
        }
    }
    Ok(())
}

#[test]
fn every_handler_prints_what_its_program_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../datasets");
    let work = tempfile::tempdir().unwrap();
    let problems: Vec<String> = std::fs::read_dir(root.join("specs"))
        .unwrap()
        .map(|e| e.unwrap().path().file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(problems.len() >= 10);
    let options = ImportOptions {
        dataset: root.join("codenet-sample"),
        specs: root.join("specs"),
        problems,
        per_problem: usize::MAX,
        seed: 2023,
        cases: CASES,
        python: "python3".into(),
        work_dir: work.path().to_owned(),
    };
    let report = import(&options, &Tree::new(&options.dataset)).unwrap();
    assert!(report.imported.len() >= 50, "{} handlers imported", report.imported.len());
    // Two workers share the processes: about 2,500 of them in all.
    let python = resolve_python("python3".as_ref());
    let (left, right) = report.imported.split_at(report.imported.len() / 2);
    let failures: Vec<String> = std::thread::scope(|s| {
        let a = s.spawn(|| left.iter().filter_map(|f| check(&python, f).err()).collect::<Vec<_>>());
        let b = s.spawn(|| right.iter().filter_map(|f| check(&python, f).err()).collect::<Vec<_>>());
        a.join().unwrap().into_iter().chain(b.join().unwrap()).collect()
    });
    assert!(failures.is_empty(), "{failures:#?}");
}
