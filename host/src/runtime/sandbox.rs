//! One call, one fresh instance: a new `Store` from the component's cached
//! `InstancePre`, a memory cap, a CPU budget measured in epochs (network
//! waits excluded) and a wall-clock deadline around everything. A guest
//! that traps, spins or hoards memory ends as a typed [`CallError`]; the
//! host and every other call carry on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{ResourceLimiter, Store, Trap, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::config::{RuntimeConfig, SandboxConfig};
use super::credentials::SigningKey;
use super::engine::EPOCH_TICK;
use super::error::{CallError, InstallError};
use super::outbound::{AllowList, Outbound, OutboundCall};
use super::registry::Target;
use super::slots::Slots;
use super::types::{HttpError, HttpRequest, HttpResponse};
use super::wit::{self, Answer, Guest};

/// The engine, the linker with every host import, and the limits.
pub struct Sandbox {
    pub engine: wasmtime::Engine,
    pub linker: Linker<CallState>,
    outbound: Arc<Outbound>,
    slots: Slots,
    config: SandboxConfig,
}

/// The host side of one call, owned by its `Store`.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    memory: MemoryCap,
    pub outbound: OutboundCall,
    pub signer: Result<(SigningKey, String), String>,
    pub component: Arc<str>,
    /// The client's secrets, kept out of what the component logs.
    pub secrets: Vec<String>,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// Refuses memory growth past the cap and remembers that it did, so the
/// resulting trap can be reported as what it is.
struct MemoryCap {
    limit: usize,
    exceeded: bool,
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.exceeded = true;
            wasmtime::bail!("memory cap of {} bytes reached", self.limit);
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 1 << 16)
    }
}

impl Sandbox {
    pub fn new(engine: wasmtime::Engine, config: &RuntimeConfig) -> Result<Self, InstallError> {
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| InstallError::Engine(format!("{e:#}")))?;
        wit::add_to_linker(&mut linker).map_err(|e| InstallError::Engine(format!("{e:#}")))?;
        let outbound = Outbound::new(&config.outbound).map_err(InstallError::Engine)?;
        Ok(Self {
            engine,
            linker,
            outbound: Arc::new(outbound),
            slots: Slots::new(&config.sandbox),
            config: config.sandbox.clone(),
        })
    }

    /// How long one call may take, the wait for a slot and host calls included.
    pub fn longest_call(&self) -> Duration {
        self.config.slot_wait + self.config.call_timeout
    }

    /// Runs `f` against a fresh instance of the target's component, once a
    /// slot of the pool (and of the target's tenant) is free. `inputs` are
    /// the call's per-token values, which may name a host the connector
    /// declares as `{name}`.
    pub async fn call<R, F>(&self, target: &Target, inputs: &[(String, String)], f: F) -> Result<R, CallError>
    where
        F: AsyncFnOnce(&Guest, &mut Store<CallState>) -> Answer<R>,
    {
        let _slot = self.slots.acquire(target.tenant.as_deref()).await.inspect_err(|error| {
            crate::metrics::METRICS.busy();
            tracing::warn!(tenant = target.tenant.as_deref().unwrap_or("-"), %error, "component call refused");
        })?;
        let component = target.component.clone();
        let mut store = Store::new(&self.engine, self.state(target, inputs));
        store.limiter(|state| &mut state.memory);
        self.start_cpu_budget(&mut store);
        let timeout = self.config.call_timeout;
        let started = Instant::now();
        let outcome = tokio::time::timeout(timeout, async {
            let instance = component.pre.instantiate_async(&mut store).await?;
            let guest = component.exports.load(&mut store, &instance)?;
            f(&guest, &mut store).await
        })
        .await;
        let fault = matches!(outcome, Ok(Err(_)) | Err(_));
        crate::metrics::METRICS.component_call(started.elapsed(), fault);
        let error = match outcome {
            Ok(Ok(Ok(answer))) => return Ok(answer),
            Ok(Ok(Err(oauth))) => return Err(CallError::OAuth(oauth)),
            Ok(Err(trap)) => self.classify(&component.name, trap, &store),
            Err(_) => CallError::Timeout { component: component.name.clone(), timeout },
        };
        // A guest's panic message may quote what it was given.
        let error = error.without(&target.secrets());
        tracing::warn!(component = %component.name, digest = %component.digest, %error, "component stopped");
        Err(error)
    }

    /// A GET the host itself sends for a target (OpenID Connect discovery
    /// and keys), under the policy of the target's component calls.
    pub async fn fetch(&self, target: &Target, url: &str) -> Result<HttpResponse, HttpError> {
        let name: Arc<str> = Arc::from(target.component.name.as_str());
        let mut call = OutboundCall::new(self.outbound.clone(), allow_list(target, &[]), name);
        let accept = vec![("accept".to_owned(), "application/json".to_owned())];
        call.send(HttpRequest { method: "GET".into(), url: url.to_owned(), headers: accept, body: Vec::new() }).await
    }

    fn state(&self, target: &Target, inputs: &[(String, String)]) -> CallState {
        let mut wasi = WasiCtx::builder();
        wasi.allow_tcp(false).allow_udp(false).allow_ip_name_lookup(false);
        let allow = allow_list(target, inputs);
        let name: Arc<str> = Arc::from(target.component.name.as_str());
        let client_id = target
            .client
            .settings
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("CLIENT_ID"))
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        CallState {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            memory: MemoryCap { limit: self.config.max_memory_bytes, exceeded: false },
            outbound: OutboundCall::new(self.outbound.clone(), allow, name.clone()),
            signer: target.signing_key.clone().map(|key| (key, client_id)),
            component: name,
            secrets: target.secrets().into_iter().map(str::to_owned).collect(),
        }
    }

    /// Guest CPU time is wall time minus time spent waiting on the network;
    /// each time the epoch deadline passes we recount and either extend it
    /// (yielding to other tasks) or interrupt the guest.
    fn start_cpu_budget(&self, store: &mut Store<CallState>) {
        let budget = self.config.cpu_budget;
        let ticks = |d: Duration| (d.as_micros() / EPOCH_TICK.as_micros()).max(1) as u64;
        store.set_epoch_deadline(ticks(budget));
        let started = Instant::now();
        store.epoch_deadline_callback(move |store| {
            let used = started.elapsed().saturating_sub(store.data().outbound.waited);
            Ok(match budget.checked_sub(used) {
                Some(left) if !left.is_zero() => UpdateDeadline::Yield(ticks(left)),
                _ => UpdateDeadline::Interrupt,
            })
        });
    }

    fn classify(&self, component: &str, error: wasmtime::Error, store: &Store<CallState>) -> CallError {
        let component = component.to_owned();
        if store.data().memory.exceeded {
            return CallError::MemoryCap { component, limit: self.config.max_memory_bytes };
        }
        if matches!(error.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
            return CallError::CpuBudget { component, budget: self.config.cpu_budget };
        }
        CallError::Trap { component, message: format!("{error:#}") }
    }
}

/// The hosts calls for `target` may reach.
fn allow_list(target: &Target, inputs: &[(String, String)]) -> AllowList {
    AllowList::new(target.connector.as_ref(), Some(&target.client), target.component.grants.as_deref(), inputs)
}
