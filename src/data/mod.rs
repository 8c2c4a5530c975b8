//! The data path's shared layer: logical types, cell values, keyset predicates and row reading,
//! used by the backfill and by validation alike.

pub mod cell;
pub mod copy_out;
pub mod keyset;
pub mod pg_binary;
pub mod read;
pub mod rules;
pub mod types;

pub use cell::Cell;
pub use read::{read_rows, ColumnSpec, ReadAs, SpecError, TableSpec};
pub use rules::{ConversionPolicy, Converted, Rule};
pub use types::Logical;
