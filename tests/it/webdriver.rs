//! A small W3C WebDriver client for the browser tests: Debian's `chromedriver` started on a
//! free port, one headless Chromium session, and the handful of commands the tests use.
//!
//! WebDriver is JSON over HTTP, so this speaks it with the `reqwest` client the tests already
//! have rather than a WebDriver crate: `fantoccini` with rustls still compiles aws-lc, ICU's
//! segmenter and a second `http`, minutes of build on a two-core machine for a few requests.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

/// How long a page may take to reach a state the test waits for. Generous: the machine may be
/// busy compiling; a test waiting this long has failed anyway.
const PATIENCE: Duration = Duration::from_secs(60);

/// The key W3C WebDriver names element references by.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// WebDriver's codes for the keys the tree listens to.
pub mod keys {
    pub const ENTER: &str = "\u{E007}";
    pub const HOME: &str = "\u{E011}";
    pub const ARROW_LEFT: &str = "\u{E012}";
    pub const ARROW_UP: &str = "\u{E013}";
    pub const ARROW_RIGHT: &str = "\u{E014}";
    pub const ARROW_DOWN: &str = "\u{E015}";
}

/// Where Chromium and chromedriver are installed.
pub struct Browser {
    chromium: PathBuf,
    chromedriver: PathBuf,
}

impl Browser {
    /// Finds both on `PATH`; the error names what is missing.
    pub fn locate() -> Result<Self, String> {
        let chromium = ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .find_map(|name| which(name))
            .ok_or("no chromium on PATH")?;
        let chromedriver = which("chromedriver").ok_or("no chromedriver on PATH")?;
        Ok(Self { chromium, chromedriver })
    }

    /// Starts chromedriver on a free port and opens a headless session whose downloads land in
    /// `downloads`.
    pub async fn session(&self, downloads: &Path) -> Session {
        let driver = Driver::start(&self.chromedriver).await;
        let client = reqwest::Client::new();
        let dir = downloads.display().to_string();
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": self.chromium.display().to_string(),
                // Root in a container needs --no-sandbox; a fixed size keeps screenshots stable.
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--window-size=1280,900", "--lang=sv-SE", "--no-first-run", "--disable-extensions"],
                "prefs": {
                    "download.default_directory": dir,
                    "download.prompt_for_download": false,
                    "download.directory_upgrade": true,
                    "safebrowsing.enabled": false,
                },
            },
        }}});
        let res: Value = client
            .post(format!("{}/session", driver.url))
            .json(&caps)
            .send()
            .await
            .expect("POST /session to chromedriver")
            .json()
            .await
            .expect("chromedriver answers JSON");
        let id = res["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver opened no session: {res:#}"))
            .to_owned();
        let session = Session {
            base: format!("{}/session/{id}", driver.url),
            client,
            _driver: driver,
        };
        // Headless Chromium honours the download prefs in recent versions; saying it again
        // over the DevTools protocol covers the versions that do not.
        // Best effort: a driver without the command still has the prefs.
        let _ = session
            .client
            .post(format!("{}/goog/cdp/execute", session.base))
            .json(&json!({ "cmd": "Browser.setDownloadBehavior", "params": { "behavior": "allow", "downloadPath": dir } }))
            .send()
            .await;
        session
    }
}

/// `name` on `PATH`, if there.
fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
}

/// A running chromedriver, killed when dropped (also when the test panics).
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    async fn start(binary: &Path) -> Self {
        // A port the OS says is free; chromedriver takes it a moment later.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + PATIENCE;
        loop {
            let ready = match client.get(format!("{}/status", driver.url)).send().await {
                Ok(res) => res.json::<Value>().await.is_ok_and(|v| v["value"]["ready"] == true),
                Err(_) => false,
            };
            if ready {
                return driver;
            }
            assert!(Instant::now() < deadline, "chromedriver did not become ready on port {port}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Chromedriver takes its Chromium with it when it goes.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session. Commands panic with the driver's answer when they fail: this is test
/// code, and the answer is the best message.
pub struct Session {
    base: String,
    client: reqwest::Client,
    _driver: Driver,
}

/// An element, by its WebDriver reference.
#[derive(Clone, Debug)]
pub struct Element(String);

impl Session {
    async fn send(&self, req: reqwest::RequestBuilder, what: &str) -> Value {
        let res = req.send().await.unwrap_or_else(|e| panic!("WebDriver {what}: {e}"));
        let status = res.status();
        let body: Value = res.json().await.unwrap_or_else(|e| panic!("WebDriver {what}: not JSON: {e}"));
        assert!(status.is_success(), "WebDriver {what} answered {status}: {body:#}");
        body["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.send(self.client.post(format!("{}{path}", self.base)).json(&body), path).await
    }

    async fn get(&self, path: &str) -> Value {
        self.send(self.client.get(format!("{}{path}", self.base)), path).await
    }

    /// Loads `url`.
    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns what it returns.
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": args })).await
    }

    /// Waits until `script` returns something truthy and returns it; panics naming `what`
    /// when the page never gets there.
    pub async fn wait_for(&self, what: &str, script: &str) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let v = self.execute(script, json!([])).await;
            let truthy =
                !matches!(&v, Value::Null | Value::Bool(false)) && v.as_str() != Some("") && v.as_array().is_none_or(|a| !a.is_empty());
            if truthy {
                return v;
            }
            if Instant::now() >= deadline {
                let state = self
                    .execute(
                        "return document.body ? document.body.dataset.state + ': ' + document.body.innerText.slice(0, 500) : 'no body'",
                        json!([]),
                    )
                    .await;
                panic!("the page never showed {what}; it shows {state}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The first element matching the CSS selector.
    pub async fn find(&self, css: &str) -> Element {
        let v = self.post("/element", json!({ "using": "css selector", "value": css })).await;
        Element(v[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}: {v:#}")).to_owned())
    }

    /// Clicks `el`.
    pub async fn click(&self, el: &Element) {
        self.post(&format!("/element/{}/click", el.0), json!({})).await;
    }

    /// Types `text` (WebDriver key codes included, see [`keys`]) into `el`, focusing it first.
    pub async fn send_keys(&self, el: &Element, text: &str) {
        self.post(&format!("/element/{}/value", el.0), json!({ "text": text })).await;
    }

    /// Types `text` into whatever has the focus now, as a user at the keyboard would.
    pub async fn press(&self, text: &str) {
        let actions: Vec<Value> = text
            .chars()
            .flat_map(|c| {
                [
                    json!({ "type": "keyDown", "value": c.to_string() }),
                    json!({ "type": "keyUp", "value": c.to_string() }),
                ]
            })
            .collect();
        self.post(
            "/actions",
            json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] }),
        )
        .await;
    }

    /// A PNG of the window.
    pub async fn screenshot(&self) -> Vec<u8> {
        decode(&self.get("/screenshot").await)
    }

    /// A PNG of one element.
    pub async fn element_screenshot(&self, el: &Element) -> Vec<u8> {
        decode(&self.get(&format!("/element/{}/screenshot", el.0)).await)
    }

    /// Ends the session: Chromium closes, then chromedriver goes (see the `Drop` below).
    pub async fn quit(self) {
        drop(self);
    }
}

impl Drop for Session {
    /// Closes the browser even when a test panics: killing chromedriver alone would leave its
    /// Chromium running. A blocking request, because `Drop` cannot wait for a future.
    fn drop(&mut self) {
        use std::io::{Read, Write};
        let Some(rest) = self.base.strip_prefix("http://") else { return };
        let Some((host, path)) = rest.split_once('/') else { return };
        let Ok(mut stream) = std::net::TcpStream::connect(host) else {
            return;
        };
        let _ = stream.set_read_timeout(Some(PATIENCE));
        let request = format!("DELETE /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        if stream.write_all(request.as_bytes()).is_err() {
            return;
        }
        // The answer comes once Chromium has quit; chromedriver may keep the connection open
        // after it, so read one whole answer rather than to the end of the stream.
        let mut answer = Vec::new();
        let mut chunk = [0u8; 4096];
        while let Ok(n @ 1..) = stream.read(&mut chunk) {
            answer.extend_from_slice(&chunk[..n]);
            if complete(&answer) {
                break;
            }
        }
    }
}

/// Whether `answer` holds a whole HTTP answer: the headers and `Content-Length` bytes of body.
fn complete(answer: &[u8]) -> bool {
    let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let headers = String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase();
    let length = headers
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    answer.len() >= end + 4 + length
}

fn decode(v: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().expect("a screenshot is base64 text"))
        .expect("a screenshot decodes")
}

/// Waits for a finished download in `dir` (Chromium writes `*.crdownload` until done).
pub async fn wait_for_download(dir: &Path, extension: &str) -> PathBuf {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let done = std::fs::read_dir(dir)
            .expect("the download folder")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == extension));
        if let Some(path) = done {
            return path;
        }
        assert!(Instant::now() < deadline, "no .{extension} file arrived in {}", dir.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
