//! The Lambda execution role, created on first deploy when none is
//! configured (dissertation 4.2.4): a role Lambda may assume, with AWS's
//! managed policy for writing logs.

use aws_sdk_iam::error::DisplayErrorContext;

use super::LambdaPlatform;
use crate::platform::aws::{sdk_config, stored_credentials};

/// Lets the Lambda service assume the role, and nothing else.
pub const TRUST_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": { "Service": "lambda.amazonaws.com" },
      "Action": "sts:AssumeRole"
    }
  ]
}"#;

/// What the function itself may do: write its logs to CloudWatch.
pub const EXECUTION_POLICY_ARN: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

#[derive(Debug, thiserror::Error)]
#[error("cannot get or create IAM role {role}: {detail}")]
pub struct RoleError {
    role: String,
    detail: String,
}

impl LambdaPlatform {
    /// The ARN of the configured role name, creating the role if missing.
    pub(super) async fn ensure_role(&self) -> Result<String, RoleError> {
        let role = self.config.role_name.as_str();
        let error = |detail: String| RoleError { role: role.to_owned(), detail };
        let credentials = self.credentials.read().expect("credentials lock poisoned").as_ref().and_then(stored_credentials);
        let shared = sdk_config(self.config.region.as_deref(), self.config.profile.as_deref(), credentials).await;
        let mut config = aws_sdk_iam::config::Builder::from(&shared);
        if let Some(url) = &self.config.endpoint_url {
            config = config.endpoint_url(url);
        }
        let iam = aws_sdk_iam::Client::from_conf(config.build());
        match iam.get_role().role_name(role).send().await {
            Ok(found) => return found.role().map(|r| r.arn().to_owned()).ok_or_else(|| error("GetRole returned no role".into())),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_entity_exception()) => {}
            Err(e) => return Err(error(DisplayErrorContext(e).to_string())),
        }
        let created = iam
            .create_role()
            .role_name(role)
            .assume_role_policy_document(TRUST_POLICY)
            .description("Execution role of functions deployed by hetfaas")
            .send()
            .await
            .map_err(|e| error(DisplayErrorContext(e).to_string()))?;
        iam.attach_role_policy()
            .role_name(role)
            .policy_arn(EXECUTION_POLICY_ARN)
            .send()
            .await
            .map_err(|e| error(DisplayErrorContext(e).to_string()))?;
        tracing::info!(worker = %self.name, role, "created the Lambda execution role");
        created.role().map(|r| r.arn().to_owned()).ok_or_else(|| error("CreateRole returned no role".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trust_policy_lets_only_lambda_assume_the_role() {
        let policy: serde_json::Value = serde_json::from_str(TRUST_POLICY).unwrap();
        assert_eq!(policy["Version"], "2012-10-17");
        let statements = policy["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 1);
        assert_eq!(statements[0]["Effect"], "Allow");
        assert_eq!(statements[0]["Principal"], serde_json::json!({ "Service": "lambda.amazonaws.com" }));
        assert_eq!(statements[0]["Action"], "sts:AssumeRole");
    }
}
