//! Schema import: DDL scripts ([`ddl`]) and live databases ([`live`]) into one [`Inventory`].
//!
//! [`Inventory`]: crate::inventory::Inventory

pub mod ddl;
pub mod dialect;
pub mod error;
pub mod live;

pub use dialect::Engine;
pub use error::ImportError;
