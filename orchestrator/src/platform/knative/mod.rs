//! The `knative` platform (feature `knative`): functions as Knative Serving
//! services on a Kubernetes cluster, through `kube`.
//!
//! Deploy: (build and push the image, feature `docker`), attach the
//! image-pull secret to the service account, server-side apply the
//! [`service`] object, wait until it is `Ready` and keep its URL. Invoke:
//! [`invoker`], an HTTP POST to the Lambda emulator path of that URL.
//! Utilisation: [`metrics`], from the metrics API, refreshed by the health
//! loop so the router reads a cached value.

pub mod invoker;
pub mod metrics;
pub mod service;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use self::invoker::Invoker;
use crate::function::FunctionSpec;
use crate::platform::image_source::ImageSource;
use crate::platform::{DeployError, InvokeOutcome, Platform, PlatformError, StartError, Utilisation};

/// Settings of a `kind = "knative"` worker.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KnativeConfig {
    /// The function's image; `{function}` is replaced by its name.
    pub image: String,
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// A kubeconfig file; else the standard inference (`KUBECONFIG`,
    /// `~/.kube/config`, in-cluster service account).
    #[serde(default)]
    pub kubeconfig: Option<PathBuf>,
    #[serde(default)]
    pub context: Option<String>,
    /// The account the function pods run as; the namespace's `default` if unset.
    #[serde(default)]
    pub service_account: Option<String>,
    /// An existing `kubernetes.io/dockerconfigjson` secret attached to the
    /// service account so pods can pull from a private registry.
    #[serde(default)]
    pub image_pull_secret: Option<String>,
    /// CPU limit per pod, as Kubernetes writes it (`"50m"`); none by default.
    #[serde(default)]
    pub cpu: Option<String>,
    /// Memory limit per pod (`"128Mi"`); the function's `memory_mb` by default.
    #[serde(default)]
    pub memory: Option<String>,
    /// 404 retries, a second apart, before a call fails over.
    #[serde(default = "default_not_found_retries")]
    pub not_found_retries: u32,
    #[serde(default = "default_ready_timeout_s")]
    pub ready_timeout_s: u64,
    /// Build and push the image on deploy (feature `docker`).
    #[serde(default)]
    pub build: Option<crate::platform::image_source::BuildConfig>,
}

fn default_namespace() -> String {
    "default".into()
}

fn default_not_found_retries() -> u32 {
    5
}

fn default_ready_timeout_s() -> u64 {
    300
}

pub struct KnativePlatform {
    name: String,
    config: KnativeConfig,
    cluster: OnceCell<kube::Client>,
    invoker: Invoker,
    utilisation: [AtomicU64; 2],
    image: ImageSource,
}

/// By hand: `kube::Client` has no `Debug`.
impl std::fmt::Debug for KnativePlatform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnativePlatform").field("name", &self.name).field("config", &self.config).finish_non_exhaustive()
    }
}

impl KnativePlatform {
    pub fn new(name: &str, config: KnativeConfig) -> Result<KnativePlatform, StartError> {
        let invoker =
            Invoker::new(name, config.not_found_retries).map_err(|e| StartError { worker: name.to_owned(), detail: e.to_string() })?;
        let image = ImageSource::new(name, &config.image, config.build.as_ref())?;
        Ok(KnativePlatform { name: name.to_owned(), config, cluster: OnceCell::new(), invoker, utilisation: Default::default(), image })
    }

    /// The cluster client, made on first use (reading a kubeconfig is async).
    async fn cluster(&self) -> Result<kube::Client, String> {
        let client = self
            .cluster
            .get_or_try_init(|| async {
                let config = match &self.config.kubeconfig {
                    Some(path) => {
                        let file = Kubeconfig::read_from(path).map_err(|e| format!("kubeconfig {}: {e}", path.display()))?;
                        let options = KubeConfigOptions { context: self.config.context.clone(), ..Default::default() };
                        kube::Config::from_custom_kubeconfig(file, &options).await.map_err(|e| e.to_string())?
                    }
                    None => kube::Config::infer().await.map_err(|e| e.to_string())?,
                };
                kube::Client::try_from(config).map_err(|e| e.to_string())
            })
            .await?;
        Ok(client.clone())
    }

    fn services(&self, client: kube::Client) -> Api<DynamicObject> {
        Api::namespaced_with(client, &self.config.namespace, &service::resource())
    }

    async fn attach_pull_secret(&self, client: &kube::Client, secret: &str) -> Result<(), String> {
        let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), &self.config.namespace);
        let name = self.config.service_account.as_deref().unwrap_or("default");
        let account = accounts.get(name).await.map_err(|e| format!("service account {name}: {e}"))?;
        let current = serde_json::to_value(&account).map_err(|e| e.to_string())?;
        if let Some(patch) = service::with_pull_secret(&current, secret) {
            accounts
                .patch(name, &PatchParams::default(), &Patch::Merge(patch))
                .await
                .map_err(|e| format!("service account {name}: {e}"))?;
        }
        Ok(())
    }

    async fn wait_ready(&self, services: &Api<DynamicObject>, function: &str) -> Result<String, String> {
        let started = Instant::now();
        loop {
            let current = services.get(function).await.map_err(|e| format!("reading service {function}: {e}"))?;
            if let Some(url) = service::ready_url(&current)? {
                return Ok(url);
            }
            if started.elapsed() > Duration::from_secs(self.config.ready_timeout_s) {
                return Err(format!("service {function} was not Ready after {} s", self.config.ready_timeout_s));
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

#[async_trait]
impl Platform for KnativePlatform {
    async fn deploy(&self, spec: &FunctionSpec) -> Result<(), DeployError> {
        let failed = |detail: String| DeployError::Platform { worker: self.name.clone(), detail };
        let image = self.image.prepare(spec).await?;
        let client = self.cluster().await.map_err(failed)?;
        if let Some(secret) = &self.config.image_pull_secret {
            self.attach_pull_secret(&client, secret).await.map_err(failed)?;
        }
        let services = self.services(client);
        let object = service::service_object(spec, &self.config, &image);
        services
            .patch(&spec.name, &PatchParams::apply("hetfaas").force(), &Patch::Apply(&object))
            .await
            .map_err(|e| failed(format!("applying service {}: {e}", spec.name)))?;
        let url = self.wait_ready(&services, &spec.name).await.map_err(failed)?;
        self.invoker.register(&spec.name, url, spec.timeout_s);
        Ok(())
    }

    async fn invoke(&self, function: &str, event: Bytes) -> Result<InvokeOutcome, PlatformError> {
        self.invoker.invoke(function, event).await
    }

    fn utilisation(&self) -> Utilisation {
        Utilisation {
            cpu: f64::from_bits(self.utilisation[0].load(Ordering::Relaxed)),
            memory: f64::from_bits(self.utilisation[1].load(Ordering::Relaxed)),
        }
    }

    /// Whether the API server answers; refreshes the cached utilisation.
    async fn health(&self) -> bool {
        let Ok(client) = self.cluster().await else {
            return false;
        };
        if client.apiserver_version().await.is_err() {
            return false;
        }
        if let Some(now) = metrics::cluster_utilisation(&client).await {
            self.utilisation[0].store(now.cpu.to_bits(), Ordering::Relaxed);
            self.utilisation[1].store(now.memory.to_bits(), Ordering::Relaxed);
        }
        true
    }

    async fn remove(&self, function: &str) -> Result<(), PlatformError> {
        self.invoker.forget(function);
        let failed = |detail: String| PlatformError::Failed { worker: self.name.clone(), detail };
        let services = self.services(self.cluster().await.map_err(failed)?);
        match services.delete(function, &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.is_not_found() => Ok(()),
            Err(e) => Err(failed(format!("deleting service {function}: {e}"))),
        }
    }

    async fn shutdown(&self) {}

    /// Only the image builder needs any (AWS, for pushes to ECR).
    fn use_credentials(&self, scope: &str, values: &std::collections::BTreeMap<String, String>) {
        self.image.use_credentials(scope, values);
    }

    fn details(&self) -> serde_json::Value {
        serde_json::json!({ "namespace": self.config.namespace, "cpu": self.config.cpu, "memory": self.config.memory })
    }
}
