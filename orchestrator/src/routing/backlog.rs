//! What the queue-aware policies know of a worker's load: the work this
//! orchestrator has sent it and not yet had answered, and how much longer
//! than predicted its recent calls took. Nothing is asked of the worker,
//! so it costs a few atomic loads per candidate, and it counts exactly the
//! calls this orchestrator placed (other clients of the same platform are
//! invisible to it, as they are to the predictions).

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Weight of the newest call in the stretch's moving averages.
const ALPHA: f64 = 0.125;
/// How fast a stretch fades back to 1 when no call reports: its excess is
/// halved after this many µs without a call, and 1/(1 + k) of it is left
/// after k times as long (hyperbolic rather than exponential: a division,
/// not an `exp`, on the invoke path), so a worker left alone because it was
/// slow is tried again.
const FADE_US: f64 = 1_000_000.0;
/// One call's actual work counts within these multiples of its predicted
/// work, so one odd call moves the stretch by a bounded share.
const STRETCH: (f64, f64) = (0.25, 8.0);

/// The backlogs' clock: microseconds since the first reading, one origin
/// for every worker, so the invoke path reads it once per request.
pub fn now_us() -> u64 {
    static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);
    let since = EPOCH.elapsed();
    since.as_secs() * 1_000_000 + u64::from(since.subsec_micros())
}

/// The predicted work of one worker's calls in flight, and their stretch.
#[derive(Debug)]
pub struct Backlog {
    work_us: AtomicU64,
    calls: AtomicU64,
    /// Moving average of the recent calls' predicted work, ms (f64 bits).
    predicted: AtomicU64,
    /// The moving average of their actual work over `predicted` (f64
    /// bits): a ratio of sums, so that a call counts by its size (a 1 ms
    /// call 50% over its prediction, mostly fixed overhead, moves it as
    /// little as it matters to the queue). Kept as the ratio, so the invoke
    /// path reads it without dividing.
    stretch: AtomicU64,
    /// When it was last updated, on [`now_us`]'s clock.
    observed_us: AtomicU64,
}

impl Default for Backlog {
    fn default() -> Self {
        Backlog {
            work_us: AtomicU64::new(0),
            calls: AtomicU64::new(0),
            predicted: AtomicU64::new(0.0f64.to_bits()),
            stretch: AtomicU64::new(1.0f64.to_bits()),
            observed_us: AtomicU64::new(0),
        }
    }
}

/// One call's share of a backlog, given back when it is dropped.
#[derive(Debug)]
pub struct InFlight<'a> {
    backlog: &'a Backlog,
    us: u64,
    expected_ms: f64,
}

impl InFlight<'_> {
    /// The work the call was expected to take beside the calls already in
    /// flight when it entered, before any stretch: what
    /// [`Backlog::observe`] should compare its actual work with.
    pub fn expected_ms(&self) -> f64 {
        self.expected_ms
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.backlog.work_us.fetch_sub(self.us, Ordering::Relaxed);
        self.backlog.calls.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Backlog {
    /// Counts a call of `work_ms` on a worker that runs `parallelism` calls
    /// at once, until the guard drops.
    pub fn enter(&self, work_ms: f64, parallelism: f64) -> InFlight<'_> {
        let work_ms = work_ms.max(0.0);
        let expected_ms = work_ms + self.shared_ms(work_ms, parallelism);
        let us = (work_ms * 1000.0) as u64;
        self.work_us.fetch_add(us, Ordering::Relaxed);
        self.calls.fetch_add(1, Ordering::Relaxed);
        InFlight { backlog: self, us, expected_ms }
    }

    /// Records that a call expected to need `expected_ms` of work took
    /// `actual_ms` (C3's feedback: what the worker is doing now, which the
    /// models, learned from calls made one at a time on a quiet machine,
    /// do not know). The expectation should include the sharing
    /// [`Backlog::wait`] models ([`InFlight::expected_ms`]): a call slowed
    /// only by the calls beside it, as much as expected, then leaves the
    /// stretch alone, rather than have that sharing counted twice, once in
    /// the stretch and again in every wait it scales. Concurrent updates
    /// may lose one; an average does not mind.
    pub fn observe(&self, expected_ms: f64, actual_ms: f64, now_us: u64) {
        if !(expected_ms > 0.1 && actual_ms.is_finite()) {
            return;
        }
        let actual_ms = actual_ms.clamp(STRETCH.0 * expected_ms, STRETCH.1 * expected_ms);
        // The actual average restarts from the faded stretch, so an idle
        // spell's fading is kept.
        let predicted = f64::from_bits(self.predicted.load(Ordering::Relaxed));
        let actual = predicted * self.stretch_at(now_us);
        let predicted = predicted + ALPHA * (expected_ms - predicted);
        let actual = actual + ALPHA * (actual_ms - actual);
        self.predicted.store(predicted.to_bits(), Ordering::Relaxed);
        self.stretch.store((actual / predicted).to_bits(), Ordering::Relaxed);
        self.observed_us.store(now_us, Ordering::Relaxed);
    }

    /// The stretch, faded toward 1 for the time since the last call.
    fn stretch_at(&self, now_us: u64) -> f64 {
        let stored = f64::from_bits(self.stretch.load(Ordering::Relaxed));
        let idle_us = now_us.saturating_sub(self.observed_us.load(Ordering::Relaxed)) as f64;
        1.0 + (stored - 1.0) / (1.0 + idle_us * (1.0 / FADE_US))
    }

    /// What a new call of `work_ms` meets on a worker that runs
    /// `parallelism` calls at once, and what it does to the calls there.
    /// A worker's calls share its CPU (processor sharing, as the processes
    /// of a local worker do), so each call in flight slows the new one by
    /// the smaller of its own work and the new call's: a short call beside
    /// a long one is delayed by about its own length, a long call behind
    /// short ones by all of theirs. That sum is at most min(backlog, calls
    /// × work), and sharing is symmetric: the new call delays the calls in
    /// flight by the same amount. All of it, the call's own work included,
    /// is scaled by the worker's recent stretch: on a worker whose calls
    /// lately took twice their predictions, so will this one and those it
    /// shares the CPU with.
    pub fn wait(&self, work_ms: f64, parallelism: f64, now_us: u64) -> Wait {
        if parallelism.is_infinite() {
            return Wait::default();
        }
        let work_ms = work_ms.max(0.0);
        let stretch = self.stretch_at(now_us);
        let shared_ms = stretch * self.shared_ms(work_ms, parallelism);
        Wait { queued_ms: stretch * work_ms + shared_ms - work_ms, imposed_ms: shared_ms }
    }

    /// The processor-sharing delay between a call of `work_ms` and the
    /// calls in flight, unstretched: min(backlog, calls × work) over the
    /// worker's parallelism.
    fn shared_ms(&self, work_ms: f64, parallelism: f64) -> f64 {
        if parallelism.is_infinite() {
            return 0.0;
        }
        let backlog_ms = self.work_us.load(Ordering::Relaxed) as f64 / 1000.0;
        let calls = self.calls.load(Ordering::Relaxed) as f64;
        backlog_ms.min(calls * work_ms) / parallelism
    }
}

/// A new call's share of a worker's load ([`Backlog::wait`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Wait {
    /// How much longer than predicted the call would take beside the work
    /// in flight.
    pub queued_ms: f64,
    /// How much longer, together, the calls in flight would take beside it.
    pub imposed_ms: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_call_waits_its_own_length_per_long_call_in_flight() {
        let (backlog, now) = (Backlog::default(), now_us());
        let _long = backlog.enter(100.0, 1.0);
        let _other = backlog.enter(100.0, 1.0);
        assert_eq!(
            backlog.wait(5.0, 1.0, now),
            Wait { queued_ms: 10.0, imposed_ms: 10.0 },
            "two long calls, each delaying 5 ms of work by 5 ms and delayed 5 ms by it"
        );
        assert_eq!(backlog.wait(500.0, 1.0, now), Wait { queued_ms: 200.0, imposed_ms: 200.0 }, "a longer call waits for all of theirs");
        assert_eq!(backlog.wait(500.0, 2.0, now).queued_ms, 100.0, "two at a time: half");
    }

    #[test]
    fn a_call_expects_the_sharing_it_enters_and_as_much_leaves_the_stretch_alone() {
        let (backlog, now) = (Backlog::default(), now_us());
        let first = backlog.enter(100.0, 1.0);
        let second = backlog.enter(100.0, 1.0);
        let third = backlog.enter(50.0, 2.0);
        assert_eq!(
            (first.expected_ms(), second.expected_ms(), third.expected_ms()),
            (100.0, 200.0, 100.0),
            "alone; beside 100 ms; beside 200 ms, two at a time"
        );
        for _ in 0..200 {
            backlog.observe(second.expected_ms(), 200.0, now);
        }
        assert_eq!(backlog.wait(10.0, 1.0, now).queued_ms, 30.0, "the 200 ms it was expected to take left the stretch at 1");
        for _ in 0..200 {
            backlog.observe(second.expected_ms(), 400.0, now);
        }
        assert!((backlog.wait(10.0, 1.0, now).queued_ms - 70.0).abs() < 0.01, "twice its expectation doubles every estimate");
        assert_eq!(Backlog::default().enter(10.0, f64::INFINITY).expected_ms(), 10.0, "an unbounded worker shares nothing");
    }

    #[test]
    fn calls_give_their_work_back_and_unbounded_workers_never_wait() {
        let (backlog, now) = (Backlog::default(), now_us());
        {
            let _call = backlog.enter(40.0, 1.0);
            assert_eq!(backlog.wait(40.0, 1.0, now).queued_ms, 40.0);
            assert_eq!(backlog.wait(40.0, f64::INFINITY, now).queued_ms, 0.0);
        }
        assert_eq!(backlog.wait(40.0, 1.0, now).queued_ms, 0.0, "nothing in flight once the call has ended");
    }

    #[test]
    fn slow_calls_stretch_the_estimate_until_they_fade() {
        let (backlog, start) = (Backlog::default(), now_us());
        for _ in 0..200 {
            backlog.observe(10.0, 30.0, start);
        }
        let stretched = backlog.wait(10.0, 1.0, start).queued_ms;
        assert!((stretched - 20.0).abs() < 0.01, "calls lately took 3× their predictions: +20 ms on 10, got {stretched}");
        let later = backlog.wait(10.0, 1.0, start + 1_000_000).queued_ms;
        assert!((later - 10.0).abs() < 0.01, "a second without calls halves the excess: {later}");
        let minute = backlog.wait(10.0, 1.0, start + 60_000_000).queued_ms;
        assert!(minute < 20.0 / 60.0, "and a minute leaves a sixty-first of it: {minute}");
        {
            let _call = backlog.enter(10.0, 1.0);
            let imposed = backlog.wait(10.0, 1.0, start).imposed_ms;
            assert!((imposed - 30.0).abs() < 0.01, "the 10 ms a new call shares with one in flight take 3× too: {imposed}");
        }
        backlog.observe(10.0, 1e9, start);
        assert!(backlog.wait(10.0, 1.0, start).queued_ms < 10.0 * STRETCH.1, "one absurd call moves it by its bounded share");
    }

    #[test]
    fn calls_count_toward_the_stretch_by_their_size() {
        let (backlog, now) = (Backlog::default(), now_us());
        for _ in 0..200 {
            backlog.observe(100.0, 100.0, now);
        }
        backlog.observe(1.0, 3.0, now);
        let after_small = backlog.wait(10.0, 1.0, now).queued_ms;
        assert!(after_small < 0.05, "a 1 ms call three times over barely moves the long calls' stretch of 1: {after_small}");
        backlog.observe(100.0, 300.0, now);
        let after_large = backlog.wait(10.0, 1.0, now).queued_ms;
        assert!(after_large > 2.0, "a 100 ms call three times over moves it by its share: {after_large}");
    }
}
