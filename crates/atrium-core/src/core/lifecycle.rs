//! The app in the background and back: after a grace period in the background the cache is
//! saved and the live socket closed (no battery or data spent on values nobody sees); back in
//! front, the socket reconnects at once and every subscription gets a fresh snapshot.
//!
//! A phone may freeze the process in the background, so the grace timer may never fire: coming
//! back after longer than the grace period then reconnects anyway, since a socket left open
//! that long may be dead without knowing it.

use super::Core;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// How long the app may sit in the background before its socket is closed: long enough for a
/// glance at another app or a notification, short enough not to drain a phone.
pub(crate) const BACKGROUND_GRACE: Duration = Duration::from_secs(30);

/// What coming back to the front asks of the live connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnVisible {
    /// Back within the grace period: the socket is open and fine.
    Nothing,
    /// The grace period ended the socket: open it again, at once.
    Resume,
    /// Away longer than the grace period without the timer firing (a frozen process): the socket
    /// may be dead without knowing it, so replace it.
    Reconnect,
}

struct Hidden {
    since: Instant,
    since_wall: SystemTime,
    timer: JoinHandle<()>,
    paused: Arc<AtomicBool>,
}

#[derive(Default)]
pub(crate) struct Lifecycle {
    hidden: Mutex<Option<Hidden>>,
}

impl Lifecycle {
    /// The app went to the background: `after_grace` runs once the grace period has passed, unless
    /// the app is back first. A second "hidden" while hidden changes nothing.
    pub(crate) fn hidden<F>(&self, grace: Duration, after_grace: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let mut hidden = self.hidden.lock();
        if hidden.is_some() {
            return;
        }
        let paused = Arc::new(AtomicBool::new(false));
        let timer = tokio::spawn({
            let paused = paused.clone();
            async move {
                tokio::time::sleep(grace).await;
                paused.store(true, Ordering::SeqCst);
                after_grace.await;
            }
        });
        *hidden = Some(Hidden { since: Instant::now(), since_wall: SystemTime::now(), timer, paused });
    }

    /// The app is in front again: what the live connection needs.
    pub(crate) fn visible(&self, grace: Duration) -> OnVisible {
        let Some(hidden) = self.hidden.lock().take() else {
            return OnVisible::Nothing;
        };
        hidden.timer.abort();
        if hidden.paused.load(Ordering::SeqCst) {
            return OnVisible::Resume;
        }
        // The longer of the two clocks: a suspended device stops the monotonic one.
        let wall = SystemTime::now().duration_since(hidden.since_wall).unwrap_or_default();
        if hidden.since.elapsed().max(wall) >= grace {
            OnVisible::Reconnect
        } else {
            OnVisible::Nothing
        }
    }
}

impl Core {
    /// The app went to the background (its window hidden or minimised, the phone locked,
    /// another app in front). After the grace period ([`BACKGROUND_GRACE`] unless the builder
    /// set another) the building and its last values are saved and the live connection paused.
    pub fn app_hidden(&self) {
        let grace = self.shared.background_grace;
        let Some(active) = self.shared.active() else { return };
        let session = Arc::downgrade(&active);
        let core = Core { shared: self.shared.clone() };
        self.shared.lifecycle.hidden(grace, async move {
            core.save_cache().await;
            if let Some(active) = session.upgrade() {
                tracing::info!("in the background for {} s: pausing live data", grace.as_secs());
                active.live.pause();
            }
        });
    }

    /// The app is in front again: a paused live connection reconnects at once, and every value
    /// on screen gets a fresh snapshot from the server.
    pub fn app_visible(&self) {
        let wanted = self.shared.lifecycle.visible(self.shared.background_grace);
        let Some(active) = self.shared.active() else { return };
        match wanted {
            OnVisible::Nothing => {}
            OnVisible::Resume => {
                tracing::info!("back in front: resuming live data");
                active.live.resume();
            }
            OnVisible::Reconnect => {
                tracing::info!("back in front after a long time: reconnecting live data");
                active.live.reconnect_now();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    const GRACE: Duration = Duration::from_secs(30);

    fn counting(
    ) -> (Arc<AtomicUsize>, impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>)
    {
        let ran = Arc::new(AtomicUsize::new(0));
        let counter = ran.clone();
        let make = move || {
            let counter = counter.clone();
            Box::pin(async move {
                counter.fetch_add(1, Ordering::SeqCst);
            }) as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
        };
        (ran, make)
    }

    #[tokio::test(start_paused = true)]
    async fn a_short_trip_to_the_background_changes_nothing() {
        let lifecycle = Lifecycle::default();
        let (ran, after_grace) = counting();
        lifecycle.hidden(GRACE, after_grace());
        tokio::time::sleep(GRACE - Duration::from_secs(1)).await;
        assert_eq!(lifecycle.visible(GRACE), OnVisible::Nothing);
        tokio::time::sleep(GRACE * 4).await;
        assert_eq!(ran.load(Ordering::SeqCst), 0, "the grace timer was cancelled");
    }

    #[tokio::test(start_paused = true)]
    async fn after_the_grace_period_the_work_runs_once_and_coming_back_resumes() {
        let lifecycle = Lifecycle::default();
        let (ran, after_grace) = counting();
        lifecycle.hidden(GRACE, after_grace());
        // Hidden again (a second window event): still one timer.
        lifecycle.hidden(GRACE, after_grace());
        tokio::time::sleep(GRACE + Duration::from_secs(1)).await;
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        tokio::time::sleep(GRACE * 10).await;
        assert_eq!(ran.load(Ordering::SeqCst), 1, "once per trip to the background");
        assert_eq!(lifecycle.visible(GRACE), OnVisible::Resume);
        assert_eq!(lifecycle.visible(GRACE), OnVisible::Nothing, "visible twice resumes once");
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_absence_whose_timer_never_ran_reconnects() {
        let lifecycle = Lifecycle::default();
        // A frozen process: the timer's work never completes (it waits forever).
        lifecycle.hidden(GRACE, std::future::pending::<()>());
        let hidden = lifecycle.hidden.lock().take().unwrap();
        hidden.timer.abort();
        *lifecycle.hidden.lock() = Some(Hidden { paused: Arc::new(AtomicBool::new(false)), ..hidden });
        tokio::time::sleep(GRACE * 2).await;
        assert_eq!(lifecycle.visible(GRACE), OnVisible::Reconnect);
    }

    #[tokio::test(start_paused = true)]
    async fn visible_without_hidden_is_nothing() {
        assert_eq!(Lifecycle::default().visible(GRACE), OnVisible::Nothing);
    }
}
