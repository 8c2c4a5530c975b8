//! The inventory: every artifact in scope, with owners, sizes and dependencies.

pub mod model;
pub mod resolve;

pub use model::{
    Column, Finding, ForeignKey, Index, Inventory, Partitioning, QualifiedName, ReferentialAction,
    Severity, Table, Trigger, View,
};
