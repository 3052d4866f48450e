//! Function images (feature `docker`): a Lambda container image per
//! function, built with `bollard` from a generated context and pushed to a
//! registry (dissertation 4.1 and 4.2.3). The `lambda` and `knative`
//! platforms use it when their `build` table is set.
//!
//! The context is three files: `main.py` (the function's code),
//! `hetfaas_entry.py` (a wrapper that measures each call and answers in an
//! envelope the orchestrator opens), and a Dockerfile from the AWS Lambda
//! Python base image whose `CMD` names `hetfaas_entry.handler`. Lambda and
//! a Knative service built from the same image then run exactly the same
//! code, and both report CPU time, memory and cold starts.

pub mod ecr;

use std::collections::BTreeMap;
use std::sync::RwLock;

use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::query_parameters::{BuildImageOptionsBuilder, PushImageOptionsBuilder};
use futures_util::StreamExt;

use crate::function::FunctionSpec;
use crate::platform::aws::SCOPE;
pub use crate::platform::image_source::BuildConfig;
use crate::platform::{DeployError, StartError};

/// Builds and pushes function images through the local Docker engine
/// (`DOCKER_HOST`, else the default socket).
#[derive(Debug)]
pub struct ImageBuilder {
    worker: String,
    config: BuildConfig,
    docker: Docker,
    aws_credentials: RwLock<Option<BTreeMap<String, String>>>,
}

impl ImageBuilder {
    pub fn new(worker: &str, config: BuildConfig) -> Result<ImageBuilder, StartError> {
        let docker = connect(config.docker_host.as_deref())
            .map_err(|e| StartError { worker: worker.to_owned(), detail: format!("Docker engine: {e}") })?;
        Ok(ImageBuilder { worker: worker.to_owned(), config, docker, aws_credentials: RwLock::default() })
    }

    /// Stored AWS credentials, for pushes to ECR.
    pub fn use_credentials(&self, scope: &str, values: &BTreeMap<String, String>) {
        if scope == SCOPE {
            *self.aws_credentials.write().expect("credentials lock poisoned") = Some(values.clone());
        }
    }

    /// Builds `spec` as `image` and pushes it unless `push = false`.
    pub async fn publish(&self, spec: &FunctionSpec, image: &str) -> Result<(), DeployError> {
        let failed = |detail: String| DeployError::Platform { worker: self.worker.clone(), detail };
        let context = build_context(spec, &self.config.base_image).map_err(|e| failed(format!("build context: {e}")))?;
        let options =
            BuildImageOptionsBuilder::default().dockerfile("Dockerfile").t(image).platform(&self.config.platform).rm(true).build();
        let mut build = self.docker.build_image(options, None, Some(bollard::body_full(context.into())));
        while let Some(step) = build.next().await {
            let step = step.map_err(|e| failed(format!("docker build of {image}: {e}")))?;
            if let Some(error) = step.error_detail.and_then(|d| d.message) {
                return Err(failed(format!("docker build of {image}: {error}")));
            }
        }
        if self.config.push {
            self.push(image).await.map_err(failed)?;
        }
        Ok(())
    }

    async fn push(&self, image: &str) -> Result<(), String> {
        let (repository, tag) = split_tag(image);
        let credentials = match ecr::Registry::parse(repository, self.config.ecr_region.as_deref()) {
            Some(registry) => {
                let stored = self.aws_credentials.read().expect("credentials lock poisoned").clone();
                Some(registry.login(stored.as_ref(), self.config.ecr_endpoint_url.as_deref()).await?)
            }
            None => None::<DockerCredentials>,
        };
        let options = PushImageOptionsBuilder::default().tag(tag).build();
        let mut push = self.docker.push_image(repository, Some(options), credentials);
        while let Some(step) = push.next().await {
            let step = step.map_err(|e| format!("docker push of {image}: {e}"))?;
            if let Some(error) = step.error_detail.and_then(|d| d.message) {
                return Err(format!("docker push of {image}: {error}"));
            }
        }
        Ok(())
    }
}

/// The configured engine, or `DOCKER_HOST` / the local socket.
fn connect(host: Option<&str>) -> Result<Docker, bollard::errors::Error> {
    const TIMEOUT_S: u64 = 120;
    match host {
        None => Docker::connect_with_defaults(),
        Some(host) => match host.strip_prefix("unix://") {
            Some(path) => Docker::connect_with_unix(path, TIMEOUT_S, bollard::API_DEFAULT_VERSION),
            None => Docker::connect_with_http(host, TIMEOUT_S, bollard::API_DEFAULT_VERSION),
        },
    }
}

/// `registry/repo:tag` → (`registry/repo`, `tag`); `latest` when untagged.
fn split_tag(image: &str) -> (&str, &str) {
    match image.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => (repository, tag),
        _ => (image, "latest"),
    }
}

/// The wrapper every image runs the function through.
pub const ENTRY: &str = include_str!("hetfaas_entry.py");

/// The Dockerfile of every function image.
pub fn dockerfile(base_image: &str) -> String {
    format!("FROM {base_image}\nCOPY main.py hetfaas_entry.py ${{LAMBDA_TASK_ROOT}}/\nCMD [\"hetfaas_entry.handler\"]\n")
}

/// The build context as a tar archive: `Dockerfile`, `main.py` and the
/// wrapper.
pub fn build_context(spec: &FunctionSpec, base_image: &str) -> std::io::Result<Vec<u8>> {
    let mut archive = tar::Builder::new(Vec::new());
    let files = [
        ("Dockerfile", dockerfile(base_image).into_bytes()),
        ("main.py", spec.source_code.clone().into_bytes()),
        ("hetfaas_entry.py", ENTRY.as_bytes().to_vec()),
    ];
    for (path, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        archive.append_data(&mut header, path, content.as_slice())?;
    }
    archive.into_inner()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn the_context_holds_the_dockerfile_and_the_code_as_main_py() {
        let spec: FunctionSpec = serde_json::from_value(serde_json::json!({
            "name": "sorter", "source_code": "def handler(event, context):\n    return sorted(event)\n",
            "edge_supported": true, "cloud_supported": true,
        }))
        .unwrap();
        let tar = build_context(&spec, "public.ecr.aws/lambda/python:3.12").unwrap();
        let mut entries = BTreeMap::new();
        for entry in tar::Archive::new(tar.as_slice()).entries().unwrap() {
            let mut entry = entry.unwrap();
            let mut text = String::new();
            entry.read_to_string(&mut text).unwrap();
            entries.insert(entry.path().unwrap().display().to_string(), text);
        }
        assert_eq!(entries.keys().collect::<Vec<_>>(), ["Dockerfile", "hetfaas_entry.py", "main.py"]);
        assert_eq!(entries["main.py"], spec.source_code);
        assert_eq!(entries["hetfaas_entry.py"], ENTRY);
        let lines: Vec<&str> = entries["Dockerfile"].lines().collect();
        assert_eq!(
            lines,
            [
                "FROM public.ecr.aws/lambda/python:3.12",
                "COPY main.py hetfaas_entry.py ${LAMBDA_TASK_ROOT}/",
                "CMD [\"hetfaas_entry.handler\"]"
            ]
        );
    }

    /// The wrapper run by a real Python, as the Lambda runtime would call
    /// it (it serialises the answer with `json.dumps`), read back by the
    /// orchestrator's side: the handler's result and a real measurement.
    #[test]
    fn the_wrapper_answers_with_an_envelope_the_orchestrator_opens() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.py"), "def handler(event, context):\n    return {'sum': sum(range(event['n']))}\n").unwrap();
        std::fs::write(dir.path().join("hetfaas_entry.py"), ENTRY).unwrap();
        let script = "import json, hetfaas_entry\nfor n in (10, 3000000):\n    print(json.dumps(hetfaas_entry.handler({'n': n}, None)))\n";
        let output = std::process::Command::new("python3").arg("-c").arg(script).current_dir(dir.path()).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let lines: Vec<&[u8]> = output.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
        let first = crate::platform::lambda_wire::open_envelope(bytes::Bytes::copy_from_slice(lines[0]));
        let second = crate::platform::lambda_wire::open_envelope(bytes::Bytes::copy_from_slice(lines[1]));
        assert_eq!(&first.body[..], br#"{"sum": 45}"#);
        assert_eq!((first.cold, second.cold), (Some(true), Some(false)), "only the instance's first call is cold");
        let (small, large) = (first.profile.unwrap(), second.profile.unwrap());
        assert!(large.cpu_ms > small.cpu_ms, "summing 3,000,000 numbers costs more CPU than 10: {small:?} {large:?}");
        assert!(large.maxrss_kb > 1000, "a Python process's peak memory, in KiB: {large:?}");
    }

    #[test]
    fn tags_are_split_from_the_repository_not_from_a_registry_port() {
        assert_eq!(
            split_tag("123.dkr.ecr.eu-west-2.amazonaws.com/hetfaas:sorter"),
            ("123.dkr.ecr.eu-west-2.amazonaws.com/hetfaas", "sorter")
        );
        assert_eq!(split_tag("localhost:5000/sorter"), ("localhost:5000/sorter", "latest"));
        assert_eq!(split_tag("localhost:5000/sorter:v2"), ("localhost:5000/sorter", "v2"));
    }
}
