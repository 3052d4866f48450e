//! Where an image-based worker (`lambda`, `knative`) gets a function's
//! image: the configured URI template with `{function}` replaced, built and
//! pushed first when the worker has a `build` table (feature `docker`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::function::FunctionSpec;
use crate::platform::{DeployError, StartError};

/// The `build` table of a `lambda` or `knative` worker.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BuildConfig {
    /// The Lambda Python base image (multi-architecture).
    #[serde(default = "default_base_image")]
    pub base_image: String,
    /// Target platform; must match the Lambda worker's `architecture`.
    #[serde(default = "default_platform")]
    pub platform: String,
    /// Push after building; off only to test builds on a bare Docker engine.
    #[serde(default = "default_push")]
    pub push: bool,
    /// Region of an ECR registry, when it cannot be read from the host name.
    #[serde(default)]
    pub ecr_region: Option<String>,
    /// Any ECR-API endpoint instead of AWS's (moto, LocalStack).
    #[serde(default)]
    pub ecr_endpoint_url: Option<String>,
    /// The Docker engine to build with (`unix:///run/docker.sock`,
    /// `tcp://host:2375`); by default `DOCKER_HOST`, else the local socket.
    #[serde(default)]
    pub docker_host: Option<String>,
}

fn default_base_image() -> String {
    "public.ecr.aws/lambda/python:3.12".into()
}

fn default_platform() -> String {
    "linux/arm64".into()
}

fn default_push() -> bool {
    true
}

#[derive(Debug)]
pub struct ImageSource {
    template: String,
    #[cfg(feature = "docker")]
    builder: Option<crate::platform::image::ImageBuilder>,
}

impl ImageSource {
    /// A `build` table needs the `docker` feature; without it, a clear
    /// error at start rather than a deploy that silently skips the build.
    pub fn new(worker: &str, template: &str, build: Option<&BuildConfig>) -> Result<ImageSource, StartError> {
        #[cfg(feature = "docker")]
        let builder = build.map(|b| crate::platform::image::ImageBuilder::new(worker, b.clone())).transpose()?;
        #[cfg(not(feature = "docker"))]
        if build.is_some() {
            let detail = "`build` needs hetfaas built with the `docker` feature (cargo build --features docker)".into();
            return Err(StartError { worker: worker.to_owned(), detail });
        }
        Ok(ImageSource {
            template: template.to_owned(),
            #[cfg(feature = "docker")]
            builder,
        })
    }

    /// The function's image URI, built and pushed first if configured.
    pub async fn prepare(&self, spec: &FunctionSpec) -> Result<String, DeployError> {
        let image = self.template.replace("{function}", &spec.name);
        #[cfg(feature = "docker")]
        if let Some(builder) = &self.builder {
            builder.publish(spec, &image).await?;
        }
        Ok(image)
    }

    /// Hands stored credentials to the builder (ECR pushes need AWS ones).
    pub fn use_credentials(&self, _scope: &str, _values: &BTreeMap<String, String>) {
        #[cfg(feature = "docker")]
        if let Some(builder) = &self.builder {
            builder.use_credentials(_scope, _values);
        }
    }
}
