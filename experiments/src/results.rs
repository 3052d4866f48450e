//! Where a run's outputs go: `results/<scenario>/<run-id>/` holds one CSV
//! per stage (raw rows, units in the column names), `summary.json`,
//! `environment.json` and `report.md`; figures go to `figures/<scenario>/`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Debug, Clone)]
pub struct RunDir {
    pub dir: PathBuf,
}

impl RunDir {
    /// A new run directory named by the UTC time, unique under `results`.
    pub fn create(results: &Path, scenario: &str) -> anyhow::Result<RunDir> {
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
        let (days, secs) = (stamp / 86_400, stamp % 86_400);
        let (y, m, d) = civil_date(days as i64);
        let id = format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", secs / 3600, secs / 60 % 60, secs % 60);
        let mut dir = results.join(scenario).join(&id);
        let mut n = 1;
        while dir.exists() {
            n += 1;
            dir = results.join(scenario).join(format!("{id}-{n}"));
        }
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(RunDir { dir })
    }

    pub fn open(dir: &Path) -> anyhow::Result<RunDir> {
        anyhow::ensure!(dir.join("summary.json").exists(), "{} holds no run (no summary.json)", dir.display());
        Ok(RunDir { dir: dir.to_owned() })
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    pub fn write_csv<T: Serialize>(&self, name: &str, rows: &[T]) -> anyhow::Result<()> {
        let path = self.path(name);
        let mut writer = csv::Writer::from_path(&path).with_context(|| format!("writing {}", path.display()))?;
        for row in rows {
            writer.serialize(row)?;
        }
        writer.flush()?;
        Ok(())
    }

    /// Reads a stage's rows back; an absent file (stage not run) is empty.
    pub fn read_csv<T: DeserializeOwned>(&self, name: &str) -> anyhow::Result<Vec<T>> {
        let path = self.path(name);
        if !path.exists() {
            return Ok(Vec::new());
        }
        let mut reader = csv::Reader::from_path(&path).with_context(|| format!("reading {}", path.display()))?;
        reader.deserialize().collect::<Result<_, _>>().with_context(|| format!("decoding {}", path.display()))
    }

    pub fn write_json(&self, name: &str, value: &serde_json::Value) -> anyhow::Result<()> {
        std::fs::write(self.path(name), serde_json::to_string_pretty(value)? + "\n").with_context(|| format!("writing {name}"))
    }

    pub fn read_json(&self, name: &str) -> anyhow::Result<serde_json::Value> {
        let text = std::fs::read_to_string(self.path(name)).with_context(|| format!("reading {name}"))?;
        Ok(serde_json::from_str(&text)?)
    }

    /// The scenario this run belongs to (its parent directory's name).
    pub fn scenario(&self) -> String {
        self.dir.parent().and_then(|p| p.file_name()).map_or("unknown".into(), |n| n.to_string_lossy().into_owned())
    }
}

/// Days since 1970-01-01 to a (year, month, day), proleptic Gregorian.
fn civil_date(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Versions, machine and cgroup support, so a run can be interpreted later.
pub fn environment(scenario_hash: &str, seed: u64, limits: &serde_json::Value) -> serde_json::Value {
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| t.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned()));
    let python =
        std::process::Command::new("python3").arg("--version").output().ok().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok().map(|s| s.trim().to_owned());
    serde_json::json!({
        "hetfaas_version": env!("CARGO_PKG_VERSION"),
        "scenario_hash": scenario_hash,
        "seed": seed,
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "cpu_model": cpu_model,
        "kernel": kernel,
        "python": python,
        "worker_limits": limits,
        "note": "load generator and orchestrator share this machine's CPUs",
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::civil_date(0), (1970, 1, 1));
        assert_eq!(super::civil_date(20_419), (2025, 11, 27));
        assert_eq!(super::civil_date(11_016), (2000, 2, 29));
    }
}
