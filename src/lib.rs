//! # Migration Studio engine
//!
//! Plans and rehearses system and data migrations. The stages, in the order a team walks them:
//!
//! 1. **Inventory** ([`inventory`], [`import`]): tables, keys, views, triggers, with size
//!    estimates, read from DDL scripts or live databases; services, data stores, queues, APIs
//!    and their links, read from CSV, docker-compose, Kubernetes and Backstage files.
//! 2. **Graph** ([`graph`]): a typed dependency graph over the inventory; waves are topological
//!    layers of its condensation, cycles are strongly connected components with a proposed break.
//! 3. **Risk** ([`risk`]): a register of risks linked to artifacts, with blast radius, a heat
//!    map, suggestions from the plan and ordering constraints the planner honours.
//! 4. **Plan** ([`plan`]): a runbook of steps for the migration shape, with owners, estimated
//!    durations, go/no-go checkpoints, rollback steps, the critical path and the point of no
//!    return (the first step after which returning to the source costs more than the RTO).
//! 5. **Export** ([`export`]): runbook to CSV and Markdown, graph to DOT and JSON.
//! 6. **Lifecycle** ([`lifecycle`]): one job per migrated table walking shadow → reverse
//!    shadow → cleanup, promoted and demoted by measured criteria in a control loop.
//!
//! Every code the engine publishes (gates, findings, verdicts, suggestions, conversion rules,
//! exit classes) is registered in [`codes`], which also classes every engine error.
//!
//! A [`project`] is a folder with a readable manifest and an SQLite store of imported state.
//! The CLI and the desktop shell are thin layers over these modules.

#![deny(missing_docs)]

pub mod backfill;
pub mod codes;
pub mod data;
pub mod db;
pub mod export;
pub mod graph;
pub mod import;
pub mod inventory;
pub mod lifecycle;
pub mod mapping;
pub mod plan;
pub mod project;
pub mod rehearsal;
pub mod risk;
pub mod upgrade;
pub mod validate;
pub mod workspace;
