//! Invoking Knative services: each function's URL, formed once at deploy,
//! and an HTTP POST to it. A 404 means the revision is not routable yet
//! (scaling or starting, dissertation 4.2.6), so it is retried after a
//! second, a bounded number of times, before the function counts as not
//! deployed here and the router moves on.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use bytes::Bytes;

use crate::platform::http_invoke::{self, Target};
use crate::platform::{InvokeOutcome, PlatformError};

const NOT_FOUND_WAIT: Duration = Duration::from_secs(1);
/// Beyond the function's own timeout, how long a service may take to answer
/// (a cold pod pulls and starts within this).
const SLACK: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub struct Invoker {
    worker: String,
    client: reqwest::Client,
    not_found_retries: u32,
    /// Function → (invocation URL, request timeout).
    routes: RwLock<HashMap<String, (String, Duration)>>,
}

impl Invoker {
    pub fn new(worker: &str, not_found_retries: u32) -> Result<Invoker, reqwest::Error> {
        let client = reqwest::Client::builder().connect_timeout(Duration::from_secs(5)).build()?;
        Ok(Invoker { worker: worker.to_owned(), client, not_found_retries, routes: RwLock::default() })
    }

    /// Remembers where `function` answers; its timeout bounds each call.
    pub fn register(&self, function: &str, url: String, timeout_s: u32) {
        let timeout = Duration::from_secs(u64::from(timeout_s)) + SLACK;
        self.routes.write().expect("routes lock poisoned").insert(function.to_owned(), (url, timeout));
    }

    pub fn forget(&self, function: &str) {
        self.routes.write().expect("routes lock poisoned").remove(function);
    }

    pub async fn invoke(&self, function: &str, event: Bytes) -> Result<InvokeOutcome, PlatformError> {
        let route = self.routes.read().expect("routes lock poisoned").get(function).cloned();
        let (url, timeout) =
            route.ok_or_else(|| PlatformError::NotDeployed { worker: self.worker.clone(), function: function.to_owned() })?;
        let target = Target { worker: &self.worker, function };
        let mut retries = self.not_found_retries;
        loop {
            match http_invoke::post(&self.client, &url, event.clone(), timeout, target).await {
                Err(PlatformError::NotDeployed { .. }) if retries > 0 => {
                    retries -= 1;
                    tracing::debug!(worker = %self.worker, function, "404 from the service; retrying in 1 s");
                    tokio::time::sleep(NOT_FOUND_WAIT).await;
                }
                other => return other,
            }
        }
    }
}
