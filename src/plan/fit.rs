//! Fitting a fixed and a per-row cost per step from rehearsals at two or more scales.
//!
//! One rehearsal gives one point per step, which says nothing of how the step grows: a
//! validation's catalog queries and connections cost the same at any size, its scan grows with
//! the rows. Rehearsals of one project at several sizes (`rehearse --scale 0.1`, `0.3`, …) give
//! a line per step, `seconds = fixed + per_row × rows`, fitted by ordinary least squares
//! (the normal equations of simple linear regression). Negative parts are not costs: a
//! negative slope is refitted as a constant (the mean), a negative intercept as a line through
//! the origin (`Σxy / Σx²`).
//!
//! How well a line fits is said as the worst relative error of its own points; with two points
//! that is 0 by construction, so the fit says how many points it had.

use serde::{Deserialize, Serialize};

use super::calibrate::{Calibration, Measurement, Scaling, STEP_MAPPINGS};

/// The fitted cost of one measured step (a name of
/// [`super::calibrate::STEP_MAPPINGS`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepFit {
    /// Measurement name.
    pub step: String,
    /// Seconds the step costs whatever the size.
    pub fixed_seconds: f64,
    /// Seconds per row handled.
    pub seconds_per_row: f64,
    /// `(rows, seconds)` of the runs it was fitted from.
    pub points: Vec<(u64, f64)>,
    /// Worst `|fitted − measured| ÷ measured` over `points` (0 with two points).
    pub worst_relative_error: f64,
}

impl StepFit {
    /// Seconds the fit predicts for `rows`.
    pub fn seconds(&self, rows: u64) -> f64 {
        self.fixed_seconds + self.seconds_per_row * rows as f64
    }
}

/// `(fixed, per_row)` of the least-squares line through `points`, with the non-negative
/// refits described in the module's documentation; `None` with fewer than two distinct sizes.
pub fn fit_line(points: &[(u64, f64)]) -> Option<(f64, f64)> {
    let n = points.len() as f64;
    let xs: Vec<f64> = points.iter().map(|p| p.0 as f64).collect();
    let mean_x = xs.iter().sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = xs.iter().map(|x| (x - mean_x).powi(2)).sum();
    if points.len() < 2 || sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = points
        .iter()
        .map(|&(x, y)| (x as f64 - mean_x) * (y - mean_y))
        .sum();
    let slope = sxy / sxx;
    let intercept = mean_y - slope * mean_x;
    Some(if slope < 0.0 {
        (mean_y, 0.0)
    } else if intercept < 0.0 {
        let sx2: f64 = xs.iter().map(|x| x * x).sum();
        let sxy0: f64 = points.iter().map(|&(x, y)| x as f64 * y).sum();
        (0.0, sxy0 / sx2)
    } else {
        (intercept, slope)
    })
}

/// Rows a measurement stands for in its run: the rows it handled for a step that scales with
/// the rows it copies or reads; the rehearsal's rows for the rest, which a plan prices at its
/// own total rows (a freeze's or a final catch-up's own count is of changes, not of the rows
/// the plan's size is measured in).
fn rows_of(m: &Measurement, run: &Calibration) -> u64 {
    let per_own_rows = STEP_MAPPINGS
        .iter()
        .any(|map| map.rehearsal_step == m.step && map.scaling == Scaling::Rows);
    match m.rows {
        Some(rows) if per_own_rows => rows,
        _ => run.rehearsal_rows,
    }
}

/// Fits every step measured in at least two of `runs` at distinct sizes. Returns the largest
/// run's calibration (the figures a step without a fit keeps) with [`Calibration::fits`] set,
/// and the names of the steps that could not be fitted, with why.
///
/// # Errors
/// A message when `runs` is empty.
pub fn fit_runs(runs: &[Calibration]) -> Result<(Calibration, Vec<String>), String> {
    let largest = runs
        .iter()
        .max_by_key(|r| r.rehearsal_rows)
        .ok_or("no rehearsal to calibrate from")?;
    let mut names: Vec<&str> = Vec::new();
    for run in runs {
        for m in &run.measurements {
            if !names.contains(&m.step.as_str()) {
                names.push(&m.step);
            }
        }
    }
    let mut fits = Vec::new();
    let mut unfitted = Vec::new();
    for name in names {
        let points: Vec<(u64, f64)> = runs
            .iter()
            .filter_map(|run| {
                run.measurements
                    .iter()
                    .find(|m| m.step == name)
                    .map(|m| (rows_of(m, run), m.seconds))
            })
            .collect();
        match fit_line(&points) {
            Some((fixed, per_row)) => {
                let worst = points
                    .iter()
                    .filter(|p| p.1 > 0.0)
                    .map(|&(x, y)| ((fixed + per_row * x as f64) - y).abs() / y)
                    .fold(0.0, f64::max);
                fits.push(StepFit {
                    step: name.to_owned(),
                    fixed_seconds: fixed,
                    seconds_per_row: per_row,
                    points,
                    worst_relative_error: worst,
                });
            }
            None => unfitted.push(format!(
                "{name}: measured at {} distinct size(s); a fit needs two",
                {
                    let mut sizes: Vec<u64> = points.iter().map(|p| p.0).collect();
                    sizes.sort_unstable();
                    sizes.dedup();
                    sizes.len()
                }
            )),
        }
    }
    let mut calibration = largest.clone();
    calibration.run_id = runs
        .iter()
        .map(|r| r.run_id.as_str())
        .collect::<Vec<_>>()
        .join("+");
    calibration.fits = fits;
    Ok((calibration, unfitted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_through_two_sizes_separates_fixed_from_per_row_cost() {
        let (fixed, per_row) = fit_line(&[(100_000, 1.2), (300_000, 2.8)]).unwrap();
        assert!((fixed - 0.4).abs() < 1e-9 && (per_row - 8e-6).abs() < 1e-12);
    }

    #[test]
    fn costs_are_never_negative() {
        // Faster at the larger size (noise): a constant, the mean.
        assert_eq!(fit_line(&[(10, 2.0), (20, 1.0)]), Some((1.5, 0.0)));
        // A line that would cross zero above the origin: through the origin instead.
        let (fixed, per_row) = fit_line(&[(10, 0.5), (20, 2.0)]).unwrap();
        assert_eq!(fixed, 0.0);
        assert!((per_row - 0.09).abs() < 1e-9);
        assert_eq!(fit_line(&[(10, 1.0), (10, 2.0)]), None);
    }

    /// A freeze records the changes it saw (a handful), not the rows the plan is sized in:
    /// fitted against them, 0.05 s for 3 changes became 1,000 s for a million-row plan.
    #[test]
    fn fixed_steps_are_fitted_against_the_rehearsal_rows_not_their_own_counts() {
        let run = |id: &str, rows: u64, changes: u64, seconds: f64| Calibration {
            run_id: id.into(),
            rehearsal_rows: rows,
            measurements: vec![
                Measurement {
                    step: "freeze".into(),
                    seconds: 0.05,
                    rows: Some(changes),
                    derived: None,
                },
                Measurement {
                    step: "backfill".into(),
                    seconds,
                    rows: Some(rows - 1_000),
                    derived: None,
                },
            ],
            fits: Vec::new(),
        };
        let (fitted, _) =
            fit_runs(&[run("a", 101_000, 3, 1.0), run("b", 301_000, 40, 2.6)]).unwrap();
        let freeze = fitted.fits.iter().find(|f| f.step == "freeze").unwrap();
        assert!(freeze.seconds(1_000_000) < 0.1, "{freeze:?}");
        let backfill = fitted.fits.iter().find(|f| f.step == "backfill").unwrap();
        assert_eq!(backfill.points, vec![(100_000, 1.0), (300_000, 2.6)]);
    }
}
