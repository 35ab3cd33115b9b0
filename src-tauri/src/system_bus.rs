//! Facts and locks from the system D-Bus: NetworkManager's `Metered` property (fed
//! to the engine's transfer rules) and logind's sleep inhibitor (taken while uploads
//! run; the decision is hoist-core's `transfer::awake`). Without a system bus
//! (containers, CI under Xvfb) both say so once and do nothing.

use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use hoist_core::transfer::awake::SleepInhibitor;
use hoist_core::transfer::gate::metered_from_network_manager;
use hoist_core::{Engine, HoistError};

/// What NetworkManager told us, for Settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct NetworkFacts {
    /// NetworkManager answered on the system bus.
    pub available: bool,
    pub metered: Option<bool>,
}

pub type SharedFacts = Arc<Mutex<NetworkFacts>>;

/// Watches NetworkManager's `Metered` for the app's life and tells the engine.
pub async fn watch_metered(engine: Engine, facts: SharedFacts) {
    if let Err(e) = follow_metered(&engine, &facts).await {
        tracing::info!(
            "NetworkManager is not reachable, so metered connections are not detected: {e}"
        );
        *facts.lock().unwrap_or_else(|p| p.into_inner()) = NetworkFacts::default();
        engine.set_metered(None);
    }
}

async fn follow_metered(engine: &Engine, facts: &SharedFacts) -> zbus::Result<()> {
    let conn = zbus::Connection::system().await?;
    let nm = zbus::Proxy::new(
        &conn,
        "org.freedesktop.NetworkManager",
        "/org/freedesktop/NetworkManager",
        "org.freedesktop.NetworkManager",
    )
    .await?;
    let mut changes = nm.receive_property_changed::<u32>("Metered").await;
    let apply = |value: u32| {
        let metered = metered_from_network_manager(value);
        *facts.lock().unwrap_or_else(|p| p.into_inner()) = NetworkFacts {
            available: true,
            metered,
        };
        tracing::info!("connection metered: {metered:?} (NetworkManager {value})");
        engine.set_metered(metered);
    };
    apply(nm.get_property::<u32>("Metered").await?);
    while let Some(change) = changes.next().await {
        apply(change.get().await?);
    }
    Ok(())
}

/// logind's `Inhibit("sleep", "Hoist", why, "block")`: the returned fd is the lock;
/// dropping it (closing the fd) releases it.
pub struct LogindInhibitor;

impl SleepInhibitor for LogindInhibitor {
    fn inhibit(&self, why: &str) -> hoist_core::Result<Box<dyn Send>> {
        let no =
            |e: zbus::Error| HoistError::InvalidInput(format!("logind is not reachable ({e})"));
        let conn = zbus::blocking::Connection::system().map_err(no)?;
        let fd: zbus::zvariant::OwnedFd = conn
            .call_method(
                Some("org.freedesktop.login1"),
                "/org/freedesktop/login1",
                Some("org.freedesktop.login1.Manager"),
                "Inhibit",
                &("sleep", "Hoist", why, "block"),
            )
            .map_err(no)?
            .body()
            .deserialize()
            .map_err(no)?;
        Ok(Box::new(fd))
    }
}
