//! The Knative Serving `Service` a function becomes, and reading its status.
//!
//! Built as a dynamic object (Knative's types are not in `k8s-openapi`), by
//! [`service_object`] alone so a unit test reads exactly what is applied.

use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use serde_json::{Value, json};

use super::KnativeConfig;
use crate::function::FunctionSpec;

/// Where a Lambda container image answers (its runtime interface emulator).
pub const EMULATOR_PATH: &str = "/2015-03-31/functions/function/invocations";

pub fn resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("serving.knative.dev", "v1", "Service"), "services")
}

/// The Service for `spec`: one container from `image`, in the configured
/// namespace, with the worker's resource limits (Kubernetes sets requests
/// equal to limits when only limits are given, which is what pins a
/// function to the small share an edge node has).
pub fn service_object(spec: &FunctionSpec, config: &KnativeConfig, image: &str) -> DynamicObject {
    let mut limits = serde_json::Map::new();
    if let Some(cpu) = &config.cpu {
        limits.insert("cpu".into(), cpu.clone().into());
    }
    let memory = config.memory.clone().unwrap_or_else(|| format!("{}Mi", spec.memory_mb));
    limits.insert("memory".into(), memory.into());
    let mut pod = json!({
        "containers": [{
            "image": image,
            "ports": [{ "containerPort": 8080 }],
            "resources": { "limits": limits },
        }],
        "timeoutSeconds": spec.timeout_s,
    });
    if let Some(account) = &config.service_account {
        pod["serviceAccountName"] = account.clone().into();
    }
    DynamicObject::new(&spec.name, &resource()).within(&config.namespace).data(json!({
        "spec": {
            "template": {
                "metadata": { "labels": { "app.kubernetes.io/managed-by": "hetfaas", "hetfaas/function": spec.name } },
                "spec": pod,
            }
        }
    }))
}

/// The invocation URL once the Service is `Ready`; `Err` with the reason
/// when Knative says it failed; `Ok(None)` while it is still coming up.
pub fn ready_url(service: &DynamicObject) -> Result<Option<String>, String> {
    let status = &service.data["status"];
    let ready = status["conditions"].as_array().and_then(|c| c.iter().find(|c| c["type"] == "Ready"));
    match ready.map(|c| (c["status"].as_str(), c)) {
        Some((Some("True"), _)) => Ok(status["url"].as_str().map(|url| format!("{}{EMULATOR_PATH}", url.trim_end_matches('/')))),
        Some((Some("False"), c)) => Err(format!("{}: {}", c["reason"].as_str().unwrap_or("NotReady"), c["message"].as_str().unwrap_or(""))),
        _ => Ok(None),
    }
}

/// The service account patch that lets pods pull from a private registry.
pub fn with_pull_secret(current: &Value, secret: &str) -> Option<Value> {
    let mut secrets: Vec<Value> = current["imagePullSecrets"].as_array().cloned().unwrap_or_default();
    if secrets.iter().any(|s| s["name"] == secret) {
        return None;
    }
    secrets.push(json!({ "name": secret }));
    Some(json!({ "imagePullSecrets": secrets }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> FunctionSpec {
        serde_json::from_value(json!({
            "name": "sorter", "source_code": "def handler(e, c): return e",
            "edge_supported": true, "cloud_supported": false, "memory_mb": 256, "timeout_s": 30,
        }))
        .unwrap()
    }

    #[test]
    fn the_service_is_one_limited_container_of_the_function_image() {
        let config: KnativeConfig =
            toml::from_str("image = \"registry.local/hetfaas/{function}\"\nnamespace = \"edge\"\ncpu = \"50m\"").unwrap();
        let object = service_object(&spec(), &config, "registry.local/hetfaas/sorter");
        let json = serde_json::to_value(&object).unwrap();
        assert_eq!(json["apiVersion"], "serving.knative.dev/v1");
        assert_eq!(json["kind"], "Service");
        assert_eq!(json["metadata"], json!({ "name": "sorter", "namespace": "edge" }));
        let pod = &json["spec"]["template"]["spec"];
        assert_eq!(pod["containers"][0]["image"], "registry.local/hetfaas/sorter");
        assert_eq!(pod["containers"][0]["resources"]["limits"], json!({ "cpu": "50m", "memory": "256Mi" }));
        assert_eq!(pod["timeoutSeconds"], 30);
        assert!(pod.get("serviceAccountName").is_none(), "the namespace's default account unless configured");
        assert_eq!(json["spec"]["template"]["metadata"]["labels"]["hetfaas/function"], "sorter");
    }

    #[test]
    fn the_url_is_formed_once_ready() {
        let mut object = DynamicObject::new("sorter", &resource());
        assert_eq!(ready_url(&object), Ok(None));
        object.data = json!({ "status": { "url": "http://sorter.default.10.0.0.5.sslip.io",
            "conditions": [{ "type": "Ready", "status": "Unknown" }] } });
        assert_eq!(ready_url(&object), Ok(None));
        object.data["status"]["conditions"][0]["status"] = "True".into();
        assert_eq!(
            ready_url(&object).unwrap().unwrap(),
            "http://sorter.default.10.0.0.5.sslip.io/2015-03-31/functions/function/invocations"
        );
        object.data["status"]["conditions"][0] =
            json!({ "type": "Ready", "status": "False", "reason": "RevisionFailed", "message": "pull" });
        assert_eq!(ready_url(&object), Err("RevisionFailed: pull".into()));
    }

    #[test]
    fn the_pull_secret_is_added_once() {
        let account = json!({ "imagePullSecrets": [{ "name": "other" }] });
        assert_eq!(with_pull_secret(&account, "ecr").unwrap(), json!({ "imagePullSecrets": [{ "name": "other" }, { "name": "ecr" }] }));
        assert_eq!(with_pull_secret(&json!({ "imagePullSecrets": [{ "name": "ecr" }] }), "ecr"), None);
    }
}
