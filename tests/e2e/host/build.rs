//! `up --build`: each component's build command runs, in its workdir,
//! before the component is loaded.

use adspin_e2e::{HostLaunch, artifacts};

fn manifest_building_from(dir: &std::path::Path, command: &str) -> std::path::PathBuf {
    std::fs::create_dir_all(dir.join("web")).expect("workdir");
    let manifest = dir.join("spin.toml");
    std::fs::write(
        &manifest,
        format!(
            "spin_manifest_version = 2\n[application]\nname = 'built'\n\
             [[trigger.http]]\nroute = '/...'\ncomponent = 'web'\n\
             [component.web]\nsource = 'web/out.wasm'\nenvironment = {{ COMPONENT = 'built' }}\n\
             [component.web.build]\ncommand = \"{command}\"\nworkdir = 'web'\n"
        ),
    )
    .expect("write manifest");
    manifest
}

#[test]
fn the_build_flag_runs_build_commands_in_their_workdir_before_loading() {
    let dir = tempfile::tempdir().expect("tempdir");
    let probe = artifacts().path("target/wasm32-wasip2/release/probe.wasm");
    let manifest = manifest_building_from(dir.path(), &format!("cp {} out.wasm", probe.display()));
    let app = HostLaunch::new(manifest).arg("--build").start();
    assert_eq!(app.get("/").json()["component"], "built");
}

#[test]
fn a_failing_build_command_stops_startup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = manifest_building_from(dir.path(), "exit 3");
    let exited = HostLaunch::new(manifest).arg("--build").run_to_exit();
    assert!(!exited.status.success());
    assert!(
        exited
            .stderr
            .contains("build command for component \"web\" failed"),
        "{}",
        exited.stderr
    );
    assert!(!exited.stdout.contains("Serving"));
}
