//! What the playground server holds: the client (when it can generate), the session's
//! spending, the jobs in flight, and the security rules.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use visionxl::Client;

use super::guard::Guard;
use super::progress::Job;

/// Where generations go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The live service, with the key from `--api-key` or `ONEMIN_API_KEY`.
    Live,
    /// The embedded emulator: nothing is spent, every image is marked emulated.
    Emulator,
    /// No key: build, check, price and copy requests only.
    Off,
}

impl Mode {
    /// The machine name: `live`, `emulator` or `off`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Live => "live",
            Mode::Emulator => "emulator",
            Mode::Off => "off",
        }
    }

    /// One sentence for the page and the log.
    pub fn describe(self) -> &'static str {
        match self {
            Mode::Live => "generating with 1min.ai: every image costs credits",
            Mode::Emulator => {
                "generating with the embedded emulator: images are EMULATED, no credits are spent"
            }
            Mode::Off => {
                "generation is off: set ONEMIN_API_KEY (or pass --api-key) to generate with \
                 1min.ai, or restart with --emulator to try it offline"
            }
        }
    }
}

/// The server's state, shared by every handler.
pub struct State {
    /// The client, unless [`Mode::Off`].
    pub client: Option<Client>,
    /// Where generations go.
    pub mode: Mode,
    /// Where images are saved and read from.
    pub out: PathBuf,
    /// The base URL the cURL text names.
    pub curl_base: String,
    /// `--max-credits`.
    pub max_credits: Option<u64>,
    /// Credits spent by this session.
    spent: AtomicU64,
    jobs: Mutex<HashMap<u64, Arc<Job>>>,
    next_job: AtomicU64,
    /// The security rules.
    pub guard: Guard,
}

impl State {
    /// A fresh state.
    pub fn new(
        client: Option<Client>,
        mode: Mode,
        out: PathBuf,
        curl_base: String,
        max_credits: Option<u64>,
        guard: Guard,
    ) -> State {
        State {
            client,
            mode,
            out,
            curl_base,
            max_credits,
            spent: AtomicU64::new(0),
            jobs: Mutex::new(HashMap::new()),
            next_job: AtomicU64::new(1),
            guard,
        }
    }

    /// Credits spent so far by this session.
    pub fn spent(&self) -> u64 {
        self.spent.load(Ordering::Relaxed)
    }

    /// Records credits spent.
    pub fn add_spent(&self, credits: u64) {
        self.spent.fetch_add(credits, Ordering::Relaxed);
    }

    /// Keeps `job` and returns its id.
    pub fn add_job(&self, job: Arc<Job>) -> u64 {
        let id = self.next_job.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.insert(id, job);
        }
        id
    }

    /// The job `id`, if there is one.
    pub fn job(&self, id: u64) -> Option<Arc<Job>> {
        self.jobs.lock().ok()?.get(&id).cloned()
    }
}
