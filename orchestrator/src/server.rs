//! Serving a router on a socket with an orderly stop, for both the
//! orchestrator (`hetfaas serve`) and a worker node (`hetfaas node`).

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::affinity::CpuSet;
use crate::api::{self, AppState};
use crate::config::Config;
use crate::resource_manager::{Orchestrator, StartupError};

/// A router being served. Stopping it lets in-flight requests finish.
#[derive(Debug)]
pub struct Listening {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Listening {
    pub async fn bind(addr: SocketAddr, router: Router) -> std::io::Result<Listening> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Listening { addr, stop, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, and returns when every in-flight request is answered.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(Err(e)) => tracing::error!("server error: {e}"),
            Err(e) => tracing::error!("server task failed: {e}"),
            Ok(Ok(())) => {}
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Unprotected(#[from] Unprotected),
}

/// Listening beyond loopback with nothing guarding the routes that change
/// state (deploy code, delete, store credentials): refused, the way Redis's
/// protected mode refuses outside clients when no password is set.
#[derive(Debug, thiserror::Error)]
#[error(
    "refusing to listen on {addr} without {token}: anyone who can reach it could run code here. \
     Set {token} (or listen on 127.0.0.1), or pass --insecure to accept that"
)]
pub struct Unprotected {
    pub addr: SocketAddr,
    /// What would protect it, as an operator sets it.
    pub token: &'static str,
}

/// Checks that an address beyond loopback has a token guarding its admin
/// routes; `insecure` lets it through, with a warning on every start.
pub fn protect(addr: SocketAddr, has_token: bool, insecure: bool, token: &'static str) -> Result<(), Unprotected> {
    if addr.ip().is_loopback() || has_token {
        return Ok(());
    }
    if insecure {
        tracing::warn!(%addr, "INSECURE: listening beyond loopback with no {token}: anyone who can reach {addr} can deploy and run code");
        return Ok(());
    }
    Err(Unprotected { addr, token })
}

/// The orchestrator behind its HTTP API.
#[derive(Debug)]
pub struct Server {
    pub orchestrator: Orchestrator,
    listening: Listening,
}

impl Server {
    pub async fn start(config: &Config) -> Result<Server, ServeError> {
        let admin_token = config.effective_admin_token();
        protect(config.listen, admin_token.is_some(), config.insecure, "an admin token (admin_token or HETFAAS_ADMIN_TOKEN)")?;
        let orchestrator = Orchestrator::start(config).await?;
        confine(&config.cpus);
        let state = AppState {
            orchestrator: orchestrator.clone(),
            admin_token: admin_token.map(Into::into),
            invoke_token: config.invoke_token.clone().map(Into::into),
        };
        let listening =
            Listening::bind(config.listen, api::router(state)).await.map_err(|source| ServeError::Bind { addr: config.listen, source })?;
        tracing::info!(addr = %listening.addr(), workers = orchestrator.workers().len(), "hetfaas listening");
        Ok(Server { orchestrator, listening })
    }

    pub fn addr(&self) -> SocketAddr {
        self.listening.addr()
    }

    /// Resolves when a task the server cannot do without has died.
    pub async fn failure(&self) -> String {
        self.orchestrator.failure().await
    }

    /// Answers in-flight requests, writes queued execution rows, stops the
    /// workers' instances. Nothing recorded is lost.
    pub async fn shutdown(self) {
        self.listening.stop().await;
        self.orchestrator.shutdown().await;
    }
}

/// Confines the server's threads to `cpus` (`cpus` in its config), after
/// its workers started. CPUs it may not use leave it on any, loudly, as
/// they leave a worker.
fn confine(cpus: &[usize]) {
    let set = match CpuSet::of(cpus) {
        Ok(Some(set)) => set,
        Ok(None) => return,
        Err(why) => return tracing::warn!("{why}: the server runs on any CPU"),
    };
    match set.confine_process() {
        Ok(()) => tracing::info!(?cpus, "the server's own threads are confined to these CPUs"),
        Err(e) => tracing::warn!(?cpus, "cpus: confining the server's threads failed ({e}): some may run on any CPU"),
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn termination() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
