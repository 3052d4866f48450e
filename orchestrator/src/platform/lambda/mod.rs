//! The `lambda` platform (feature `aws`): functions as AWS Lambda container
//! functions, through `aws-sdk-lambda`.
//!
//! Deploy: (build and push the image, feature `docker`), make sure the
//! execution role exists ([`iam`]), create the function from its image URI
//! and wait until Lambda says it is `Active` ([`deploy`]). Invoke: the SDK's
//! `Invoke` with the event as payload; a handler error is Lambda's
//! `FunctionError`, throttling and missing functions are platform errors the
//! router fails over on; an image built by hetfaas answers in an envelope
//! with the call's CPU time, peak memory and cold start, which is opened. `endpoint_url` points the SDK at any endpoint that
//! speaks the Lambda API, such as a `hetfaas node`.

mod deploy;
pub mod iam;

use std::collections::BTreeMap;
use std::sync::RwLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_lambda::Client;
use aws_sdk_lambda::config::retry::RetryConfig;
use aws_sdk_lambda::error::{DisplayErrorContext, SdkError};
use aws_sdk_lambda::operation::invoke::InvokeError;
use aws_sdk_lambda::primitives::Blob;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use crate::function::FunctionSpec;
use crate::platform::aws::{SCOPE, sdk_config, stored_credentials};
use crate::platform::image_source::ImageSource;
use crate::platform::lambda_wire;
use crate::platform::{DeployError, InvokeOutcome, Platform, PlatformError, StartError, Utilisation};

/// Settings of a `kind = "lambda"` worker.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LambdaConfig {
    /// AWS region; else the standard chain's (`AWS_REGION`, profile).
    #[serde(default)]
    pub region: Option<String>,
    /// Any endpoint that speaks the Lambda API instead of AWS's: a `hetfaas
    /// node`, or moto or LocalStack, which also answer the IAM calls made
    /// when no `role_arn` is given (so those go there too).
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// Named profile of the shared AWS config files.
    #[serde(default)]
    pub profile: Option<String>,
    /// The function's image URI; `{function}` is replaced by its name.
    pub image: String,
    /// An existing execution role; without it, `role_name` is created on
    /// first deploy.
    #[serde(default)]
    pub role_arn: Option<String>,
    #[serde(default = "default_role_name")]
    pub role_name: String,
    /// Lambda function name = prefix + hetfaas function name.
    #[serde(default = "default_prefix")]
    pub function_prefix: String,
    #[serde(default)]
    pub architecture: Architecture,
    /// Attempts per SDK call. One by default: the router's failover to the
    /// next worker is the retry, and the SDK's backoff would only add delay.
    #[serde(default = "default_max_attempts")]
    pub sdk_max_attempts: u32,
    /// How long deploy waits for the function to become `Active`.
    #[serde(default = "default_ready_timeout_s")]
    pub ready_timeout_s: u64,
    /// Build and push the image on deploy (feature `docker`); without it the
    /// image must already exist at `image`.
    #[serde(default)]
    pub build: Option<crate::platform::image_source::BuildConfig>,
}

/// The instruction set the function's image is built for.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Architecture {
    /// Graviton, as in the dissertation (3.7).
    #[default]
    Arm64,
    X86_64,
}

fn default_role_name() -> String {
    "hetfaas-lambda-execution".into()
}

fn default_prefix() -> String {
    "hetfaas-".into()
}

fn default_max_attempts() -> u32 {
    1
}

fn default_ready_timeout_s() -> u64 {
    300
}

#[derive(Debug)]
pub struct LambdaPlatform {
    name: String,
    config: LambdaConfig,
    /// Stored credentials; `None` means the standard AWS chain.
    credentials: RwLock<Option<BTreeMap<String, String>>>,
    /// The SDK client, made on first use and again when credentials change.
    client: RwLock<Option<Client>>,
    role_arn: OnceCell<String>,
    image: ImageSource,
}

impl LambdaPlatform {
    pub fn new(name: &str, config: LambdaConfig) -> Result<LambdaPlatform, StartError> {
        let image = ImageSource::new(name, &config.image, config.build.as_ref())?;
        Ok(LambdaPlatform {
            name: name.to_owned(),
            config,
            credentials: RwLock::default(),
            client: RwLock::default(),
            role_arn: OnceCell::new(),
            image,
        })
    }

    /// The Lambda name of a hetfaas function.
    fn function_name(&self, function: &str) -> String {
        format!("{}{function}", self.config.function_prefix)
    }

    async fn client(&self) -> Client {
        if let Some(client) = self.client.read().expect("client lock poisoned").clone() {
            return client;
        }
        let credentials = self.credentials.read().expect("credentials lock poisoned").as_ref().and_then(stored_credentials);
        let shared = sdk_config(self.config.region.as_deref(), self.config.profile.as_deref(), credentials).await;
        let mut builder = aws_sdk_lambda::config::Builder::from(&shared)
            .retry_config(RetryConfig::standard().with_max_attempts(self.config.sdk_max_attempts.max(1)));
        if let Some(url) = &self.config.endpoint_url {
            builder = builder.endpoint_url(url);
        }
        let client = Client::from_conf(builder.build());
        *self.client.write().expect("client lock poisoned") = Some(client.clone());
        client
    }

    /// Maps an SDK failure of `Invoke` onto what the router acts on.
    fn invoke_failure(&self, function: &str, error: SdkError<InvokeError>) -> PlatformError {
        let worker = self.name.clone();
        match error {
            SdkError::ServiceError(e) => match e.into_err() {
                InvokeError::ResourceNotFoundException(_) => PlatformError::NotDeployed { worker, function: function.to_owned() },
                e @ InvokeError::TooManyRequestsException(_) => {
                    PlatformError::Throttled { worker, detail: DisplayErrorContext(e).to_string() }
                }
                e => PlatformError::Failed { worker, detail: DisplayErrorContext(e).to_string() },
            },
            e @ (SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)) => {
                PlatformError::Unreachable { worker, detail: DisplayErrorContext(e).to_string() }
            }
            e => PlatformError::Failed { worker, detail: DisplayErrorContext(e).to_string() },
        }
    }
}

/// Lambda's limit on a function name.
const MAX_NAME: usize = 64;

#[async_trait]
impl Platform for LambdaPlatform {
    /// The Lambda name (prefix + name) must fit Lambda's 64 characters.
    fn accepts(&self, spec: &FunctionSpec) -> Result<(), String> {
        let name = self.function_name(&spec.name);
        let room = MAX_NAME.saturating_sub(self.config.function_prefix.len());
        match name.len() <= MAX_NAME {
            true => Ok(()),
            false => Err(format!(
                "its Lambda name {name:?} (function_prefix {:?} + name) has {} characters and Lambda allows {MAX_NAME}: \
                 use a name of at most {room} characters",
                self.config.function_prefix,
                name.len()
            )),
        }
    }

    async fn deploy(&self, spec: &FunctionSpec) -> Result<(), DeployError> {
        let failed = |detail: String| DeployError::Platform { worker: self.name.clone(), detail };
        let image = self.image.prepare(spec).await?;
        let client = self.client().await;
        let role = match &self.config.role_arn {
            Some(arn) => arn.clone(),
            None => self.role_arn.get_or_try_init(|| self.ensure_role()).await.map_err(|e| failed(e.to_string()))?.clone(),
        };
        let name = self.function_name(&spec.name);
        let limit = Duration::from_secs(self.config.ready_timeout_s);
        let request = deploy::create_request(&client, &self.config, spec, &name, &role, &image);
        deploy::create_or_update(&client, request, limit).await.map_err(failed)?;
        deploy::wait_until_active(&client, &name, limit).await.map_err(failed)
    }

    async fn invoke(&self, function: &str, event: Bytes) -> Result<InvokeOutcome, PlatformError> {
        let output = self
            .client()
            .await
            .invoke()
            .function_name(self.function_name(function))
            .payload(Blob::new(event))
            .send()
            .await
            .map_err(|e| self.invoke_failure(function, e))?;
        let payload = output.payload().map(|b| Bytes::copy_from_slice(b.as_ref())).unwrap_or_default();
        if output.function_error().is_some() {
            return Ok(InvokeOutcome { result: Err(lambda_wire::function_error(&payload, None)), cold: false, profile: None });
        }
        // Lambda itself reports neither cold starts nor resource use in the
        // answer; a hetfaas image's wrapper does, in an envelope.
        let opened = lambda_wire::open_envelope(payload);
        Ok(InvokeOutcome { result: Ok(opened.body), cold: opened.cold.unwrap_or(false), profile: opened.profile })
    }

    /// Lambda scales itself: there is no capacity of ours to fill.
    fn utilisation(&self) -> Utilisation {
        Utilisation::default()
    }

    /// Whether the Lambda API answers for these credentials (`ListFunctions`
    /// of one: cheap, and answered by every Lambda-API implementation tried,
    /// moto among them, which lacks `GetAccountSettings`).
    async fn health(&self) -> bool {
        self.client().await.list_functions().max_items(1).send().await.is_ok()
    }

    async fn remove(&self, function: &str) -> Result<(), PlatformError> {
        let result = self.client().await.delete_function().function_name(self.function_name(function)).send().await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => Ok(()),
            Err(e) => Err(PlatformError::Failed { worker: self.name.clone(), detail: DisplayErrorContext(e).to_string() }),
        }
    }

    async fn shutdown(&self) {}

    fn use_credentials(&self, scope: &str, values: &BTreeMap<String, String>) {
        self.image.use_credentials(scope, values);
        if scope == SCOPE {
            *self.credentials.write().expect("credentials lock poisoned") = Some(values.clone());
            *self.client.write().expect("client lock poisoned") = None;
        }
    }

    fn details(&self) -> serde_json::Value {
        serde_json::json!({
            "region": self.config.region,
            "endpoint_url": self.config.endpoint_url,
            "architecture": self.config.architecture,
            "credentials": if self.credentials.read().expect("credentials lock poisoned").is_some() { "stored" } else { "aws default chain" },
        })
    }
}
