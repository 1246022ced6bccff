//! The offline cache: the building tree and the last live values (with the server's timestamps),
//! one file per server and user in a directory the caller chooses (the Tauri shell passes its app
//! data directory).
//!
//! Files are `building-<hash of server and user>.json`, written atomically (a temporary file in the
//! same directory, fsync, rename, fsync of the directory), readable by the owner only on Unix.
//! Each carries [`CACHE_FORMAT`] and its server and user: a file that does not parse, or has
//! another format, is removed and treated as absent, never an error.

use atrium_ipc::{LiveValue, TelemetryBatch, TreeNode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The file format written now; anything else is discarded on load.
pub const CACHE_FORMAT: u32 = 1;

/// What one cache file holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedBuilding {
    pub format: u32,
    pub server_url: String,
    pub user: String,
    /// When the tree was saved (ms since the epoch).
    pub saved_at_ms: i64,
    pub tree: Vec<TreeNode>,
    /// Device id -> key -> the last value seen, with the server's timestamp; at most
    /// [`MAX_KEYS_PER_DEVICE`] keys a device.
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, LiveValue>>,
    /// What the load had to report (see [`atrium_ipc::LoadedTree::notes`]).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// Keys remembered per device: a device (or server) sending ever new keys must not grow the
/// cache without end. Keys past this are not remembered; those held keep updating.
pub const MAX_KEYS_PER_DEVICE: usize = 256;
/// A cache file larger than this is not read (a building at [`crate::building::TreeLimits`]
/// with its values is far smaller).
pub const MAX_CACHE_BYTES: u64 = 256 * 1024 * 1024;

impl CachedBuilding {
    pub fn new(server_url: &str, user: &str, saved_at_ms: i64, tree: Vec<TreeNode>) -> Self {
        Self {
            format: CACHE_FORMAT,
            server_url: server_url.to_owned(),
            user: normalise_user(user),
            saved_at_ms,
            tree,
            values: BTreeMap::new(),
            notes: Vec::new(),
        }
    }

    /// Takes over the values an earlier copy of this building remembered, for the devices it
    /// still has.
    pub fn keep_values_of(&mut self, earlier: CachedBuilding) {
        let mut shown = std::collections::HashSet::new();
        atrium_ipc::walk_tree(&self.tree, |node, _| {
            shown.insert(node.id.as_str());
            atrium_ipc::Walk::Continue
        });
        let values =
            earlier.values.into_iter().filter(|(device, _)| shown.contains(device.as_str())).collect();
        self.values = values;
    }

    /// Age at `now_ms`, never negative (a clock set back counts as fresh).
    pub fn age_ms(&self, now_ms: i64) -> u64 {
        u64::try_from(now_ms.saturating_sub(self.saved_at_ms)).unwrap_or(0)
    }

    /// Merges a batch of live values: latest per key wins, by the server's timestamp.
    pub fn merge_values(&mut self, batch: &TelemetryBatch) {
        let device = self.values.entry(batch.device_id.clone()).or_default();
        let room = MAX_KEYS_PER_DEVICE.saturating_sub(device.len());
        let mut new_keys = 0;
        let values = batch.values.iter().filter(|v| {
            if device.contains_key(&v.key) {
                return true;
            }
            new_keys += 1;
            new_keys <= room
        });
        let values: Vec<LiveValue> = values.cloned().collect();
        atrium_ipc::merge_latest(device, values);
    }
}

/// Just enough to tell the format before parsing the rest.
#[derive(Deserialize)]
struct Header {
    format: u32,
}

/// E-mail addresses are case-insensitive on ThingsBoard.
fn normalise_user(user: &str) -> String {
    user.trim().to_lowercase()
}

/// FNV-1a: stable across builds and platforms (unlike `DefaultHasher`), enough to name a file.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The cache directory.
#[derive(Debug, Clone)]
pub struct TreeCache {
    dir: PathBuf,
}

impl TreeCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file for this server and user.
    pub fn path_for(&self, server_url: &str, user: &str) -> PathBuf {
        let key = format!("{}\n{}", server_url.trim_end_matches('/'), normalise_user(user));
        self.dir.join(format!("building-{:016x}.json", fnv1a(key.as_bytes())))
    }

    /// The cached building, or `None` when there is none usable (a bad file is removed).
    pub fn load(&self, server_url: &str, user: &str) -> Option<CachedBuilding> {
        let path = self.path_for(server_url, user);
        match fs::metadata(&path) {
            Ok(meta) if meta.len() > MAX_CACHE_BYTES => {
                tracing::warn!("discarding the building cache {}: {} bytes", path.display(), meta.len());
                let _ = fs::remove_file(&path);
                return None;
            }
            _ => {}
        }
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!("the building cache {} could not be read: {e}", path.display());
                return None;
            }
        };
        let building = match parse(&bytes) {
            Ok(building) => building,
            Err(why) => {
                tracing::warn!("discarding the building cache {}: {why}", path.display());
                let _ = fs::remove_file(&path);
                return None;
            }
        };
        // Another server or user with the same hash: not ours to use, not ours to delete.
        let same = building.server_url.trim_end_matches('/') == server_url.trim_end_matches('/')
            && building.user == normalise_user(user);
        same.then_some(building)
    }

    /// Writes the building atomically: readers see the old file or the new one, never half of one.
    pub fn save(&self, building: &CachedBuilding) -> io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        let path = self.path_for(&building.server_url, &building.user);
        let bytes = serde_json::to_vec(building).map_err(io::Error::other)?;
        let temp = self.dir.join(format!(
            ".{}.{}-{}.tmp",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("building"),
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let written = (|| {
            let mut file = private_file(&temp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            drop(file);
            fs::rename(&temp, &path)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
        // The rename itself is durable once the directory is synced (best effort: not every platform can).
        if let Ok(dir) = fs::File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    /// Deletes this user's cache (logout). Absent is fine.
    pub fn remove(&self, server_url: &str, user: &str) -> io::Result<()> {
        match fs::remove_file(self.path_for(server_url, user)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// A cache file's bytes as a building, or why they are not one (the file is then discarded).
pub(crate) fn parse(bytes: &[u8]) -> Result<CachedBuilding, String> {
    match serde_json::from_slice::<Header>(bytes) {
        Ok(h) if h.format == CACHE_FORMAT => {}
        Ok(h) => return Err(format!("format {} is not {CACHE_FORMAT}", h.format)),
        Err(e) => return Err(e.to_string()),
    }
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}

#[cfg(unix)]
fn private_file(path: &Path) -> io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> io::Result<fs::File> {
    fs::OpenOptions::new().write(true).create_new(true).open(path)
}

#[cfg(test)]
mod tests;
