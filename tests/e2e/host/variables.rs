//! Application variables: manifest defaults, `SPIN_VARIABLE_*` and
//! `--variable` overrides, and component environments.

use super::launch;

fn variable(app: &adspin_e2e::TestApp, name: &str) -> serde_json::Value {
    app.get(&format!("/probe/var/{name}")).json()
}

#[test]
fn component_variables_render_application_variables() {
    let app = launch().start();
    assert_eq!(variable(&app, "greeting")["value"], "hello");
    assert_eq!(variable(&app, "token")["value"], "Bearer env-token");
}

#[test]
fn environment_variables_override_defaults() {
    let app = launch()
        .env("SPIN_VARIABLE_GREETING", "hi from env")
        .start();
    assert_eq!(variable(&app, "greeting")["value"], "hi from env");
}

#[test]
fn the_variable_flag_overrides_the_environment() {
    let app = launch()
        .env("SPIN_VARIABLE_GREETING", "from env")
        .arg("--variable")
        .arg("greeting=from flag")
        .start();
    assert_eq!(variable(&app, "greeting")["value"], "from flag");
}

#[test]
fn undefined_and_invalid_names_are_errors_for_the_component() {
    let app = launch().start();
    let undefined = variable(&app, "nope");
    assert!(
        undefined["error"]
            .as_str()
            .expect("error")
            .starts_with("Error::Undefined"),
        "{undefined}"
    );
    let invalid = variable(&app, "Bad-Name");
    assert!(
        invalid["error"]
            .as_str()
            .expect("error")
            .starts_with("Error::InvalidName"),
        "{invalid}"
    );
}

#[test]
fn a_component_sees_only_its_own_variables() {
    let app = launch().start();
    let response = app.get("/restricted/var/greeting").json();
    assert!(
        response["error"]
            .as_str()
            .expect("error")
            .starts_with("Error::Undefined"),
        "{response}"
    );
}

#[test]
fn a_missing_required_variable_stops_startup() {
    let exited = adspin_e2e::HostLaunch::new(adspin_e2e::artifacts().fixture_manifest("host.toml"))
        .run_to_exit();
    assert!(!exited.status.success());
    assert!(exited.stderr.contains("api_token"), "{}", exited.stderr);
    assert!(!exited.stdout.contains("Serving"), "{}", exited.stdout);
}

#[test]
fn manifest_and_cli_environments_reach_the_component() {
    let app = launch().arg("--env").arg("EXTRA=from-cli").start();
    assert_eq!(app.get("/probe/env/COMPONENT").json()["value"], "probe");
    assert_eq!(app.get("/probe/env/EXTRA").json()["value"], "from-cli");
}

#[test]
fn the_storage_trace_counts_every_variable_read() {
    let app = launch().arg("--storage-trace").start();
    variable(&app, "greeting");
    variable(&app, "nope");
    // One trace line per request, one read each, found or not (each read
    // is a host call under Spin).
    let one_read = |line: &String| line.ends_with("key-value call(s), 1 variable read(s)");
    let lines = app.stderr_lines_when(|lines| lines.iter().filter(|l| one_read(l)).count() >= 2);
    let traced: Vec<&String> = lines
        .iter()
        .filter(|line| line.contains(" variable read(s)"))
        .collect();
    assert_eq!(traced.len(), 2, "{traced:#?}");
    assert!(traced.iter().all(|line| one_read(line)), "{traced:#?}");
}
