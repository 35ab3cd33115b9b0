//! Keeping the machine awake while uploads run: the shell provides the OS lock
//! (logind's Inhibit over D-Bus on Linux) behind [`SleepInhibitor`]; when to take and
//! release it is decided here, from the queue, and tested without D-Bus.

use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use super::engine::Engine;
use super::queue::ItemState;
use crate::error::Result;
use crate::events::EngineEvent;

/// An OS lock that keeps the machine from sleeping while its guard lives.
pub trait SleepInhibitor: Send + Sync + 'static {
    /// Takes the lock; dropping the guard releases it (for logind: closes the fd).
    fn inhibit(&self, why: &str) -> Result<Box<dyn Send>>;
}

/// Holds the lock exactly while uploads run.
pub struct KeepAwake<I: SleepInhibitor> {
    inhibitor: I,
    held: Option<Box<dyn Send>>,
    /// A missing logind (containers, CI) is said once, not at every upload.
    said_unavailable: bool,
}

impl<I: SleepInhibitor> KeepAwake<I> {
    pub fn new(inhibitor: I) -> Self {
        KeepAwake {
            inhibitor,
            held: None,
            said_unavailable: false,
        }
    }

    /// `running` uploads now: takes the lock when work starts, releases it when idle.
    pub fn update(&mut self, running: usize) {
        if running == 0 {
            if self.held.take().is_some() {
                tracing::info!("idle: sleep allowed again");
            }
            return;
        }
        if self.held.is_some() {
            return;
        }
        let why = if running == 1 {
            "uploading 1 file".to_owned()
        } else {
            format!("uploading {running} files")
        };
        match self.inhibitor.inhibit(&why) {
            Ok(guard) => {
                tracing::info!("sleep inhibited: {why}");
                self.held = Some(guard);
            }
            Err(e) if !self.said_unavailable => {
                self.said_unavailable = true;
                tracing::info!("cannot keep the machine awake during uploads: {e}");
            }
            Err(_) => {}
        }
    }

    pub fn is_held(&self) -> bool {
        self.held.is_some()
    }
}

/// Runs for the engine's life: after each change in the queue (settled for a moment),
/// counts running uploads and keeps the lock accordingly. Progress events alone
/// change nothing and are skipped.
pub async fn keep_awake<I: SleepInhibitor>(engine: Engine, inhibitor: I) {
    let mut events = engine.subscribe();
    let mut guard = KeepAwake::new(inhibitor);
    loop {
        match events.recv().await {
            Ok(EngineEvent::Progress { .. } | EngineEvent::PartDone { .. }) => continue,
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => break,
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let Ok(items) = engine.snapshot().await else {
            break;
        };
        let running = items
            .iter()
            .filter(|i| i.state == ItemState::Running)
            .count();
        // The OS call blocks (D-Bus): off the async threads where the runtime allows.
        let multi = tokio::runtime::Handle::current().runtime_flavor()
            == tokio::runtime::RuntimeFlavor::MultiThread;
        if multi {
            tokio::task::block_in_place(|| guard.update(running));
        } else {
            guard.update(running);
        }
    }
    guard.update(0);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::error::HoistError;

    /// Counts live locks and the reasons given, like logind's list would.
    #[derive(Clone, Default)]
    struct Counted {
        pub live: Arc<AtomicUsize>,
        pub taken: Arc<std::sync::Mutex<Vec<String>>>,
        pub fail: bool,
    }

    struct Lock(Arc<AtomicUsize>);
    impl Drop for Lock {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }

    impl SleepInhibitor for Counted {
        fn inhibit(&self, why: &str) -> Result<Box<dyn Send>> {
            if self.fail {
                return Err(HoistError::InvalidInput("no logind".into()));
            }
            self.taken.lock().unwrap().push(why.to_owned());
            self.live.fetch_add(1, Ordering::SeqCst);
            Ok(Box::new(Lock(self.live.clone())))
        }
    }

    #[test]
    fn one_lock_while_busy_released_when_idle() {
        let c = Counted::default();
        let mut k = KeepAwake::new(c.clone());
        k.update(0);
        assert_eq!(c.live.load(Ordering::SeqCst), 0);
        k.update(3);
        k.update(5);
        assert_eq!(
            c.live.load(Ordering::SeqCst),
            1,
            "one lock, not one per update"
        );
        assert_eq!(*c.taken.lock().unwrap(), vec!["uploading 3 files"]);
        k.update(0);
        assert_eq!(
            c.live.load(Ordering::SeqCst),
            0,
            "released (fd closed) when idle"
        );
        k.update(1);
        assert_eq!(c.taken.lock().unwrap()[1], "uploading 1 file");
    }

    #[test]
    fn no_logind_is_not_an_error() {
        let mut k = KeepAwake::new(Counted {
            fail: true,
            ..Counted::default()
        });
        k.update(2);
        k.update(2);
        assert!(!k.is_held());
        assert!(k.said_unavailable);
    }
}
