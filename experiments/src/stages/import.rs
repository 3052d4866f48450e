//! Stage `import`: CodeNet problems → verified handlers → generated cases.
//! Writes `import.csv` (one row per Python submission considered) and, per
//! imported handler, `functions/<name>/{main.py,original.py,cases.json}`.

use codenet_loader::import::{ImportOptions, import};
use codenet_loader::tree::Tree;

use super::Context;

pub fn run(ctx: &mut Context) -> anyhow::Result<()> {
    let d = &ctx.scenario.dataset;
    let options = ImportOptions {
        dataset: d.path.clone(),
        specs: d.specs.clone(),
        problems: d.problems.clone(),
        per_problem: d.per_problem,
        seed: ctx.scenario.seed,
        cases: d.cases,
        python: "python3".into(),
        work_dir: ctx.run.path("functions"),
    };
    let bar = ctx.bar("import", d.problems.len() as u64);
    let report = import(&options, &Tree::new(&d.path))?;
    bar.finish_and_clear();
    ctx.run.write(&report.rows)?;
    for f in &report.imported {
        std::fs::write(f.dir.join("cases.json"), serde_json::to_string(&f.cases)?)?;
        std::fs::write(f.dir.join("original.py"), &f.original)?;
    }
    anyhow::ensure!(!report.imported.is_empty(), "no solution of {:?} passed verification; see import.csv", d.problems);
    ctx.say(&format!("import: {} handlers from {} problems", report.imported.len(), d.problems.len()));
    ctx.imported = report.imported;
    Ok(())
}
