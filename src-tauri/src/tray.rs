//! The tray icon (overall progress, pause/resume all) and the notification when a
//! batch of uploads ends. Both follow the engine's event stream.

use std::time::Duration;

use hoist_core::{Engine, EngineEvent, QueueTotals};
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};
use tauri_plugin_notification::NotificationExt;
use tokio::sync::broadcast::error::RecvError;

pub fn show_main(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}

/// What the batch since the queue was last idle came to (for its notification).
#[derive(Default, Debug, PartialEq)]
pub struct Overall {
    verified: u32,
    failed: u32,
}

/// What the batch came to, when the queue went idle after doing something.
#[derive(Debug, PartialEq)]
pub struct BatchEnd {
    pub verified: u32,
    pub failed: u32,
}

impl Overall {
    pub fn apply(&mut self, e: &EngineEvent) -> Option<BatchEnd> {
        match e {
            EngineEvent::Completed { .. } => self.verified += 1,
            EngineEvent::Failed { .. } => self.failed += 1,
            EngineEvent::Idle => {
                let end = (self.verified + self.failed > 0).then_some(BatchEnd {
                    verified: self.verified,
                    failed: self.failed,
                });
                self.verified = 0;
                self.failed = 0;
                return end;
            }
            _ => {}
        }
        None
    }
}

/// At most one batch notification per `every`: batches that end sooner (a watched
/// folder syncing file after file) are added up and shown as one summary when the
/// time has come.
pub struct NotifyLimiter {
    every: Duration,
    last: Option<std::time::Instant>,
    pending: Option<BatchEnd>,
}

/// Notifications are a summary, not a feed.
const NOTIFY_EVERY: Duration = Duration::from_secs(60);

impl NotifyLimiter {
    pub fn new(every: Duration) -> Self {
        NotifyLimiter {
            every,
            last: None,
            pending: None,
        }
    }

    /// A batch ended: what to show now, if anything.
    pub fn offer(&mut self, end: BatchEnd, now: std::time::Instant) -> Option<BatchEnd> {
        let p = self.pending.get_or_insert(BatchEnd {
            verified: 0,
            failed: 0,
        });
        p.verified += end.verified;
        p.failed += end.failed;
        self.due(now)
    }

    /// Called on every tick: the held summary once its time has come.
    pub fn due(&mut self, now: std::time::Instant) -> Option<BatchEnd> {
        self.pending.as_ref()?;
        if self
            .last
            .is_some_and(|l| now.duration_since(l) < self.every)
        {
            return None;
        }
        self.last = Some(now);
        self.pending.take()
    }
}

impl BatchEnd {
    pub fn message(&self) -> (String, String) {
        let files = |n: u32| {
            if n == 1 {
                "1 file".to_owned()
            } else {
                format!("{n} files")
            }
        };
        if self.failed == 0 {
            (
                "Uploads finished".into(),
                format!("{} uploaded and verified", files(self.verified)),
            )
        } else {
            (
                "Some uploads failed".into(),
                format!(
                    "{} uploaded, {} failed: open Hoist to see why and retry",
                    files(self.verified),
                    files(self.failed)
                ),
            )
        }
    }
}

pub fn install(app: &AppHandle, engine: Engine) -> tauri::Result<()> {
    let status = MenuItem::with_id(app, "status", "Hoist: idle", false, None::<&str>)?;
    let show = MenuItem::with_id(app, "show", "Show Hoist", true, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause_all", "Pause all", true, None::<&str>)?;
    let resume = MenuItem::with_id(app, "resume_all", "Resume all", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Hoist", true, None::<&str>)?;
    let menu: Menu<Wry> = Menu::with_items(
        app,
        &[
            &status,
            &PredefinedMenuItem::separator(app)?,
            &show,
            &pause,
            &resume,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    let actions = engine.clone();
    let mut builder = TrayIconBuilder::with_id("main")
        .tooltip("Hoist")
        .menu(&menu)
        .on_menu_event(move |app, event| {
            let engine = actions.clone();
            match event.id().as_ref() {
                "show" => show_main(app),
                "pause_all" => {
                    tauri::async_runtime::spawn(async move { engine.pause_all().await });
                }
                "resume_all" => {
                    tauri::async_runtime::spawn(async move { engine.resume_all().await });
                }
                "quit" => app.exit(0),
                _ => {}
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    let tray = builder.build(app)?;

    let app = app.clone();
    let mut events = engine.subscribe();
    tauri::async_runtime::spawn(async move {
        let mut overall = Overall::default();
        let mut limiter = NotifyLimiter::new(NOTIFY_EVERY);
        let show = |end: BatchEnd| {
            let (title, body) = end.message();
            if let Err(err) = app.notification().builder().title(title).body(body).show() {
                tracing::info!("notification not shown: {err}");
            }
        };
        let mut shown = String::new();
        // The line is recounted from the queue (as the header counts it) once a second
        // while events arrive.
        let mut changed = true;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                e = events.recv() => match e {
                    Ok(e) => {
                        changed = true;
                        if let Some(end) = overall.apply(&e)
                            && let Some(now) = limiter.offer(end, std::time::Instant::now())
                        {
                            show(now);
                        }
                    }
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => break,
                },
                _ = tick.tick() => {
                    if let Some(end) = limiter.due(std::time::Instant::now()) {
                        show(end);
                    }
                    if !changed {
                        continue;
                    }
                    changed = false;
                    let Ok(items) = engine.snapshot().await else {
                        continue;
                    };
                    let now = format!("Hoist: {}", QueueTotals::of(&items).describe());
                    if now != shown {
                        let _ = tray.set_tooltip(Some(&now));
                        let _ = status.set_text(&now);
                        shown = now;
                    }
                }
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_ends_at_idle() {
        let mut o = Overall::default();
        assert_eq!(
            o.apply(&EngineEvent::Paused { id: 1 }),
            None,
            "no batch end before idle"
        );
        o.apply(&EngineEvent::Failed {
            id: 2,
            key: "k".into(),
            error: hoist_core::HoistError::Cancelled.to_report(),
        });
        let end = o.apply(&EngineEvent::Idle).expect("a batch ended");
        assert_eq!(
            end,
            BatchEnd {
                verified: 0,
                failed: 1
            }
        );
        assert!(end.message().1.contains("1 file failed"));
        assert_eq!(o.apply(&EngineEvent::Idle), None, "nothing happened since");
    }

    #[test]
    fn a_burst_of_batches_is_one_summary_per_interval() {
        let t0 = std::time::Instant::now();
        let s = |n| Duration::from_secs(n);
        let one = || BatchEnd {
            verified: 1,
            failed: 0,
        };
        let mut l = NotifyLimiter::new(s(60));
        assert_eq!(
            l.offer(one(), t0),
            Some(one()),
            "the first is shown at once"
        );
        for i in 1..=12 {
            assert_eq!(l.offer(one(), t0 + s(i)), None, "held within the minute");
        }
        assert_eq!(l.due(t0 + s(59)), None);
        let summary = l.due(t0 + s(60)).expect("shown when the minute is over");
        assert_eq!(summary.verified, 12);
        assert_eq!(summary.message().1, "12 files uploaded and verified");
        assert_eq!(l.due(t0 + s(200)), None, "nothing pending, nothing shown");
        assert_eq!(l.offer(one(), t0 + s(200)), Some(one()));
    }
}
