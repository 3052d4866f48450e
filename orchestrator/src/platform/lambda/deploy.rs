//! Creating a Lambda function and waiting until it can be invoked.
//!
//! The request is formed by [`create_request`] alone so that a unit test can
//! read exactly what would be sent, with no AWS account.

use std::time::{Duration, Instant};

use aws_sdk_lambda::Client;
use aws_sdk_lambda::error::DisplayErrorContext;
use aws_sdk_lambda::operation::create_function::CreateFunctionError;
use aws_sdk_lambda::operation::create_function::builders::CreateFunctionFluentBuilder;
use aws_sdk_lambda::types::{Architecture as LambdaArchitecture, FunctionCode, LastUpdateStatus, PackageType, State};

use super::{Architecture, LambdaConfig};
use crate::function::FunctionSpec;

/// A role made moments ago is not yet assumable everywhere (IAM is
/// eventually consistent); creation is retried this long for that reason.
const ROLE_PROPAGATION: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_secs(1);

/// `CreateFunction` for `spec`: a container-image function, on the
/// configured architecture, with the function's memory and timeout.
pub fn create_request(
    client: &Client,
    config: &LambdaConfig,
    spec: &FunctionSpec,
    lambda_name: &str,
    role_arn: &str,
    image: &str,
) -> CreateFunctionFluentBuilder {
    let architecture = match config.architecture {
        Architecture::Arm64 => LambdaArchitecture::Arm64,
        Architecture::X86_64 => LambdaArchitecture::X8664,
    };
    client
        .create_function()
        .function_name(lambda_name)
        .package_type(PackageType::Image)
        .code(FunctionCode::builder().image_uri(image).build())
        .role(role_arn)
        .architectures(architecture)
        .memory_size(i32::try_from(spec.memory_mb).unwrap_or(i32::MAX))
        .timeout(i32::try_from(spec.timeout_s).unwrap_or(i32::MAX))
        .description(format!("hetfaas function {}", spec.name))
}

/// Sends `request`; a function that already exists is brought to it: the
/// image and architecture, then (once Lambda has applied those) memory,
/// timeout, role and description. Waits at most `limit` in between.
pub async fn create_or_update(client: &Client, request: CreateFunctionFluentBuilder, limit: Duration) -> Result<(), String> {
    let started = Instant::now();
    loop {
        match request.clone().send().await {
            Ok(_) => return Ok(()),
            Err(e) => match e.as_service_error() {
                Some(CreateFunctionError::ResourceConflictException(_)) => return update(client, &request, limit).await,
                Some(CreateFunctionError::InvalidParameterValueException(p))
                    if p.message().is_some_and(|m| m.contains("cannot be assumed")) && started.elapsed() < ROLE_PROPAGATION =>
                {
                    tokio::time::sleep(POLL * 2).await;
                }
                _ => return Err(format!("CreateFunction failed: {}", DisplayErrorContext(e))),
            },
        }
    }
}

/// Lambda refuses a second update while one is in progress, hence the wait
/// between the code and the configuration.
async fn update(client: &Client, request: &CreateFunctionFluentBuilder, limit: Duration) -> Result<(), String> {
    let name = request.get_function_name().clone().unwrap_or_default();
    client
        .update_function_code()
        .function_name(&name)
        .set_image_uri(request.get_code().as_ref().and_then(|c| c.image_uri()).map(str::to_owned))
        .set_architectures(request.get_architectures().clone())
        .send()
        .await
        .map_err(|e| format!("UpdateFunctionCode failed: {}", DisplayErrorContext(e)))?;
    wait_until_active(client, &name, limit).await?;
    client
        .update_function_configuration()
        .function_name(&name)
        .set_memory_size(*request.get_memory_size())
        .set_timeout(*request.get_timeout())
        .set_role(request.get_role().clone())
        .set_description(request.get_description().clone())
        .send()
        .await
        .map(drop)
        .map_err(|e| format!("UpdateFunctionConfiguration failed: {}", DisplayErrorContext(e)))
}

/// Polls until the function is `Active` with no update in progress.
pub async fn wait_until_active(client: &Client, name: &str, limit: Duration) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let config = client
            .get_function_configuration()
            .function_name(name)
            .send()
            .await
            .map_err(|e| format!("GetFunctionConfiguration failed: {}", DisplayErrorContext(e)))?;
        let updating = config.last_update_status() == Some(&LastUpdateStatus::InProgress);
        match config.state() {
            Some(State::Active) if !updating => return Ok(()),
            Some(State::Failed) => {
                return Err(format!("Lambda could not create {name}: {}", config.state_reason().unwrap_or("no reason given")));
            }
            _ if started.elapsed() > limit => return Err(format!("{name} was not Active after {} s", limit.as_secs())),
            _ => tokio::time::sleep(POLL).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_lambda::config::{BehaviorVersion, Region};

    use super::*;

    fn offline_client() -> Client {
        Client::from_conf(
            aws_sdk_lambda::Config::builder().behavior_version(BehaviorVersion::latest()).region(Region::new("eu-west-2")).build(),
        )
    }

    #[test]
    fn create_function_is_an_arm64_image_function_with_the_function_limits() {
        let config: LambdaConfig = toml::from_str("image = \"123.dkr.ecr.eu-west-2.amazonaws.com/hetfaas:{function}\"").unwrap();
        let spec: FunctionSpec =
            serde_json::from_value(serde_json::json!({ "name": "sorter", "source_code": "def handler(e, c): return e", "edge_supported": true, "cloud_supported": true })).unwrap();
        let client = offline_client();
        let image = config.image.replace("{function}", &spec.name);
        let request = create_request(&client, &config, &spec, "hetfaas-sorter", "arn:aws:iam::123:role/r", &image);
        let input = request.as_input();
        assert_eq!(input.get_function_name().as_deref(), Some("hetfaas-sorter"));
        assert_eq!(input.get_package_type(), &Some(PackageType::Image));
        assert_eq!(input.get_code().as_ref().and_then(|c| c.image_uri()), Some("123.dkr.ecr.eu-west-2.amazonaws.com/hetfaas:sorter"));
        assert_eq!(input.get_role().as_deref(), Some("arn:aws:iam::123:role/r"));
        assert_eq!(input.get_architectures().as_deref(), Some(&[LambdaArchitecture::Arm64][..]));
        assert_eq!(input.get_memory_size(), &Some(128), "the dissertation's default memory");
        assert_eq!(input.get_timeout(), &Some(i32::try_from(spec.timeout_s).unwrap()));
        assert_eq!(input.get_runtime(), &None, "image functions name no runtime");
    }
}
