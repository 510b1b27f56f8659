//! Starting, restarting and stopping the host under test.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tempfile::TempDir;

use crate::artifacts::artifacts;
use crate::client::Client;

/// How long a host may take to compile its components and bind.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(180);

/// What runs the application under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runtime {
    /// `adspin-host`, built from this repository.
    Host,
    /// A Spin CLI (`spin up`), at this path.
    Spin(PathBuf),
}

impl Runtime {
    /// The runtime of the application tests: the Spin CLI named by the
    /// `SPIN` environment variable when set, the local host otherwise.
    pub fn for_app() -> Self {
        match std::env::var_os("SPIN").filter(|path| !path.is_empty()) {
            Some(path) => Self::Spin(PathBuf::from(path)),
            None => Self::Host,
        }
    }
}

/// How to start a host: runtime, manifest, flags, variables and
/// environment.
#[derive(Debug, Clone)]
pub struct HostLaunch {
    runtime: Runtime,
    manifest: PathBuf,
    args: Vec<String>,
    variables: Vec<(String, String)>,
    env: Vec<(String, String)>,
    runtime_config: Option<PathBuf>,
}

impl HostLaunch {
    /// The local host running `manifest` (a fixture of the host's own
    /// tests, or the application).
    pub fn new(manifest: impl AsRef<Path>) -> Self {
        Self {
            runtime: Runtime::Host,
            manifest: manifest.as_ref().to_path_buf(),
            args: Vec::new(),
            variables: Vec::new(),
            env: Vec::new(),
            runtime_config: None,
        }
    }

    /// The application of this repository with its migrations and dev seed,
    /// as the README's run command starts it (without the demo traffic:
    /// see [`HostLaunch::demo_traffic`]), on [`Runtime::for_app`].
    pub fn app() -> Self {
        let artifacts = artifacts();
        let mut launch = Self::new(artifacts.app_manifest());
        launch.runtime = Runtime::for_app();
        let mut migrations: Vec<PathBuf> = std::fs::read_dir(artifacts.path("migrations"))
            .expect("migrations directory")
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "sql"))
            .collect();
        migrations.sort();
        for migration in migrations {
            launch = launch
                .arg("--sqlite")
                .arg(format!("@{}", migration.display()));
        }
        launch
            .arg("--sqlite")
            .arg(format!("@{}", artifacts.path("seed/dev.sql").display()))
            .variable("admin_token", crate::demo::ADMIN_TOKEN)
            .variable("dashboard_jwt_secret", crate::demo::DASHBOARD_JWT_SECRET)
            .variable("tracking_secret", crate::demo::TRACKING_SECRET)
            .variable("dsp_allowed_hosts", "http://127.0.0.1:*")
            .variable("image_fetch_allowed_hosts", "http://127.0.0.1:*")
            .runtime_config(artifacts.fixture_manifest("runtime-config.toml"))
    }

    /// Runs with this runtime configuration file (`--runtime-config-file`);
    /// [`HostLaunch::app`] starts with the tests' egress guard
    /// (`tests/manifests/runtime-config.toml`).
    pub fn runtime_config(mut self, path: impl AsRef<Path>) -> Self {
        self.runtime_config = Some(path.as_ref().to_path_buf());
        self
    }

    /// Runs on `runtime` instead ([`Runtime::for_app`] lets a fixture's
    /// tests run on the Spin CLI too).
    pub fn on(mut self, runtime: Runtime) -> Self {
        self.runtime = runtime;
        self
    }

    /// The runtime this launch starts.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Sets an application variable (`--variable` on the host,
    /// `SPIN_VARIABLE_<NAME>` for Spin); a later value wins.
    pub fn variable(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.variables.push((name.into(), value.into()));
        self
    }

    /// Also loads `seed/demo-traffic.sql` (the demo click of the S2S
    /// quickstart), as `./dev up` does.
    pub fn demo_traffic(self) -> Self {
        let seed = artifacts().path("seed/demo-traffic.sql");
        self.arg("--sqlite").arg(format!("@{}", seed.display()))
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    fn command(&self, state_dir: &Path, listen: &str) -> Command {
        let mut command = match &self.runtime {
            Runtime::Host => Command::new(&artifacts().host),
            Runtime::Spin(spin) => Command::new(spin),
        };
        command
            .arg("up")
            .arg("--from")
            .arg(&self.manifest)
            .arg("--listen")
            .arg(listen)
            .arg("--state-dir")
            .arg(state_dir)
            .args(&self.args);
        if let Some(config) = &self.runtime_config {
            command.arg("--runtime-config-file").arg(config);
        }
        for (name, value) in &self.variables {
            match self.runtime {
                Runtime::Host => {
                    command.arg("--variable").arg(format!("{name}={value}"));
                }
                Runtime::Spin(_) => {
                    command.env(format!("SPIN_VARIABLE_{}", name.to_uppercase()), value);
                }
            }
        }
        // Its own process group, so that stopping it stops what it started
        // (Spin's `up` runs the app in a `spin trigger http` child).
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        command
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Starts the host with a fresh state directory and waits until it
    /// serves.
    pub fn start(self) -> TestApp {
        let state = tempfile::tempdir().expect("state dir");
        TestApp::spawn(self, state)
    }

    /// Runs a host that is expected to stop before serving (for example on
    /// a bad manifest) and returns how it ended.
    pub fn run_to_exit(self) -> Exited {
        let state = tempfile::tempdir().expect("state dir");
        let mut child = self
            .command(state.path(), "127.0.0.1:0")
            .spawn()
            .expect("host starts");
        let stdout = drain(child.stdout.take().expect("stdout"));
        let stderr = drain(child.stderr.take().expect("stderr"));
        let status = wait_with_timeout(&mut child, STARTUP_TIMEOUT);
        Exited {
            status,
            stdout: stdout.join().expect("stdout reader"),
            stderr: stderr.join().expect("stderr reader"),
        }
    }
}

/// A host that ended on its own.
#[derive(Debug)]
pub struct Exited {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// A running host, killed when dropped.
pub struct TestApp {
    launch: HostLaunch,
    /// The state directory this app owns (`None` for a sibling, which
    /// shares another app's).
    state: Option<TempDir>,
    state_path: PathBuf,
    child: Child,
    address: String,
    stderr: Arc<Mutex<Vec<String>>>,
    client: Client,
}

impl TestApp {
    fn spawn(launch: HostLaunch, state: TempDir) -> Self {
        let path = state.path().to_path_buf();
        let mut app = Self::spawn_on(launch, &path);
        app.state = Some(state);
        app
    }

    fn spawn_on(launch: HostLaunch, state_path: &Path) -> Self {
        let mut child = launch
            .command(state_path, "127.0.0.1:0")
            .spawn()
            .expect("host starts");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        collect_lines(child.stderr.take().expect("stderr"), stderr.clone());
        let address = wait_for_serving(&mut child, &stderr);
        Self {
            launch,
            state: None,
            state_path: state_path.to_path_buf(),
            child,
            client: Client::new(&format!("http://{address}")),
            address,
            stderr,
        }
    }

    /// Stops the host and starts it again on the same state directory.
    pub fn restart(mut self) -> Self {
        self.stop();
        let state = self
            .state
            .take()
            .expect("only the owner of a state dir restarts");
        Self::spawn(self.launch.clone(), state)
    }

    /// A second instance of the same app on the same state directory, as
    /// when several instances serve one application.
    pub fn sibling(&self) -> Self {
        Self::spawn_on(self.launch.clone(), &self.state_path)
    }

    fn stop(&mut self) {
        // The whole process group: killing `spin up` alone leaves its
        // `spin trigger http` child serving (and spending CPU) after the test.
        let _ = Command::new("kill")
            .args(["-KILL", "--"])
            .arg(format!("-{}", self.child.id()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// `http://127.0.0.1:<port>`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn state_dir(&self) -> &Path {
        &self.state_path
    }

    /// The app's `default` SQLite database, opened beside the running host
    /// (for checks of what a request stored).
    pub fn database(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.state_path.join("sqlite_db.db"))
            .expect("the app's database")
    }

    /// Everything the host and the components wrote to stderr so far, one
    /// entry per line (Spin keeps components' output in
    /// `<state-dir>/logs/<component>_stderr.txt`).
    pub fn stderr_lines(&self) -> Vec<String> {
        let mut lines = self.stderr.lock().expect("stderr lock").clone();
        if let Ok(logs) = std::fs::read_dir(self.state_path.join("logs")) {
            for entry in logs.flatten() {
                let path = entry.path();
                if path.to_string_lossy().ends_with("_stderr.txt") {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    lines.extend(text.lines().map(String::from));
                }
            }
        }
        lines
    }

    /// [`TestApp::stderr_lines`] once `ready` holds for them (lines about
    /// a request may come just after its response); panics, showing the
    /// lines, when it does not within 5 seconds.
    pub fn stderr_lines_when(&self, ready: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let lines = self.stderr_lines();
            if ready(&lines) {
                return lines;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "stderr never got there: {lines:#?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Whether the host process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl std::ops::Deref for TestApp {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
    }
}

fn wait_for_serving(child: &mut Child, stderr: &Arc<Mutex<Vec<String>>>) -> String {
    let stdout = child.stdout.take().expect("stdout");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if !sent && let Some(address) = line.trim().strip_prefix("Serving http://") {
                let _ = sender.send(address.to_string());
                sent = true;
            }
        }
    });
    match receiver.recv_timeout(STARTUP_TIMEOUT) {
        Ok(address) => address,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            std::thread::sleep(Duration::from_millis(100));
            panic!(
                "the host did not start serving; its stderr:\n{}",
                stderr.lock().expect("stderr lock").join("\n")
            );
        }
    }
}

fn collect_lines(stream: impl std::io::Read + Send + 'static, lines: Arc<Mutex<Vec<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            lines.lock().expect("lines lock").push(line);
        }
    });
}

fn drain(stream: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut BufReader::new(stream), &mut text);
        text
    })
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> ExitStatus {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the host did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
