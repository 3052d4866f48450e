//! `scenarios/ci.toml` end to end with real `python3`: every stage leaves
//! rows, every figure is a real picture, the report has its tables, `plot`
//! redraws the same figures from the stored rows, and the same seed selects
//! the same functions and inputs and sends the same invocations in the same
//! order.

use std::path::{Path, PathBuf};

use hetfaas_experiments::results::{RunDir, trained_sizes};
use hetfaas_experiments::runner::{RunOptions, render, run};

const STAGE_FILES: [&str; 15] = [
    "import.csv",
    "cold_starts.csv",
    "train.csv",
    "cleaning.csv",
    "regression.csv",
    "accuracy.csv",
    "transfer.csv",
    "transfer_accuracy.csv",
    "policies.csv",
    "oracle_profile.csv",
    "overload.csv",
    "soak.csv",
    "soak_memory.csv",
    "overhead.csv",
    "steadiness.csv",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

async fn run_ci(out: &Path) -> RunDir {
    // Scenario paths (datasets/...) are relative to the repository root.
    std::env::set_current_dir(root()).unwrap();
    let options = RunOptions {
        scenario: root().join("scenarios/ci.toml"),
        target: None,
        results: out.join("results"),
        figures: out.join("figures"),
        quiet: true,
    };
    run(&options).await.expect("the ci scenario runs")
}

fn rows(path: &Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(path).unwrap().records().map(|r| r.unwrap()).collect()
}

/// A stage's CSV as maps from column name to value.
fn table(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader.records().map(|r| headers.iter().zip(r.unwrap().iter()).map(|(h, v)| (h.to_owned(), v.to_owned())).collect()).collect()
}

/// What an SVG figure plots: how many points (circles) and, per data line
/// (a coloured polyline; black ones are axes and ticks), how many vertices.
/// Legend entries count too: a circle per point series, two vertices per
/// line series.
fn marks(svg: &Path) -> (usize, Vec<usize>) {
    let text = std::fs::read_to_string(svg).unwrap();
    let circles = text.matches("<circle").count();
    let attribute = |element: &str, name: &str| {
        let start = element.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(element[start..start + element[start..].find('"')?].to_owned())
    };
    let mut lines: Vec<usize> = text
        .split("<polyline")
        .skip(1)
        .filter(|e| attribute(e, "stroke").is_some_and(|c| c != "#000000"))
        .map(|e| attribute(e, "points").unwrap_or_default().split_whitespace().count())
        .collect();
    lines.sort_unstable();
    (circles, lines)
}

/// Checks, from the CSVs, that the figures hold the data they plot: a
/// figure drawn from the wrong rows, or none, fails here.
fn figures_hold_their_data(run: &RunDir, figures: &Path) {
    let count = |rows: &[std::collections::HashMap<String, String>], column: &str| {
        let mut values: Vec<&str> = rows.iter().map(|r| r[column].as_str()).collect();
        values.sort_unstable();
        values.dedup();
        values.len()
    };
    let cleaning = table(&run.path("cleaning.csv"));
    for worker in ["edge", "cloud"] {
        let rows: Vec<_> = cleaning.iter().filter(|r| r["worker"] == worker).cloned().collect();
        let functions = count(&rows, "function");
        // Raw shows every row, cold and failed ones as one more (marked)
        // series; the cleaned figures only rows their cleaning kept.
        let marked = rows.iter().any(|r| r["cold"] == "true" || r["success"] == "false");
        for (figure, kept) in [("raw", None), ("zscore", Some("kept_zscore")), ("iqr", Some("kept_iqr"))] {
            let points = rows.iter().filter(|r| kept.is_none_or(|k| r[k] == "true")).count();
            let legend = functions + usize::from(kept.is_none() && marked);
            let (circles, _) = marks(&figures.join(format!("cleaning-{worker}-{figure}.svg")));
            assert_eq!(circles, points + legend, "cleaning-{worker}-{figure}: {points} rows of {functions} functions");
        }
        let (_, lines) = marks(&figures.join(format!("regression-{worker}.svg")));
        assert_eq!(lines, vec![2; 2 * functions], "regression-{worker}: one fitted line per function, and its legend");
    }
    let policies = table(&run.path("policies.csv"));
    for load in ["closed", "open"] {
        let rows: Vec<_> = policies.iter().filter(|r| r["load"] == load).cloned().collect();
        let mut expected: Vec<usize> = Vec::new();
        for policy in rows.iter().map(|r| r["policy"].clone()).collect::<std::collections::BTreeSet<_>>() {
            expected.extend([rows.iter().filter(|r| r["policy"] == policy).count(), 2]);
        }
        expected.sort_unstable();
        let (_, lines) = marks(&figures.join(format!("policies-latency-cdf-{load}.svg")));
        assert_eq!(lines, expected, "policies-latency-cdf-{load}: one vertex per request of each policy");
    }
}

/// The targets section's verdicts stand on the same numbers as the tables
/// below it: each prediction target quotes its cell of the accuracy table,
/// and each policy target judges the default policy against the baselines.
fn targets_agree_with_the_tables(report: &str) {
    let section =
        |heading: &str| report.split(heading).nth(1).unwrap_or_else(|| panic!("no {heading}:\n{report}")).split("\n## ").next().unwrap();
    let targets = section("## Targets");
    let rows: Vec<&str> = targets.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| target")).collect();
    let verdicts = ["| yes |", "| **no** |", "| not judged |"];
    assert!(rows.iter().all(|r| verdicts.iter().any(|v| r.ends_with(v))), "every target has a verdict:\n{targets}");
    let accuracy = section("## Prediction accuracy");
    for cell in accuracy.lines().filter(|l| l.starts_with("| edge |") || l.starts_with("| cloud |")) {
        let c: Vec<&str> = cell.split('|').map(str::trim).collect();
        if c[2] == "between" || c[2] == "first-call" {
            continue;
        }
        let asks = format!("prediction on `{}`, {} sizes, incremental learning {}:", c[1], c[2], c[3]);
        let target = rows.iter().find(|r| r.contains(&asks)).unwrap_or_else(|| panic!("{asks} is a target:\n{targets}"));
        assert!(target.contains(&format!("| {} (", c[4])), "{asks} quotes the table's {}:\n{target}", c[4]);
    }
    let policy = rows.iter().filter(|r| r.contains("`least-expected-completion`, closed load, ") && r.contains(": no worse than")).count();
    assert_eq!(policy, 3, "the default policy's mean, p95 and p99 in the closed loop are judged:\n{targets}");
}

/// Checks, from the CSVs, that every label is a fact: each transfer source
/// is another function (never the solution itself), and each accuracy row's
/// seen/unseen kind is what the recorded training sizes make it (a pass's
/// first calls, labelled apart, at a seen size).
fn labels_are_facts(run: &RunDir) {
    for row in table(&run.path("transfer.csv")).iter().filter(|r| r["arm"] == "transfer" && r["path"] == "transfer") {
        let original = row["function"].trim_end_matches("-transfer");
        assert!(!row["source"].is_empty() && row["source"] != original && row["source"] != row["function"], "{row:?}");
    }
    let trained: std::collections::HashMap<String, _> =
        table(&run.path("train.csv")).into_iter().map(|r| (r["function"].clone(), trained_sizes(&r["trained_sizes"]))).collect();
    let accuracy = table(&run.path("accuracy.csv"));
    for row in &accuracy {
        let sizes = &trained[&row["function"]][&row["worker"]];
        let size: u64 = row["input_size"].parse().unwrap();
        let fact = if sizes.contains(&size) {
            "seen"
        } else if sizes.iter().all(|&s| s < size) {
            "unseen"
        } else {
            "between"
        };
        if row["kind"] == "first-call" {
            assert_eq!(fact, "seen", "a pass opens at its smallest seen size: {row:?} against trained sizes {sizes:?}");
            continue;
        }
        assert_eq!(row["kind"], fact, "{row:?} against trained sizes {sizes:?}");
    }
    let models: std::collections::BTreeSet<_> = accuracy.iter().map(|r| (&r["function"], &r["worker"])).collect();
    let firsts = accuracy.iter().filter(|r| r["kind"] == "first-call").count();
    assert_eq!(firsts, 2 * models.len(), "one first call per function and worker in each of the two passes");
    for kind in ["seen", "unseen"] {
        assert!(accuracy.iter().any(|r| r["kind"] == kind), "accuracy.csv has {kind} rows");
    }
    // Bursts of 2, 3 and 4 calls on each tier: the platform must have had
    // to start an instance for some of them, and said so.
    let bursts = table(&run.path("cold_starts.csv"));
    for worker in ["edge", "cloud"] {
        assert!(bursts.iter().any(|r| r["worker"] == worker && r["cold"] == "true"), "a cold call on {worker}: {bursts:?}");
    }
}

/// Checks the oracle against its profile: each of its requests went to the
/// worker with the shortest profiled median for its (function, size), and
/// over the workload its profiled mean is not above any single worker's.
fn oracle_follows_its_profile(run: &RunDir) {
    let mut profile: std::collections::BTreeMap<(String, String), Vec<(String, f64)>> = Default::default();
    for r in table(&run.path("oracle_profile.csv")) {
        profile
            .entry((r["function"].clone(), r["input_size"].clone()))
            .or_default()
            .push((r["worker"].clone(), r["median_ms"].parse().unwrap()));
    }
    let oracle: Vec<_> = table(&run.path("policies.csv")).into_iter().filter(|r| r["policy"] == "oracle" && r["status"] == "200").collect();
    assert!(!oracle.is_empty(), "the oracle ran");
    let (mut best_total, mut totals) = (0.0, std::collections::BTreeMap::<String, f64>::new());
    for r in &oracle {
        let medians = &profile[&(r["function"].clone(), r["input_size"].clone())];
        let best = medians.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
        assert_eq!(r["worker"], best.0, "{r:?} against its profile {medians:?}");
        best_total += best.1;
        for (worker, median) in medians {
            *totals.entry(worker.clone()).or_default() += median;
        }
    }
    for (worker, total) in totals {
        assert!(best_total <= total, "oracle {best_total:.1} ms vs {worker}-only {total:.1} ms in the profile");
    }
}

/// Decodes a PNG and counts its distinct colours: a blank or broken
/// figure has one or two.
fn colours(png: &Path) -> usize {
    let image = image::open(png).unwrap_or_else(|e| panic!("{}: {e}", png.display())).to_rgb8();
    assert_eq!(image.dimensions(), (960, 600), "{}", png.display());
    let mut seen: Vec<[u8; 3]> = image.pixels().map(|p| p.0).collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

fn pngs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "png")).collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ci_scenario_produces_rows_figures_and_a_report_and_repeats_for_its_seed() {
    let out = tempfile::tempdir().unwrap();
    let first = run_ci(out.path()).await;
    for file in STAGE_FILES {
        assert!(!rows(&first.path(file)).is_empty(), "{file} has rows");
    }
    let figures = out.path().join("figures/ci");
    let made = pngs(&figures);
    for name in [
        "cleaning-edge-raw",
        "cleaning-cloud-iqr",
        "regression-edge",
        "accuracy-edge-incremental-on",
        "accuracy-edge-seen",
        "accuracy-cloud-unseen",
        "transfer-cloud",
        "transfer-edge-seen",
        "transfer-cloud-unseen",
        "policies-latency-cdf-closed",
        "overload-p99",
        "training-invocations",
        "soak-memory",
        "soak-latency",
        "overhead-latency",
    ] {
        assert!(made.iter().any(|p| p.file_stem().unwrap() == name), "figure {name} among {made:?}");
    }
    for png in &made {
        assert!(colours(png) > 20, "{} has real content", png.display());
        assert!(png.with_extension("svg").exists());
    }
    figures_hold_their_data(&first, &figures);
    labels_are_facts(&first);
    oracle_follows_its_profile(&first);
    let report = std::fs::read_to_string(first.path("report.md")).unwrap();
    for heading in [
        "## Targets",
        "## Prediction accuracy",
        "## Where the prediction error comes from",
        "## How steady the machine was",
        "## Training cost",
        "## Model families",
        "## Routing policies",
        "## Overload point",
        "## Soak",
        "## Orchestrator overhead",
    ] {
        assert!(report.contains(heading), "report.md has {heading}:\n{report}");
    }
    let sources = report.split("## Where the prediction error comes from").nth(1).unwrap().split("\n## ").next().unwrap();
    let row = |worker: &str| sources.lines().find(|l| l.starts_with(&format!("| {worker} |"))).unwrap_or_default().to_owned();
    assert!(row("edge").contains(" of "), "the edge has a CPU quota: its calls say whether it held them back:\n{sources}");
    assert!(row("cloud").contains("| - |"), "the cloud has none, and shows none:\n{sources}");
    assert!(report.contains("| predicted |") && report.contains("| edge | seen |"), "{report}");
    let steadiness = report.split("## How steady the machine was").nth(1).unwrap().split("\n## ").next().unwrap();
    assert!(steadiness.lines().any(|l| l.starts_with("| accuracy | ")), "the probe ran beside the accuracy stage:\n{steadiness}");
    let cold = report.lines().find(|l| l.starts_with("| call time, cold start")).expect("the reproduction table has cold starts");
    assert!(!cold.contains("not measured"), "{cold}");
    targets_agree_with_the_tables(&report);

    let redrawn = out.path().join("redrawn");
    render(&RunDir::open(&first.dir).unwrap(), &redrawn).unwrap();
    let again = pngs(&redrawn.join("ci"));
    assert_eq!(
        again.iter().map(|p| p.file_name().unwrap().to_owned()).collect::<Vec<_>>(),
        made.iter().map(|p| p.file_name().unwrap().to_owned()).collect::<Vec<_>>()
    );
    for (a, b) in made.iter().zip(&again) {
        assert!(std::fs::read(a).unwrap() == std::fs::read(b).unwrap(), "{} is redrawn identically", a.display());
    }

    let second = run_ci(out.path()).await;
    assert_eq!(rows(&first.path("import.csv")), rows(&second.path("import.csv")), "same functions selected");
    let order = |run: &RunDir| {
        rows(&run.path("accuracy.csv")).iter().map(|r| format!("{}/{}/{}/{}", &r[0], &r[1], &r[3], &r[4])).collect::<Vec<_>>()
    };
    assert_eq!(order(&first), order(&second), "same invocations in the same order");
    let inputs = |run: &RunDir| {
        let dir = run.path("functions");
        let mut all: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| {
                let path = e.unwrap().path();
                (std::fs::read_to_string(path.join("main.py")).unwrap(), std::fs::read_to_string(path.join("cases.json")).unwrap())
            })
            .collect();
        all.sort();
        all
    };
    assert_eq!(inputs(&first), inputs(&second), "same handlers and generated inputs");
}
