//! Why each default of [`super::default_type`] is what it is, and where that comes from: the
//! comments `mapping init` writes above every rule, and the engine-pair notes at the top of the
//! spec for what the inventory cannot show per column (generated columns, `AUTO_INCREMENT`,
//! charsets). Sources are the engines' manuals and pgloader's default MySQL casting rules
//! (<https://pgloader.readthedocs.io/en/latest/ref/mysql.html#default-mysql-casting-rules>).

use crate::data::Logical;
use crate::import::Engine;

/// A default's reason and its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Why {
    /// Why the default is what it is (one sentence).
    pub reason: &'static str,
    /// Where it comes from (a manual section, pgloader's rule).
    pub source: &'static str,
}

const fn w(reason: &'static str, source: &'static str) -> Why {
    Why { reason, source }
}

const PGLOADER: &str = "pgloader default MySQL casting rules";
const PG_NUMERIC: &str = "PostgreSQL manual §8.1 Numeric Types";
const PG_DATETIME: &str = "PostgreSQL manual §8.5 Date/Time Types";
const MY_DATETIME: &str = "MariaDB KB: DATETIME, TIMESTAMP, TIME, DATE";

/// The reason and source of the default target type of a `source`-engine column of meaning
/// `logical` in a `target`-engine database.
pub fn why(source: Engine, target: Engine, logical: &Logical) -> Why {
    if source == target {
        return w(
            "same engine: the declared type is kept verbatim",
            "Migration Studio default mapping",
        );
    }
    match (source, target) {
        (Engine::Mysql, Engine::Postgres) => mysql_to_postgres(logical),
        (Engine::Sqlite, Engine::Postgres) => w(
            "by the declared type's affinity; a value that disagrees with the declared type is rejected with its key",
            "SQLite manual §3 Type Affinity",
        ),
        _ => w(
            "by meaning: the nearest type of the target engine that holds every value",
            "Migration Studio default mapping",
        ),
    }
}

fn mysql_to_postgres(logical: &Logical) -> Why {
    match logical {
        Logical::Int { bits: 8, unsigned } => if *unsigned {
            w("PostgreSQL has no 1-byte integer; smallint holds TINYINT UNSIGNED's 0..255", PGLOADER)
        } else {
            w("PostgreSQL has no 1-byte integer; smallint holds TINYINT's -128..127", PGLOADER)
        },
        Logical::Int { bits: 16, unsigned: true } => w("SMALLINT UNSIGNED reaches 65535, above smallint's 32767: widened to integer", PGLOADER),
        Logical::Int { bits: 16, .. } => w("same 16-bit range", PG_NUMERIC),
        Logical::Int { bits: 24, .. } => w("MEDIUMINT (24-bit, unsigned up to 16777215) fits integer", PGLOADER),
        Logical::Int { bits: 32, unsigned: true } => w("INT UNSIGNED reaches 4294967295, above integer's 2147483647: widened to bigint", PGLOADER),
        Logical::Int { bits: 32, .. } => w("same 32-bit range", PG_NUMERIC),
        Logical::Int { unsigned: true, .. } => w("BIGINT UNSIGNED reaches 18446744073709551615, above bigint's range: numeric(20) holds every value", PGLOADER),
        Logical::Int { .. } => w("same 64-bit range", PG_NUMERIC),
        Logical::Bool => w("TINYINT(1) is MySQL's BOOLEAN: 0 → false, 1 → true; other values follow the manifest's [data] non_binary_booleans (true, or reject)", "pgloader cast rule `type tinyint when (= precision 1) to boolean using tinyint-to-boolean`"),
        Logical::Decimal { .. } => w("same precision and scale; numeric holds up to 131072 digits before the point and 16383 after, so DECIMAL(65,30) fits exactly", PG_NUMERIC),
        Logical::Float { bits: 32 } => w("FLOAT is IEEE single precision, as real", PG_NUMERIC),
        Logical::Float { .. } => w("DOUBLE is IEEE double precision; compare with a tolerance across engines", PG_NUMERIC),
        Logical::Text { max_len: Some(_) } => w("lengths count characters in both engines; utf8mb4 text is re-encoded as the UTF-8 database encoding; collations are not carried over (ORDER BY and unique keys on text may differ)", "PostgreSQL manual §8.3 Character Types; MariaDB KB: Character Sets and Collations"),
        Logical::Text { max_len: None } => w("TINYTEXT/TEXT/MEDIUMTEXT/LONGTEXT: text has no declared limit (1 GB per value); collations are not carried over", "PostgreSQL manual §8.3 Character Types"),
        Logical::Enum(_) => w("labels kept as text (pgloader creates an enum type instead); no CHECK is created, so review finding M007 asks for one", PGLOADER),
        Logical::Set(_) => w("the comma-separated labels as MySQL prints them, as text (pgloader makes a text array)", PGLOADER),
        Logical::Bytes => w("BINARY/VARBINARY/TINYBLOB…LONGBLOB: the bytes as they are", "pgloader cast rule `type blob to bytea`"),
        Logical::Spatial => w("GEOMETRY/POINT…: MySQL's internal value (4-byte SRID, then WKB) kept as bytes; PostGIS geometry needs the extension (ST_GeomFromWKB(substring(v from 5)))", "MariaDB KB: Geometry Types; OGC Simple Features §8.2"),
        Logical::Bits { .. } => w("BIT(n) keeps its width as bit(n)", "PostgreSQL manual §8.10 Bit String Types"),
        Logical::Date => w("zero and partial dates (0000-00-00, 2020-00-00) have no PostgreSQL value: NULL or a reject, by the manifest's [data] zero_dates", "pgloader option zero-dates-to-null; PostgreSQL manual §8.5"),
        Logical::Time { .. } => w("TIME is a duration of -838:59:59..838:59:59; time holds 00:00..24:00, so values beyond 24 h or negative are rejected (cast to interval to keep them)", MY_DATETIME),
        Logical::Timestamp { tz: false, .. } => w("DATETIME is a local date-time without zone, as timestamp; zero dates follow [data] zero_dates", MY_DATETIME),
        Logical::Timestamp { tz: true, .. } => w("MySQL TIMESTAMP is stored in UTC and shown in the session's zone: the same instant as timestamptz", PG_DATETIME),
        Logical::Year => w("PostgreSQL has no YEAR; 1901..2155 and 0000 fit smallint", "pgloader cast rule `type year to integer`"),
        Logical::Json => w("MariaDB's JSON is LONGTEXT checked by JSON_VALID; json keeps the text as written (jsonb would reorder keys and drop duplicates)", "PostgreSQL manual §8.14 JSON Types"),
        Logical::Uuid => w("same 128-bit value", "PostgreSQL manual §8.12 UUID Type"),
        Logical::Other(_) => w("a type with no mapping: its text form as bytes; give it a type", "Migration Studio default mapping"),
    }
}

/// Engine-pair notes for what the inventory does not show per column, written at the top of a
/// spec by `mapping init`: one line each, reason and source.
pub fn pair_notes(source: Engine, target: Engine) -> &'static [&'static str] {
    match (source, target) {
        (Engine::Mysql, Engine::Postgres) => &[
            "AUTO_INCREMENT: the column becomes `GENERATED BY DEFAULT AS IDENTITY` (its values are copied as they are) and its sequence is set past the largest copied key after the backfill and at the cutover (setval; pgloader: auto_increment to serial, reset sequences). A column a sequence cannot fill (BIGINT UNSIGNED → numeric(20)) is finding M009.",
            "Defaults: numbers, string literals and the current date/time are carried; other expressions are finding M010. ON UPDATE CURRENT_TIMESTAMP has no PostgreSQL column option: finding M011, a BEFORE UPDATE trigger does it.",
            "Generated columns (VIRTUAL/PERSISTENT): their computed values are copied as plain values; recreate the expression as `GENERATED ALWAYS AS (...) STORED` by hand (PostgreSQL manual §5.4).",
            "Charsets and collations: text is re-encoded to the target's UTF-8; case-insensitive *_ci collations become the target's default (case-sensitive) collation, so UNIQUE keys on text may now admit case variants (MariaDB KB: Collations).",
            "Zero and partial dates (0000-00-00, 2020-00-00) in DATE/DATETIME/TIMESTAMP: NULL or rejected, by the manifest's [data] zero_dates (pgloader: zero-dates-to-null).",
            "TIME beyond 24 h or negative: rejected by time; cast such a column to interval.",
            "DECIMAL(65,30): numeric(65,30) holds it exactly; FLOAT/DOUBLE compare with a tolerance.",
            "TEXT/BLOB sizes: text and bytea hold up to 1 GB per value; LONGTEXT/LONGBLOB values beyond that are refused.",
        ],
        (Engine::Sqlite, Engine::Postgres) => &[
            "Affinities: a column takes the type of its affinity; values of another storage class (a text in an INTEGER column) are rejected with their key.",
            "Invalid UTF-8 in TEXT is rejected with its key (PostgreSQL refuses it).",
        ],
        (Engine::Postgres, Engine::Postgres) => &[
            "Same engine: declared types are kept verbatim (identity, arrays, domains, enums need their definitions in the target first).",
        ],
        _ => &[],
    }
}
