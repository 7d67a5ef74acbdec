//! Single-threaded async coordination, with no I/O: [`SingleFlight`] shares one
//! in-flight computation among every caller of the same key, and [`Lock`]
//! serializes refreshes so that a rotated refresh token is never sent twice.
//!
//! Both are plain futures, so they are tested natively; in the browser they run
//! on the wasm-bindgen-futures executor.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

struct Flight<T> {
    result: Option<T>,
    waiters: Vec<Waker>,
}

/// Shares one computation per key among concurrent callers: the first caller runs
/// it, the others wait for its result. A key is free again once the result is in.
/// The in-flight keys are few (one per audience and scope), so a list beats a hash map
/// in code size.
pub struct SingleFlight<T> {
    flights: RefCell<Vec<(String, Shared<T>)>>,
}

type Shared<T> = Rc<RefCell<Flight<T>>>;

impl<T> Default for SingleFlight<T> {
    fn default() -> Self {
        SingleFlight { flights: RefCell::new(Vec::new()) }
    }
}

impl<T: Clone> SingleFlight<T> {
    /// Runs `make()` unless a computation for `key` is already in flight, in which case
    /// this waits for that one's result instead.
    pub async fn run<F: Future<Output = T>>(&self, key: &str, make: impl FnOnce() -> F) -> T {
        let existing = self.flights.borrow().iter().find(|(k, _)| k == key).map(|(_, f)| f.clone());
        if let Some(flight) = existing {
            return Wait(flight).await;
        }
        let flight = Rc::new(RefCell::new(Flight { result: None, waiters: Vec::new() }));
        self.flights.borrow_mut().push((key.to_owned(), flight.clone()));
        let out = make().await;
        self.flights.borrow_mut().retain(|(k, _)| k != key);
        let waiters = {
            let mut f = flight.borrow_mut();
            f.result = Some(out.clone());
            std::mem::take(&mut f.waiters)
        };
        waiters.into_iter().for_each(Waker::wake);
        out
    }

    /// Whether a computation for `key` is in flight.
    pub fn in_flight(&self, key: &str) -> bool {
        self.flights.borrow().iter().any(|(k, _)| k == key)
    }
}

struct Wait<T>(Shared<T>);

impl<T: Clone> Future for Wait<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut f = self.0.borrow_mut();
        match &f.result {
            Some(r) => Poll::Ready(r.clone()),
            None => {
                f.waiters.push(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// A first-come, first-served async lock.
#[derive(Default)]
pub struct Lock {
    state: Rc<RefCell<LockState>>,
}

#[derive(Default)]
struct LockState {
    held: bool,
    queue: std::collections::VecDeque<Waker>,
    next_ticket: u64,
    serving: u64,
}

/// Holding this means holding the [`Lock`]; dropping it lets the next waiter in.
pub struct Guard {
    state: Rc<RefCell<LockState>>,
}

impl Lock {
    /// Waits until the lock is free, in arrival order, and takes it.
    pub fn acquire(&self) -> impl Future<Output = Guard> {
        let ticket = {
            let mut s = self.state.borrow_mut();
            s.next_ticket += 1;
            s.next_ticket - 1
        };
        Acquire { state: self.state.clone(), ticket }
    }
}

struct Acquire {
    state: Rc<RefCell<LockState>>,
    ticket: u64,
}

impl Future for Acquire {
    type Output = Guard;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Guard> {
        let mut s = self.state.borrow_mut();
        if !s.held && s.serving == self.ticket {
            s.held = true;
            s.serving += 1;
            Poll::Ready(Guard { state: self.state.clone() })
        } else {
            s.queue.push_back(cx.waker().clone());
            Poll::Pending
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let waiters = {
            let mut s = self.state.borrow_mut();
            s.held = false;
            std::mem::take(&mut s.queue)
        };
        // Wake everyone; the one whose ticket is served takes it, the rest queue again.
        waiters.into_iter().for_each(Waker::wake);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::sync::Arc;
    use std::task::Wake;

    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }

    /// Polls every future round-robin until all are done; panics if they stall.
    fn run_all<T>(futures: Vec<Pin<Box<dyn Future<Output = T> + '_>>>, mut between: impl FnMut(usize)) -> Vec<T> {
        let waker = Waker::from(Arc::new(Noop));
        let mut cx = Context::from_waker(&waker);
        let mut futures: Vec<_> = futures.into_iter().map(Some).collect();
        let mut out: Vec<Option<T>> = futures.iter().map(|_| None).collect();
        for round in 0..1000 {
            for (i, slot) in futures.iter_mut().enumerate() {
                if let Some(f) = slot {
                    if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                        out[i] = Some(v);
                        *slot = None;
                    }
                }
            }
            if out.iter().all(Option::is_some) {
                return out.into_iter().map(Option::unwrap).collect();
            }
            between(round);
        }
        panic!("futures stalled");
    }

    /// A future that stays pending until `open` is set.
    struct Gate<'a>(&'a Cell<bool>);
    impl Future for Gate<'_> {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            if self.0.get() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }
    }

    #[test]
    fn fifty_callers_share_one_computation() {
        let sf = SingleFlight::<Result<u32, String>>::default();
        let runs = Cell::new(0);
        let open = Cell::new(false);
        let futures: Vec<Pin<Box<dyn Future<Output = _>>>> = (0..50)
            .map(|_| {
                Box::pin(sf.run("k", || async {
                    runs.set(runs.get() + 1);
                    Gate(&open).await;
                    Ok(7)
                })) as Pin<Box<dyn Future<Output = _>>>
            })
            .collect();
        let out = run_all(futures, |round| open.set(round >= 2));
        assert_eq!(runs.get(), 1);
        assert!(out.iter().all(|r| *r == Ok(7u32)));
        assert!(!sf.in_flight("k"));
    }

    #[test]
    fn keys_are_independent_and_reusable() {
        let sf = SingleFlight::<u32>::default();
        let runs = Cell::new(0);
        let make = |v: u32| {
            let runs = &runs;
            move || async move {
                runs.set(runs.get() + 1);
                v
            }
        };
        let futures: Vec<Pin<Box<dyn Future<Output = u32>>>> = vec![Box::pin(sf.run("a", make(1))), Box::pin(sf.run("b", make(2)))];
        assert_eq!(run_all(futures, |_| {}), vec![1, 2]);
        let again: Vec<Pin<Box<dyn Future<Output = u32>>>> = vec![Box::pin(sf.run("a", make(3)))];
        assert_eq!(run_all(again, |_| {}), vec![3], "a finished flight does not cache its result");
        assert_eq!(runs.get(), 3);
    }

    #[test]
    fn lock_serializes_in_arrival_order() {
        let lock = Lock::default();
        let log = RefCell::new(Vec::new());
        let open = Cell::new(false);
        let task = |id: u32| {
            let (lock, log, open) = (&lock, &log, &open);
            async move {
                let _g = lock.acquire().await;
                log.borrow_mut().push(format!("start {id}"));
                Gate(open).await;
                log.borrow_mut().push(format!("end {id}"));
            }
        };
        let futures: Vec<Pin<Box<dyn Future<Output = ()>>>> = vec![Box::pin(task(1)), Box::pin(task(2)), Box::pin(task(3))];
        run_all(futures, |round| open.set(round >= 1));
        assert_eq!(*log.borrow(), ["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
    }
}
