//! Pushing to Amazon ECR: a registry host of the form
//! `<account>.dkr.ecr.<region>.amazonaws.com` gets a Docker login from
//! `GetAuthorizationToken`, and its repository is created on first push.

use std::collections::BTreeMap;

use aws_sdk_ecr::error::DisplayErrorContext;
use base64::Engine;
use bollard::auth::DockerCredentials;

use crate::platform::aws::{sdk_config, stored_credentials};

/// An ECR repository named by an image reference.
#[derive(Debug, PartialEq)]
pub struct Registry {
    pub host: String,
    pub region: String,
    pub repository: String,
}

impl Registry {
    /// `Some` for ECR references; `region` overrides the one in the host.
    pub fn parse(repository: &str, region: Option<&str>) -> Option<Registry> {
        let (host, path) = repository.split_once('/')?;
        let mut labels = host.split('.');
        let (_account, dkr, ecr, host_region) = (labels.next()?, labels.next()?, labels.next()?, labels.next()?);
        if (dkr, ecr) != ("dkr", "ecr") || !host.ends_with(".amazonaws.com") {
            return None;
        }
        let region = region.unwrap_or(host_region).to_owned();
        Some(Registry { host: host.to_owned(), region, repository: path.to_owned() })
    }

    /// Docker credentials for this registry, creating the repository if
    /// it does not exist yet; `endpoint` replaces AWS's ECR endpoint.
    pub async fn login(&self, stored: Option<&BTreeMap<String, String>>, endpoint: Option<&str>) -> Result<DockerCredentials, String> {
        let shared = sdk_config(Some(&self.region), None, stored.and_then(stored_credentials)).await;
        let mut config = aws_sdk_ecr::config::Builder::from(&shared);
        if let Some(url) = endpoint {
            config = config.endpoint_url(url);
        }
        let ecr = aws_sdk_ecr::Client::from_conf(config.build());
        let exists = ecr.describe_repositories().repository_names(&self.repository).send().await;
        match exists {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|e| e.is_repository_not_found_exception()) => {
                ecr.create_repository()
                    .repository_name(&self.repository)
                    .send()
                    .await
                    .map_err(|e| format!("ECR CreateRepository: {}", DisplayErrorContext(e)))?;
            }
            Err(e) => return Err(format!("ECR DescribeRepositories: {}", DisplayErrorContext(e))),
        }
        let token =
            ecr.get_authorization_token().send().await.map_err(|e| format!("ECR GetAuthorizationToken: {}", DisplayErrorContext(e)))?;
        let encoded =
            token.authorization_data().first().and_then(|d| d.authorization_token()).ok_or("ECR returned no authorization token")?;
        let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).map_err(|e| format!("ECR token: {e}"))?;
        let decoded = String::from_utf8(decoded).map_err(|e| format!("ECR token: {e}"))?;
        let (username, password) = decoded.split_once(':').ok_or("ECR token is not user:password")?;
        Ok(DockerCredentials {
            username: Some(username.to_owned()),
            password: Some(password.to_owned()),
            serveraddress: Some(format!("https://{}", self.host)),
            ..DockerCredentials::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_hosts_are_recognised_and_others_are_not() {
        let ecr = Registry::parse("123456789012.dkr.ecr.eu-west-2.amazonaws.com/hetfaas/sorter", None).unwrap();
        assert_eq!(
            ecr,
            Registry {
                host: "123456789012.dkr.ecr.eu-west-2.amazonaws.com".into(),
                region: "eu-west-2".into(),
                repository: "hetfaas/sorter".into(),
            }
        );
        assert_eq!(Registry::parse("123456789012.dkr.ecr.eu-west-2.amazonaws.com/x", Some("us-east-1")).unwrap().region, "us-east-1");
        assert_eq!(Registry::parse("ghcr.io/me/sorter", None), None);
        assert_eq!(Registry::parse("localhost:5000/sorter", None), None);
        assert_eq!(Registry::parse("sorter", None), None);
    }
}
