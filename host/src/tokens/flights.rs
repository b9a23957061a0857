//! In-process single flight: one job per key at a time, run as a detached
//! task, its outcome shared by every caller that asked meanwhile. A caller
//! that gives up stops waiting; the job goes on, so work that has reached a
//! provider (a refresh token spent) always completes and is stored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

/// The jobs in flight, by key.
pub struct Flights<T> {
    running: Mutex<HashMap<String, watch::Receiver<Option<T>>>>,
}

impl<T> Default for Flights<T> {
    fn default() -> Self {
        Self { running: Mutex::default() }
    }
}

impl<T: Clone + Send + Sync + 'static> Flights<T> {
    /// Waits for the job running under `key`, or starts `job` as a detached
    /// task and waits for it. `None` if the job panicked.
    pub async fn join<F>(self: &Arc<Self>, key: &str, job: impl FnOnce() -> F) -> Option<T>
    where
        F: Future<Output = T> + Send + 'static,
    {
        let mut outcome = {
            let mut running = self.running.lock().expect("flights");
            match running.get(key) {
                Some(outcome) => outcome.clone(),
                None => {
                    let (done, outcome) = watch::channel(None);
                    running.insert(key.to_owned(), outcome.clone());
                    let landing = Landing { flights: self.clone(), key: key.to_owned() };
                    let job = job();
                    tokio::spawn(async move {
                        let result = job.await;
                        drop(landing);
                        let _ = done.send(Some(result));
                    });
                    outcome
                }
            }
        };
        outcome.wait_for(Option::is_some).await.ok()?.clone()
    }
}

impl<T> Flights<T> {
    /// Whether no job is in flight.
    pub fn is_empty(&self) -> bool {
        self.running.lock().expect("flights").is_empty()
    }
}

/// Removes a job from the map when it ends, panics included, so the next
/// caller starts afresh.
struct Landing<T> {
    flights: Arc<Flights<T>>,
    key: String,
}

impl<T> Drop for Landing<T> {
    fn drop(&mut self) {
        self.flights.running.lock().expect("flights").remove(&self.key);
    }
}
