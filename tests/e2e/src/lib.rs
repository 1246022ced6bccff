//! End-to-end harness for Atrium: it starts `WebKitWebDriver` (which starts the real app binary),
//! opens a WebDriver session on the app's main window and offers small helpers split like
//! leptos's e2e examples: [`find`] locates elements, [`action`] clicks them, [`check`] compares
//! what the page shows, and [`wait`] polls a check every 50 ms up to a deadline.
//!
//! It is not a test framework and holds no test of its own: the journeys live in `tests/`.
//! It needs an X display (run it under `xvfb-run`), `WebKitWebDriver` on `PATH` (Debian package
//! `webkit2gtk-driver`) and an app binary with embedded assets,
//! named by `ATRIUM_APP_BIN` (`cargo xtask test` sets it) or else `<target>/debug/atrium`.
//!
//! Every journey runs at a phone's size and a desktop's ([`SIZES`]); screenshots go to
//! `<target>/screenshots/<name>_<width>.png`.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use std::time::Duration;
//! let app = atrium_e2e::App::launch(atrium_e2e::Size::PHONE).await?;
//! atrium_e2e::wait::for_element(app.client(), "#sign-in", Duration::from_secs(30)).await?;
//! atrium_e2e::action::click(app.client(), "#open-demo").await?;
//! app.screenshot("after_click").await?;
//! app.close().await
//! # }
//! ```

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;

pub mod action;
pub mod check;
pub mod find;
pub mod wait;

/// How long the app may take to show its first screen (a cold WebKit start under Xvfb on 2 cores).
pub const APP_START: Duration = Duration::from_secs(45);
/// How long the embedded demo building may take to show after "Open the demo".
pub const DEMO_LOAD: Duration = Duration::from_secs(20);

/// How long WebKitWebDriver may take to listen on its port (it is usually ready in well under a second).
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long opening a session (starting the app process) may take; a broken app binary otherwise
/// leaves WebKitWebDriver waiting forever.
const SESSION_TIMEOUT: Duration = Duration::from_secs(60);

/// A window size a journey runs at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

impl Size {
    /// A phone held upright (an iPhone 12 to 15's CSS pixels).
    pub const PHONE: Size = Size { width: 390, height: 844 };
    /// A laptop: the app's default window.
    pub const DESKTOP: Size = Size { width: 1280, height: 800 };
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// The sizes every journey runs at.
pub const SIZES: [Size; 2] = [Size::PHONE, Size::DESKTOP];

/// A running app under WebDriver control.
///
/// Dropping it kills `WebKitWebDriver`; call [`App::close`] first to end the session, which also
/// closes the app window and process.
#[derive(Debug)]
pub struct App {
    client: Client,
    size: Size,
    // Declared after `client` so the driver outlives every use of the session.
    _driver: DriverProcess,
}

/// How often a refused WebDriver session is asked for, and how long to wait between tries.
const SESSION_ATTEMPTS: u32 = 3;
const SESSION_RETRY_DELAY: Duration = Duration::from_millis(500);

/// Where one run of the app keeps its settings, cache and data: a directory of its own, so
/// journeys do not see each other's accounts; launching twice in the same home is a restart.
#[derive(Debug, Clone)]
pub struct Home {
    dir: PathBuf,
}

impl Home {
    /// An empty home under `<target>/e2e-homes/`.
    pub fn new(name: &str) -> Result<Home> {
        let dir = target_dir().join("e2e-homes").join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Home { dir })
    }

    /// The XDG directories the app (and its webview) resolve their paths from.
    fn env(&self) -> [(&'static str, PathBuf); 3] {
        [
            ("XDG_DATA_HOME", self.dir.join("data")),
            ("XDG_CONFIG_HOME", self.dir.join("config")),
            ("XDG_CACHE_HOME", self.dir.join("cache")),
        ]
    }
}

impl App {
    /// Starts WebKitWebDriver on a free port and opens a session on the app named by `ATRIUM_APP_BIN`,
    /// in a home of its own, with its window at `size`.
    pub async fn launch(size: Size) -> Result<App> {
        App::launch_in(&Home::new("journey")?, size).await
    }

    /// Starts the app in `home`: a second launch in the same home is a restart of the app.
    pub async fn launch_in(home: &Home, size: Size) -> Result<App> {
        App::launch_binary(&app_binary()?, home, size).await
    }

    /// Starts the app binary at `app_bin` (an absolute path; a release build for the benchmarks)
    /// in `home`, with its window at `size`.
    pub async fn launch_binary(app_bin: &std::path::Path, home: &Home, size: Size) -> Result<App> {
        let driver = DriverProcess::spawn(home)?;
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), "wry".into());
        capabilities.insert(
            "webkitgtk:browserOptions".into(),
            serde_json::json!({ "binary": app_bin.to_string_lossy(), "args": [] }),
        );
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities);
        let what = || format!("opening a WebDriver session on {}", app_bin.display());
        // A session refused while the driver settles ("webdriver server did not respond") is
        // asked for again, a bounded number of times.
        let mut attempt = 1;
        let client = loop {
            let opened = tokio::time::timeout(SESSION_TIMEOUT, builder.connect(&driver.url()))
                .await
                .map_err(|_| anyhow::anyhow!("no answer within {SESSION_TIMEOUT:?}"))
                .with_context(what)?;
            match opened {
                Ok(client) => break client,
                Err(e) if attempt < SESSION_ATTEMPTS => {
                    eprintln!("e2e: session attempt {attempt} failed ({e}); trying again");
                    attempt += 1;
                    tokio::time::sleep(SESSION_RETRY_DELAY).await;
                }
                Err(e) => return Err(e).with_context(what),
            }
        };
        let app = App { client, size, _driver: driver };
        if size != Size::DESKTOP {
            app.resize(size.width, size.height).await?;
        }
        Ok(app)
    }

    /// The size this app's journey runs at.
    pub fn size(&self) -> Size {
        self.size
    }

    /// The WebDriver session, for the [`find`], [`action`], [`check`] and [`wait`] helpers.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Resizes the window, e.g. to a phone's 390x844; waits until the page has laid out anew.
    pub async fn resize(&self, width: u32, height: u32) -> Result<()> {
        self.client.set_window_size(width, height).await.context("resizing the window")?;
        wait::until(&format!("the window to be {width} wide"), Duration::from_secs(10), async || {
            let inner = self.client.execute("return window.innerWidth;", vec![]).await?;
            anyhow::ensure!(inner.as_u64() == Some(u64::from(width)), "it is {inner} wide");
            Ok(())
        })
        .await
    }

    /// Saves the webview as `<target>/screenshots/<name>_<width>.png` and returns the path; also
    /// saves the same screen in the other theme as `<name>_dark_<width>.png` (or `_light`), so
    /// every screen a journey shows is looked at in both.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let path = self.capture(name).await?;
        // A journey that names the theme itself shows it on purpose.
        if name.ends_with("_dark") || name.ends_with("_light") {
            return Ok(path);
        }
        let theme = self.client.execute(SWAP_THEME, vec![]).await.context("swapping the theme")?;
        let other = theme.as_str().unwrap_or("other").to_owned();
        let captured = self.capture(&format!("{name}_{other}")).await;
        self.client.execute(SWAP_THEME, vec![]).await.context("swapping the theme back")?;
        captured.map(|_| path)
    }

    /// One screenshot, once what the checks just read is painted.
    async fn capture(&self, name: &str) -> Result<PathBuf> {
        // The DOM the checks just read may not be painted yet, and a theme's colours fade in:
        // wait for finite animations to end, then two frames.
        self.client.execute_async(SETTLE, vec![]).await.context("waiting for the page to paint")?;
        let png = self.client.screenshot().await.context("taking a WebDriver screenshot")?;
        let path = screenshots_dir()?.join(format!("{name}_{}.png", self.size.width));
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Saves a screenshot and the page's HTML as `<name>.failure.png` / `.html`, for a failed
    /// journey; returns a line naming what was saved (or why not), for the failure message.
    pub async fn save_failure_artifacts(&self, name: &str) -> String {
        let mut saved = Vec::new();
        match self.capture(&format!("{name}.failure")).await {
            Ok(path) => saved.push(path.display().to_string()),
            Err(err) => saved.push(format!("(no screenshot: {err:#})")),
        }
        match self.client.source().await {
            Ok(html) => match screenshots_dir() {
                Ok(dir) => {
                    let path = dir.join(format!("{name}_{}.failure.html", self.size.width));
                    match std::fs::write(&path, html) {
                        Ok(()) => saved.push(path.display().to_string()),
                        Err(err) => saved.push(format!("(no page source: {err})")),
                    }
                }
                Err(err) => saved.push(format!("(no page source: {err:#})")),
            },
            Err(err) => saved.push(format!("(no page source: {err})")),
        }
        format!("failure artifacts: {}", saved.join(", "))
    }

    /// Ends the session (which closes the app), then stops WebKitWebDriver.
    pub async fn close(self) -> Result<()> {
        self.client.close().await.context("closing the WebDriver session")
    }
}

/// Runs `journey` against a freshly launched app at `size`; on failure saves a screenshot and the
/// page HTML next to the error, closes the app either way, and returns the journey's result.
pub async fn run_journey<F>(name: &str, size: Size, journey: F) -> Result<()>
where
    F: AsyncFnOnce(&App) -> Result<()>,
{
    run_journey_in(name, &Home::new(&format!("{name}_{}", size.width))?, size, journey).await
}

/// Runs `journey` at each of [`SIZES`] (on the app's embedded demo, or a server it starts itself),
/// panicking with its error and the size it failed at.
pub async fn at_each_size(name: &str, journey: impl AsyncFn(&App) -> Result<()>) {
    for size in SIZES {
        if let Err(err) = run_journey(name, size, async |app| journey(app).await).await {
            panic!("the {name} journey at {size} failed: {err:#}");
        }
    }
}

/// [`run_journey`] in a given home (the second part of a restart journey).
pub async fn run_journey_in<F>(name: &str, home: &Home, size: Size, journey: F) -> Result<()>
where
    F: AsyncFnOnce(&App) -> Result<()>,
{
    let app = App::launch_in(home, size).await?;
    let outcome = journey(&app).await;
    let outcome = match outcome {
        Ok(()) => Ok(()),
        Err(err) => {
            let saved = app.save_failure_artifacts(name).await;
            Err(anyhow::anyhow!("{err:#}\n{saved}"))
        }
    };
    // Best effort: a failed close must not hide the journey's own error.
    if let Err(err) = app.close().await {
        eprintln!("warning: {err:#}");
    }
    outcome
}

/// Flips the page's theme attribute (the stylesheet's palettes key on it) and returns the theme
/// it now shows; the app's own choice is untouched, and a second call flips it back.
const SWAP_THEME: &str = "const root = document.documentElement; \
    const next = root.getAttribute('data-theme') === 'dark' ? 'light' : 'dark'; \
    root.setAttribute('data-theme', next); return next;";

/// Resolves once every finite animation (a theme's colour fade, a panel sliding) has ended, at
/// most a second later, and two frames have been painted.
const SETTLE: &str = "const done = arguments[0]; \
    const finite = (document.getAnimations ? document.getAnimations() : []) \
        .filter(a => Number.isFinite(a.effect?.getComputedTiming().endTime ?? Infinity)); \
    const ended = Promise.all(finite.map(a => a.finished.catch(() => {}))); \
    const most = new Promise(r => setTimeout(r, 1000)); \
    Promise.race([ended, most]).then(() => requestAnimationFrame(() => requestAnimationFrame(done)));";

/// `<target>/screenshots/`, created if missing.
pub fn screenshots_dir() -> Result<PathBuf> {
    let dir = target_dir().join("screenshots");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// `$CARGO_TARGET_DIR`, else the workspace's `target/`.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_dir().join("../../target"))
}

/// The app binary under test: `ATRIUM_APP_BIN`, else `<target>/debug/atrium`.
fn app_binary() -> Result<PathBuf> {
    let path = match std::env::var_os("ATRIUM_APP_BIN") {
        Some(path) => PathBuf::from(path),
        None => target_dir().join("debug").join("atrium"),
    };
    if !path.is_file() {
        bail!(
            "app binary {} does not exist: build it with `cargo xtask ui && cargo build -p atrium` \
             (or run `cargo xtask test`), or point ATRIUM_APP_BIN at it",
            path.display()
        );
    }
    // WebKitWebDriver starts the app from its own working directory: pass an absolute path.
    std::path::absolute(&path).with_context(|| format!("resolving {}", path.display()))
}

/// This crate's directory: cargo sets `CARGO_MANIFEST_DIR` when it runs the tests; the value baked
/// in at compile time is only a fallback, since a shared target dir may hold a test binary built
/// from another clone.
fn crate_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// A `WebKitWebDriver` child process, killed on drop.
///
/// Driven directly rather than through tauri-driver, which on Linux only proxies to it (turning
/// `tauri:options` into `webkitgtk:browserOptions` and setting `TAURI_WEBVIEW_AUTOMATION` for the
/// app): one process per launch and one `cargo install` fewer.
#[derive(Debug)]
struct DriverProcess {
    child: Child,
    port: u16,
}

/// The WebKitGTK WebDriver, from Debian's webkit2gtk-driver package.
const WEBKIT_WEBDRIVER: &str = "WebKitWebDriver";

impl DriverProcess {
    fn spawn(home: &Home) -> Result<DriverProcess> {
        let port = free_port()?;
        // The driver starts the app: both inherit the home; wry lets WebKit automate the
        // webview only when the app is started with TAURI_WEBVIEW_AUTOMATION=true.
        let child = Command::new(WEBKIT_WEBDRIVER)
            .arg(format!("--port={port}"))
            .arg("--host=127.0.0.1")
            .envs(home.env())
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| {
                format!("starting {WEBKIT_WEBDRIVER} (Debian package webkit2gtk-driver; `cargo xtask setup`)")
            })?;
        let mut driver = DriverProcess { child, port };
        driver.wait_until_listening()?;
        Ok(driver)
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Polls the port every 50 ms; fails early if the driver exits.
    fn wait_until_listening(&mut self) -> Result<()> {
        let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, self.port);
        let deadline = Instant::now() + DRIVER_START_TIMEOUT;
        loop {
            if TcpStream::connect_timeout(&addr.into(), Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait().context("checking on WebKitWebDriver")? {
                bail!("WebKitWebDriver exited before listening on port {}: {status}", self.port);
            }
            if Instant::now() >= deadline {
                bail!("WebKitWebDriver did not listen on port {} within {DRIVER_START_TIMEOUT:?}", self.port);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for DriverProcess {
    fn drop(&mut self) {
        // Already-exited is fine; nothing useful to do with other errors while dropping.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago: the OS picks it, then it is released for the driver (a
/// small race, fine for tests).
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}
