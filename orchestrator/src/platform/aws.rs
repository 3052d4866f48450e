//! AWS SDK configuration shared by the `lambda` platform and ECR pushes.
//!
//! Credentials come from `PUT /credentials?scope=aws` when some were stored
//! (`access_key_id`, `secret_access_key`, optional `session_token`), and
//! otherwise from the standard AWS chain (environment, profile, SSO, instance
//! role). They live only inside the SDK's credential provider; nothing here
//! formats or logs them.

use std::collections::BTreeMap;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// The `PUT /credentials` scope the AWS adapters read.
pub const SCOPE: &str = "aws";

/// Stored credentials, if the scope holds a usable key pair.
pub fn stored_credentials(values: &BTreeMap<String, String>) -> Option<Credentials> {
    let key = values.get("access_key_id")?;
    let secret = values.get("secret_access_key")?;
    Some(Credentials::from_keys(key, secret, values.get("session_token").cloned()))
}

/// Loads an SDK configuration for `region`, with `credentials` if given.
pub async fn sdk_config(region: Option<&str>, profile: Option<&str>, credentials: Option<Credentials>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_owned()));
    }
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    if let Some(credentials) = credentials {
        loader = loader.credentials_provider(credentials);
    }
    loader.load().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_pair_is_needed_and_a_session_token_is_optional() {
        let mut values = BTreeMap::from([("access_key_id".to_owned(), "AKIDEXAMPLE".to_owned())]);
        assert!(stored_credentials(&values).is_none());
        values.insert("secret_access_key".into(), "wJalrXUtnFEMI".into());
        let credentials = stored_credentials(&values).unwrap();
        assert_eq!(credentials.access_key_id(), "AKIDEXAMPLE");
        assert_eq!(credentials.session_token(), None);
        assert!(!format!("{credentials:?}").contains("wJalrXUtnFEMI"), "Debug must redact the secret");
    }
}
