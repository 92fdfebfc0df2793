//! Work a publish hands to another thread while the network is busy: decrypting the
//! repository key, writing the trust cache. Such a thread runs at the lowest priority, so
//! that on a machine with few cores the run's own thread and a trust server on the same host
//! (as in CI jobs and benchmarks) come first; the work still gets every idle moment, and the
//! run waits for it where it needs the result.

use std::thread::JoinHandle;

/// Run `work` on a new low-priority thread.
pub(super) fn spawn<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> JoinHandle<T> {
    std::thread::spawn(move || {
        // Linux keeps a nice value per thread; elsewhere it would lower the whole process.
        // Failing to lower it changes nothing but the order the scheduler picks.
        #[cfg(target_os = "linux")]
        let _ = rustix::process::setpriority_process(None, 19);
        work()
    })
}

#[cfg(test)]
mod tests {
    #[cfg(target_os = "linux")]
    #[test]
    fn the_thread_runs_at_the_lowest_priority_and_only_it() {
        let before = rustix::process::getpriority_process(None).unwrap();
        let inside = super::spawn(|| rustix::process::getpriority_process(None).unwrap())
            .join()
            .unwrap();
        assert_eq!(inside, 19);
        assert_eq!(rustix::process::getpriority_process(None).unwrap(), before);
    }
}
