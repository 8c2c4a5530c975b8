//! Earliest-start schedule of a runbook and its critical path (the critical path method,
//! Kelley & Walker 1959): steps start as soon as everything they depend on has finished.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::step::Step;

/// Start and finish of every step (minutes from the start of the runbook, same order as the
/// steps) and the critical path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// Earliest start of step `i`, in minutes.
    pub start: Vec<f64>,
    /// Earliest finish of step `i`, in minutes.
    pub finish: Vec<f64>,
    /// Step ids on the longest chain by expected duration, first to last.
    pub critical_path: Vec<String>,
    /// Total minutes of the critical path (the runbook's expected duration).
    pub total_minutes: f64,
}

impl Schedule {
    /// Schedules `steps`, which must list every dependency before its dependents (the planner's
    /// order does).
    pub fn of(steps: &[Step]) -> Self {
        let mut index: HashMap<&str, usize> = HashMap::with_capacity(steps.len());
        for (i, s) in steps.iter().enumerate() {
            index.insert(s.id.as_str(), i);
        }
        let depends_on: Vec<Vec<usize>> = steps
            .iter()
            .map(|s| {
                s.depends_on
                    .iter()
                    .filter_map(|d| index.get(d.as_str()).copied())
                    .collect()
            })
            .collect();
        Self::by_index(steps, &depends_on)
    }

    /// Schedules `steps` whose dependencies are given by index: `depends_on[i]` lists the
    /// indices of the steps step `i` depends on.
    pub(super) fn by_index(steps: &[Step], depends_on: &[Vec<usize>]) -> Self {
        let mut start = vec![0.0; steps.len()];
        let mut finish = vec![0.0; steps.len()];
        let mut via: Vec<Option<usize>> = vec![None; steps.len()];
        for (i, step) in steps.iter().enumerate() {
            for &d in &depends_on[i] {
                if via[i].is_none() || finish[d] > start[i] {
                    start[i] = finish[d];
                    via[i] = Some(d);
                }
            }
            finish[i] = start[i] + step.expected_minutes;
        }
        let last = (0..steps.len()).max_by(|&a, &b| {
            finish[a]
                .partial_cmp(&finish[b])
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(b.cmp(&a))
        });
        let mut critical_path = Vec::new();
        let mut cursor = last;
        while let Some(i) = cursor {
            critical_path.push(steps[i].id.clone());
            cursor = via[i];
        }
        critical_path.reverse();
        let total_minutes = last.map_or(0.0, |i| finish[i]);
        Self {
            start,
            finish,
            critical_path,
            total_minutes: (total_minutes * 100.0).round() / 100.0,
        }
    }
}
