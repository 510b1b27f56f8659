//! `adspin-host`: runs a Spin application locally, a stand-in for `spin up`
//! on machines without the Spin CLI.
//!
//! It reads the same `spin.toml`, routes like Spin, sets Spin's request
//! headers, and provides the Spin interfaces the application imports
//! (key-value, `wasi:keyvalue`, SQLite, variables, outbound HTTP with
//! service chaining), persisted under the state directory (`.spin/`
//! beside the manifest).

mod app;
mod bindings;
mod builder;
mod db;
mod egress;
mod engine;
mod headers;
mod kv;
mod llm;
mod log;
mod manifest;
mod outbound;
mod router;
mod server;
mod sql_statements;
mod sqlite;
mod variables;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::app::RunningApp;
use crate::db::Database;
use crate::engine::{EngineOptions, SharedState};
use crate::kv::KeyValue;
use crate::outbound::AllowedHosts;
use crate::router::Router;
use crate::variables::ResolvedVariables;

#[derive(Parser)]
#[command(
    name = "adspin-host",
    version,
    about = "Runs a Spin application (spin.toml) locally, like `spin up`"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the application (like `spin up`).
    Up(UpArgs),
    /// Run every component's build command (like `spin build`).
    Build(ManifestArg),
}

#[derive(Args)]
struct ManifestArg {
    /// The manifest, or a directory containing `spin.toml`.
    #[arg(short = 'f', long = "from", default_value = "spin.toml")]
    from: PathBuf,
}

#[derive(Args)]
struct UpArgs {
    #[command(flatten)]
    manifest: ManifestArg,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// State directory for the key-value store and SQLite database
    /// [default: `.spin` beside the manifest].
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// A SQL statement to run against the default database at startup, or
    /// `@file.sql` to run a whole file. May be repeated; runs in order.
    #[arg(long = "sqlite", value_name = "STATEMENT | @FILE")]
    sqlite_statements: Vec<String>,
    /// Set `key=value` in the default key-value store at startup.
    #[arg(long = "key-value", value_parser = parse_pair, value_name = "KEY=VALUE")]
    key_values: Vec<(String, String)>,
    /// Set an application variable (wins over SPIN_VARIABLE_<NAME> and the
    /// manifest default).
    #[arg(long = "variable", value_parser = parse_pair, value_name = "KEY=VALUE")]
    variables: Vec<(String, String)>,
    /// Pass an environment variable to every component.
    #[arg(short = 'e', long = "env", value_parser = parse_pair, value_name = "KEY=VALUE")]
    env: Vec<(String, String)>,
    /// Run the components' build commands before starting.
    #[arg(long)]
    build: bool,
    /// Do not cache compiled components on disk.
    #[arg(long)]
    disable_cache: bool,
    /// Use on-demand instance allocation instead of the pooling allocator.
    #[arg(long)]
    disable_pooling: bool,
    /// Wait this long before every SQLite statement (`1ms`, `5ms`), as if
    /// the database were remote. A benchmarking knob.
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    sqlite_latency: Option<std::time::Duration>,
    /// Log, per request, the SQLite connections and statements, the
    /// key-value calls and the variable reads each component made.
    #[arg(long)]
    storage_trace: bool,
    /// Write `/tmp/perf-<pid>.map` so that `perf report` names the
    /// components' own functions. A profiling knob.
    #[arg(long)]
    perfmap: bool,
    /// A Spin runtime configuration file; the host implements its
    /// `[outbound_networking] block_networks` (the egress guard).
    #[arg(long)]
    runtime_config_file: Option<PathBuf>,
}

fn parse_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Build(manifest) => manifest_path(&manifest.from)
            .and_then(|path| manifest::load(&path))
            .and_then(|app| builder::build(&app)),
        Command::Up(args) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")
            .and_then(|runtime| runtime.block_on(up(args))),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            log::warn(format_args!("Error: {error:#}"));
            ExitCode::FAILURE
        }
    }
}

fn manifest_path(from: &Path) -> Result<PathBuf> {
    let path = if from.is_dir() {
        from.join("spin.toml")
    } else {
        from.to_path_buf()
    };
    if !path.is_file() {
        bail!("manifest {} not found", path.display());
    }
    Ok(path)
}

async fn up(args: UpArgs) -> Result<()> {
    let manifest_path = manifest_path(&args.manifest.from)?;
    let app = manifest::load(&manifest_path)?;
    if args.build {
        builder::build(&app)?;
    }
    app.check_sources()?;

    let cli_variables: BTreeMap<String, String> = args.variables.into_iter().collect();
    let variables = ResolvedVariables::resolve(&app.variables, &cli_variables, |key| {
        std::env::var(key).ok()
    })?;

    let (blocked_networks, llm) = match &args.runtime_config_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let blocked = egress::from_runtime_config(&text, path)?;
            let table: toml::Table =
                toml::from_str(&text).with_context(|| format!("cannot read {}", path.display()))?;
            let llm = llm::RemoteEngine::from_config(table.get("llm_compute").cloned())
                .with_context(|| format!("{}", path.display()))?;
            (blocked, llm)
        }
        None => (egress::BlockedNetworks::default(), None),
    };
    if let Some(engine) = &llm {
        log::info(format_args!(
            "LLM: OpenAI-compatible server at {}",
            engine.url()
        ));
    }
    if blocked_networks.is_empty() {
        log::info(
            "Outbound HTTP may reach every network: pass --runtime-config-file with \
             [outbound_networking] block_networks = [\"private\"] to refuse private ones",
        );
    }

    let state_dir = args.state_dir.unwrap_or_else(|| app.dir.join(".spin"));
    let default_db = Database::open(&state_dir.join(sqlite::FILE_NAME))?;
    let key_value = KeyValue::open(&state_dir.join(kv::FILE_NAME))?;
    sql_statements::apply(&default_db, &args.sqlite_statements).await?;
    for (key, value) in args.key_values {
        key_value
            .set(manifest::DEFAULT_LABEL, &key, value.into_bytes())
            .await?;
    }

    let engine = engine::new_engine(EngineOptions {
        pooling: !args.disable_pooling,
        cache: !args.disable_cache,
        perfmap: args.perfmap,
    })?;
    let linker = engine::new_linker(&engine)?;
    let mut components = HashMap::new();
    for definition in app.components.values() {
        let mut environment: BTreeMap<String, String> = definition.environment.clone();
        environment.extend(args.env.iter().cloned());
        let allowed = AllowedHosts::resolve(&definition.allowed_outbound_hosts, &variables)
            .with_context(|| format!("component {:?}", definition.id))?;
        let component = engine::load_component(
            &engine,
            &linker,
            definition,
            environment.into_iter().collect(),
            allowed,
            variables.for_component(definition)?,
        )?;
        components.insert(definition.id.clone(), component);
    }
    let router = Router::build(&app.triggers)?;

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    log::info(format_args!("\nServing http://{address}"));
    log::info("Available Routes:");
    for (component, route) in router.routes() {
        log::info(format_args!("  {component}: http://{address}{route}"));
    }

    let running = Arc::new(RunningApp {
        name: app.name,
        version: app.version,
        engine,
        router,
        components,
        shared: SharedState {
            key_value,
            default_db,
            sqlite_latency: args.sqlite_latency.filter(|latency| !latency.is_zero()),
            storage_trace: args.storage_trace,
            egress: egress::Egress::new(Arc::new(blocked_networks)),
            llm: llm.map(Arc::new),
        },
    });
    tokio::select! {
        served = server::serve(running, listener) => served,
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}
