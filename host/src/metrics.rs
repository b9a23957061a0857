//! Process metrics in the Prometheus text format, served at `/metrics`:
//! API requests by status class, token refreshes and their failures, the
//! background refresher's renewals, and
//! the latency of component calls. Counters are process-wide, as
//! Prometheus scrapes a process; the days left of client secrets come from
//! the store at each scrape.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::store::{SecretExpiry, days_left};

/// Upper bounds (seconds) of the component-call latency buckets.
const BUCKETS: [f64; 7] = [0.000_05, 0.000_1, 0.000_5, 0.001, 0.01, 0.1, 1.0];

/// The process's counters.
pub struct Metrics {
    requests: [AtomicU64; 5],
    refreshes: AtomicU64,
    refresh_failures: AtomicU64,
    stale_handouts: AtomicU64,
    renewals_ahead: AtomicU64,
    renewals_ahead_in_flight: AtomicU64,
    busy: AtomicU64,
    component_calls: [AtomicU64; BUCKETS.len() + 1],
    component_seconds_micros: AtomicU64,
    component_faults: AtomicU64,
}

/// The one set of metrics.
pub static METRICS: Metrics = Metrics {
    requests: [const { AtomicU64::new(0) }; 5],
    refreshes: AtomicU64::new(0),
    refresh_failures: AtomicU64::new(0),
    stale_handouts: AtomicU64::new(0),
    renewals_ahead: AtomicU64::new(0),
    renewals_ahead_in_flight: AtomicU64::new(0),
    busy: AtomicU64::new(0),
    component_calls: [const { AtomicU64::new(0) }; BUCKETS.len() + 1],
    component_seconds_micros: AtomicU64::new(0),
    component_faults: AtomicU64::new(0),
};

impl Metrics {
    /// One API request answered with `status`.
    pub fn request(&self, status: u16) {
        let class = (status / 100).clamp(1, 5) as usize - 1;
        self.requests[class].fetch_add(1, Ordering::Relaxed);
    }

    /// One refresh sent to a provider, and whether it failed.
    pub fn refresh(&self, failed: bool) {
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.refresh_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A still-valid stored token handed out because its refresh failed
    /// for a passing reason.
    pub fn stale_handout(&self) {
        self.stale_handouts.fetch_add(1, Ordering::Relaxed);
    }

    /// A token the background refresher renewed (this process asked the provider).
    pub fn renewed_ahead(&self) {
        self.renewals_ahead.fetch_add(1, Ordering::Relaxed);
    }

    /// A background renewal begun (`true`) or ended (`false`).
    pub fn renewal_ahead_in_flight(&self, begun: bool) {
        match begun {
            true => self.renewals_ahead_in_flight.fetch_add(1, Ordering::Relaxed),
            false => self.renewals_ahead_in_flight.fetch_sub(1, Ordering::Relaxed),
        };
    }

    /// A component call refused because no instance slot came free in time.
    pub fn busy(&self) {
        self.busy.fetch_add(1, Ordering::Relaxed);
    }

    /// One component call, and whether the sandbox stopped the component.
    pub fn component_call(&self, took: Duration, fault: bool) {
        let seconds = took.as_secs_f64();
        let bucket = BUCKETS.iter().position(|&b| seconds <= b).unwrap_or(BUCKETS.len());
        self.component_calls[bucket].fetch_add(1, Ordering::Relaxed);
        self.component_seconds_micros.fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        if fault {
            self.component_faults.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::new();
        out.push_str("# HELP flowauth_http_requests_total API requests answered, by status class.\n");
        out.push_str("# TYPE flowauth_http_requests_total counter\n");
        for (i, counter) in self.requests.iter().enumerate() {
            let _ = writeln!(out, "flowauth_http_requests_total{{class=\"{}xx\"}} {}", i + 1, get(counter));
        }
        out.push_str("# HELP flowauth_token_refreshes_total Refreshes sent to providers.\n# TYPE flowauth_token_refreshes_total counter\n");
        let _ = writeln!(out, "flowauth_token_refreshes_total {}", get(&self.refreshes));
        out.push_str("# HELP flowauth_token_refresh_failures_total Refreshes the provider refused or that failed.\n");
        out.push_str("# TYPE flowauth_token_refresh_failures_total counter\n");
        let _ = writeln!(out, "flowauth_token_refresh_failures_total {}", get(&self.refresh_failures));
        out.push_str("# HELP flowauth_token_stale_handouts_total Still-valid tokens handed out after a refresh failed for a passing reason.\n");
        out.push_str("# TYPE flowauth_token_stale_handouts_total counter\n");
        let _ = writeln!(out, "flowauth_token_stale_handouts_total {}", get(&self.stale_handouts));
        out.push_str("# HELP flowauth_token_renewals_ahead_total Tokens the background refresher (serve --refresh-ahead) renewed.\n");
        out.push_str("# TYPE flowauth_token_renewals_ahead_total counter\n");
        let _ = writeln!(out, "flowauth_token_renewals_ahead_total {}", get(&self.renewals_ahead));
        out.push_str("# HELP flowauth_token_renewals_ahead_in_flight Background renewals waiting or running.\n");
        out.push_str("# TYPE flowauth_token_renewals_ahead_in_flight gauge\n");
        let _ = writeln!(out, "flowauth_token_renewals_ahead_in_flight {}", get(&self.renewals_ahead_in_flight));
        out.push_str("# HELP flowauth_component_calls_refused_total Component calls refused: no instance slot came free in time.\n");
        out.push_str("# TYPE flowauth_component_calls_refused_total counter\n");
        let _ = writeln!(out, "flowauth_component_calls_refused_total {}", get(&self.busy));
        out.push_str("# HELP flowauth_component_faults_total Component calls stopped by the sandbox.\n");
        out.push_str("# TYPE flowauth_component_faults_total counter\n");
        let _ = writeln!(out, "flowauth_component_faults_total {}", get(&self.component_faults));
        out.push_str("# HELP flowauth_component_call_seconds Latency of component calls, fresh instance included.\n");
        out.push_str("# TYPE flowauth_component_call_seconds histogram\n");
        let mut cumulative = 0;
        for (bound, counter) in BUCKETS.iter().zip(&self.component_calls) {
            cumulative += get(counter);
            let _ = writeln!(out, "flowauth_component_call_seconds_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += get(&self.component_calls[BUCKETS.len()]);
        let _ = writeln!(out, "flowauth_component_call_seconds_bucket{{le=\"+Inf\"}} {cumulative}");
        let _ =
            writeln!(out, "flowauth_component_call_seconds_sum {}", get(&self.component_seconds_micros) as f64 / 1e6);
        let _ = writeln!(out, "flowauth_component_call_seconds_count {cumulative}");
        out
    }
}

/// The gauge of whole days left until each client secret with a
/// `CLIENT_SECRET_EXPIRES_AT` expires (negative once past).
pub fn render_secret_expiries(expiries: &[SecretExpiry], now: i64) -> String {
    let mut out = String::from(
        "# HELP flowauth_client_secret_days_left Whole days until a provider's client secret expires (CLIENT_SECRET_EXPIRES_AT).\n\
         # TYPE flowauth_client_secret_days_left gauge\n",
    );
    for e in expiries {
        let _ = writeln!(
            out,
            "flowauth_client_secret_days_left{{tenant=\"{}\",connector=\"{}\",provider=\"{}\"}} {}",
            label(&e.tenant_name),
            label(&e.connector),
            label(&e.display_name),
            days_left(e.expires_at, now)
        );
    }
    out
}

/// A label value escaped as the text format wants.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
