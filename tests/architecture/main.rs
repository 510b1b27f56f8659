//! The crate graph keeps the shape `docs/ARCHITECTURE.md` draws: the core
//! depends on no crate of the workspace and not on Spin, a surface depends
//! on the core only, the Spin adapter on no surface, a component on one
//! surface and the adapter, nothing on a component or the host, and the
//! `ads-agents-mcp` command on no crate of the workspace.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::{Value, json};

const CORE: &str = "adspin-core";
const ADAPTER: &str = "adspin-spin";
const HOST: &str = "adspin-host";
/// `ads-agents-mcp`: a client of the agents API's `/mcp` over HTTP, so it
/// shares no code with the server side.
const MCP_STDIO: &str = "adspin-mcp-stdio";
const SURFACES: &[&str] = &[
    "adspin-advertiser",
    "adspin-agents",
    "adspin-dsp",
    "adspin-events",
    "adspin-fetch",
    "adspin-operator",
    "adspin-platform",
    "adspin-ssp",
];
/// Crates that are the Spin platform: only the adapter and components use them.
const SPIN_CRATES: &[&str] = &["spin-sdk", "spin-executor"];

/// A dependency as `cargo metadata` declares it.
struct Dependency<'a> {
    name: &'a str,
    /// `None` for normal dependencies, `"dev"` or `"build"`.
    kind: Option<&'a str>,
}

/// Every rule the graph breaks, as sentences.
fn violations(metadata: &Value) -> Vec<String> {
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    let workspace: BTreeSet<&str> = packages
        .iter()
        .filter_map(|package| package["name"].as_str())
        .collect();
    let components: BTreeSet<&str> = packages
        .iter()
        .filter(|package| {
            package["manifest_path"]
                .as_str()
                .is_some_and(|path| path.contains("/components/"))
        })
        .filter_map(|package| package["name"].as_str())
        .collect();
    let mut broken = Vec::new();
    for package in &packages {
        let Some(name) = package["name"].as_str() else {
            continue;
        };
        let dependencies: Vec<Dependency<'_>> = package["dependencies"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|dependency| {
                        Some(Dependency {
                            name: dependency["name"].as_str()?,
                            kind: dependency["kind"].as_str(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        // What the crate is built with (dev dependencies only build its tests).
        let built_with = || dependencies.iter().filter(|d| d.kind != Some("dev"));
        let uses_spin = || built_with().any(|d| SPIN_CRATES.contains(&d.name));
        for dependency in &dependencies {
            if components.contains(dependency.name) {
                broken.push(format!(
                    "{name} depends on the component {}",
                    dependency.name
                ));
            }
            if dependency.name == HOST {
                broken.push(format!("{name} depends on the host"));
            }
        }
        if name == MCP_STDIO {
            for dependency in built_with().filter(|d| workspace.contains(d.name)) {
                broken.push(format!(
                    "the MCP stdio command depends on {}",
                    dependency.name
                ));
            }
        }
        if name == CORE {
            for dependency in built_with().filter(|d| workspace.contains(d.name)) {
                broken.push(format!("the core depends on {}", dependency.name));
            }
            if uses_spin() {
                broken.push("the core depends on the Spin SDK".to_string());
            }
        } else if SURFACES.contains(&name) {
            for dependency in &dependencies {
                let is_workspace = workspace.contains(dependency.name);
                if is_workspace && dependency.name != CORE {
                    broken.push(format!("the surface {name} depends on {}", dependency.name));
                }
            }
            if uses_spin() {
                broken.push(format!("the surface {name} depends on the Spin SDK"));
            }
        } else if name == ADAPTER {
            for dependency in built_with().filter(|d| SURFACES.contains(&d.name)) {
                broken.push(format!(
                    "the Spin adapter depends on the surface {}",
                    dependency.name
                ));
            }
        } else if components.contains(name) {
            let surfaces: Vec<&str> = built_with()
                .map(|d| d.name)
                .filter(|dependency| SURFACES.contains(dependency))
                .collect();
            if surfaces.len() > 1 {
                broken.push(format!(
                    "the component {name} exports more than one surface: {surfaces:?}"
                ));
            }
        }
    }
    broken
}

fn workspace_metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON")
}

#[test]
fn the_workspace_keeps_its_dependency_directions() {
    let metadata = workspace_metadata();
    let names: BTreeSet<&str> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|package| package["name"].as_str())
        .collect();
    for crate_name in SURFACES.iter().chain([&CORE, &ADAPTER, &MCP_STDIO]) {
        assert!(
            names.contains(crate_name),
            "{crate_name} is in the workspace"
        );
    }
    assert_eq!(violations(&metadata), Vec::<String>::new());
}

/// A package of a fake workspace: its name, its folder, and its
/// dependencies with their kind.
type FakePackage<'a> = (&'a str, &'a str, &'a [(&'a str, Option<&'a str>)]);

/// The metadata of a fake workspace.
fn fake(packages: &[FakePackage<'_>]) -> Value {
    json!({ "packages": packages.iter().map(|(name, path, dependencies)| json!({
        "name": name,
        "manifest_path": format!("/repo/{path}/Cargo.toml"),
        "dependencies": dependencies.iter().map(|(dependency, kind)| json!({
            "name": dependency, "kind": kind,
        })).collect::<Vec<_>>(),
    })).collect::<Vec<_>>() })
}

#[test]
fn a_surface_that_depends_on_another_surface_is_caught() {
    let metadata = fake(&[
        ("adspin-core", "crates/core", &[]),
        (
            "adspin-ssp",
            "crates/ssp",
            &[("adspin-core", None), ("adspin-advertiser", None)],
        ),
        (
            "adspin-advertiser",
            "crates/advertiser",
            &[("adspin-core", None)],
        ),
    ]);
    assert_eq!(
        violations(&metadata),
        ["the surface adspin-ssp depends on adspin-advertiser"]
    );
}

#[test]
fn the_mcp_stdio_command_that_links_the_server_side_is_caught() {
    let metadata = fake(&[
        ("adspin-core", "crates/core", &[]),
        ("adspin-agents", "crates/agents", &[("adspin-core", None)]),
        (
            "adspin-mcp-stdio",
            "crates/mcp-stdio",
            &[("adspin-agents", None), ("serde_json", None)],
        ),
    ]);
    assert_eq!(
        violations(&metadata),
        ["the MCP stdio command depends on adspin-agents"]
    );
}

#[test]
fn spin_in_the_core_or_a_surface_is_caught() {
    let metadata = fake(&[
        ("adspin-core", "crates/core", &[("spin-sdk", None)]),
        (
            "adspin-events",
            "crates/events",
            &[("adspin-core", None), ("spin-executor", Some("build"))],
        ),
        (
            "adspin-platform",
            "crates/platform",
            &[("adspin-spin", None)],
        ),
        (
            "adspin-spin",
            "crates/spin",
            &[("adspin-core", None), ("spin-sdk", None)],
        ),
    ]);
    assert_eq!(
        violations(&metadata),
        [
            "the core depends on the Spin SDK",
            "the surface adspin-events depends on the Spin SDK",
            "the surface adspin-platform depends on adspin-spin",
        ]
    );
}

#[test]
fn the_core_depending_on_the_workspace_and_reaching_components_are_caught() {
    let metadata = fake(&[
        ("adspin-core", "crates/core", &[("adspin-dsp", None)]),
        (
            "adspin-dsp",
            "crates/dsp",
            &[("adspin-core", None), ("thrad-dsp", Some("dev"))],
        ),
        (
            "thrad-dsp",
            "components/thrad-dsp",
            &[("adspin-dsp", None), ("adspin-ssp", None)],
        ),
        ("adspin-ssp", "crates/ssp", &[("adspin-core", None)]),
        ("adspin-spin", "crates/spin", &[("adspin-ssp", None)]),
    ]);
    assert_eq!(
        violations(&metadata),
        [
            "the core depends on adspin-dsp",
            "adspin-dsp depends on the component thrad-dsp",
            "the surface adspin-dsp depends on thrad-dsp",
            "the component thrad-dsp exports more than one surface: [\"adspin-dsp\", \"adspin-ssp\"]",
            "the Spin adapter depends on the surface adspin-ssp",
        ]
    );
}
