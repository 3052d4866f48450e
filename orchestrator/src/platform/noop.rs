//! The `noop` platform: answers every invocation at once, in process, with
//! the event itself. A measurement tool only (never a default): with it, a
//! load test sees nothing but the orchestrator's own cost (HTTP in, routing,
//! response out, execution row queued). See the `overhead` stage.

use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::function::FunctionSpec;
use crate::platform::{DeployError, InvokeOutcome, Platform, PlatformError, Utilisation};

/// Settings of a `kind = "noop"` worker: there are none.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NoopConfig {}

#[derive(Debug, Default)]
pub struct NoopPlatform;

#[async_trait]
impl Platform for NoopPlatform {
    async fn deploy(&self, _spec: &FunctionSpec) -> Result<(), DeployError> {
        Ok(())
    }

    async fn invoke(&self, _function: &str, event: Bytes) -> Result<InvokeOutcome, PlatformError> {
        Ok(InvokeOutcome { result: Ok(event), cold: false, profile: None })
    }

    fn utilisation(&self) -> Utilisation {
        Utilisation::default()
    }

    async fn health(&self) -> bool {
        true
    }

    async fn remove(&self, _function: &str) -> Result<(), PlatformError> {
        Ok(())
    }

    async fn shutdown(&self) {}
}
