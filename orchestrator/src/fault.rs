//! When a background task fails: the message a panic carried, and the
//! test hook that makes one fail on purpose.
//!
//! `HETFAAS_FAILPOINT=learner` (or `recorder`) makes that task panic at its
//! first batch of rows, so tests can show that a dead task is reported in
//! `/healthz` and stops the server with an error rather than leaving it
//! serving without learning or without recording; `training` makes every
//! training run panic, to show the function fails with the reason rather
//! than stay `training`. Nothing sets it but a test.

/// The text a panic carried (`panic!("...")` or an `expect` message).
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

/// Whether the test hook asks `task` to fail.
pub fn failpoint(task: &str) -> bool {
    std::env::var("HETFAAS_FAILPOINT").is_ok_and(|v| v == task)
}

/// Runs `task` in the background so that its death is seen: if it panics,
/// the returned receiver holds the panic's message from then on.
pub fn supervised(
    name: &'static str,
    task: impl std::future::Future<Output = ()> + Send + 'static,
) -> (tokio::task::JoinHandle<()>, tokio::sync::watch::Receiver<Option<String>>) {
    use futures_util::FutureExt;
    let (died, death) = tokio::sync::watch::channel(None);
    let handle = tokio::spawn(async move {
        if let Err(panic) = std::panic::AssertUnwindSafe(task).catch_unwind().await {
            let message = format!("the {name} died: {}", panic_message(panic.as_ref()));
            tracing::error!("{message}");
            let _ = died.send(Some(message));
        }
    });
    (handle, death)
}
