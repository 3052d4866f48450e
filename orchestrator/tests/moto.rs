//! The AWS adapters against moto, an independent implementation of the AWS
//! APIs (`moto_server`, from the Python package registry; installed by
//! `scripts/moto-venv`, which `.ci/run` calls). Nothing here is answered by
//! this project's own code: IAM, Lambda's control plane and ECR are moto's.
//!
//! moto runs no handler without a Docker engine (`use_docker: false`): its
//! `Invoke` answers with the event it was sent. So these tests check what
//! the orchestrator asks of AWS and how it reads the answers, not a
//! handler's result; the handler's side of the envelope is tested with a
//! real Python in `platform/image`.
//!
//! Where `moto_server` cannot be found (`HETFAAS_MOTO_SERVER`, `PATH`, or
//! the place `scripts/moto-venv` puts it) each test says SKIPPED.
#![cfg(feature = "aws")]

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_sdk_lambda::types::{Architecture, FunctionCode, PackageType, State as LambdaState};
use common::TestServer;
use hetfaas::config::WorkerConfig;
use hetfaas::function::Tier;
use hetfaas::platform::PlatformConfig;
use hetfaas::platform::lambda::iam::{EXECUTION_POLICY_ARN, TRUST_POLICY};
use hetfaas::platform::lambda::{LambdaConfig, LambdaPlatform};
use hetfaas::platform::{CallProfile, Platform};
use hetfaas_api::{FeatureBasis, FunctionSpec, State};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

/// The moto `scripts/moto-venv` installs.
const MOTO_VERSION: &str = "5.2.5";
const REGION: &str = "eu-west-2";
const IMAGE: &str = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/hetfaas:{function}";
const ROLE: &str = "hetfaas-moto-test";

/// A `moto_server` on an ephemeral port, stopped when dropped.
struct Moto {
    _process: tokio::process::Child,
    endpoint: String,
}

/// `HETFAAS_MOTO_SERVER`, else the pinned install of `scripts/moto-venv`,
/// else whichever `moto_server` is on `PATH`.
fn moto_server() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("HETFAAS_MOTO_SERVER") {
        return Some(path.into());
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| "/root".into());
    let pinned = home.join(".cache/hetfaas-moto").join(MOTO_VERSION).join("bin/moto_server");
    let on_path =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).map(|d| d.join("moto_server")).collect::<Vec<_>>()).unwrap_or_default();
    std::iter::once(pinned).chain(on_path).find(|p| p.is_file())
}

impl Moto {
    async fn start(test: &str) -> Option<Moto> {
        let Some(server) = moto_server() else {
            common::skipped(test, "no moto_server: run scripts/moto-venv, or set HETFAAS_MOTO_SERVER");
            return None;
        };
        let mut process = tokio::process::Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", "0"])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", server.display()));
        let mut lines = BufReader::new(process.stderr.take().unwrap()).lines();
        let endpoint = loop {
            let line = lines.next_line().await.unwrap().unwrap_or_else(|| panic!("{} exited before listening", server.display()));
            if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://127.0.0.1:")) {
                break url.to_owned();
            }
        };
        // moto logs every request on stderr: keep reading, or it blocks.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let config = json!({ "lambda": { "use_docker": false } });
        let answer = reqwest::Client::new().post(format!("{endpoint}/moto-api/config")).json(&config).send().await.unwrap();
        assert!(answer.status().is_success(), "moto config: {}", answer.status());
        Some(Moto { _process: process, endpoint })
    }

    /// An SDK configuration signing with `key`, for the test's own calls.
    async fn sdk(&self, key: &str, secret: &str) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(Credentials::from_keys(key, secret, None))
            .endpoint_url(&self.endpoint)
            .load()
            .await
    }

    fn lambda_config(&self) -> LambdaConfig {
        let mut config: LambdaConfig = toml::from_str(&format!("image = {IMAGE:?}\nregion = {REGION:?}")).unwrap();
        config.endpoint_url = Some(self.endpoint.clone());
        config.role_name = ROLE.into();
        config.ready_timeout_s = 30;
        config
    }
}

fn spec(name: &str) -> FunctionSpec {
    FunctionSpec { edge_supported: false, ..common::spec(name, "def handler(event, context):\n    return event\n") }
}

/// Waits (a hang guard of a minute) until the orchestrator's health
/// monitor has found the Lambda worker answering.
async fn until_healthy(server: &TestServer) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !common::worker_health(server, "cloud").await.healthy {
        assert!(Instant::now() < deadline, "the Lambda worker never became healthy");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// When and by which service an access key was last used, as moto saw it.
async fn last_used(iam: &aws_sdk_iam::Client, key: &str) -> Option<aws_sdk_iam::types::AccessKeyLastUsed> {
    let used = iam.get_access_key_last_used().access_key_id(key).send().await.unwrap().access_key_last_used?;
    used.last_used_date.is_some().then_some(used)
}

#[tokio::test]
async fn a_lambda_worker_goes_through_its_whole_life_against_moto() {
    let Some(moto) = Moto::start("moto lambda life cycle").await else {
        return;
    };
    let admin = moto.sdk("AKIDMOTOADMIN", "admin-secret").await;
    let (iam, lambda) = (aws_sdk_iam::Client::new(&admin), aws_sdk_lambda::Client::new(&admin));
    // The operator's own key, made in moto, so that moto records who signed.
    iam.create_user().user_name("operator").send().await.unwrap();
    let key = iam.create_access_key().user_name("operator").send().await.unwrap().access_key.unwrap();
    // A function left by an earlier deploy, with other limits and role.
    let old_role = iam.create_role().role_name("old").assume_role_policy_document(TRUST_POLICY).send().await.unwrap();
    lambda
        .create_function()
        .function_name("hetfaas-echo")
        .package_type(PackageType::Image)
        .code(FunctionCode::builder().image_uri(IMAGE.replace("{function}", "old")).build())
        .role(old_role.role.unwrap().arn)
        .memory_size(512)
        .timeout(3)
        .send()
        .await
        .unwrap();

    assert_eq!(last_used(&iam, &key.access_key_id).await, None, "a new key, never used");

    let worker = WorkerConfig { name: "cloud".into(), tier: Tier::Cloud, platform: PlatformConfig::Lambda(moto.lambda_config()) };
    let server = TestServer::start(vec![worker]).await;
    let credentials = BTreeMap::from([
        ("access_key_id".to_owned(), key.access_key_id.clone()),
        ("secret_access_key".to_owned(), key.secret_access_key.clone()),
    ]);
    server.api.put_credentials("aws", &credentials).await.unwrap();
    until_healthy(&server).await;

    let view = server.create_spec(spec("echo")).await;
    assert_eq!(view.state, State::Ready, "{view:?}");
    let training = view.training.expect("trained");
    assert!(training.features.is_some(), "Lambda gives no profile, yet a feature vector is built: {training:?}");
    assert_eq!(training.feature_basis, Some(FeatureBasis::DurationsOnly));

    // The execution role: created, trusted by Lambda alone, allowed to log.
    let role = iam.get_role().role_name(ROLE).send().await.unwrap().role.unwrap();
    // IAM returns the document URL-encoded, AWS and moto alike.
    let trust = role.assume_role_policy_document.unwrap_or_default();
    let trust: serde_json::Value = serde_json::from_str(&percent_encoding::percent_decode_str(&trust).decode_utf8().unwrap()).unwrap();
    assert_eq!(trust, serde_json::from_str::<serde_json::Value>(TRUST_POLICY).unwrap());
    let attached = iam.list_attached_role_policies().role_name(ROLE).send().await.unwrap().attached_policies.unwrap_or_default();
    assert!(attached.iter().any(|p| p.policy_arn() == Some(EXECUTION_POLICY_ARN)), "{attached:?}");

    // The old function was brought to the spec: image, then configuration.
    let config = lambda.get_function_configuration().function_name("hetfaas-echo").send().await.unwrap();
    assert_eq!((config.memory_size, config.timeout), (Some(128), Some(5)), "memory and timeout updated");
    assert_eq!(config.role.as_deref(), Some(role.arn.as_str()), "the role updated");
    assert_eq!((config.state, config.package_type), (Some(LambdaState::Active), Some(PackageType::Image)));
    let code = lambda.get_function().function_name("hetfaas-echo").send().await.unwrap().code.unwrap();
    assert_eq!(code.image_uri.as_deref(), Some(IMAGE.replace("{function}", "echo").as_str()));

    let invoked = server.invoke("echo", r#"{"n": 3}"#, None).await;
    assert_eq!((invoked.status.as_u16(), invoked.placement.worker.as_str()), (200, "cloud"));
    assert_eq!(invoked.json(), json!({ "n": 3 }), "moto's Invoke echoes the event");
    let used = last_used(&iam, &key.access_key_id).await.expect("moto recorded the key's use");
    assert!(used.service_name.ends_with("lambda"), "the SDK signed with the key given by PUT /credentials: {used:?}");

    let again = server.api.create(&spec("echo")).await.unwrap_err();
    assert_eq!(again.status().map(|s| s.as_u16()), Some(409), "{again}");
    server.api.delete("echo").await.unwrap();
    let gone = lambda.get_function_configuration().function_name("hetfaas-echo").send().await.unwrap_err();
    assert!(gone.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()), "deleted on Lambda: {gone:?}");

    // Created afresh this time, with the spec's limits and architecture.
    assert_eq!(server.create_spec(spec("echo")).await.state, State::Ready);
    let config = lambda.get_function_configuration().function_name("hetfaas-echo").send().await.unwrap();
    assert_eq!((config.memory_size, config.timeout), (Some(128), Some(5)));
    assert_eq!(config.architectures.unwrap_or_default(), [Architecture::Arm64]);
}

/// The answer of a hetfaas image is an envelope; moto's echo of one is read
/// by the Lambda path exactly as Lambda's answer would be.
#[tokio::test]
async fn the_lambda_path_opens_a_hetfaas_image_envelope() {
    let Some(moto) = Moto::start("moto lambda envelope").await else {
        return;
    };
    let lambda = LambdaPlatform::new("cloud", moto.lambda_config()).unwrap();
    lambda.use_credentials("aws", &BTreeMap::from([("access_key_id".into(), "AKIDX".into()), ("secret_access_key".into(), "s".into())]));
    lambda.deploy(&spec("wrapped")).await.unwrap();
    let envelope =
        br#"{"__hetfaas_envelope__": 1, "result": {"sorted": [1, 2]}, "profile": {"cpu_ms": 3.5, "maxrss_kb": 20480}, "cold": true}"#;
    let outcome = lambda.invoke("wrapped", bytes::Bytes::from_static(envelope)).await.unwrap();
    assert_eq!(&outcome.result.unwrap()[..], br#"{"sorted": [1, 2]}"#);
    assert_eq!((outcome.profile, outcome.cold), (Some(CallProfile { cpu_ms: 3.5, maxrss_kb: 20480, throttled_ms: None }), true));
    let plain = lambda.invoke("wrapped", bytes::Bytes::from_static(br#"{"n": 1}"#)).await.unwrap();
    assert_eq!((&plain.result.unwrap()[..], plain.profile, plain.cold), (&br#"{"n": 1}"#[..], None, false));
    lambda.remove("wrapped").await.unwrap();
}

/// ECR (feature `docker`): the repository is created when missing, and the
/// login token is decoded into Docker credentials.
#[cfg(feature = "docker")]
#[tokio::test]
async fn an_ecr_login_creates_the_repository_and_decodes_the_token() {
    use hetfaas::platform::image::ecr::Registry;

    let Some(moto) = Moto::start("moto ecr login").await else {
        return;
    };
    let stored = BTreeMap::from([("access_key_id".into(), "AKIDECR".into()), ("secret_access_key".into(), "s".into())]);
    let registry = Registry::parse("123456789012.dkr.ecr.eu-west-2.amazonaws.com/hetfaas/sorter", None).unwrap();
    let ecr = aws_sdk_ecr::Client::new(&moto.sdk("AKIDECR", "s").await);
    let missing = ecr.describe_repositories().repository_names("hetfaas/sorter").send().await.unwrap_err();
    assert!(missing.as_service_error().is_some_and(|e| e.is_repository_not_found_exception()));
    for _ in 0..2 {
        let login = registry.login(Some(&stored), Some(&moto.endpoint)).await.unwrap();
        assert_eq!(login.username.as_deref(), Some("AWS"));
        assert!(login.password.as_deref().is_some_and(|p| !p.is_empty()), "{login:?}");
    }
    let repositories = ecr.describe_repositories().send().await.unwrap().repositories.unwrap_or_default();
    let names: Vec<_> = repositories.iter().filter_map(|r| r.repository_name()).collect();
    assert_eq!(names, ["hetfaas/sorter"], "created once, found the second time");
}
