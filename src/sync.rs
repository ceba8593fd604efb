//! Mutexes that outlive a panic. Where porsign shares state between threads (a signing run's
//! queue, bundle writer and first error; the emulator's screen, mailbox and device), every
//! update leaves the state whole before the next can start, so a thread that panicked while
//! holding a lock left nothing half-done: the others carry on with the data rather than
//! panic in turn and hide the first failure.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, poisoned or not.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The data of a mutex no thread holds any more, poisoned or not.
pub fn into_inner<T>(mutex: Mutex<T>) -> T {
    mutex.into_inner().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_while_locked_does_not_lose_the_data() {
        let shared = Mutex::new(vec![1]);
        let _ = std::thread::scope(|s| {
            s.spawn(|| {
                let mut data = lock(&shared);
                data.push(2);
                panic!("a thread fails while holding the lock");
            })
            .join()
        });
        assert!(shared.is_poisoned());
        assert_eq!(*lock(&shared), [1, 2]);
        assert_eq!(into_inner(shared), [1, 2]);
    }
}
