//! Selecting and verifying solutions from a CodeNet tree: the project's
//! sample, a synthetic tree far too large to walk, and the
//! `codenet-import` binary.

use std::path::{Path, PathBuf};

use codenet_loader::import::{ImportOptions, import};
use codenet_loader::tree::Tree;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../datasets/codenet-sample")
}

fn specs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../datasets/specs")
}

fn options(problems: &[&str], per_problem: usize, work: &Path) -> ImportOptions {
    ImportOptions {
        dataset: sample(),
        specs: specs(),
        problems: problems.iter().map(|p| p.to_string()).collect(),
        per_problem,
        seed: 42,
        cases: 20,
        python: "python3".into(),
        work_dir: work.to_owned(),
    }
}

#[test]
fn only_accepted_python3_is_used_and_a_solution_failing_its_sample_is_skipped() {
    let work = tempfile::tempdir().unwrap();
    let report = import(&options(&["p02257", "p00002"], 100, work.path()), &Tree::new(sample())).unwrap();
    let status = |s: &str| report.rows.iter().find(|r| r.submission == s).map(|r| (r.status.as_str(), r.reason.clone())).unwrap();
    let (excluded, reason) = status("s900000007");
    assert_eq!(excluded, "excluded");
    assert!(reason.contains("Wrong Answer"), "{reason}");
    let (excluded, reason) = status("s900000038");
    assert!(excluded == "excluded" && reason.contains("Python (2.7.6)"), "{reason}");
    // Labelled Python 3 and Accepted, but it calls raw_input: verification catches it.
    let (failed, reason) = status("s900000039");
    assert_eq!(failed, "failed");
    assert!(reason.contains("raw_input"), "{reason}");
    assert!(report.imported.iter().all(|f| f.submission.exclusion().is_none()));
    assert!(!report.imported.iter().any(|f| f.submission.submission_id == "s900000039"));
    assert_eq!(report.imported.len(), 5 + 6, "every good accepted solution of both problems");
}

#[test]
fn the_same_seed_selects_the_same_solutions_and_cases() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let pick = |dir: &Path, seed| {
        let mut o = options(&["p00022", "p02402"], 3, dir);
        o.seed = seed;
        let report = import(&o, &Tree::new(sample())).unwrap();
        report.imported.iter().map(|f| (f.name.clone(), f.cases.clone())).collect::<Vec<_>>()
    };
    let first = pick(a.path(), 7);
    assert_eq!(first.len(), 6);
    assert_eq!(first, pick(b.path(), 7));
    assert_ne!(first, pick(b.path(), 8), "another seed, another draw");
}

#[test]
fn selecting_from_a_huge_tree_opens_only_the_files_it_needs() {
    let root = tempfile::tempdir().unwrap();
    let header =
        "submission_id,problem_id,user_id,date,language,original_language,filename_ext,status,cpu_time,memory,code_size,accuracy\n";
    std::fs::create_dir_all(root.path().join("metadata")).unwrap();
    std::fs::create_dir_all(root.path().join("specs")).unwrap();
    // 100 problems × 1,000 submissions = 100,000 source files.
    for p in 0..100 {
        let problem = format!("p{:05}", 10_000 + p);
        let dir = root.path().join("data").join(&problem).join("Python");
        std::fs::create_dir_all(&dir).unwrap();
        let mut metadata = String::from(header);
        for s in 0..1000 {
            let id = format!("s{p:03}{s:06}");
            std::fs::write(dir.join(format!("{id}.py")), "print(int(input()) * 2)\n").unwrap();
            metadata.push_str(&format!("{id},{problem},u1,0,Python,Python (3.8.2),py,Accepted,1,1,20,1/1\n"));
        }
        std::fs::write(root.path().join("metadata").join(format!("{problem}.csv")), metadata).unwrap();
        std::fs::write(
            root.path().join("specs").join(format!("{problem}.toml")),
            format!("problem = \"{problem}\"\n[[line]]\ntokens = [{{ int = [1, 9] }}]\n"),
        )
        .unwrap();
    }
    let sample_dir = root.path().join("derived/input_output/data/p10042");
    std::fs::create_dir_all(&sample_dir).unwrap();
    std::fs::write(sample_dir.join("input.txt"), "21\n").unwrap();
    std::fs::write(sample_dir.join("output.txt"), "42\n").unwrap();

    let work = tempfile::tempdir().unwrap();
    let tree = Tree::new(root.path());
    let mut o = options(&["p10042"], 3, work.path());
    (o.dataset, o.specs, o.cases) = (root.path().to_owned(), root.path().join("specs"), 5);
    let report = import(&o, &tree).unwrap();
    assert_eq!(report.imported.len(), 3);
    // One metadata file, the sample's two files, and the three sources.
    assert_eq!(tree.opened(), 1 + 2 + 3, "files opened");
}

#[test]
fn codenet_import_writes_handlers_inputs_and_the_verification_table() {
    let out = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_codenet-import"))
        .args(["--problems", "p00002,p02388", "--per-problem", "2", "--cases", "30", "--seed", "1"])
        .arg("--dataset")
        .arg(sample())
        .arg("--specs")
        .arg(specs())
        .arg("--out")
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success());
    let table = std::fs::read_to_string(out.path().join("verification.csv")).unwrap();
    assert!(table.starts_with("problem,submission,status,sample_result,reason\n"), "{table}");
    assert_eq!(table.matches(",imported,pass,").count(), 4, "{table}");
    let dirs: Vec<_> = std::fs::read_dir(out.path()).unwrap().flatten().filter(|e| e.path().is_dir()).collect();
    assert_eq!(dirs.len(), 4);
    for dir in dirs {
        assert!(std::fs::read_to_string(dir.path().join("main.py")).unwrap().contains("def handler(event, context)"));
        let cases: Vec<String> = serde_json::from_str(&std::fs::read_to_string(dir.path().join("cases.json")).unwrap()).unwrap();
        assert_eq!(cases.len(), 30);
        assert!(dir.path().join("original.py").exists());
    }
}
