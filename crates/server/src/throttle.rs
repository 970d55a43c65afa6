//! Login throttling, counted before the password is checked.
//!
//! Every login attempt first takes a [`Ticket`] under one lock: the attempt counts as a failure
//! from that moment until the password check has succeeded, so a burst of parallel guesses
//! cannot all be checked (40 at once with a limit of 5: 5 are checked, 35 refused at once).
//!
//! * **Per username and client address.** [`FREE_FAILURES`] failures of one username from one
//!   address are free; after that the pair waits [`FIRST_DELAY_MS`] after its latest failure,
//!   doubling with each further failure up to [`MAX_DELAY_MS`]. Failures are forgotten after
//!   [`FAILURE_MEMORY_MS`] and on a successful login. Someone guessing from another address
//!   does not lock the owner out: the owner's own address has its own count.
//! * **Per client address**, whatever usernames it names: [`ADDRESS_FAILURES`] failures within
//!   [`ADDRESS_WINDOW_MS`] refuse further attempts from it until the oldest leaves the window
//!   (password spraying). Behind a reverse proxy every client shares the proxy's address.
//! * An administrator ends a lock at once (`POST /api/users/{id}/unlock`).
//!
//! The state is in memory, per server process, and bounded ([`MAX_KEYS`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Failures of one username from one address before a delay applies.
pub const FREE_FAILURES: usize = 5;
/// The first delay, after the free failures.
pub const FIRST_DELAY_MS: i64 = 60 * 1000;
/// The longest delay.
pub const MAX_DELAY_MS: i64 = 60 * 60 * 1000;
/// How long a failure of a username from an address is remembered.
pub const FAILURE_MEMORY_MS: i64 = 24 * 3600 * 1000;
/// Failures from one address (any usernames) within [`ADDRESS_WINDOW_MS`] that refuse it.
pub const ADDRESS_FAILURES: usize = 30;
/// The window of [`ADDRESS_FAILURES`].
pub const ADDRESS_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Most (username, address) pairs and addresses remembered; past that the stalest go.
pub const MAX_KEYS: usize = 100_000;

#[derive(Debug, Default)]
struct Count {
    /// Times of recorded failures, oldest first.
    failures: Vec<i64>,
    /// Attempts admitted and not yet decided.
    in_flight: usize,
}

impl Count {
    fn forget_before(&mut self, t: i64) {
        self.failures.retain(|x| *x > t);
    }

    fn idle(&self) -> bool {
        self.failures.is_empty() && self.in_flight == 0
    }

    fn latest(&self) -> i64 {
        self.failures.last().copied().unwrap_or(i64::MIN)
    }
}

#[derive(Debug, Default)]
struct Inner {
    pairs: HashMap<(String, IpAddr), Count>,
    addresses: HashMap<IpAddr, Count>,
}

/// The throttle of one server.
#[derive(Debug, Default)]
pub struct Throttle {
    inner: Mutex<Inner>,
}

/// An admitted attempt. Counted as a failure unless [`Ticket::succeeded`] is called: a
/// cancelled request (the client went away mid-check) counts as a failure too.
#[derive(Debug)]
pub struct Ticket {
    throttle: Arc<Throttle>,
    username: String,
    ip: IpAddr,
    done: bool,
}

/// The delay after `failures` failures of a pair: none for the free ones, then doubling.
pub fn delay_after(failures: usize) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES).min(20) as u32;
    FIRST_DELAY_MS
        .saturating_mul(1i64 << doublings)
        .min(MAX_DELAY_MS)
}

fn evict_stalest<K: Clone + std::hash::Hash + Eq>(map: &mut HashMap<K, Count>) {
    if map.len() < MAX_KEYS {
        return;
    }
    map.retain(|_, c| !c.idle());
    if map.len() >= MAX_KEYS {
        if let Some(k) = map
            .iter()
            .filter(|(_, c)| c.in_flight == 0)
            .min_by_key(|(_, c)| c.latest())
            .map(|(k, _)| k.clone())
        {
            map.remove(&k);
        }
    }
}

impl Throttle {
    /// Admits an attempt of `username` from `ip` at `now` (ms), or says in how many
    /// milliseconds to retry.
    pub fn admit(self: &Arc<Self>, username: &str, ip: IpAddr, now: i64) -> Result<Ticket, i64> {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let inner = &mut *g;
        // The address first.
        let addr = inner.addresses.entry(ip).or_default();
        addr.forget_before(now - ADDRESS_WINDOW_MS);
        if addr.failures.len() + addr.in_flight >= ADDRESS_FAILURES {
            let oldest = addr.failures.first().copied().unwrap_or(now);
            return Err((oldest + ADDRESS_WINDOW_MS - now).max(1000));
        }
        let key = (username.to_string(), ip);
        let pair = inner.pairs.entry(key.clone()).or_default();
        pair.forget_before(now - FAILURE_MEMORY_MS);
        let n = pair.failures.len();
        if n + pair.in_flight >= FREE_FAILURES {
            // Past the free failures one attempt at a time, after the delay.
            if pair.in_flight > 0 {
                return Err(1000);
            }
            let until = pair.latest().saturating_add(delay_after(n));
            if now < until {
                return Err(until - now);
            }
        }
        pair.in_flight += 1;
        if let Some(a) = inner.addresses.get_mut(&ip) {
            a.in_flight += 1;
        }
        evict_stalest(&mut inner.pairs);
        evict_stalest(&mut inner.addresses);
        Ok(Ticket {
            throttle: self.clone(),
            username: username.to_string(),
            ip,
            done: false,
        })
    }

    fn settle(&self, username: &str, ip: IpAddr, failed: bool) {
        let now = lc_store::now_ms();
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let inner = &mut *g;
        let key = (username.to_string(), ip);
        if let Some(p) = inner.pairs.get_mut(&key) {
            p.in_flight = p.in_flight.saturating_sub(1);
            if failed {
                p.failures.push(now);
            } else {
                p.failures.clear();
            }
            if p.idle() {
                inner.pairs.remove(&key);
            }
        }
        if let Some(a) = inner.addresses.get_mut(&ip) {
            a.in_flight = a.in_flight.saturating_sub(1);
            if failed {
                a.failures.push(now);
            }
            if a.idle() {
                inner.addresses.remove(&ip);
            }
        }
    }

    /// Forgets every failure of `username`, from every address (an administrator's unlock);
    /// how many addresses it had failures from.
    pub fn unlock(&self, username: &str) -> usize {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut n = 0;
        for ((u, _), c) in g.pairs.iter_mut() {
            if u == username && !c.failures.is_empty() {
                c.failures.clear();
                n += 1;
            }
        }
        g.pairs.retain(|_, c| !c.idle());
        n
    }
}

impl Ticket {
    /// The password was right: the pair's failures are forgotten.
    pub fn succeeded(mut self) {
        self.done = true;
        self.throttle.settle(&self.username, self.ip, false);
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.done {
            self.throttle.settle(&self.username, self.ip, true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, n])
    }

    #[test]
    fn parallel_attempts_count_before_they_are_decided() {
        let t = Arc::new(Throttle::default());
        let tickets: Vec<_> = (0..40)
            .filter_map(|_| t.admit("admin", ip(1), 0).ok())
            .collect();
        assert_eq!(tickets.len(), FREE_FAILURES);
        drop(tickets); // all failed
        assert!(t.admit("admin", ip(1), 1000).is_err());
        // The owner at another address is not locked out, and succeeds.
        let owner = t.admit("admin", ip(2), 1000).unwrap();
        owner.succeeded();
        assert!(t.admit("admin", ip(2), 1000).is_ok());
    }

    #[test]
    fn the_delay_grows_and_an_unlock_ends_it() {
        let t = Arc::new(Throttle::default());
        for _ in 0..FREE_FAILURES {
            drop(t.admit("u", ip(1), 0).unwrap());
        }
        let failed_at = lc_store::now_ms();
        let wait = t.admit("u", ip(1), failed_at).unwrap_err();
        assert!(wait > 50_000 && wait <= FIRST_DELAY_MS, "{wait}");
        // After the first delay one more attempt; when it fails the delay doubles.
        drop(
            t.admit("u", ip(1), failed_at + FIRST_DELAY_MS + 1000)
                .unwrap(),
        );
        let later = lc_store::now_ms();
        let wait = t.admit("u", ip(1), later).unwrap_err();
        assert!(wait > FIRST_DELAY_MS, "{wait}");
        assert_eq!(delay_after(FREE_FAILURES + 1), 2 * FIRST_DELAY_MS);
        assert_eq!(delay_after(FREE_FAILURES + 30), MAX_DELAY_MS);
        assert_eq!(t.unlock("u"), 1);
        assert!(t.admit("u", ip(1), later).is_ok());
    }

    #[test]
    fn an_address_spraying_usernames_is_refused() {
        let t = Arc::new(Throttle::default());
        for i in 0..ADDRESS_FAILURES {
            drop(t.admit(&format!("user{i}"), ip(3), 0).unwrap());
        }
        assert!(t.admit("someone", ip(3), lc_store::now_ms()).is_err());
        assert!(t.admit("someone", ip(4), lc_store::now_ms()).is_ok());
    }
}
