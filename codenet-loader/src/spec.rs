//! Input specs: how to draw one random valid test case of a problem.
//!
//! One TOML file per problem, named after its CodeNet id
//! (`specs/p00002.toml`), so the same spec serves this project's sample and
//! a full CodeNet download. A case is a sequence of lines:
//!
//! ```toml
//! problem = "p00022"
//! checker = "tokens"            # or "float:1e-5" for answers compared with a tolerance
//!
//! [[line]]                      # one line holding one integer, remembered as n
//! tokens = [{ int = [1, 300], name = "n" }]
//!
//! [[line]]                      # n lines, each one integer
//! repeat = "n"                  # a count, a variable, or a range [lo, hi]
//! tokens = [{ int = [-100000, 100000] }]
//!
//! [[line]]
//! fixed = "0"                   # a literal line
//! ```
//!
//! Token kinds: `{ int = [lo, hi] }` (bounds may name earlier variables),
//! `{ int = [lo, hi], list = "n" }` (n integers), `{ float = [lo, hi],
//! digits = 2 }`, `{ string = "alphabet", len = [lo, hi] }`, `{ text = "…" }`.
//! An integer token with `name` defines a variable for later tokens and
//! lines. Tokens are joined by `separator` (a space unless given).

use std::collections::HashMap;

use rand::Rng;
use rand::rngs::StdRng;
use serde::Deserialize;

/// The largest case a spec may generate: events are lists of cases and
/// must stay under Lambda's 6 MB payload limit.
pub const MAX_CASE_BYTES: usize = 1 << 20;
/// Most decimals a float token may ask for.
const MAX_DIGITS: usize = 17;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    pub problem: String,
    #[serde(default = "default_checker")]
    pub checker: String,
    #[serde(rename = "line")]
    pub lines: Vec<Line>,
}

fn default_checker() -> String {
    "tokens".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    #[serde(default)]
    pub repeat: Option<Count>,
    #[serde(default)]
    pub fixed: Option<String>,
    #[serde(default)]
    pub tokens: Vec<Token>,
    #[serde(default = "default_separator")]
    pub separator: String,
}

fn default_separator() -> String {
    " ".into()
}

/// A number, a variable's value, or a range to draw from.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Count {
    Fixed(i64),
    Var(String),
    Range([Bound; 2]),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Bound {
    Int(i64),
    Var(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    #[serde(default)]
    pub int: Option<[Bound; 2]>,
    #[serde(default)]
    pub list: Option<Count>,
    #[serde(default)]
    pub float: Option<[f64; 2]>,
    #[serde(default)]
    pub digits: Option<usize>,
    #[serde(default)]
    pub string: Option<String>,
    #[serde(default)]
    pub len: Option<Count>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("invalid input spec: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("input spec for {problem}: {message}")]
    Invalid { problem: String, message: String },
}

impl InputSpec {
    pub fn parse(text: &str) -> Result<InputSpec, SpecError> {
        let spec: InputSpec = toml::from_str(text)?;
        spec.validate()?;
        Ok(spec)
    }

    /// Checks what serde cannot: one kind per token, variables defined
    /// before use, a known checker.
    fn validate(&self) -> Result<(), SpecError> {
        let fail = |message: String| Err(SpecError::Invalid { problem: self.problem.clone(), message });
        if self.checker != "tokens" && self.checker.strip_prefix("float:").and_then(|t| t.parse::<f64>().ok()).is_none() {
            return fail(format!("checker {:?} is neither \"tokens\" nor \"float:<tolerance>\"", self.checker));
        }
        let mut defined: Vec<&str> = Vec::new();
        for (i, line) in self.lines.iter().enumerate() {
            let uses = line.repeat.iter().filter_map(Count::var);
            if let Some(var) = uses.clone().find(|v| !defined.contains(v)) {
                return fail(format!("line {} repeats by {var:?} before it is defined", i + 1));
            }
            if line.fixed.is_some() != line.tokens.is_empty() {
                return fail(format!("line {} needs either `fixed` or `tokens`", i + 1));
            }
            for token in &line.tokens {
                let kinds = [token.int.is_some(), token.float.is_some(), token.string.is_some(), token.text.is_some()];
                if kinds.iter().filter(|k| **k).count() != 1 {
                    return fail(format!("line {}: a token needs exactly one of int, float, string, text", i + 1));
                }
                if token.string.as_deref() == Some("") {
                    return fail(format!("line {}: a string token needs a non-empty alphabet", i + 1));
                }
                if token.float.is_some_and(|b| !b.iter().all(|v| v.is_finite())) || token.digits.is_some_and(|d| d > MAX_DIGITS) {
                    return fail(format!("line {}: a float token needs finite bounds and at most {MAX_DIGITS} digits", i + 1));
                }
                let vars =
                    token.int.iter().flatten().filter_map(Bound::var).chain(token.list.iter().chain(&token.len).filter_map(Count::var));
                if let Some(var) = vars.clone().find(|v| !defined.contains(v)) {
                    return fail(format!("line {}: {var:?} is used before it is defined", i + 1));
                }
                defined.extend(token.name.as_deref());
            }
        }
        Ok(())
    }

    /// Draws one test case: the text of a standard input. A case that would
    /// outgrow [`MAX_CASE_BYTES`] (a count drawn too large) is refused.
    pub fn generate(&self, rng: &mut StdRng) -> Result<String, SpecError> {
        let mut vars: HashMap<String, i64> = HashMap::new();
        let mut out = String::new();
        for line in &self.lines {
            let times = line.repeat.as_ref().map_or(1, |c| c.draw(&vars, rng).max(0));
            for _ in 0..times {
                match &line.fixed {
                    Some(text) => out.push_str(text),
                    None => {
                        let tokens: Vec<String> =
                            line.tokens.iter().map(|t| t.draw(&mut vars, rng)).collect::<Result<_, _>>().map_err(|()| self.too_large())?;
                        out.push_str(&tokens.join(&line.separator));
                    }
                }
                out.push('\n');
                if out.len() > MAX_CASE_BYTES {
                    return Err(self.too_large());
                }
            }
        }
        Ok(out)
    }

    fn too_large(&self) -> SpecError {
        SpecError::Invalid { problem: self.problem.clone(), message: format!("a case would exceed {MAX_CASE_BYTES} bytes") }
    }
}

impl Count {
    fn var(&self) -> Option<&str> {
        match self {
            Count::Var(v) => Some(v),
            Count::Range([a, b]) => a.var().or(b.var()),
            Count::Fixed(_) => None,
        }
    }

    fn draw(&self, vars: &HashMap<String, i64>, rng: &mut StdRng) -> i64 {
        match self {
            Count::Fixed(n) => *n,
            Count::Var(v) => vars[v],
            Count::Range([lo, hi]) => draw_int(lo.value(vars), hi.value(vars), rng),
        }
    }
}

impl Bound {
    fn var(&self) -> Option<&str> {
        match self {
            Bound::Var(v) => Some(v),
            Bound::Int(_) => None,
        }
    }

    fn value(&self, vars: &HashMap<String, i64>) -> i64 {
        match self {
            Bound::Int(n) => *n,
            Bound::Var(v) => vars[v],
        }
    }
}

fn draw_int(lo: i64, hi: i64, rng: &mut StdRng) -> i64 {
    if hi <= lo { lo } else { rng.gen_range(lo..=hi) }
}

/// A count drawn for a list or a string, at most (one byte per item at
/// least, so more could never fit in a case).
fn bounded(n: i64) -> Result<usize, ()> {
    let n = n.max(0) as usize;
    if n > MAX_CASE_BYTES { Err(()) } else { Ok(n) }
}

impl Token {
    fn draw(&self, vars: &mut HashMap<String, i64>, rng: &mut StdRng) -> Result<String, ()> {
        if let Some(text) = &self.text {
            return Ok(text.clone());
        }
        if let Some([lo, hi]) = &self.float {
            let value = if hi > lo { rng.gen_range(*lo..=*hi) } else { *lo };
            return Ok(format!("{value:.*}", self.digits.unwrap_or(3)));
        }
        if let Some(alphabet) = &self.string {
            let letters: Vec<char> = alphabet.chars().collect();
            let len = bounded(self.len.as_ref().map_or(1, |c| c.draw(vars, rng)))?;
            return Ok((0..len).map(|_| letters[rng.gen_range(0..letters.len())]).collect());
        }
        let [lo, hi] = self.int.as_ref().expect("validated: one kind per token");
        let (lo, hi) = (lo.value(vars), hi.value(vars));
        if let Some(count) = &self.list {
            let n = bounded(count.draw(vars, rng))?;
            return Ok((0..n).map(|_| draw_int(lo, hi, rng).to_string()).collect::<Vec<_>>().join(" "));
        }
        let value = draw_int(lo, hi, rng);
        if let Some(name) = &self.name {
            vars.insert(name.clone(), value);
        }
        Ok(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    const DATASETS: &str = r#"
        problem = "p00022"
        [[line]]
        tokens = [{ int = [1, 5], name = "n" }]
        [[line]]
        repeat = "n"
        tokens = [{ int = [-9, 9] }, { string = "ab", len = [2, 2] }, { float = [0.0, 1.0], digits = 2 }]
        [[line]]
        tokens = [{ int = [0, 9], list = "n" }]
        [[line]]
        fixed = "0"
    "#;

    #[test]
    fn a_case_follows_the_spec_and_repeats_for_a_seed() {
        let spec = InputSpec::parse(DATASETS).unwrap();
        let case = spec.generate(&mut StdRng::seed_from_u64(3)).unwrap();
        let lines: Vec<&str> = case.lines().collect();
        let n: usize = lines[0].parse().unwrap();
        assert!((1..=5).contains(&n));
        assert_eq!(lines.len(), 1 + n + 1 + 1);
        for line in &lines[1..=n] {
            let parts: Vec<&str> = line.split(' ').collect();
            assert!((-9..=9).contains(&parts[0].parse::<i64>().unwrap()));
            assert!(parts[1].len() == 2 && parts[1].chars().all(|c| "ab".contains(c)));
            assert_eq!(parts[2].len(), 4, "two decimals: {}", parts[2]);
        }
        assert_eq!(lines[n + 1].split(' ').count(), n);
        assert_eq!(lines[n + 2], "0");
        assert_eq!(case, spec.generate(&mut StdRng::seed_from_u64(3)).unwrap());
    }

    #[test]
    fn mistakes_in_a_spec_are_named() {
        let undefined = "problem = \"p\"\n[[line]]\nrepeat = \"n\"\ntokens = [{ int = [1, 2] }]\n";
        assert!(InputSpec::parse(undefined).unwrap_err().to_string().contains("\"n\""));
        let two_kinds = "problem = \"p\"\n[[line]]\ntokens = [{ int = [1, 2], text = \"x\" }]\n";
        assert!(InputSpec::parse(two_kinds).unwrap_err().to_string().contains("exactly one"));
        let checker = "problem = \"p\"\nchecker = \"fuzzy\"\n[[line]]\nfixed = \"1\"\n";
        assert!(InputSpec::parse(checker).unwrap_err().to_string().contains("fuzzy"));
        assert!(InputSpec::parse("problem = \"p\"\n[[line]]\nfixd = \"1\"\n").is_err());
        let empty = "problem = \"p\"\n[[line]]\ntokens = [{ string = \"\" }]\n";
        assert!(InputSpec::parse(empty).unwrap_err().to_string().contains("alphabet"));
        let infinite = "problem = \"p\"\n[[line]]\ntokens = [{ float = [0.0, inf] }]\n";
        assert!(InputSpec::parse(infinite).unwrap_err().to_string().contains("finite"));
    }

    #[test]
    fn a_case_too_large_to_send_is_refused_not_built() {
        let huge = "problem = \"p\"\n[[line]]\nrepeat = 1000000000000\nfixed = \"1\"\n";
        let error = InputSpec::parse(huge).unwrap().generate(&mut StdRng::seed_from_u64(1)).unwrap_err();
        assert!(error.to_string().contains("exceed"), "{error}");
        let list = "problem = \"p\"\n[[line]]\ntokens = [{ int = [1, 2], list = 1000000000000 }]\n";
        assert!(InputSpec::parse(list).unwrap().generate(&mut StdRng::seed_from_u64(1)).is_err());
    }
}
