//! The queue's events on their way to the page. Every message on a Tauri channel is a
//! script evaluated in the webview, and a burst of small files makes four to six
//! engine events per file: one message each kept the app and WebKit busier with the
//! messages than the files were worth. Events that arrive within a frame of each
//! other go as one message instead (the page renders once a frame anyway).

use std::time::Duration;

use hoist_core::EngineEvent;
use tokio::sync::broadcast::{self, error::RecvError};

/// How long a batch keeps gathering after its first event: a frame at 60 Hz.
pub const GATHER: Duration = Duration::from_millis(16);
/// At most this many events in one message, so a burst of queued files is several.
pub const MOST: usize = 2048;

/// Events taken from the engine, in its order, and what came after them.
#[derive(Debug)]
pub struct Batch {
    pub events: Vec<EngineEvent>,
    pub then: Then,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    /// More may follow.
    More,
    /// The receiver fell behind and events were dropped after these: the page must
    /// fetch the whole queue again.
    Lagged,
    /// The engine is gone.
    Closed,
}

/// Waits for an event, then gathers what else arrives within `gather` of it (at most
/// `most` events).
pub async fn next_batch(
    events: &mut broadcast::Receiver<EngineEvent>,
    gather: Duration,
    most: usize,
) -> Batch {
    let mut batch = Vec::new();
    let then = match events.recv().await {
        Ok(event) => {
            batch.push(event);
            let until = tokio::time::Instant::now() + gather;
            loop {
                if batch.len() >= most.max(1) {
                    break Then::More;
                }
                match tokio::time::timeout_at(until, events.recv()).await {
                    Ok(Ok(event)) => batch.push(event),
                    Ok(Err(e)) => break ended(e),
                    Err(_elapsed) => break Then::More,
                }
            }
        }
        Err(e) => ended(e),
    };
    Batch {
        events: batch,
        then,
    }
}

fn ended(e: RecvError) -> Then {
    match e {
        RecvError::Lagged(_) => Then::Lagged,
        RecvError::Closed => Then::Closed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paused(id: i64) -> EngineEvent {
        EngineEvent::Paused { id }
    }

    fn ids(batch: &Batch) -> Vec<i64> {
        batch
            .events
            .iter()
            .map(|e| match e {
                EngineEvent::Paused { id } => *id,
                other => panic!("unexpected event {other:?}"),
            })
            .collect()
    }

    #[tokio::test]
    async fn events_sent_together_are_one_batch_in_order() {
        let (tx, mut rx) = broadcast::channel(64);
        for id in 1..=5 {
            tx.send(paused(id)).unwrap();
        }
        let batch = next_batch(&mut rx, Duration::from_millis(20), 100).await;
        assert_eq!(ids(&batch), vec![1, 2, 3, 4, 5]);
        assert_eq!(batch.then, Then::More);
    }

    #[tokio::test]
    async fn a_batch_holds_at_most_its_limit_and_the_rest_follows() {
        let (tx, mut rx) = broadcast::channel(64);
        for id in 1..=5 {
            tx.send(paused(id)).unwrap();
        }
        let first = next_batch(&mut rx, Duration::from_secs(5), 3).await;
        assert_eq!(ids(&first), vec![1, 2, 3]);
        let second = next_batch(&mut rx, Duration::from_millis(20), 3).await;
        assert_eq!(ids(&second), vec![4, 5]);
    }

    #[tokio::test]
    async fn an_event_after_the_gathering_goes_in_the_next_batch() {
        let (tx, mut rx) = broadcast::channel(64);
        tx.send(paused(1)).unwrap();
        let later = tx.clone();
        let sender = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            later.send(paused(2)).unwrap();
        });
        let first = next_batch(&mut rx, Duration::from_millis(30), 100).await;
        assert_eq!(ids(&first), vec![1]);
        let second = next_batch(&mut rx, Duration::from_millis(30), 100).await;
        assert_eq!(ids(&second), vec![2]);
        sender.await.unwrap();
    }

    #[tokio::test]
    async fn a_receiver_that_fell_behind_says_so_after_what_it_has() {
        let (tx, mut rx) = broadcast::channel(2);
        for id in 1..=5 {
            tx.send(paused(id)).unwrap();
        }
        let batch = next_batch(&mut rx, Duration::from_millis(20), 100).await;
        assert!(batch.events.is_empty(), "the oldest were dropped first");
        assert_eq!(batch.then, Then::Lagged);
        // After the lag the receiver goes on with what the channel kept.
        let rest = next_batch(&mut rx, Duration::from_millis(20), 100).await;
        assert_eq!(ids(&rest), vec![4, 5]);
    }

    #[tokio::test]
    async fn the_engine_going_away_ends_the_feed_after_its_last_events() {
        let (tx, mut rx) = broadcast::channel(8);
        tx.send(paused(7)).unwrap();
        drop(tx);
        let batch = next_batch(&mut rx, Duration::from_secs(5), 100).await;
        assert_eq!(ids(&batch), vec![7]);
        assert_eq!(batch.then, Then::Closed);
    }
}
