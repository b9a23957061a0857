//! Latency distribution of one component call including a fresh instance
//! (p50, p99), calls per second on one core, and how long loading compiled
//! code from the on-disk cache takes. Prints its figures.
//!
//! Run with `cargo bench -p flowauth --bench instance_latency`.

use std::time::{Duration, Instant};

use flowauth::runtime::{Runtime, RuntimeConfig};

const CALLS: usize = 20_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let config = RuntimeConfig { cache_dir: Some(cache.path().to_owned()), ..RuntimeConfig::default() };

    let started = Instant::now();
    let runtime = rt.block_on(Runtime::new(config.clone())).unwrap();
    let cold = started.elapsed();
    let started = Instant::now();
    let warm = rt.block_on(Runtime::new(config)).unwrap();
    let cached = started.elapsed();
    drop(warm);
    println!("runtime start, compiling the built-in components: {:>8.2} ms", cold.as_secs_f64() * 1e3);
    println!("runtime start, loading them from the cache:       {:>8.2} ms", cached.as_secs_f64() * 1e3);

    let component = runtime.component_for("devtools").unwrap();
    let mut latencies = Vec::with_capacity(CALLS);
    rt.block_on(async {
        for _ in 0..1_000 {
            let _ = runtime.describe_definition(&component, "").await;
        }
        let all = Instant::now();
        for _ in 0..CALLS {
            let one = Instant::now();
            let answer = runtime.describe_definition(&component, "").await;
            latencies.push(one.elapsed());
            assert!(answer.is_err(), "an empty definition is refused by the component");
        }
        let total = all.elapsed();
        latencies.sort();
        println!("fresh instance + one call, {CALLS} calls on one core:");
        println!(
            "  p50 {:>6.2} µs   p90 {:>6.2} µs   p99 {:>6.2} µs   max {:>8.2} µs",
            percentile(&latencies, 0.50).as_secs_f64() * 1e6,
            percentile(&latencies, 0.90).as_secs_f64() * 1e6,
            percentile(&latencies, 0.99).as_secs_f64() * 1e6,
            latencies.last().unwrap().as_secs_f64() * 1e6
        );
        println!("  {:.0} calls per second", CALLS as f64 / total.as_secs_f64());
    });
}
