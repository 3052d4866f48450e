//! The bend a CPU quota puts in a duration curve, and the two lines that
//! follow it.
//!
//! A worker granted a share `f` of a core in periods of `P` ms lets a call
//! run at full speed until it has used `f·P` ms of CPU in the period (its
//! burst); then the quota holds it back until the next period. Calls whose
//! CPU time fits in the burst take their work's time; longer ones take
//! about `1/f` times as long. So a function whose work grows as a line in
//! its family grows as two lines in its durations, the second steeper,
//! and one line through both is too high in the middle and too low at both
//! ends: on the quick scenario's edge (half a core, 10 ms periods) one line
//! predicted `p00002` at 41 ms at size 1000, where it took 46-52, and at
//! 24 ms at size 500, where it took 20-25 (run `20261129T074955Z`).
//!
//! Every call says how much CPU it used (`cpu_ms`, measured around the
//! handler), so each row is known to be held back or not: a model on such
//! a worker can fit the two sides apart, each cleaned on its own, and
//! predict the larger line ([`hetfaas_api::Line::at`]). Where either side
//! has too few rows for a line of its own, one line is fitted through all
//! of them, as on a worker without a quota. Which side a row falls on
//! depends on its measured CPU time, not on its size, so the bend is where
//! the function's own work passes the burst, whatever the function. Two
//! lines are chosen by held-out error (`family::baseline`). They lose
//! where a function's calls at one size fall on both sides (work that
//! straddles the burst, some calls held back a whole period and some not):
//! the held-back line is then not the larger sizes' line but a mixture,
//! above the free one everywhere. In the paper scenario (a 5 ms burst in
//! 100 ms periods) `p02388`'s calls at size 1000 used 5.0-5.3 ms of CPU;
//! fitted with two lines whenever each side had five rows, its edge model,
//! re-cleaned while learning, predicted 50 ms for calls that took 6 (run
//! `20261129T112417Z`).

use super::cleaning::{Bounds, Cleaning};
use crate::store::Execution;

/// Fewest rows on each side for two lines.
pub const MIN_SIDE_ROWS: usize = 5;

/// One learnable row as the curve sees it: the family's regressor `x`, the
/// duration, and whether the quota can have held it back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub held: bool,
}

/// Whether `row` used more CPU than one quota period grants (`burst_ms`,
/// the worker's; `None` without a quota). Rows without a CPU measurement
/// count as free.
pub fn held(row: &Execution, burst_ms: Option<f64>) -> bool {
    matches!((row.cpu_ms, burst_ms), (Some(cpu), Some(burst)) if cpu > burst)
}

/// Whether each side of the bend has [`MIN_SIDE_ROWS`] of `points`: too
/// few on either, and two lines are one.
pub fn splittable(points: &[Point]) -> bool {
    let held = points.iter().filter(|p| p.held).count();
    held >= MIN_SIDE_ROWS && points.len() - held >= MIN_SIDE_ROWS
}

/// One side's rows after cleaning, and the bounds that cleaned them.
#[derive(Debug, Clone, PartialEq)]
pub struct Cleaned {
    pub kept: Vec<(f64, f64)>,
    pub bounds: Bounds,
}

/// Cleans `points` as one set, or, with `two_lines` and when each side has
/// [`MIN_SIDE_ROWS`], each side apart: `(free or all, held back)`.
pub fn split(points: &[Point], two_lines: bool, cleaning: &Cleaning) -> (Cleaned, Option<Cleaned>) {
    let two = two_lines && splittable(points);
    let side = |take: &dyn Fn(&Point) -> bool| {
        let rows: Vec<(f64, f64)> = points.iter().filter(|p| take(p)).map(|p| (p.x, p.y)).collect();
        let (keep, bounds) = cleaning.apply(&rows);
        Cleaned { kept: rows.into_iter().zip(keep).filter(|(_, k)| *k).map(|(r, _)| r).collect(), bounds }
    };
    if two { (side(&|p| !p.held), Some(side(&|p| p.held))) } else { (side(&|_| true), None) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learning::cleaning::Method;

    fn point(x: f64, y: f64, held: bool) -> Point {
        Point { x, y, held }
    }

    #[test]
    fn two_sides_only_with_enough_rows_on_each() {
        let cleaning = Cleaning { method: Method::None, ..Cleaning::default() };
        let mut points: Vec<Point> = (0..10).map(|i| point(i as f64, 5.0 + i as f64, i >= 6)).collect();
        let (all, held) = split(&points, true, &cleaning);
        assert_eq!((all.kept.len(), held), (10, None), "four held rows are too few for a line");
        points.extend((10..12).map(|i| point(i as f64, 2.0 * i as f64, true)));
        assert_eq!(split(&points, false, &cleaning).1, None, "one line when one is asked for");
        let (free, held) = split(&points, true, &cleaning);
        assert_eq!(free.kept, (0..6).map(|i| (i as f64, 5.0 + i as f64)).collect::<Vec<_>>());
        assert_eq!(held.map(|h| h.kept.len()), Some(6));
    }

    #[test]
    fn a_row_is_held_by_its_cpu_time_not_its_size() {
        let mut row = crate::store::sample_execution("edge", 10, 30.0, 0);
        row.cpu_ms = Some(6.0);
        assert!(held(&row, Some(5.0)));
        assert!(!held(&row, Some(10.0)));
        assert!(!held(&row, None), "no quota, nothing held back");
        row.cpu_ms = None;
        assert!(!held(&row, Some(5.0)), "unmeasured rows count as free");
    }
}
