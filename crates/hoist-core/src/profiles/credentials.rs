//! Credentials for targets: a Hoist profile's keys come from the keyring when the SDK
//! asks; any other name is an AWS profile from `~/.aws`; no name is the environment's
//! chain.

use std::sync::Arc;

use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};

use super::ProfileStore;
use crate::error::Result;
use crate::s3::{AwsChainCredentials, CredentialResolver};

pub struct ProfileCredentials {
    store: Arc<ProfileStore>,
}

impl ProfileCredentials {
    pub fn new(store: Arc<ProfileStore>) -> ProfileCredentials {
        ProfileCredentials { store }
    }

    /// The keyring-backed provider of a profile already known to exist (the keyring is
    /// read later, when the SDK asks).
    pub(crate) fn provider(&self, name: &str) -> SharedCredentialsProvider {
        SharedCredentialsProvider::new(KeyringProvider {
            store: self.store.clone(),
            name: name.to_owned(),
        })
    }
}

impl CredentialResolver for ProfileCredentials {
    fn resolve(&self, profile: Option<&str>) -> Result<Option<SharedCredentialsProvider>> {
        match profile {
            Some(name) if self.store.get(name)?.is_some() => Ok(Some(self.provider(name))),
            other => AwsChainCredentials.resolve(other),
        }
    }
}

/// Reads the keyring when the SDK asks (and the SDK caches until expiry), on a
/// blocking thread: the keyring speaks D-Bus synchronously.
#[derive(Debug)]
struct KeyringProvider {
    store: Arc<ProfileStore>,
    name: String,
}

impl ProvideCredentials for KeyringProvider {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let store = self.store.clone();
        let name = self.name.clone();
        provider::future::ProvideCredentials::new(async move {
            let res = tokio::task::spawn_blocking(move || store.credentials(&name))
                .await
                .map_err(provider::error::CredentialsError::provider_error)?;
            res.map_err(provider::error::CredentialsError::not_loaded)
        })
    }
}
