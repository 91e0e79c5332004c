//! The browser harness: Debian's chromedriver as a child process on a free loopback port, one
//! headless Chromium session in a fresh profile driven over WebDriver (fantoccini), and the
//! steps every browser test takes: sign in through the form, wait for an element, screenshot.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long a wait for the page lasts before the test fails (live updates take well under 1 s;
/// a sign-in once took over 15 s while the full suite loaded the 2 cores). Only a failure waits
/// this long.
pub const WAIT: Duration = Duration::from_secs(30);
/// A laptop-sized window: what the console is designed for, and the screenshots' size.
pub const WINDOW: (u32, u32) = (1366, 900);

/// Fails (never skips) when Chromium or its WebDriver is not installed.
pub fn require_chromium() {
    for path in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(path).exists(),
            "{path} is missing: the browser tests need Debian's chromium and chromium-driver; \
             run `make browser` (`make test` does it)"
        );
    }
}

/// chromedriver, killed with everything it started (its own process group) when dropped.
pub struct Driver {
    child: Child,
    pub url: String,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Driver {
    pub async fn start() -> Driver {
        require_chromium();
        // The port is free when picked; if another process takes it first chromedriver exits,
        // and a fresh port is tried.
        for _ in 0..3 {
            let port = free_port();
            let child = Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .expect("chromedriver starts");
            let mut d = Driver {
                child,
                url: format!("http://127.0.0.1:{port}"),
            };
            if d.ready().await {
                return d;
            }
        }
        panic!("chromedriver did not answer on /status (tried three ports)");
    }

    /// Polls /status until chromedriver says it is ready, it exits, or 10 s pass.
    async fn ready(&mut self) -> bool {
        let http = reqwest::Client::new();
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return false;
            }
            if let Ok(r) = http.get(format!("{}/status", self.url)).send().await {
                if let Ok(v) = r.json::<Value>().await {
                    if v["value"]["ready"] == true {
                        return true;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        false
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and the Chromium processes it launched, even when a
        // test panicked before closing its session.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Chromium flags: headless, no sandbox (root in containers), nothing that phones home.
pub fn chromium_args(profile: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-quic",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(format!("--window-size={},{}", WINDOW.0, WINDOW.1));
    args.push(format!("--user-data-dir={}", profile.display()));
    args
}

/// One browser window on the app at `base`.
pub struct Browser {
    pub client: Client,
    pub base: String,
    // Dropped in this order: the driver (and Chromium) before its profile directory.
    _driver: Driver,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn open(base: &str) -> Browser {
        let driver = Driver::start().await;
        let profile = tempfile::tempdir().expect("a profile directory");
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": chromium_args(profile.path())},
        });
        let Value::Object(caps) = caps else {
            unreachable!("capabilities are an object")
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .expect("a Chromium session through chromedriver");
        client
            .set_window_size(WINDOW.0, WINDOW.1)
            .await
            .expect("window size");
        Browser {
            client,
            base: base.to_string(),
            _driver: driver,
            _profile: profile,
        }
    }

    /// Ends the WebDriver session (Chromium quits); the driver goes when dropped.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The current path and query, e.g. `/console/conversations/3`.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Signs in through the login form, as a person types it, and lands on the queue.
    pub async fn sign_in(&self, login: &str, password: &str) {
        self.goto("/console/login").await;
        self.wait_for("#login")
            .await
            .send_keys(login)
            .await
            .expect("type login");
        self.find("#password")
            .await
            .send_keys(password)
            .await
            .expect("type password");
        self.find("form button[type=submit]")
            .await
            .click()
            .await
            .expect("submit");
        // Every signed-in page has the header's status select.
        self.wait_for("#my-status").await;
    }

    /// Picks my status in the header; console.js submits the form on change.
    pub async fn set_status(&self, status: &str) {
        self.find("#my-status")
            .await
            .select_by_value(status)
            .await
            .expect("pick a status");
        self.wait_for(&format!("#my-status.status-{status}")).await;
    }

    /// Waits until this page's live updates are connected (the SSE stream is subscribed, so no
    /// change made after this is missed).
    pub async fn wait_live(&self) {
        self.wait_for("body[data-live-connected]").await;
    }

    pub async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e,
            Err(e) => self.fail(&format!("no element {css}: {e}")).await,
        }
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .expect("find elements")
    }

    /// Waits for an element to exist (WebDriver polling, bounded by WAIT).
    pub async fn wait_for(&self, css: &str) -> Element {
        let found = self
            .client
            .wait()
            .at_most(WAIT)
            .every(Duration::from_millis(50))
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(e) => e,
            Err(e) => self.fail(&format!("waited {WAIT:?} for {css}: {e}")).await,
        }
    }

    /// Waits for an element whose text contains `text`.
    pub async fn wait_for_text(&self, css: &str, text: &str) -> Element {
        let until = Instant::now() + WAIT;
        while Instant::now() < until {
            for e in self.find_all(css).await {
                if e.text().await.is_ok_and(|t| t.contains(text)) {
                    return e;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.fail(&format!("waited {WAIT:?} for {css} with text {text:?}"))
            .await
    }

    /// Waits until the browser is at `path` (after a form post and its redirect).
    pub async fn wait_for_path(&self, path: &str) {
        let until = Instant::now() + WAIT;
        while Instant::now() < until {
            if self.path().await == path {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let at = self.path().await;
        self.fail(&format!("waited {WAIT:?} to be at {path}, still at {at}"))
            .await
    }

    /// Waits until the page title starts with `prefix` (console.js sets it after live updates).
    pub async fn wait_for_title(&self, prefix: &str) -> String {
        let until = Instant::now() + WAIT;
        while Instant::now() < until {
            let t = self.title().await;
            if t.starts_with(prefix) {
                return t;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let t = self.title().await;
        self.fail(&format!(
            "waited {WAIT:?} for a title starting {prefix:?}, it is {t:?}"
        ))
        .await
    }

    /// Runs JavaScript in the page and returns its result.
    pub async fn script(&self, js: &str) -> Value {
        self.client.execute(js, vec![]).await.expect("script runs")
    }

    pub async fn title(&self) -> String {
        self.client.title().await.expect("title")
    }

    /// A PNG of the window, written to `path` (directories made as needed).
    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.expect("screenshot");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot directory");
        }
        std::fs::write(path, png).expect("write screenshot");
    }

    /// Fails the test with what the page showed, and a screenshot in target/browser-failures.
    async fn fail(&self, what: &str) -> ! {
        let shot = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/browser-failures")
            .join(format!("{}.png", uuid::Uuid::new_v4().simple()));
        let png = self.client.screenshot().await.ok();
        let saved = png.is_some_and(|png| {
            shot.parent()
                .is_some_and(|d| std::fs::create_dir_all(d).is_ok())
                && std::fs::write(&shot, png).is_ok()
        });
        let url = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let text = match self.client.find(Locator::Css("body")).await {
            Ok(b) => b.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let text: String = text.chars().take(3000).collect();
        let shot = if saved {
            shot.display().to_string()
        } else {
            "none".into()
        };
        panic!("{what}\nat {url}\nscreenshot: {shot}\npage text:\n{text}");
    }
}
