//! The extraction time budget. Extraction is synchronous and CPU-bound, so it cannot be cancelled from
//! outside; instead every pass asks the deadline between steps (and inside its long loops) and gives up
//! with [`ExtractError::OverBudget`]. The caller builds the value, so tests can pass a zero budget.

use super::ExtractError;
use std::time::{Duration, Instant};

/// When the extraction of one page must give up.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    /// `None`: no limit (benchmarks, `inspect`).
    at: Option<Instant>,
    budget: Duration,
}

impl Deadline {
    /// No limit.
    pub fn none() -> Deadline {
        Deadline { at: None, budget: Duration::MAX }
    }

    /// `budget` from now; a zero budget is already spent.
    pub fn after(budget: Duration) -> Deadline {
        Deadline { at: Instant::now().checked_add(budget), budget }
    }

    /// The budget this deadline was made with.
    pub fn budget(&self) -> Duration {
        self.budget
    }

    pub fn expired(&self) -> bool {
        self.at.is_some_and(|at| Instant::now() >= at)
    }

    /// `Err(OverBudget)` naming the step that was about to run once the budget is spent.
    pub fn check(&self, step: &'static str) -> Result<(), ExtractError> {
        if self.expired() {
            return Err(ExtractError::OverBudget {
                step,
                budget_ms: u64::try_from(self.budget.as_millis()).unwrap_or(u64::MAX),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_budget_is_spent_and_none_never_is() {
        assert!(Deadline::after(Duration::ZERO).expired());
        assert!(matches!(
            Deadline::after(Duration::ZERO).check("parse"),
            Err(ExtractError::OverBudget { step: "parse", budget_ms: 0 })
        ));
        assert!(Deadline::none().check("parse").is_ok());
        assert!(Deadline::after(Duration::from_secs(3600)).check("parse").is_ok());
    }
}
