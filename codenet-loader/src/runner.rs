//! Running a generated handler with `python3`, outside any orchestrator,
//! to verify it against a problem's sample before it is used.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const RUNNER: &str = include_str!("runner.py");

/// Longest a verification run may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The interpreter behind `python` (often a version manager's shim, a
/// shell script that costs a second start-up per run), as reported by
/// itself; `python` unchanged if it cannot say.
pub fn resolve_python(python: &Path) -> std::path::PathBuf {
    Command::new(python)
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .ok()
        .map(|o| std::path::PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| python.to_owned())
}

/// Runs the handler in `main_py` on `cases`; the outputs, or why not.
pub fn run_handler(python: &Path, main_py: &Path, cases: &[String]) -> Result<Vec<String>, String> {
    let dir = main_py.parent().ok_or("handler path has no directory")?;
    let runner = dir.join(".runner.py");
    std::fs::write(&runner, RUNNER).map_err(|e| format!("cannot write {}: {e}", runner.display()))?;
    let mut child = Command::new(python)
        .arg(&runner)
        .arg(main_py)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", python.display()))?;
    // Both pipes are served from threads: a large input or output must not
    // deadlock against the child while we watch the clock.
    let input = serde_json::to_vec(cases).expect("strings serialise");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        stdout.read_to_end(&mut text).map(|_| text)
    });
    let deadline = std::time::Instant::now() + TIMEOUT;
    while child.try_wait().map_err(|e| e.to_string())?.is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("timed out after {TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = writer.join();
    let stdout = reader.join().map_err(|_| "output reader panicked")?.map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&runner);
    let line = String::from_utf8_lossy(&stdout);
    let reply: serde_json::Value = serde_json::from_str(line.trim()).map_err(|e| format!("runner said {line:?}: {e}"))?;
    match (reply.get("outputs"), reply.get("error")) {
        (Some(outputs), _) => serde_json::from_value(outputs.clone()).map_err(|e| format!("outputs are not strings: {e}")),
        (None, Some(error)) => Err(error.as_str().unwrap_or("unknown error").to_owned()),
        _ => Err(format!("unexpected runner reply {line:?}")),
    }
}

/// Compares a program's output with the expected one under a checker:
/// `tokens` (whitespace-separated tokens equal) or `float:<tol>` (numbers
/// within `tol`, absolute or relative; other tokens equal).
pub fn check(checker: &str, actual: &str, expected: &str) -> bool {
    let (a, e): (Vec<&str>, Vec<&str>) = (actual.split_whitespace().collect(), expected.split_whitespace().collect());
    if a.len() != e.len() {
        return false;
    }
    let tolerance = checker.strip_prefix("float:").and_then(|t| t.parse::<f64>().ok());
    a.iter().zip(&e).all(|(x, y)| match (tolerance, x.parse::<f64>(), y.parse::<f64>()) {
        (Some(tol), Ok(x), Ok(y)) => (x - y).abs() <= tol * y.abs().max(1.0),
        _ => x == y,
    })
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn checkers_compare_tokens_or_numbers_within_a_tolerance() {
        assert!(check("tokens", "3\n 4\n", "3 4"));
        assert!(!check("tokens", "3 4", "3 5"));
        assert!(!check("tokens", "3", "3 4"));
        assert!(check("float:1e-3", "0.3334 x", "0.333333 x"));
        assert!(!check("float:1e-6", "0.3334", "0.333333"));
        assert!(!check("tokens", "0.3334", "0.333333"));
    }
}
