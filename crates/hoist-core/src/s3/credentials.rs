//! Credentials that cannot be loaded, in words. The SDK reports a failed credentials
//! provider as a dispatch failure (like a refused connection), so without this an
//! upload with a misspelt profile would be retried forever as "cannot reach the store".
//! Every client's provider is wrapped in [`DescribedCredentials`], which turns a
//! failure into a [`HoistError`] that names the profile and says what to do;
//! [`credentials_failure`] finds it again in the SDK's error chain.

use std::error::Error;

use aws_config::profile::credentials::ProfileFileError;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};

use crate::error::HoistError;

/// A provider whose failures say which profile failed and how to fix it.
#[derive(Debug)]
pub(crate) struct DescribedCredentials {
    profile: Option<String>,
    inner: SharedCredentialsProvider,
}

impl DescribedCredentials {
    pub(crate) fn wrap(
        profile: Option<&str>,
        inner: SharedCredentialsProvider,
    ) -> SharedCredentialsProvider {
        SharedCredentialsProvider::new(DescribedCredentials {
            profile: profile.map(str::to_owned),
            inner,
        })
    }
}

impl ProvideCredentials for DescribedCredentials {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(async move {
            self.inner.provide_credentials().await.map_err(|e| {
                CredentialsError::invalid_configuration(describe_failure(
                    self.profile.as_deref(),
                    &e,
                ))
            })
        })
    }
}

/// The sentence for a credentials provider's failure.
pub(crate) fn describe_failure(profile: Option<&str>, err: &(dyn Error + 'static)) -> HoistError {
    let mut cur: Option<&(dyn Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(h) = e.downcast_ref::<HoistError>() {
            return copy(h);
        }
        if let Some(p) = e.downcast_ref::<ProfileFileError>() {
            // "No profiles were defined" (no ~/.aws files at all) is a private
            // variant: recognised by its words.
            match p {
                ProfileFileError::MissingProfile { profile, .. } => {
                    return HoistError::NoSuchProfile(profile.clone());
                }
                other if other.to_string().contains("No profiles were defined") => {
                    if let Some(name) = profile {
                        return HoistError::NoSuchProfile(name.to_owned());
                    }
                }
                _ => {}
            }
        }
        cur = e.source();
    }
    let chain = display_chain(err);
    let lower = chain.to_ascii_lowercase();
    match profile {
        Some(name) if lower.contains("sso") && lower.contains("expired") => {
            HoistError::Credentials(format!(
                "the SSO session of profile {name:?} has expired: sign in again with `aws sso login --profile {name}`"
            ))
        }
        Some(name) => HoistError::Credentials(format!(
            "the credentials of profile {name:?} could not be loaded: {chain}. Check the profile in ~/.aws/config and ~/.aws/credentials"
        )),
        // The chain's last sources are the cloud's metadata services: when even they
        // have nothing (unreachable, disabled), nothing anywhere gave credentials.
        None if ["no providers in chain", "imds", "container credentials"]
            .iter()
            .any(|w| lower.contains(w)) =>
        {
            HoistError::Credentials(
            "no credentials found: add a profile (`hoist profile add`) or name one with --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into(),
            )
        }
        None => HoistError::Credentials(format!("the credentials could not be loaded: {chain}")),
    }
}

/// The credentials failure inside an SDK error, if that is what it is.
pub(crate) fn credentials_failure(err: &(dyn Error + 'static)) -> Option<HoistError> {
    let mut cur: Option<&(dyn Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(h) = e.downcast_ref::<HoistError>() {
            return Some(copy(h));
        }
        if e.downcast_ref::<CredentialsError>().is_some() {
            return Some(describe_failure(None, e));
        }
        cur = e.source();
    }
    None
}

/// Each error's own words, outermost first, without the SDK's Debug dump (which
/// `DisplayErrorContext` appends) and without repeats.
pub(crate) fn display_chain(err: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let s = e.to_string();
        if !s.is_empty() && !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = e.source();
    }
    parts.join(": ")
}

/// Failures of Hoist's own code inside the SDK (a credentials provider, a body) come
/// back as the same error class.
fn copy(h: &HoistError) -> HoistError {
    match h {
        HoistError::Keyring(m) => HoistError::Keyring(m.clone()),
        HoistError::NoSuchProfile(n) => HoistError::NoSuchProfile(n.clone()),
        HoistError::Credentials(m) => HoistError::Credentials(m.clone()),
        HoistError::Auth { code, message } => HoistError::Auth {
            code: code.clone(),
            message: message.clone(),
        },
        // A streamed body's own failures (a file that changed, a read error) travel
        // through the SDK the same way.
        HoistError::Integrity(m) => HoistError::Integrity(m.clone()),
        HoistError::Network(m) => HoistError::Network(m.clone()),
        HoistError::LocalFile { path, reason } => HoistError::LocalFile {
            path: path.clone(),
            reason: reason.clone(),
        },
        other => HoistError::Credentials(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyring_failure_inside_the_chain_comes_back_as_itself() {
        let inner = CredentialsError::not_loaded(HoistError::Keyring("no secret".into()));
        let outer = CredentialsError::provider_error(inner);
        match credentials_failure(&outer) {
            Some(HoistError::Keyring(m)) => assert_eq!(m, "no secret"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_empty_chain_says_no_credentials() {
        let e = CredentialsError::not_loaded("no providers in chain provided credentials");
        let said = describe_failure(None, &e).to_string();
        assert!(said.starts_with("no credentials found"), "{said}");
    }
}
