//! The phases a job walks through, and who moved it.

use serde::{Deserialize, Serialize};

/// Where a job stands. The happy path is planned → shadow → reverse shadow → cleanup → done;
/// a demotion goes back one phase; `held` waits for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Not started: the old pipeline alone writes production.
    Planned,
    /// The new pipeline writes a shadow table; the old one still writes production.
    Shadow,
    /// Writers swapped: the new pipeline writes production, the old one the shadow table.
    ReverseShadow,
    /// The old job and its shadow table are being removed: the point of no return.
    Cleanup,
    /// The new pipeline is the sole writer; nothing of the old one is left.
    Done,
    /// Flapping (too many promotions and demotions in the flapping window): a person decides.
    Held,
}

impl Phase {
    /// Every phase, in lifecycle order (`held` last).
    pub const ALL: [Phase; 6] = [
        Phase::Planned,
        Phase::Shadow,
        Phase::ReverseShadow,
        Phase::Cleanup,
        Phase::Done,
        Phase::Held,
    ];

    /// The stored and printed spelling, e.g. `reverse_shadow`.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Planned => "planned",
            Phase::Shadow => "shadow",
            Phase::ReverseShadow => "reverse_shadow",
            Phase::Cleanup => "cleanup",
            Phase::Done => "done",
            Phase::Held => "held",
        }
    }

    /// Its name in words for a person (`reverse shadow`), as the desktop app shows it.
    pub fn label(self) -> &'static str {
        match self {
            Phase::ReverseShadow => "reverse shadow",
            other => other.name(),
        }
    }

    /// The phase spelt `name`, or `None`.
    pub fn parse(name: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether the loop compares old and new outputs in this phase (both pipelines run).
    pub fn is_measured(self) -> bool {
        matches!(self, Phase::Shadow | Phase::ReverseShadow)
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What made a transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum Actor {
    /// The control loop, from measured criteria.
    Loop,
    /// A person, by the name they gave (`lifecycle approve --by`).
    Person(String),
}

impl Actor {
    /// The stored spelling: `loop` or `person:<name>`.
    pub fn to_text(&self) -> String {
        match self {
            Actor::Loop => "loop".into(),
            Actor::Person(name) => format!("person:{name}"),
        }
    }

    /// Who it was, for a person: `the loop`, or the person's name.
    pub fn in_words(&self) -> String {
        match self {
            Actor::Loop => "the loop".into(),
            Actor::Person(name) => name.clone(),
        }
    }

    /// Reads [`Self::to_text`]'s spelling; anything else is a person's name.
    pub fn from_text(text: &str) -> Actor {
        match text {
            "loop" => Actor::Loop,
            other => Actor::Person(other.strip_prefix("person:").unwrap_or(other).to_owned()),
        }
    }
}
