//! Configurable misbehaviour: latency, 5xx answers, resets and lost answers after commit.

use std::sync::Mutex;
use std::time::Duration;

/// Faults to inject, each request rolling independently (deterministic for a given seed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultConfig {
    /// Added before every answer.
    pub latency: Duration,
    /// Fraction of requests answered 500/503 without doing anything.
    pub error_rate_5xx: f64,
    /// Fraction of requests whose connection is cut without doing anything.
    pub reset_rate: f64,
    /// Fraction of requests that are carried out, then the connection is cut before the answer.
    pub drop_after_commit_rate: f64,
    pub seed: u64,
    /// Answer 429 with an HTML page instead of JSON, as Datadog's edge sometimes does.
    pub html_429: bool,
}

/// What happened to a request on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    ServerError,
    Reset,
    DroppedAfterCommit,
    RateLimited,
}

/// The fate rolled for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Serve,
    ServerError(u16),
    Reset,
    DropAfterCommit,
}

/// SplitMix64: tiny, seedable and good enough to pick which requests fail.
#[derive(Debug)]
pub struct Dice(Mutex<u64>);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Dice(Mutex::new(seed))
    }

    /// Uniform in [0, 1).
    pub fn roll(&self) -> f64 {
        let mut state = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl FaultConfig {
    pub fn fate(&self, dice: &Dice) -> Fate {
        if dice.roll() < self.error_rate_5xx {
            let status = if dice.roll() < 0.5 { 500 } else { 503 };
            Fate::ServerError(status)
        } else if dice.roll() < self.reset_rate {
            Fate::Reset
        } else if dice.roll() < self.drop_after_commit_rate {
            Fate::DropAfterCommit
        } else {
            Fate::Serve
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_roughly_honoured_and_seeded() {
        let config = FaultConfig {
            error_rate_5xx: 0.25,
            seed: 7,
            ..FaultConfig::default()
        };
        let dice = Dice::new(config.seed);
        let fates: Vec<Fate> = (0..4000).map(|_| config.fate(&dice)).collect();
        let errors = fates
            .iter()
            .filter(|fate| matches!(fate, Fate::ServerError(_)))
            .count();
        assert!((800..1200).contains(&errors), "{errors}");
        let again = Dice::new(7);
        let replay: Vec<Fate> = (0..4000).map(|_| config.fate(&again)).collect();
        assert_eq!(fates, replay);
        assert!(
            fates
                .iter()
                .all(|fate| !matches!(fate, Fate::Reset | Fate::DropAfterCommit))
        );
    }
}
