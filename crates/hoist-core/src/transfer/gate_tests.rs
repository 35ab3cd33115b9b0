//! The queue holding for the user's transfer rules, changing its pool while running,
//! and saying "waiting for network" instead of counting attempts (in-memory store).

use std::time::Duration;

use super::tests::{start, target, until_done, write};
use super::*;
use crate::error::HoistError;
use crate::events::EngineEvent;
use crate::s3::memory::Call;
use crate::transfer::plan::MIB;

/// A window that closed an hour ago and opens in two hours.
fn closed_window() -> ScheduleWindow {
    let now = gate::local_minute_of_day();
    let hhmm = |m: u16| format!("{:02}:{:02}", (m % 1440) / 60, m % 60);
    ScheduleWindow {
        start: hhmm(now + 120),
        end: hhmm(now + 1440 - 60),
    }
}

async fn status(engine: &Engine, id: i64) -> ItemStatus {
    engine
        .snapshot()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.id == id)
        .unwrap()
}

#[tokio::test]
async fn outside_the_schedule_the_queue_waits_and_says_when_it_starts() {
    let h = start(4).await;
    let window = closed_window();
    h.engine
        .apply_transfer_settings(&TransferSettings {
            schedule: Some(window.clone()),
            ..TransferSettings::default()
        })
        .unwrap();
    let mut events = h.engine.subscribe();
    let (path, data) = write(h.dir.path(), "night.bin", 1024);
    let id = h
        .engine
        .add(vec![path], target(), AddOptions::default())
        .await
        .unwrap()[0];
    tokio::time::sleep(Duration::from_millis(300)).await;
    let s = status(&h.engine, id).await;
    assert_eq!(s.state, ItemState::Queued);
    let why = s.waiting.expect("a reason in the status");
    assert_eq!(
        why.words(),
        format!("waiting for schedule (starts {})", window.start)
    );
    assert_eq!(h.engine.held(), Some(why));
    assert_eq!(h.store.calls(Call::Put), 0, "nothing was sent");
    // The user drops the window: the queue goes on at once.
    h.engine
        .apply_transfer_settings(&TransferSettings::default())
        .unwrap();
    until_done(&mut events, id).await;
    assert!(h.store.object("night.bin").unwrap().data == data);
    assert_eq!(h.engine.held(), None);
}

#[tokio::test]
async fn a_metered_connection_stops_a_running_upload_until_it_is_not_metered() {
    let h = start(4).await;
    h.engine
        .apply_transfer_settings(&TransferSettings {
            pause_on_metered: true,
            rate_limit: Some(4 * MIB),
            ..TransferSettings::default()
        })
        .unwrap();
    let mut events = h.engine.subscribe();
    let (path, data) = write(h.dir.path(), "big.bin", 12 * MIB as usize);
    let id = h
        .engine
        .add(vec![path], target(), AddOptions::default())
        .await
        .unwrap()[0];
    loop {
        if let Ok(EngineEvent::Started { id: i, .. }) = events.recv().await
            && i == id
        {
            break;
        }
    }
    h.engine.set_metered(Some(true));
    loop {
        if let Ok(EngineEvent::Held { reason }) = events.recv().await {
            assert_eq!(reason, Some(WaitReason::Metered));
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let s = status(&h.engine, id).await;
    assert_eq!(s.state, ItemState::Queued, "stopped, waiting queued");
    assert_eq!(s.waiting.unwrap().words(), "paused: metered connection");
    let parts = h.store.calls(Call::UploadPart);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        h.store.calls(Call::UploadPart),
        parts,
        "nothing sent while held"
    );
    h.engine.set_metered(Some(false));
    let seen = until_done(&mut events, id).await;
    assert!(
        seen.iter()
            .any(|e| matches!(e, EngineEvent::Completed { id: i, .. } if *i == id)),
        "{seen:?}"
    );
    assert!(h.store.object("big.bin").unwrap().data == data);
}

#[tokio::test]
async fn concurrency_changes_while_running_and_bad_values_are_refused() {
    let h = start(4).await;
    h.engine.set_concurrency(1).unwrap();
    assert_eq!(h.engine.concurrency(), 1);
    let err = h.engine.set_concurrency(0).unwrap_err().to_string();
    assert!(err.contains("between 1 and"), "{err}");
    h.engine.set_concurrency(8).unwrap();
    assert_eq!(h.engine.concurrency(), 8);
    let mut events = h.engine.subscribe();
    let (path, _) = write(h.dir.path(), "f.bin", 12 * MIB as usize);
    let id = h
        .engine
        .add(vec![path], target(), AddOptions::default())
        .await
        .unwrap()[0];
    until_done(&mut events, id).await;
    assert!(h.store.object("f.bin").is_some());
}

#[tokio::test]
async fn a_network_failure_is_waiting_for_network_not_an_attempt_count() {
    let h = start(2).await;
    h.store.fail_next(
        Call::Put,
        (0..3)
            .map(|_| HoistError::Network("connection refused".into()))
            .collect(),
    );
    let mut events = h.engine.subscribe();
    let (path, _) = write(h.dir.path(), "f.bin", 1024);
    let id = h
        .engine
        .add(vec![path], target(), AddOptions::default())
        .await
        .unwrap()[0];
    let mut saw_waiting = false;
    let seen = until_done(&mut events, id).await;
    for e in &seen {
        if let EngineEvent::Retrying { offline, .. } = e {
            assert!(*offline, "a network failure is marked offline: {e:?}");
            saw_waiting = true;
        }
    }
    assert!(saw_waiting, "{seen:?}");
    // Got through: no longer waiting.
    assert_eq!(status(&h.engine, id).await.waiting, None);
}

/// The engine's queue drives the sleep lock: held while the upload runs, released
/// (dropped) once it is done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sleep_lock_is_held_while_an_upload_runs_and_released_after() {
    use std::sync::atomic::AtomicUsize;
    use std::sync::atomic::Ordering;
    use std::sync::{Arc, Mutex};

    struct Lock(Arc<AtomicUsize>);
    impl Drop for Lock {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
    #[derive(Clone)]
    struct Counted(Arc<AtomicUsize>, Arc<Mutex<Vec<String>>>);
    impl awake::SleepInhibitor for Counted {
        fn inhibit(&self, why: &str) -> crate::Result<Box<dyn Send>> {
            self.1.lock().unwrap().push(why.to_owned());
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(Box::new(Lock(self.0.clone())))
        }
    }
    let h = start(4).await;
    h.engine.set_rate_limit(Some(4 * MIB));
    let live = Arc::new(AtomicUsize::new(0));
    let why = Arc::new(Mutex::new(Vec::new()));
    tokio::spawn(awake::keep_awake(
        h.engine.clone(),
        Counted(live.clone(), why.clone()),
    ));
    let (path, _) = write(h.dir.path(), "f.bin", 6 * MIB as usize);
    h.engine
        .add(vec![path], target(), AddOptions::default())
        .await
        .unwrap();
    let mut held_seen = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if live.load(Ordering::SeqCst) == 1 {
            held_seen = true;
            break;
        }
    }
    assert!(held_seen, "the lock is taken while the upload runs");
    h.engine.wait_idle().await.unwrap();
    for _ in 0..40 {
        if live.load(Ordering::SeqCst) == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(live.load(Ordering::SeqCst), 0, "released when idle");
    assert_eq!(*why.lock().unwrap(), vec!["uploading 1 file"]);
}
