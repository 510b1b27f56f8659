//! Every wasmtime call of the host lives here: engine configuration,
//! component compilation, linking and one instance per request.
//!
//! The recipe is wasmtime's own for `wasi:http` servers: link WASI, then
//! `wasi:http`, then the Spin interfaces; pre-instantiate each component
//! once (`ProxyPre`); per request create a `Store`, wrap the hyper request
//! and response channel as WASI resources and call the guest's
//! `incoming-handler` on its own task so the response body can stream.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use hyper::Request;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{
    Cache, Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
    StoreLimits, StoreLimitsBuilder,
};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::egress::Egress;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::db::Database;
use crate::kv::{KeyValue, KeyValueAccess, KeyValueData, KeyValueView};
use crate::llm::{LlmAccess, LlmData, RemoteEngine};
use crate::manifest::{ComponentDef, FileMount};
use crate::outbound::{AllowedHosts, OutboundHttp, ServiceChaining};
use crate::sqlite::{SqliteAccess, SqliteData, SqliteView};
use crate::variables::{ComponentVariables, VariablesData, VariablesView};

/// Most instances alive at once (the host's request concurrency).
const MAX_INSTANCES: u32 = 1_000;
/// Largest linear memory a component may grow to.
const MAX_MEMORY_BYTES: usize = 256 * 1024 * 1024;
/// How often running guests are interrupted to yield to other requests.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Engine settings chosen on the command line.
#[derive(Debug, Clone, Copy)]
pub struct EngineOptions {
    pub pooling: bool,
    pub cache: bool,
    /// Name compiled guest functions for `perf` (`/tmp/perf-<pid>.map`).
    pub perfmap: bool,
}

/// Builds the engine shared by all components and starts its epoch ticker.
pub fn new_engine(options: EngineOptions) -> Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    if options.perfmap {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    if options.cache {
        let cache = Cache::from_file(None)
            .map_err(anyhow::Error::from)
            .context("cannot set up the compilation cache")?;
        config.cache(Some(cache));
    }
    if options.pooling {
        let mut pooling = PoolingAllocationConfig::default();
        pooling
            .total_component_instances(MAX_INSTANCES)
            .total_memories(MAX_INSTANCES)
            .total_tables(2 * MAX_INSTANCES)
            .total_stacks(MAX_INSTANCES)
            .total_core_instances(4 * MAX_INSTANCES)
            .table_elements(100_000)
            .max_component_instance_size(10 * 1024 * 1024)
            .max_core_instance_size(10 * 1024 * 1024)
            .max_core_instances_per_component(200)
            .max_tables_per_component(64)
            .max_memories_per_component(32)
            .max_tables_per_module(2)
            .max_memories_per_module(2)
            .max_memory_size(MAX_MEMORY_BYTES)
            .linear_memory_keep_resident(2 * 1024 * 1024)
            .table_keep_resident(512 * 1024)
            // Reset only the pages an instance dirtied (Linux 6.7+), rather
            // than memset the first 2 MiB of every memory.
            .pagemap_scan(Enabled::Auto);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    }
    let engine = Engine::new(&config)?;
    let ticker = engine.weak();
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            while let Some(engine) = ticker.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .context("cannot start the epoch ticker")?;
    Ok(engine)
}

/// State shared by all instances: the storage backends.
pub struct SharedState {
    pub key_value: Arc<KeyValue>,
    pub default_db: Arc<Database>,
    /// Per-statement latency added to SQLite (`--sqlite-latency`).
    pub sqlite_latency: Option<std::time::Duration>,
    /// Log each request's storage calls (`--storage-trace`).
    pub storage_trace: bool,
    /// The outbound HTTP client, with its kept connections; it refuses
    /// the runtime configuration's `[outbound_networking] block_networks`.
    pub egress: Egress,
    /// The runtime configuration's `[llm_compute]` engine, if any.
    pub llm: Option<Arc<RemoteEngine>>,
}

/// One component, compiled and pre-instantiated.
pub struct LoadedComponent {
    pub id: Arc<str>,
    pre: ProxyPre<HostState>,
    environment: Vec<(String, String)>,
    files: Vec<FileMount>,
    allowed_hosts: Arc<AllowedHosts>,
    key_value_stores: Arc<HashSet<String>>,
    sqlite_databases: Arc<HashSet<String>>,
    ai_models: Arc<HashSet<String>>,
    variables: Arc<ComponentVariables>,
}

/// Compiles and links one component of the manifest.
pub fn load_component(
    engine: &Engine,
    linker: &Linker<HostState>,
    definition: &ComponentDef,
    environment: Vec<(String, String)>,
    allowed_hosts: AllowedHosts,
    variables: ComponentVariables,
) -> Result<LoadedComponent> {
    let component = Component::from_file(engine, &definition.source)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot compile {}", definition.source.display()))?;
    let pre = linker
        .instantiate_pre(&component)
        .and_then(ProxyPre::new)
        .map_err(anyhow::Error::from)
        .with_context(|| {
            format!(
                "component {:?} cannot be linked: it must export wasi:http/incoming-handler@0.2 and import only WASI 0.2, fermyon:spin@2.0.0 (key-value, sqlite, variables, llm) and wasi:keyvalue@0.2.0-draft2 interfaces",
                definition.id
            )
        })?;
    Ok(LoadedComponent {
        id: definition.id.as_str().into(),
        pre,
        environment,
        files: definition.files.clone(),
        allowed_hosts: Arc::new(allowed_hosts),
        key_value_stores: Arc::new(definition.key_value_stores.iter().cloned().collect()),
        sqlite_databases: Arc::new(definition.sqlite_databases.iter().cloned().collect()),
        ai_models: Arc::new(definition.ai_models.iter().cloned().collect()),
        variables: Arc::new(variables),
    })
}

/// The linker every component is checked against.
pub fn new_linker(engine: &Engine) -> Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    use crate::bindings::fermyon::spin::{key_value, llm, sqlite, variables};
    use crate::bindings::wasi::keyvalue::{atomics, batch, store};
    fn key_value_view(state: &mut HostState) -> KeyValueView<'_> {
        KeyValueView {
            access: &mut state.key_value,
            table: &mut state.table,
        }
    }
    key_value::add_to_linker::<HostState, KeyValueData>(&mut linker, key_value_view)?;
    store::add_to_linker::<HostState, KeyValueData>(&mut linker, key_value_view)?;
    atomics::add_to_linker::<HostState, KeyValueData>(&mut linker, key_value_view)?;
    batch::add_to_linker::<HostState, KeyValueData>(&mut linker, key_value_view)?;
    sqlite::add_to_linker::<HostState, SqliteData>(&mut linker, |state| SqliteView {
        access: &mut state.sqlite,
        table: &mut state.table,
    })?;
    variables::add_to_linker::<HostState, VariablesData>(&mut linker, |state| VariablesView {
        variables: &state.variables,
        reads: &mut state.variable_reads,
    })?;
    llm::add_to_linker::<HostState, LlmData>(&mut linker, |state| &state.llm)?;
    Ok(linker)
}

/// The data of one instance's `Store`.
pub struct HostState {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    outbound: OutboundHttp,
    key_value: KeyValueAccess,
    sqlite: SqliteAccess,
    variables: Arc<ComponentVariables>,
    /// Variable reads of this instance (for `--storage-trace`).
    variable_reads: u32,
    llm: LlmAccess,
    limits: StoreLimits,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.outbound,
        }
    }
}

impl LoadedComponent {
    fn new_state(
        &self,
        shared: &SharedState,
        chaining: Arc<dyn ServiceChaining>,
    ) -> Result<HostState> {
        let mut wasi = WasiCtxBuilder::new();
        wasi.inherit_stdout()
            .inherit_stderr()
            .envs(&self.environment);
        for mount in &self.files {
            wasi.preopened_dir(&mount.source, &mount.destination, FsPerms::ReadOnly)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("cannot mount {}", mount.source.display()))?;
        }
        Ok(HostState {
            table: ResourceTable::new(),
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            outbound: OutboundHttp {
                component_id: self.id.clone(),
                allowed: self.allowed_hosts.clone(),
                egress: shared.egress.clone(),
                chaining,
                waits: shared.storage_trace.then(Arc::default),
            },
            key_value: KeyValueAccess::new(shared.key_value.clone(), self.key_value_stores.clone()),
            sqlite: SqliteAccess::new(
                shared.default_db.clone(),
                self.sqlite_databases.clone(),
                shared.sqlite_latency,
            ),
            variables: self.variables.clone(),
            variable_reads: 0,
            llm: LlmAccess {
                engine: shared.llm.clone(),
                allowed_models: self.ai_models.clone(),
            },
            limits: StoreLimitsBuilder::new()
                .memory_size(MAX_MEMORY_BYTES)
                .build(),
        })
    }

    /// Runs one request through a fresh instance of this component.
    ///
    /// Returns once the guest has set its response; the body keeps
    /// streaming from the instance's task. A trap, a guest error response
    /// or a guest that returns without responding is an `Err`, and has
    /// already been logged once with the component id.
    pub async fn handle<B>(
        &self,
        engine: &Engine,
        shared: &SharedState,
        chaining: Arc<dyn ServiceChaining>,
        request: Request<B>,
        arrived: std::time::Instant,
    ) -> Result<hyper::Response<HyperOutgoingBody>>
    where
        B: hyper::body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let mut store = Store::new(engine, self.new_state(shared, chaining)?);
        store.limiter(|state| &mut state.limits);
        store.epoch_deadline_async_yield_and_update(1);

        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)?;
        let outparam = store.data_mut().http().new_response_outparam(sender)?;
        let pre = self.pre.clone();
        let id = self.id.clone();
        let trace = shared.storage_trace;
        let task = tokio::spawn(async move {
            let outcome = async {
                let proxy = pre.instantiate_async(&mut store).await?;
                proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, incoming, outparam)
                    .await
            }
            .await;
            if trace {
                let state = store.data();
                crate::log::warn(format_args!(
                    "storage {id}: {} SQLite connection(s) opened, {} statement(s), {} key-value call(s), {} variable read(s)",
                    state.sqlite.opened,
                    state.sqlite.statements,
                    state.key_value.calls,
                    state.variable_reads
                ));
                let (requests, waited) = state
                    .outbound
                    .waits
                    .as_ref()
                    .map_or((0, Duration::ZERO), |waits| waits.totals());
                if requests > 0 {
                    crate::log::warn(format_args!(
                        "outbound {id}: {requests} request(s), {:.3} ms waiting for answers, {:.3} ms in all",
                        waited.as_secs_f64() * 1e3,
                        arrived.elapsed().as_secs_f64() * 1e3
                    ));
                }
            }
            match outcome {
                Ok(()) => true,
                Err(error) => {
                    log_guest_error(&id, &anyhow::Error::from(error));
                    false
                }
            }
        });

        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => {
                let error = anyhow!("the component responded with error {code:?}");
                log_guest_error(&self.id, &error);
                Err(error)
            }
            Err(_) => match task.await {
                Ok(false) => Err(anyhow!("the component trapped")),
                Ok(true) => {
                    let error = anyhow!("the component returned without setting a response");
                    log_guest_error(&self.id, &error);
                    Err(error)
                }
                Err(join) => {
                    let error = anyhow!("the component's task failed: {join}");
                    log_guest_error(&self.id, &error);
                    Err(error)
                }
            },
        }
    }
}

/// One line per failed request, naming the component.
fn log_guest_error(component: &str, error: &anyhow::Error) {
    let text = format!("{error:?}");
    let one_line: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    crate::log::warn(format_args!(
        "component {component:?} failed: {}",
        one_line.join(" | ")
    ));
}
