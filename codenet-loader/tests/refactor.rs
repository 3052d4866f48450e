//! The automatic refactor works for every way real submissions read their
//! input and stop: each program here runs through its generated handler in
//! `python3`, on two cases at once.

use codenet_loader::handler::render;
use codenet_loader::runner::run_handler;

fn run(source: &str, cases: &[&str]) -> Result<Vec<String>, String> {
    let dir = tempfile::tempdir().unwrap();
    let main_py = dir.path().join("main.py");
    std::fs::write(&main_py, render("p00000", "s1", source)).unwrap();
    let cases: Vec<String> = cases.iter().map(|c| c.to_string()).collect();
    run_handler("python3".as_ref(), &main_py, &cases)
}

/// Sums the integers of each case, whichever way the program reads them.
fn sums(source: &str) {
    let outputs = run(source, &["1 2\n3\n", "10\n20 30\n"]).unwrap_or_else(|e| panic!("{source}\n{e}"));
    assert_eq!(outputs.iter().map(|o| o.trim()).collect::<Vec<_>>(), ["6", "60"], "{source}");
}

#[test]
fn input() {
    sums("t = 0\nwhile True:\n    try:\n        t += sum(map(int, input().split()))\n    except EOFError:\n        break\nprint(t)\n");
}

#[test]
fn sys_stdin_readline() {
    sums(
        "import sys\nt = 0\nline = sys.stdin.readline()\nwhile line:\n    t += sum(map(int, line.split()))\n    line = sys.stdin.readline()\nprint(t)\n",
    );
}

#[test]
fn readline_bound_to_input() {
    sums("import sys\ninput = sys.stdin.readline\nprint(sum(map(int, input().split())) + sum(map(int, input().split())))\n");
}

#[test]
fn sys_stdin_read() {
    sums("import sys\nprint(sum(map(int, sys.stdin.read().split())))\n");
}

#[test]
fn sys_stdin_buffer() {
    sums("import sys\nprint(sum(map(int, sys.stdin.buffer.read().split())))\n");
    sums("import sys\nr = sys.stdin.buffer.readline\nprint(sum(map(int, r().split())) + sum(map(int, r().split())))\n");
}

#[test]
fn for_line_in_sys_stdin() {
    sums("import sys\nt = 0\nfor line in sys.stdin:\n    t += sum(map(int, line.split()))\nprint(t)\n");
    sums("from sys import stdin\nprint(sum(int(x) for line in stdin for x in line.split()))\n");
}

#[test]
fn open_zero() {
    sums("print(sum(map(int, open(0).read().split())))\n");
    sums("t = 0\nfor line in open(0):\n    t += sum(map(int, line.split()))\nprint(t)\n");
    sums("with open(0) as f:\n    data = f.read()\nprint(sum(map(int, data.split())))\n");
    sums("print(sum(map(int, open(0, 'rb').read().split())))\n");
}

#[test]
fn main_guard() {
    sums("import sys\n\ndef main():\n    print(sum(map(int, sys.stdin.read().split())))\n\nif __name__ == '__main__':\n    main()\n");
}

#[test]
fn exit_quit_and_sys_exit_end_the_case_not_the_handler() {
    for stop in ["exit()", "quit()", "sys.exit()", "sys.exit(0)", "exit(print(t))"] {
        let print = if stop.contains("print") { "" } else { "print(t)\n" };
        let source = format!("import sys\nt = sum(map(int, sys.stdin.read().split()))\n{print}{stop}\nprint('never')\n");
        sums(&source);
    }
}

#[test]
fn a_failing_case_names_itself_and_the_handler_survives_it() {
    let source = "print(10 // int(input()))\n";
    let error = run(source, &["5\n", "0\n", "2\n"]).unwrap_err();
    assert!(error.contains("case 1 of 3") && error.contains("ZeroDivisionError"), "{error}");
    let exited = run("import sys\nsys.exit(3)\n", &["\n"]).unwrap_err();
    assert!(exited.contains("case 0 of 1") && exited.contains("status 3"), "{exited}");
    // The same process then runs the next event: the handler is reusable.
    assert_eq!(run(source, &["5\n", "2\n"]).unwrap(), ["2\n", "5\n"]);
}

#[test]
fn sources_with_quotes_backslashes_and_unicode_survive_the_refactor() {
    let source = "s = input()\nprint(s[::-1], \"\\\\\", '\u{e9}\u{1F600}', \"\"\"x\"\"\")\n";
    assert_eq!(run(source, &["abc\n"]).unwrap(), ["cba \\ \u{e9}\u{1F600} x\n"]);
}
