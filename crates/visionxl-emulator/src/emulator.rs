//! [`Emulator`]: a running emulator on 127.0.0.1, served on the caller's runtime or on a thread
//! of its own.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::chaos::{Chaos, ChaosReport};
use crate::config::EmulatorConfig;
use crate::fault::Fault;
use crate::ledger::Ledger;
use crate::server;
use crate::state::Shared;

enum Runner {
    /// Served by a task on the caller's runtime.
    Task(Option<tokio::task::JoinHandle<()>>),
    /// Served by a thread owning its own runtime.
    Thread(Option<std::thread::JoinHandle<()>>),
}

/// A running emulator on 127.0.0.1. Dropping it stops the server.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    runner: Runner,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

async fn bind(port: u16) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await
}

impl Emulator {
    /// Starts serving on the current tokio runtime (which must have the time and I/O drivers
    /// enabled). Fails only when the port cannot be bound.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        let listener = bind(config.port).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config, addr));
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, shared.clone(), stopped));
        tracing::info!(base_url = %shared.base_url, "visionxl emulator listening");
        Ok(Emulator {
            shared,
            addr,
            stop,
            runner: Runner::Task(Some(task)),
        })
    }

    /// Starts serving on a thread of its own with its own runtime, for synchronous callers
    /// (the CLI, Python, C tests). Safe to call inside or outside a tokio runtime.
    pub fn start_blocking(config: EmulatorConfig) -> std::io::Result<Emulator> {
        let (stop, stopped) = watch::channel(false);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let port = config.port;
        let thread = std::thread::Builder::new()
            .name("visionxl-emulator".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("visionxl-emulator-worker")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    let listener = match bind(port).await {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let addr = match listener.local_addr() {
                        Ok(a) => a,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let shared = Arc::new(Shared::new(config, addr));
                    let _ = ready_tx.send(Ok((shared.clone(), addr)));
                    server::serve(listener, shared, stopped).await;
                });
                rt.shutdown_timeout(Duration::from_secs(2));
            })?;
        match ready_rx.recv() {
            Ok(Ok((shared, addr))) => {
                tracing::info!(base_url = %shared.base_url, "visionxl emulator listening");
                Ok(Emulator {
                    shared,
                    addr,
                    stop,
                    runner: Runner::Thread(Some(thread)),
                })
            }
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(std::io::Error::other(
                    "the emulator thread ended before it was ready",
                ))
            }
        }
    }

    /// `http://127.0.0.1:PORT`: pass it to a client as its base URL.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// `base_url + "/asset"`: stands in for `https://asset.1min.ai` (pass it as the client's
    /// asset base URL).
    pub fn asset_base_url(&self) -> String {
        format!("{}/asset", self.shared.base_url)
    }

    /// The first configured key (empty when no key is configured).
    pub fn api_key(&self) -> String {
        self.shared.first_key()
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every charge so far and every balance.
    pub fn ledger(&self) -> Ledger {
        self.shared.ledger()
    }

    /// Queues a fault (behind those already queued). A fault with count 0 is ignored.
    pub fn inject(&self, fault: Fault) {
        self.shared.inject(fault);
    }

    /// The faults still queued, with their remaining counts.
    pub fn pending_faults(&self) -> Vec<Fault> {
        self.shared.pending_faults()
    }

    /// Turns random faults on (replacing earlier settings and counts) or, with `None`, off.
    /// `Err` says why the settings are refused (see [`Chaos::check`]).
    ///
    /// ```no_run
    /// # fn demo(emu: &visionxl_emulator::Emulator) {
    /// use visionxl_emulator::Chaos;
    /// emu.set_chaos(Some(Chaos::new(0.2).seed(7))).unwrap(); // 20% of requests meet a fault
    /// // ... run the load ...
    /// println!("{:?}", emu.chaos_report().by_kind);
    /// emu.set_chaos(None).unwrap();
    /// # }
    /// ```
    pub fn set_chaos(&self, chaos: Option<Chaos>) -> Result<(), String> {
        self.shared.set_chaos(chaos)
    }

    /// The random faults in force, if any.
    pub fn chaos(&self) -> Option<Chaos> {
        self.shared.chaos().0
    }

    /// What the random faults did since they were set (empty when none are set).
    pub fn chaos_report(&self) -> ChaosReport {
        self.shared.chaos().1
    }

    /// Back to the configuration: balances, records, assets, ledger, faults and random faults.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Stops the server and waits until it has stopped.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        match &mut self.runner {
            Runner::Task(task) => {
                if let Some(task) = task.take() {
                    let _ = task.await;
                }
            }
            Runner::Thread(thread) => {
                if let Some(thread) = thread.take() {
                    let _ = tokio::task::spawn_blocking(move || thread.join()).await;
                }
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Runner::Thread(thread) = &mut self.runner
            && let Some(thread) = thread.take()
            && thread.thread().id() != std::thread::current().id()
        {
            let _ = thread.join();
        }
    }
}
