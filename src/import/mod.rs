//! Import: DDL scripts ([`ddl`]) and live databases ([`live`]) for the schema, and service
//! inventories ([`services`]: CSV, docker-compose, Kubernetes, Backstage), into one [`Inventory`].
//!
//! [`Inventory`]: crate::inventory::Inventory

pub mod ddl;
pub mod dialect;
pub mod error;
pub mod files;
pub mod live;
pub mod services;

pub use dialect::Engine;
pub use error::ImportError;
