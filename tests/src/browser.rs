//! Real headless Chromium, driven over the DevTools protocol through
//! `--remote-debugging-pipe` (JSON messages ended by a NUL byte, commands
//! on file descriptor 3, answers on 4), for the browser tests of the
//! pages and the publisher SDK. No WebDriver and no extra crate: a shell
//! `exec` puts the two pipes on descriptors 3 and 4.
//!
//! Without a Chromium binary the tests skip with a note, unless
//! `ADSPIN_REQUIRE_BROWSER` is set (CI sets it after installing one).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};
use tempfile::TempDir;

/// How long one protocol command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// How often [`Page::wait_for`] checks its condition.
const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// The window of a new page.
const WIDTH: u32 = 900;
const HEIGHT: u32 = 700;

/// The Chromium binary: `$CHROMIUM`, else the first of the usual names on
/// `PATH`.
pub fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|candidate| candidate.is_file())
}

/// Answers and the end of the stream, shared with the reading thread.
#[derive(Default)]
struct Inbox {
    answers: HashMap<u64, Value>,
    closed: bool,
}

/// A running headless Chromium; closed and killed when dropped.
pub struct Browser {
    child: Child,
    commands: Mutex<ChildStdin>,
    inbox: Arc<(Mutex<Inbox>, Condvar)>,
    next_id: AtomicU64,
    _profile: TempDir,
}

impl Browser {
    /// Starts Chromium, or returns `None` (after saying why on stderr)
    /// when there is none and `ADSPIN_REQUIRE_BROWSER` is not set.
    pub fn launch() -> Option<Self> {
        let Some(binary) = chromium() else {
            assert!(
                std::env::var_os("ADSPIN_REQUIRE_BROWSER").is_none(),
                "ADSPIN_REQUIRE_BROWSER is set but no Chromium was found \
                 (install Debian's chromium, or set CHROMIUM)"
            );
            let _ = writeln!(
                std::io::stderr(),
                "browser test skipped: no chromium on PATH (apt-get install chromium, or set CHROMIUM)"
            );
            return None;
        };
        Some(Self::launch_at(&binary))
    }

    fn launch_at(binary: &Path) -> Self {
        let profile = tempfile::tempdir().expect("profile dir");
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>/dev/null"#)
            .arg(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-renderer-backgrounding",
                "--disable-background-timer-throttling",
                "--disable-backgrounding-occluded-windows",
                "--mute-audio",
                "--hide-scrollbars",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--window-size={WIDTH},{HEIGHT}"))
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.spawn().expect("chromium starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let inbox = Arc::new((Mutex::new(Inbox::default()), Condvar::new()));
        let shared = inbox.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut message = Vec::new();
                match reader.read_until(0, &mut message) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                message.pop();
                let Ok(value) = serde_json::from_slice::<Value>(&message) else {
                    continue;
                };
                if let Some(id) = value["id"].as_u64() {
                    let (lock, ready) = &*shared;
                    lock.lock().expect("inbox").answers.insert(id, value);
                    ready.notify_all();
                }
            }
            let (lock, ready) = &*shared;
            lock.lock().expect("inbox").closed = true;
            ready.notify_all();
        });
        let browser = Self {
            child,
            commands: Mutex::new(stdin),
            inbox,
            next_id: AtomicU64::new(1),
            _profile: profile,
        };
        browser
            .send(None, "Browser.getVersion", json!({}))
            .expect("chromium answers on its debugging pipe");
        browser
    }

    /// Sends a command (to a page's session when given) and waits for its
    /// answer: the `result`, or the protocol's error message.
    fn send(&self, session: Option<&str>, method: &str, params: Value) -> Result<Value, String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = message.to_string().into_bytes();
        bytes.push(0);
        {
            let mut commands = self.commands.lock().expect("commands");
            commands
                .write_all(&bytes)
                .and_then(|()| commands.flush())
                .map_err(|error| format!("{method}: chromium is gone ({error})"))?;
        }
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        let (lock, ready) = &*self.inbox;
        let mut inbox = lock.lock().expect("inbox");
        loop {
            if let Some(answer) = inbox.answers.remove(&id) {
                return match answer.get("error") {
                    Some(error) => Err(format!("{method}: {error}")),
                    None => Ok(answer["result"].clone()),
                };
            }
            if inbox.closed {
                return Err(format!("{method}: chromium closed its debugging pipe"));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("{method}: no answer within {COMMAND_TIMEOUT:?}"));
            }
            inbox = ready.wait_timeout(inbox, left).expect("inbox").0;
        }
    }

    /// Opens `url` in a new page. `name` names the screenshot saved when
    /// the test fails while the page is open.
    pub fn open(&self, name: &str, url: &str) -> Page<'_> {
        let page = self.blank(name);
        page.goto(url);
        page
    }

    /// A new blank page (to set it up before the first navigation).
    pub fn blank(&self, name: &str) -> Page<'_> {
        let created = self
            .send(None, "Target.createTarget", json!({ "url": "about:blank" }))
            .expect("a new page");
        let target = created["targetId"].as_str().expect("targetId").to_string();
        let attached = self
            .send(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target, "flatten": true }),
            )
            .expect("attached");
        let page = Page {
            browser: self,
            session: attached["sessionId"]
                .as_str()
                .expect("sessionId")
                .to_string(),
            target,
            name: name.to_string(),
        };
        page.call("Page.enable", json!({}));
        page.call("Runtime.enable", json!({}));
        page
    }

    /// The URLs of the open pages (tabs), in no particular order.
    pub fn page_urls(&self) -> Vec<String> {
        let targets = self
            .send(None, "Target.getTargets", json!({}))
            .expect("targets");
        targets["targetInfos"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|info| info["type"] == "page")
            .filter_map(|info| info["url"].as_str().map(String::from))
            .collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.send(None, "Browser.close", json!({}));
        // Its whole process group: the renderers and helpers too.
        let _ = Command::new("kill")
            .args(["-KILL", "--"])
            .arg(format!("-{}", self.child.id()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One page (tab) of a [`Browser`]; closed when dropped, after saving a
/// screenshot to `target/browser-artifacts/<name>.png` when the test is
/// failing.
pub struct Page<'b> {
    browser: &'b Browser,
    session: String,
    target: String,
    name: String,
}

impl Page<'_> {
    /// Sends a command to this page; panics on a protocol error.
    pub fn call(&self, method: &str, params: Value) -> Value {
        self.browser
            .send(Some(&self.session), method, params)
            .unwrap_or_else(|error| panic!("{error}"))
    }

    /// Navigates and waits until the document and its resources loaded.
    pub fn goto(&self, url: &str) {
        let navigated = self.call("Page.navigate", json!({ "url": url }));
        if let Some(error) = navigated["errorText"].as_str() {
            panic!("{url} did not load: {error}");
        }
        self.wait_for("the page to load", "document.readyState === 'complete'");
    }

    /// Runs JavaScript on a page script's behalf (after awaiting a promise)
    /// and returns its JSON value; panics with the exception it threw.
    pub fn eval(&self, expression: &str) -> Value {
        let answer = self.call(
            "Runtime.evaluate",
            json!({
                "expression": expression,
                "awaitPromise": true,
                "returnByValue": true,
                "userGesture": false,
            }),
        );
        if let Some(exception) = answer.get("exceptionDetails") {
            panic!("{expression}\nthrew: {exception}");
        }
        answer["result"]["value"].clone()
    }

    /// Waits up to 15 s for `expression` to be truthy and returns its value.
    pub fn wait_for(&self, what: &str, expression: &str) -> Value {
        self.wait_for_within(what, expression, Duration::from_secs(15))
    }

    pub fn wait_for_within(&self, what: &str, expression: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.eval(expression);
            let truthy = match &value {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {timeout:?} waiting for {what} ({expression})"
            );
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// Runs `script` in every document this page loads from now on, before
    /// the page's own scripts (whatever its Content-Security-Policy).
    pub fn before_load(&self, script: &str) {
        self.call(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": script }),
        );
    }

    /// Clicks the middle of the first element matching `selector` with the
    /// mouse, as a user would, after scrolling it into view.
    pub fn click(&self, selector: &str) {
        let selector_json = json!(selector);
        let point = self.eval(&format!(
            "(() => {{ const element = document.querySelector({selector_json});
                       element.scrollIntoView({{ block: 'center', inline: 'center' }});
                       const r = element.getBoundingClientRect();
                       return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
        ));
        let (x, y) = (point[0].as_f64().expect("x"), point[1].as_f64().expect("y"));
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 }),
            );
        }
    }

    /// Focuses `selector`, types `text` and presses Enter.
    pub fn type_and_enter(&self, selector: &str, text: &str) {
        self.eval(&format!(
            "document.querySelector({}).focus()",
            json!(selector)
        ));
        self.call("Input.insertText", json!({ "text": text }));
        self.press("Enter");
    }

    /// Presses and releases a key: `Enter`, `Tab` or `" "` (Space).
    pub fn press(&self, key: &str) {
        let (code, key_code, text) = match key {
            "Enter" => ("Enter", 13, Some("\r")),
            "Tab" => ("Tab", 9, None),
            " " => ("Space", 32, Some(" ")),
            other => panic!("press: no key code for {other:?}"),
        };
        for kind in ["keyDown", "keyUp"] {
            let mut event = json!({
                "type": kind, "key": key, "code": code, "windowsVirtualKeyCode": key_code
            });
            if let (Some(text), "keyDown") = (text, kind) {
                event["text"] = json!(text);
            }
            self.call("Input.dispatchKeyEvent", event);
        }
    }

    /// Chooses `files` in the file input `selector`, as a user would in
    /// the file dialog.
    pub fn set_files(&self, selector: &str, files: &[&Path]) {
        let document = self.call("DOM.getDocument", json!({ "depth": 0 }));
        let root = document["root"]["nodeId"].clone();
        let found = self.call(
            "DOM.querySelector",
            json!({ "nodeId": root, "selector": selector }),
        );
        let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        self.call(
            "DOM.setFileInputFiles",
            json!({ "files": files, "nodeId": found["nodeId"] }),
        );
    }

    /// Sets the viewport (CSS pixels).
    pub fn resize(&self, width: u32, height: u32) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false }),
        );
    }

    /// A PNG of the viewport.
    pub fn screenshot(&self) -> Result<Vec<u8>, String> {
        let shot = self.browser.send(
            Some(&self.session),
            "Page.captureScreenshot",
            json!({ "format": "png" }),
        )?;
        let data = shot["data"].as_str().ok_or("no screenshot data")?;
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|error| error.to_string())
    }

    /// Saves a screenshot to `target/browser-artifacts/<name><suffix>.png`
    /// and returns its path.
    pub fn save_screenshot(&self, suffix: &str) -> Result<PathBuf, String> {
        let directory = artifacts_dir();
        std::fs::create_dir_all(&directory).map_err(|e| e.to_string())?;
        let path = directory.join(format!("{}{suffix}.png", self.name));
        std::fs::write(&path, self.screenshot()?).map_err(|e| e.to_string())?;
        Ok(path)
    }
}

/// Where failing browser tests leave their screenshots.
pub fn artifacts_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::artifacts().root.join("target"))
        .join("browser-artifacts")
}

impl Drop for Page<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let saved = match self.save_screenshot("") {
                Ok(path) => format!("screenshot of the failing page: {}", path.display()),
                Err(error) => format!("no screenshot of the failing page: {error}"),
            };
            let _ = writeln!(std::io::stderr(), "{saved}");
        }
        let _ = self.browser.send(
            None,
            "Target.closeTarget",
            json!({ "targetId": self.target }),
        );
    }
}
