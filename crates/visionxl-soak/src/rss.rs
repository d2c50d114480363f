//! Memory of this process from `/proc/self/status` (Linux): the resident set size now
//! (`VmRSS`) and its peak (`VmHWM`), and a sampler thread that records it every ~250 ms.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

/// The resident set size now and its peak, in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Memory {
    /// `VmRSS`: resident now.
    pub rss_kib: u64,
    /// `VmHWM`: the highest resident set size of the process so far.
    pub hwm_kib: u64,
}

/// Reads `/proc/self/status`; `None` where it does not exist (not Linux) or cannot be parsed.
pub fn read() -> Option<Memory> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_status(&text)
}

fn parse_status(text: &str) -> Option<Memory> {
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some(Memory {
        rss_kib: field("VmRSS:")?,
        hwm_kib: field("VmHWM:")?,
    })
}

/// One sample of the sampler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sample {
    /// Milliseconds since the sampler started.
    pub at_ms: u64,
    /// `VmRSS` then, in KiB.
    pub rss_kib: u64,
    /// Items finished by then (the counter given to [`Sampler::start`]).
    pub completed: usize,
}

/// Samples `VmRSS` on its own thread until [`Sampler::stop`].
pub struct Sampler {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    samples: Arc<Mutex<Vec<Sample>>>,
}

impl Sampler {
    /// Starts sampling every `every`; each sample also records `completed`.
    pub fn start(every: Duration, completed: Arc<AtomicUsize>) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(Mutex::new(Vec::new()));
        let (s, out) = (stop.clone(), samples.clone());
        let handle = std::thread::Builder::new()
            .name("soak-rss".into())
            .spawn(move || {
                let start = Instant::now();
                while !s.load(Ordering::SeqCst) {
                    if let Some(m) = read() {
                        let sample = Sample {
                            at_ms: start.elapsed().as_millis() as u64,
                            rss_kib: m.rss_kib,
                            completed: completed.load(Ordering::SeqCst),
                        };
                        out.lock().unwrap_or_else(|e| e.into_inner()).push(sample);
                    }
                    std::thread::sleep(every);
                }
            })
            .ok();
        Sampler {
            stop,
            handle,
            samples,
        }
    }

    /// Stops the thread and returns the samples.
    pub fn stop(mut self) -> Vec<Sample> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        std::mem::take(&mut *self.samples.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_are_parsed() {
        let text = "Name:\tx\nVmHWM:\t  20480 kB\nVmRSS:\t   10240 kB\nThreads:\t3\n";
        assert_eq!(
            parse_status(text),
            Some(Memory {
                rss_kib: 10_240,
                hwm_kib: 20_480
            })
        );
        assert_eq!(parse_status("Name:\tx\n"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_sampler_samples() {
        let done = Arc::new(AtomicUsize::new(7));
        let s = Sampler::start(Duration::from_millis(5), done);
        std::thread::sleep(Duration::from_millis(40));
        let samples = s.stop();
        assert!(!samples.is_empty());
        assert!(samples.iter().all(|x| x.rss_kib > 0 && x.completed == 7));
    }
}
