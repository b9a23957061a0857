//! The one wasmtime [`Engine`](wasmtime::Engine) of the process: pooling
//! allocator, epoch interruption and the ticker thread that drives epochs.

use std::time::Duration;

use wasmtime::{Config, Enabled, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::config::SandboxConfig;
use super::error::InstallError;

/// How often the epoch advances: the granularity of CPU budgets.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Core instances, tables and memories of one Rust wasm32-wasip2 component
/// (its main module plus the adapter shims `wasm-component-ld` adds).
const CORE_INSTANCES_PER_COMPONENT: u32 = 16;

/// Memory kept resident (and reset with memset, guided by PAGEMAP_SCAN)
/// when a pool slot is reused, so fresh instances take no page faults.
const KEEP_RESIDENT: usize = 2 << 20;

/// Creates the engine and starts its ticker, which ends with the engine.
pub fn new(config: &SandboxConfig) -> Result<wasmtime::Engine, InstallError> {
    let mut pool = PoolingAllocationConfig::default();
    let instances = config.max_instances;
    pool.total_component_instances(instances)
        .total_core_instances(instances * CORE_INSTANCES_PER_COMPONENT)
        .max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT)
        .total_memories(instances * 2)
        .max_memories_per_component(2)
        .total_tables(instances * CORE_INSTANCES_PER_COMPONENT)
        .max_tables_per_component(CORE_INSTANCES_PER_COMPONENT)
        .total_stacks(instances)
        .max_memory_size(config.max_memory_bytes)
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(64 << 10)
        .pagemap_scan(Enabled::Auto);
    let mut wasm = Config::new();
    wasm.epoch_interruption(true).allocation_strategy(InstanceAllocationStrategy::Pooling(pool)).memory_init_cow(true);
    let inner = wasmtime::Engine::new(&wasm).map_err(|e| InstallError::Engine(format!("{e:#}")))?;
    let ticker = inner.weak();
    std::thread::Builder::new()
        .name("flowauth-epoch".into())
        .spawn(move || {
            while let Some(engine) = ticker.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .map_err(|e| InstallError::Engine(format!("cannot start the epoch ticker: {e}")))?;
    Ok(inner)
}
