//! Rate limits: how often one client address may try to enrol or to sign in to the
//! console, and how often one device may push. Each is a GCRA limiter (the `governor`
//! crate) keyed by address or device, reading the server's clock, so a test moves time
//! instead of waiting. Over the limit, the caller is told when to try again (HTTP 429
//! with `Retry-After`, which the device's sync engine honours).
//!
//! A push that carries only alarms is never limited: a duress or panic alarm is never
//! refused (`push::handle` does not ask).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use cordon_core::Clock;
use governor::clock::Clock as GovernorClock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};

/// So many requests at once, then one more every `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub burst: u32,
    pub per: Duration,
}

impl Rate {
    const fn new(burst: u32, per: Duration) -> Rate {
        Rate { burst, per }
    }
}

/// The limits the server applies. `None` switches one off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Enrolment attempts per client address (a code is 80 random bits; this stops a
    /// guesser long before that matters, and an officer mistyping a few times never
    /// meets it).
    pub enrolment: Option<Rate>,
    /// Console sign-in attempts per client address (password guessing).
    pub login: Option<Rate>,
    /// Pushes per device (a stolen token hammering the office). A phone's pass sends a
    /// push per batch, one after another; an alarm-only push is never counted.
    pub push: Option<Rate>,
    /// The address of a reverse proxy (TLS in front of the server) whose
    /// `X-Forwarded-For` names the client; from any other peer the header is ignored, so a
    /// client cannot choose its own address.
    pub forwarded_by: Option<IpAddr>,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            // An office enrolling a shift's phones from one address meets none of these.
            enrolment: Some(Rate::new(30, Duration::from_secs(2))),
            // A shift's operators signing in at once from one office address pass; a
            // guesser gets ten tries a minute, each an Argon2id hash.
            login: Some(Rate::new(20, Duration::from_secs(6))),
            push: Some(Rate::new(300, Duration::from_millis(20))),
            forwarded_by: None,
        }
    }
}

impl RateLimits {
    /// No limits at all (load generators and benchmarks measuring the server itself).
    pub const NONE: RateLimits = RateLimits {
        enrolment: None,
        login: None,
        push: None,
        forwarded_by: None,
    };
}

/// The server's clock as `governor` reads it: time since the epoch.
#[derive(Clone)]
struct ServerClock(Arc<dyn Clock>);

impl GovernorClock for ServerClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.0.now().as_millis()).unwrap_or(0))
    }
}

type Keyed<K> = RateLimiter<K, HashMapStateStore<K>, ServerClock, NoOpMiddleware<Duration>>;

/// Past this many keys, keys whose count has fully drained are dropped (a scan of
/// addresses must not grow the server's memory without bound).
const KEYS_BEFORE_CLEANUP: usize = 10_000;

struct Limiter<K: std::hash::Hash + Eq + Clone> {
    limiter: Keyed<K>,
    clock: ServerClock,
}

impl<K: std::hash::Hash + Eq + Clone> Limiter<K> {
    fn new(rate: Rate, clock: &ServerClock) -> Option<Self> {
        let burst = NonZeroU32::new(rate.burst)?;
        let quota = Quota::with_period(rate.per)?.allow_burst(burst);
        Some(Limiter {
            limiter: RateLimiter::hashmap_with_clock(quota, clock.clone()),
            clock: clock.clone(),
        })
    }

    /// `Err(wait)` when `key` is over its rate: how long until one more is allowed.
    fn check(&self, key: &K) -> Result<(), Duration> {
        if self.limiter.len() > KEYS_BEFORE_CLEANUP {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// Every limiter of a server, replaced whole when the limits change.
pub(crate) struct Limits {
    clock: ServerClock,
    current: RwLock<Arc<Active>>,
}

struct Active {
    limits: RateLimits,
    enrolment: Option<Limiter<IpAddr>>,
    login: Option<Limiter<IpAddr>>,
    push: Option<Limiter<String>>,
}

impl Active {
    fn new(limits: RateLimits, clock: &ServerClock) -> Active {
        Active {
            limits,
            enrolment: limits.enrolment.and_then(|r| Limiter::new(r, clock)),
            login: limits.login.and_then(|r| Limiter::new(r, clock)),
            push: limits.push.and_then(|r| Limiter::new(r, clock)),
        }
    }
}

impl Limits {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Limits {
        let clock = ServerClock(clock);
        let active = Active::new(RateLimits::default(), &clock);
        Limits {
            clock,
            current: RwLock::new(Arc::new(active)),
        }
    }

    /// Applies new limits; what was counted under the old ones is forgotten.
    pub(crate) fn set(&self, limits: RateLimits) {
        let active = Arc::new(Active::new(limits, &self.clock));
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = active;
    }

    pub(crate) fn get(&self) -> RateLimits {
        self.active().limits
    }

    fn active(&self) -> Arc<Active> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The client's address: the peer's, or the last hop of `X-Forwarded-For` when the
    /// peer is the configured reverse proxy.
    pub(crate) fn client_address(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        match (self.active().limits.forwarded_by, forwarded_for) {
            (Some(proxy), Some(header)) if proxy == peer => header
                .rsplit(',')
                .next()
                .and_then(|last| last.trim().parse().ok())
                .unwrap_or(peer),
            _ => peer,
        }
    }

    pub(crate) fn enrolment(&self, address: IpAddr) -> Result<(), Duration> {
        self.active()
            .enrolment
            .as_ref()
            .map_or(Ok(()), |l| l.check(&address))
    }

    pub(crate) fn login(&self, address: IpAddr) -> Result<(), Duration> {
        self.active()
            .login
            .as_ref()
            .map_or(Ok(()), |l| l.check(&address))
    }

    pub(crate) fn push(&self, device_id: &str) -> Result<(), Duration> {
        self.active()
            .push
            .as_ref()
            .map_or(Ok(()), |l| l.check(&device_id.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cordon_core::{ManualClock, Timestamp};

    fn limits(clock: &Arc<ManualClock>, rates: RateLimits) -> Limits {
        let l = Limits::new(clock.clone());
        l.set(rates);
        l
    }

    #[test]
    fn a_burst_is_allowed_then_one_more_per_period_by_the_servers_clock() {
        let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_795_000_000_000)));
        let l = limits(
            &clock,
            RateLimits {
                login: Some(Rate::new(3, Duration::from_secs(10))),
                ..RateLimits::NONE
            },
        );
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(l.login(a), Ok(()));
        }
        let wait = l.login(a).unwrap_err();
        assert!(
            wait > Duration::from_secs(9) && wait <= Duration::from_secs(10),
            "{wait:?}"
        );
        assert_eq!(l.login(b), Ok(()), "another address has its own count");
        assert_eq!(l.enrolment(a), Ok(()), "enrolment is not limited here");

        clock.advance(Duration::from_secs(10));
        assert_eq!(l.login(a), Ok(()), "one more after the period");
        assert!(l.login(a).is_err());
    }

    #[test]
    fn the_forwarded_address_counts_only_from_the_configured_proxy() {
        let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_795_000_000_000)));
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let l = limits(
            &clock,
            RateLimits {
                forwarded_by: Some(proxy),
                ..RateLimits::NONE
            },
        );
        let header = Some("203.0.113.9, 198.51.100.7");
        let client: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(l.client_address(proxy, header), client);
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(l.client_address(other, header), other, "not from the proxy");
        assert_eq!(l.client_address(proxy, Some("nonsense")), proxy);
        assert_eq!(l.client_address(proxy, None), proxy);
    }

    #[test]
    fn pushes_are_counted_per_device_and_none_switches_a_limit_off() {
        let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_795_000_000_000)));
        let l = limits(
            &clock,
            RateLimits {
                push: Some(Rate::new(2, Duration::from_secs(1))),
                ..RateLimits::NONE
            },
        );
        assert!(l.push("d1").is_ok() && l.push("d1").is_ok());
        assert!(l.push("d1").is_err());
        assert!(l.push("d2").is_ok());
        l.set(RateLimits::NONE);
        for _ in 0..100 {
            assert_eq!(l.push("d1"), Ok(()));
        }
    }
}
