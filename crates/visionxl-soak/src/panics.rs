//! A process-wide panic counter: a panic hook that counts panics in any thread, then hands
//! them to the hook that was there before (so the usual message is still printed).

use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

static PANICS: AtomicU64 = AtomicU64::new(0);
static INSTALL: Once = Once::new();

/// Installs the counting hook (once per process; later calls do nothing).
pub fn install() {
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            previous(info);
        }));
    });
}

/// Panics counted since [`install`], in every thread of the process.
pub fn count() -> u64 {
    PANICS.load(Ordering::SeqCst)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_in_another_thread_is_counted() {
        super::install();
        let before = super::count();
        let joined = std::thread::spawn(|| panic!("counted on purpose")).join();
        assert!(joined.is_err());
        assert!(super::count() > before);
    }
}
