//! Builds what the tests run, once per test process: the host and
//! `ads-agents-mcp` binaries and every component (`wasm32-wasip2`, release, as `spin.toml` expects).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Paths of the built artifacts.
#[derive(Debug)]
pub struct Artifacts {
    pub root: PathBuf,
    pub host: PathBuf,
    /// `ads-agents-mcp`, the agents API's MCP server over stdio.
    pub mcp_stdio: PathBuf,
}

impl Artifacts {
    /// The application manifest.
    pub fn app_manifest(&self) -> PathBuf {
        self.root.join("spin.toml")
    }

    /// A manifest of the test fixtures.
    pub fn fixture_manifest(&self, name: &str) -> PathBuf {
        self.root.join("tests/manifests").join(name)
    }

    /// A file of the repository.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }
}

/// Builds the host and components on first use; later calls are free.
pub fn artifacts() -> &'static Artifacts {
    static ARTIFACTS: OnceLock<Artifacts> = OnceLock::new();
    ARTIFACTS.get_or_init(build)
}

fn build() -> Artifacts {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives in the workspace")
        .to_path_buf();
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    cargo(
        &root,
        &[
            "build",
            "--quiet",
            "-p",
            "adspin-host",
            "-p",
            "adspin-mcp-stdio",
        ],
    );
    cargo(
        &root,
        &[
            "build",
            "--quiet",
            "--target",
            "wasm32-wasip2",
            "--release",
            "--workspace",
            "--exclude",
            "adspin-host",
            "--exclude",
            "adspin-e2e",
            "--exclude",
            "adspin-mcp-stdio",
        ],
    );
    Artifacts {
        host: target_dir.join("debug").join("adspin-host"),
        mcp_stdio: target_dir.join("debug").join("ads-agents-mcp"),
        root,
    }
}

fn cargo(root: &Path, args: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let status = Command::new(cargo)
        .args(args)
        .current_dir(root)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "`cargo {}` failed", args.join(" "));
}
