//! The automatic refactor: a submission's source becomes a Lambda handler
//! (see `handler_template.py` for how it runs the unchanged program once
//! per test case).

const TEMPLATE: &str = include_str!("handler_template.py");

/// The `main.py` of a handler running `source` (submission `submission` of
/// `problem`).
pub fn render(problem: &str, submission: &str, source: &str) -> String {
    // A JSON string is a valid Python string literal: the same escapes, and
    // raw UTF-8 beyond them.
    let literal = serde_json::to_string(source).expect("strings serialise");
    TEMPLATE.replace("@@SOURCE@@", &literal).replace("@@SUBMISSION@@", submission).replace("@@PROBLEM@@", problem)
}
