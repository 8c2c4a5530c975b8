//! The inventory: every artifact in scope (tables, views, triggers, and the services, data
//! stores, APIs… of [`service`]), with owners, sizes and dependencies.

pub mod model;
pub mod resolve;
pub mod service;

pub use model::{
    Column, ColumnDefault, Finding, ForeignKey, Index, Inventory, Partitioning, QualifiedName,
    ReferentialAction, Severity, Table, Trigger, View,
};
pub use service::{parse_size, Criticality, Link, LinkKind, Service, ServiceKind};
