//! Request bodies with a deadline. Once a request's head is in, its body
//! must be complete within a whole-body timeout and, after a grace period,
//! keep coming at a minimum average rate (Apache's `RequestReadTimeout
//! body=...,MinRate=...` model). A client that trickles its body, or stops
//! sending it, is answered 408 and cut off instead of holding a connection.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::time::{Instant, Sleep};

/// How fast a request body must arrive.
#[derive(Debug, Clone, Copy)]
pub struct BodyPace {
    /// The whole body, at the latest this long after the head.
    pub timeout: Duration,
    /// Time before the minimum rate counts.
    pub grace: Duration,
    /// Bytes a second, on average after the grace period; 0: no minimum.
    pub min_rate: u64,
}

impl Default for BodyPace {
    fn default() -> Self {
        Self { timeout: Duration::from_secs(60), grace: Duration::from_secs(5), min_rate: 1024 }
    }
}

impl BodyPace {
    /// When a body that started at `start` and brought `received` bytes so
    /// far must have brought more: each byte earns `1 / min_rate` seconds
    /// beyond the grace period, never beyond the timeout.
    fn deadline(&self, start: Instant, received: u64) -> Instant {
        let earned = match self.min_rate {
            0 => self.timeout,
            rate => self.grace.saturating_add(Duration::from_secs_f64(received as f64 / rate as f64)),
        };
        start + self.timeout.min(earned)
    }
}

/// Whether a request's body came too slowly; shared between the body and
/// the server loop, which then answers 408 whatever the handler made of
/// the broken body.
#[derive(Debug, Clone, Default)]
pub struct TooSlow(Arc<AtomicBool>);

impl TooSlow {
    pub fn happened(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The error a too-slow body ends with.
#[derive(Debug)]
struct BodyTooSlow;

impl fmt::Display for BodyTooSlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the request body came too slowly")
    }
}

impl Error for BodyTooSlow {}

/// A request body that fails once it is late.
pub struct PacedBody {
    inner: Incoming,
    pace: BodyPace,
    start: Instant,
    received: u64,
    timer: Pin<Box<Sleep>>,
    too_slow: TooSlow,
}

impl PacedBody {
    /// `inner`, paced from now.
    pub fn new(inner: Incoming, pace: BodyPace, too_slow: TooSlow) -> Self {
        let start = Instant::now();
        let timer = Box::pin(tokio::time::sleep_until(pace.deadline(start, 0)));
        Self { inner, pace, start, received: 0, timer, too_slow }
    }
}

impl Body for PacedBody {
    type Data = Bytes;
    type Error = Box<dyn Error + Send + Sync>;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                    this.timer.as_mut().reset(this.pace.deadline(this.start, this.received));
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(error.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.too_slow.0.store(true, Ordering::Relaxed);
                    Poll::Ready(Some(Err(BodyTooSlow.into())))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_byte_earns_time_up_to_the_timeout() {
        let pace = BodyPace { timeout: Duration::from_secs(60), grace: Duration::from_secs(5), min_rate: 100 };
        let start = Instant::now();
        assert_eq!(pace.deadline(start, 0), start + Duration::from_secs(5));
        assert_eq!(pace.deadline(start, 1000), start + Duration::from_secs(15));
        assert_eq!(pace.deadline(start, 1 << 30), start + Duration::from_secs(60));
        let no_rate = BodyPace { min_rate: 0, ..pace };
        assert_eq!(no_rate.deadline(start, 0), start + Duration::from_secs(60));
    }
}
