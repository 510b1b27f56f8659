//! Failures: a trapping component, and manifests the host must refuse
//! before it binds its port.

use adspin_e2e::{HostLaunch, artifacts};

use super::start;

#[test]
fn a_trapping_component_is_a_json_500_and_one_log_line() {
    let mut app = start();
    let response = app.get("/probe/trap");
    assert_eq!(response.status, 500);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let body = response.json();
    assert_eq!(body["error"]["type"], "server_error");
    assert!(
        !response.text().contains("asked to trap"),
        "no internal detail leaks"
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    let lines = app.stderr_lines();
    let failures: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("component \"probe\" failed"))
        .collect();
    assert_eq!(failures.len(), 1, "{lines:?}");
    // The host keeps serving.
    assert!(app.is_running());
    assert_eq!(app.get("/one").status, 200);
}

fn write_manifest(dir: &std::path::Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("spin.toml");
    std::fs::write(&path, text).expect("write manifest");
    path
}

fn probe_source() -> String {
    artifacts()
        .path("target/wasm32-wasip2/release/probe.wasm")
        .display()
        .to_string()
}

fn refused(text: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = write_manifest(dir.path(), text);
    let exited = HostLaunch::new(manifest).run_to_exit();
    assert!(
        !exited.status.success(),
        "the host must refuse this manifest"
    );
    assert!(
        !exited.stdout.contains("Serving"),
        "nothing was served: {}",
        exited.stdout
    );
    exited.stderr
}

#[test]
fn a_malformed_manifest_is_refused_with_its_reason() {
    let stderr = refused("spin_manifest_version = 2\n[application\nname = 'x'\n");
    assert!(stderr.contains("invalid manifest"), "{stderr}");
}

#[test]
fn a_missing_component_source_is_refused() {
    let stderr = refused(
        "spin_manifest_version = 2\n[application]\nname = 'x'\n[[trigger.http]]\nroute = '/...'\ncomponent = 'web'\n[component.web]\nsource = 'missing.wasm'\n",
    );
    assert!(stderr.contains("missing.wasm"), "{stderr}");
}

#[test]
fn duplicate_routes_are_refused() {
    let source = probe_source();
    let stderr = refused(&format!(
        "spin_manifest_version = 2\n[application]\nname = 'x'\n\
         [[trigger.http]]\nroute = '/a'\ncomponent = 'one'\n\
         [[trigger.http]]\nroute = '/a'\ncomponent = 'two'\n\
         [component.one]\nsource = '{source}'\n[component.two]\nsource = '{source}'\n"
    ));
    assert!(
        stderr.contains("duplicate routes") && stderr.contains("\"/a\""),
        "{stderr}"
    );
}

#[test]
fn an_unknown_manifest_field_is_refused() {
    let source = probe_source();
    let stderr = refused(&format!(
        "spin_manifest_version = 2\n[application]\nname = 'x'\n[[trigger.http]]\nroute = '/...'\ncomponent = 'web'\n[component.web]\nsource = '{source}'\nallowed_outbound_host = ['https://x']\n"
    ));
    assert!(stderr.contains("allowed_outbound_host"), "{stderr}");
}

#[test]
fn a_component_that_is_not_an_http_component_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wasm = dir.path().join("empty.wasm");
    // A core module, not a component.
    std::fs::write(&wasm, b"\0asm\x01\0\0\0").expect("write");
    let stderr = refused(&format!(
        "spin_manifest_version = 2\n[application]\nname = 'x'\n[[trigger.http]]\nroute = '/...'\ncomponent = 'web'\n[component.web]\nsource = '{}'\n",
        wasm.display()
    ));
    assert!(stderr.contains("cannot compile"), "{stderr}");
}
