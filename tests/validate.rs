//! Validation on real databases: Chinook in SQLite and MariaDB (same data, two engines), Pagila
//! in two PostgreSQL databases; both strategies must agree, find every planted difference and
//! locate it to its key, and report nothing on untouched copies.

mod common;

use std::collections::BTreeSet;

use common::{dataset, mariadb, pagila_scripts, psql, sample_file, ScratchMaria, ScratchPg};
use migration_studio::data::Logical;
use migration_studio::data::{read_rows, TableSpec};
use migration_studio::db::{self, Access};
use migration_studio::import::live::import_live;
use migration_studio::validate::report::{ConstraintKind, DeclaredIn};
use migration_studio::validate::stream::HashKind;
use migration_studio::validate::{
    self, canon_sql, row_hash, Invariant, Options, Report, RunState, Silent, StrategyChoice,
    Verdict,
};
use sqlx::Row;

/// A copy of Chinook's SQLite file in a temporary folder.
fn chinook_sqlite() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("chinook.sqlite");
    std::fs::copy(
        sample_file("chinook-sqlite-to-postgres/data/Chinook_Sqlite.sqlite"),
        &path,
    )
    .expect("copy chinook");
    let url = format!("sqlite://{}", path.display());
    (dir, url)
}

/// Chinook's MySQL script loaded into a scratch MariaDB database.
fn chinook_mariadb(label: &str) -> ScratchMaria {
    let db = ScratchMaria::new(&format!("val_{label}"));
    let script = std::fs::read_to_string(dataset(
        "chinook/ChinookDatabase/DataSources/Chinook_MySql.sql",
    ))
    .expect("read chinook");
    let script: String = script
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("DROP DATABASE")
                || t.starts_with("CREATE DATABASE")
                || t.starts_with("USE "))
        })
        .collect::<Vec<_>>()
        .join("\n");
    // The script writes `\` meaning a backslash (it was generated for SQL Server's literal
    // rules); MySQL's default string escapes would drop it, so the copy would differ from the
    // SQLite file in four track names (validation finds exactly those).
    let script =
        format!("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES');\n{script}");
    mariadb(&db.name, &[], Some(&script));
    db
}

/// Pagila loaded into a scratch PostgreSQL database.
fn pagila(label: &str) -> ScratchPg {
    let db = ScratchPg::new(&format!("val_{label}"));
    for path in pagila_scripts() {
        psql(&db.name, &["-f", path.to_str().expect("utf-8 path")], None);
    }
    db
}

const CHINOOK_COUNTS: [(&str, u64); 11] = [
    ("Album", 347),
    ("Artist", 275),
    ("Customer", 59),
    ("Employee", 8),
    ("Genre", 25),
    ("Invoice", 412),
    ("InvoiceLine", 2240),
    ("MediaType", 5),
    ("Playlist", 18),
    ("PlaylistTrack", 8715),
    ("Track", 3503),
];

fn options(strategy: StrategyChoice) -> Options {
    Options {
        strategy,
        show: 1_000,
        // Small chunks and leaves so that paging and bisection are exercised on small tables.
        chunk_rows: 500,
        leaf_rows: 16,
        bisection_factor: 4,
        sample_rows: 30,
        ..Options::default()
    }
}

async fn run(source: &str, target: &str, options: &Options, invariants: &[Invariant]) -> Report {
    validate::validate_urls(source, target, options, invariants, None, &Silent)
        .await
        .expect("validation runs")
}

fn assert_all_equal(report: &Report) {
    for t in &report.tables {
        assert_eq!(
            t.verdict,
            Verdict::Equal,
            "{}: {:?} {:?}",
            t.source_table,
            t.error,
            t.differences
        );
        assert!(t.ranges.is_empty(), "{}: {:?}", t.source_table, t.ranges);
        assert_eq!(t.sample.differing_fields, 0);
    }
    assert_eq!(report.verdict, Verdict::Equal);
}

#[tokio::test]
async fn chinook_sqlite_and_mariadb_are_equal_by_both_strategies() {
    let (_dir, sqlite) = chinook_sqlite();
    let maria = chinook_mariadb("eq");
    for strategy in [StrategyChoice::Merge, StrategyChoice::Checksum] {
        let report = run(&sqlite, &maria.url(), &options(strategy), &[]).await;
        assert_all_equal(&report);
        let counts: Vec<(String, u64, u64)> = report
            .tables
            .iter()
            .map(|t| (t.source_table.clone(), t.source_rows, t.target_rows))
            .collect();
        let expected: Vec<(String, u64, u64)> = CHINOOK_COUNTS
            .iter()
            .map(|(n, c)| ((*n).to_owned(), *c, *c))
            .collect();
        assert_eq!(counts, expected, "{strategy:?}");
        for t in &report.tables {
            assert_eq!(t.columns.source_only, Vec::<String>::new());
            assert!(t.sample.rows > 0, "{}", t.source_table);
        }
    }
    // And the other way round, MariaDB as the source, hashed in the database.
    let report = run(
        &maria.url(),
        &sqlite,
        &options(StrategyChoice::Checksum),
        &[],
    )
    .await;
    assert_all_equal(&report);
}

/// Row hashes of every row of `spec`'s table as the merge's streamed reader
/// ([`validate::fast_read::stream_all`]: a binary COPY on PostgreSQL) computes them.
async fn streamed_hashes(db: &db::Database, spec: &TableSpec, canon: &[Logical]) -> Vec<i64> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(2);
    let reader = {
        let (db, spec, canon) = (db.clone(), spec.clone(), canon.to_vec());
        tokio::spawn(async move {
            validate::fast_read::stream_all(&db, &spec, &canon, 1_000, HashKind::Sha256, &tx).await
        })
    };
    let mut hashes = Vec::new();
    while let Some(batch) = rx.recv().await {
        hashes.extend(batch.expect("streamed batch").iter().map(|p| p.hash as i64));
    }
    reader.await.expect("reader task").expect("streamed read");
    hashes
}

/// The row hashes of every row of `spec`'s table computed from [`read_rows`]'s cells (the
/// definition of the canonical form), checked equal to those of the merge's borrowing reader;
/// returns the rows and their hashes.
async fn rust_hashes_agree(
    db: &db::Database,
    spec: &TableSpec,
    canon: &[Logical],
) -> (Vec<Vec<migration_studio::data::Cell>>, Vec<i64>) {
    let rows = read_rows(db, spec, None, None, None).await.expect("read");
    let mut text = Vec::new();
    let in_rust: Vec<i64> = rows
        .iter()
        .map(|r| {
            row_hash::row_text(r, canon, &mut text);
            row_hash::sha256_60(&text) as i64
        })
        .collect();
    let streamed = streamed_hashes(db, spec, canon).await;
    if streamed != in_rust {
        let at = streamed.iter().zip(&in_rust).position(|(a, b)| a != b);
        let row = at.map(|i| &rows[i]);
        panic!(
            "{}: streamed reader differs at row {at:?} of {} ({} streamed): {row:?}",
            spec.name,
            in_rust.len(),
            streamed.len()
        );
    }
    (rows, in_rust)
}

/// Per-row hashes computed in SQL equal those computed in Rust from the rows read, for every
/// table of Chinook (MariaDB), Sakila (MariaDB) and Pagila (PostgreSQL): the canonical SQL
/// expressions produce exactly `Cell::canonical`'s strings, and the merge's streamed reader
/// writes the same row texts as the general one.
#[tokio::test]
async fn sql_row_hashes_equal_rust_row_hashes_on_real_data() {
    let chinook = chinook_mariadb("hash");
    let sakila = ScratchMaria::new("val_hash_sakila");
    common::load_sakila_mariadb(&sakila.name);
    let pagila = pagila("hash");
    let mut checked_tables = 0;
    for url in [chinook.url(), sakila.url(), pagila.url()] {
        let db = db::connect(&url, Access::ReadOnly, 2)
            .await
            .expect("connect");
        let inventory = import_live(db.engine, &url, &[]).await.expect("import");
        for table in inventory
            .tables
            .iter()
            .filter(|t| !t.primary_key.is_empty())
        {
            let spec = TableSpec::new(db.engine, table).expect("spec");
            let canon: Vec<_> = spec.columns.iter().map(|c| c.logical.clone()).collect();
            let (rows, in_rust) = rust_hashes_agree(&db, &spec, &canon).await;
            checked_tables += 1;
            if !sql_hashes_agree(&db, &spec, &canon, &rows, &in_rust).await {
                continue; // binary floats: hashed by the client by design
            }
        }
        db.close().await;
    }
    assert!(checked_tables >= 35, "{checked_tables} tables checked");
}

/// The row hashes computed in SQL ([`canon_sql::row_hash_expr`]) of every row of `spec`'s
/// table equal `in_rust` (the Rust hashes of `rows`, in key order); false when the table has
/// no SQL hash (binary floats: hashed by the client by design).
async fn sql_hashes_agree(
    db: &db::Database,
    spec: &TableSpec,
    canon: &[Logical],
    rows: &[Vec<migration_studio::data::Cell>],
    in_rust: &[i64],
) -> bool {
    let Some(hash) = canon_sql::row_hash_expr(db.engine, &spec.columns, canon) else {
        return false;
    };
    let keys = spec.key_columns();
    let sql = format!(
        "SELECT CAST({hash} AS {}) FROM {} {}",
        if db.engine == migration_studio::import::Engine::Mysql {
            "SIGNED"
        } else {
            "BIGINT"
        },
        migration_studio::db::quote::table(db.engine, &spec.name),
        migration_studio::data::keyset::order_by(db.engine, &keys)
    );
    let in_sql: Vec<i64> = match &db.pool {
        migration_studio::db::Pool::Postgres(p) => sqlx::query(&sql)
            .fetch_all(p)
            .await
            .expect(&sql)
            .iter()
            .map(|r| r.get(0))
            .collect(),
        migration_studio::db::Pool::Mysql(p) => sqlx::query(&sql)
            .fetch_all(p)
            .await
            .expect(&sql)
            .iter()
            .map(|r| r.get(0))
            .collect(),
        migration_studio::db::Pool::Sqlite(_) => unreachable!(),
    };
    assert_eq!(in_sql.len(), in_rust.len(), "{}", spec.name);
    for (i, (a, b)) in in_sql.iter().zip(in_rust).enumerate() {
        if a != b {
            let mut text = Vec::new();
            row_hash::row_text(&rows[i], canon, &mut text);
            panic!(
                "{} row {i}: SQL hash {a} != Rust hash {b}; Rust row text {:?}; types {:?}",
                spec.name,
                String::from_utf8_lossy(&text),
                spec.columns
                    .iter()
                    .map(|c| c.declared.as_str())
                    .collect::<Vec<_>>()
            );
        }
    }
    true
}

/// Checks [`rust_hashes_agree`] and [`sql_hashes_agree`] on each table of the database at
/// `url`; returns per table (in the inventory's order) its rows and whether SQL hashed it.
async fn tables_read_alike(url: &str) -> Vec<(usize, bool)> {
    let db = db::connect(url, Access::ReadOnly, 2)
        .await
        .expect("connect");
    let inventory = import_live(db.engine, url, &[]).await.expect("import");
    let mut out = Vec::new();
    for table in &inventory.tables {
        let spec = TableSpec::new(db.engine, table).expect("spec");
        let canon: Vec<_> = spec.columns.iter().map(|c| c.logical.clone()).collect();
        let (rows, in_rust) = rust_hashes_agree(&db, &spec, &canon).await;
        let in_sql = sql_hashes_agree(&db, &spec, &canon, &rows, &in_rust).await;
        out.push((rows.len(), in_sql));
    }
    db.close().await;
    out
}

/// [`tables_read_alike`] on a database of one table; its rows.
async fn only_table_reads_alike(url: &str) -> usize {
    let tables = tables_read_alike(url).await;
    assert_eq!(tables.len(), 1);
    tables[0].0
}

/// PostgreSQL values at the edges of the types the streamed reader takes in binary (integers of
/// each width, floats, dates before year 1, after 9999 and infinite, `varchar` and padded
/// `char(n)`, text with tabs, newlines, backslashes and non-ASCII, booleans, bytes, NULLs): the
/// merge's streamed reader writes the same row texts as the general reader.
#[tokio::test]
async fn postgres_edge_values_read_alike_by_every_reader() {
    let scratch = ScratchPg::new("val_edges");
    psql(
        &scratch.name,
        &[
            "-c",
            r#"CREATE TABLE edges (
                id integer PRIMARY KEY, s smallint, b bigint, r real, d double precision,
                day date, v varchar(20), c char(5), t text, f boolean, y bytea,
                n numeric(12,3), ts timestamp, "odd ""name""" text);
            INSERT INTO edges VALUES
              (1, -32768, -9223372036854775808, 3.4e38, -1e-300, '0044-03-15 BC', 'x', 'ab',
               E'tab\there\nnew\\line', true, '\x00ff', -1.5, '2020-02-29 12:34:56.789', ''),
              (2, 32767, 9223372036854775807, 'NaN', 'Infinity', 'infinity', '', '', E'ünïé — ✓',
               false, '', 0, '1999-12-31 23:59:59', 'q'),
              (3, 0, 0, '-Infinity', 0.1, '-infinity', 'trailing  ', 'a  ', ' ', NULL, NULL, NULL,
               NULL, NULL),
              (4, NULL, NULL, NULL, NULL, '10000-01-01', NULL, NULL, NULL, true, '\x5c', 1e8,
               '0001-01-01 00:00:00', 'x'),
              (5, 1, 2, 1.5, 2.5, '2000-01-01', 'a', 'b', 'c', false, '\x09', 0.001,
               '2038-01-19 03:14:08', 'y'),
              (6, 1, 2, 1.5, 2.5, '0001-01-01', 'a', 'b', 'c', false, '\x09', 0.001, NULL, 'y'),
              (7, 1, 2, 1.5, 2.5, '9999-12-31', 'a', 'b', 'c', false, '\x09', 0.001, NULL, 'y');"#,
        ],
        None,
    );
    let url = format!("postgres://postgres@127.0.0.1:5432/{}", scratch.name);
    assert_eq!(only_table_reads_alike(&url).await, 7);
}

/// MariaDB integers of every width and sign at their limits (read uncast by the streamed
/// reader when signed), `tinyint(1)`, `year`, dates including the zero date, decimals and text:
/// the merge's streamed reader writes the same row texts as the general reader.
#[tokio::test]
async fn mariadb_edge_values_read_alike_by_every_reader() {
    let scratch = ScratchMaria::new("val_edges_my");
    mariadb(
        &scratch.name,
        &[
            "-e",
            "SET SESSION sql_mode = '';
         CREATE TABLE edges (
           id int PRIMARY KEY, t tinyint, s smallint, m mediumint, b bigint,
           tu tinyint unsigned, iu int unsigned, bu bigint unsigned, f tinyint(1), y year,
           d date, n decimal(12,3), v varchar(20), x double);
         INSERT INTO edges VALUES
           (1, -128, -32768, -8388608, -9223372036854775808, 255, 4294967295,
            18446744073709551615, 1, 1901, '0000-00-00', -1.5, 'x', -1e-300),
           (2, 127, 32767, 8388607, 9223372036854775807, 0, 0, 0, 0, 2155, '9999-12-31', 0,
            '', 1e300),
           (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
           (-4, 0, -1, -1, -1, 1, 1, 1, -1, 0, '2000-02-29', 123456789.125, 'é', 0.1);",
        ],
        None,
    );
    assert_eq!(only_table_reads_alike(&scratch.url()).await, 4);
    // Without the float, MariaDB hashes the table in SQL: zero and partial dates become NULL
    // there as in Rust, and numbers left to CONCAT_WS print the digits `CAST` would.
    let dates = ScratchMaria::new("val_edges_my_sql");
    mariadb(
        &dates.name,
        &[
            "-e",
            "SET SESSION sql_mode = '';
         CREATE TABLE dates (
           id int PRIMARY KEY, d date, dt datetime(6), bu bigint unsigned, y year,
           n decimal(12,3), m mediumint, v varchar(20));
         INSERT INTO dates VALUES
           (1, '0000-00-00', '0000-00-00 00:00:00', 18446744073709551615, 1901, -1.5, -8388608, 'x'),
           (2, '2020-00-05', '2020-00-05 10:00:00', 0, 2155, 0, 8388607, ''),
           (3, '2020-05-00', '2020-05-00 10:00:00.5', 1, 0, 123456789.125, 0, 'é'),
           (4, '0000-01-01', '0000-01-01 00:00:01', NULL, NULL, NULL, NULL, NULL),
           (5, '9999-12-31', '9999-12-31 23:59:59.999999', 42, 2000, 0.001, -1, ' y ');",
        ],
        None,
    );
    assert_eq!(tables_read_alike(&dates.url()).await, vec![(5, true)]);
}

#[tokio::test]
async fn pagila_postgres_copies_are_equal_by_both_strategies() {
    let a = pagila("pa");
    let b = pagila("pb");
    for strategy in [StrategyChoice::Merge, StrategyChoice::Checksum] {
        let report = run(&a.url(), &b.url(), &options(strategy), &[]).await;
        assert_all_equal(&report);
        let payment = report
            .tables
            .iter()
            .find(|t| t.source_table == "public.payment")
            .expect("payment validated through its partitioned parent");
        assert_eq!(payment.source_rows, 16049);
        assert!(report.tables.len() >= 15);
    }
}

/// Picks `k` distinct ids from `ids` with a fixed seed.
fn pick(ids: &[i64], k: usize, seed: u64) -> Vec<i64> {
    let mut rng = validate::sample::SplitMix64::new(seed);
    let mut out = BTreeSet::new();
    while out.len() < k {
        out.insert(ids[rng.below(ids.len() as u64) as usize]);
    }
    out.into_iter().collect()
}

fn ids(db: &str, sql: &str) -> Vec<i64> {
    mariadb(db, &["-e", sql], None)
        .lines()
        .map(|l| l.trim().parse().expect("an id"))
        .collect()
}

fn list(ids: &[i64]) -> String {
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[tokio::test]
async fn every_planted_difference_is_found_and_located_by_both_strategies() {
    let (_dir, sqlite) = chinook_sqlite();
    let maria = chinook_mariadb("sens");
    let db = &maria.name;
    let k = 3;
    // One byte changed.
    let tracks = pick(&ids(db, "SELECT TrackId FROM Track"), k, 1);
    mariadb(
        db,
        &["-e", &format!("UPDATE Track SET Name = INSERT(Name, 1, 1, IF(LEFT(Name, 1) = 'Q', 'Z', 'Q')) WHERE TrackId IN ({})", list(&tracks))],
        None,
    );
    // Rows deleted.
    let lines = pick(&ids(db, "SELECT InvoiceLineId FROM InvoiceLine"), k, 2);
    mariadb(
        db,
        &[
            "-e",
            &format!(
                "DELETE FROM InvoiceLine WHERE InvoiceLineId IN ({})",
                list(&lines)
            ),
        ],
        None,
    );
    // Rows duplicated: the target copy of PlaylistTrack loses its primary key first.
    let playlist_tracks: Vec<(i64, i64)> = mariadb(
        db,
        &[
            "-e",
            "SELECT PlaylistId, TrackId FROM PlaylistTrack ORDER BY 1, 2",
        ],
        None,
    )
    .lines()
    .map(|l| {
        let mut p = l.split('\t').map(|v| v.trim().parse::<i64>().expect("id"));
        (p.next().expect("playlist"), p.next().expect("track"))
    })
    .collect();
    let dup_index = pick(&(0..playlist_tracks.len() as i64).collect::<Vec<_>>(), k, 3);
    let duplicated: Vec<(i64, i64)> = dup_index
        .iter()
        .map(|&i| playlist_tracks[i as usize])
        .collect();
    let pairs = duplicated
        .iter()
        .map(|(p, t)| format!("({p}, {t})"))
        .collect::<Vec<_>>()
        .join(", ");
    mariadb(
        db,
        &["-e", &format!("ALTER TABLE PlaylistTrack DROP PRIMARY KEY; INSERT INTO PlaylistTrack SELECT * FROM PlaylistTrack WHERE (PlaylistId, TrackId) IN ({pairs})")],
        None,
    );
    // NULL → '' and '' ← NULL.
    let null_customers = pick(
        &ids(db, "SELECT CustomerId FROM Customer WHERE Company IS NULL"),
        k,
        4,
    );
    let set_customers = pick(
        &ids(
            db,
            "SELECT CustomerId FROM Customer WHERE Company IS NOT NULL",
        ),
        k,
        5,
    );
    mariadb(
        db,
        &["-e", &format!(
            "UPDATE Customer SET Company = '' WHERE CustomerId IN ({}); UPDATE Customer SET Company = NULL WHERE CustomerId IN ({})",
            list(&null_customers),
            list(&set_customers)
        )],
        None,
    );
    // Trailing space.
    let artists = pick(
        &ids(db, "SELECT ArtistId FROM Artist WHERE Name IS NOT NULL"),
        k,
        6,
    );
    mariadb(
        db,
        &[
            "-e",
            &format!(
                "UPDATE Artist SET Name = CONCAT(Name, ' ') WHERE ArtistId IN ({})",
                list(&artists)
            ),
        ],
        None,
    );

    let keys = |v: &[i64]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
    let mut customers: Vec<i64> = null_customers
        .iter()
        .chain(&set_customers)
        .copied()
        .collect();
    customers.sort();
    for strategy in [StrategyChoice::Merge, StrategyChoice::Checksum] {
        let report = run(&sqlite, &maria.url(), &options(strategy), &[]).await;
        let table = |name: &str| {
            report
                .tables
                .iter()
                .find(|t| t.source_table == name)
                .unwrap_or_else(|| panic!("{name} in the report"))
        };
        let changed = |name: &str| {
            table(name)
                .differences
                .changed
                .first
                .iter()
                .map(|c| c.key.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(changed("Track"), keys(&tracks), "{strategy:?}");
        assert_eq!(
            table("Track").differences.changed.first[0].columns,
            vec!["Name".to_owned()]
        );
        assert_eq!(
            table("InvoiceLine").differences.missing.first,
            keys(&lines),
            "{strategy:?}"
        );
        assert_eq!(
            table("PlaylistTrack").differences.extra.first,
            duplicated
                .iter()
                .map(|(p, t)| format!("{p}, {t}"))
                .collect::<Vec<_>>(),
            "{strategy:?}"
        );
        assert_eq!(table("PlaylistTrack").target_rows, 8715 + k as u64);
        assert_eq!(changed("Customer"), keys(&customers), "{strategy:?}");
        assert_eq!(changed("Artist"), keys(&artists), "{strategy:?}");
        // The target's PlaylistTrack no longer enforces the source's key: the check counts the
        // repeated values.
        let unique = table("PlaylistTrack")
            .constraints
            .iter()
            .find(|c| c.kind == ConstraintKind::Unique)
            .expect("source key checked in the target");
        assert_eq!(unique.violations, k as u64);
        assert_eq!(unique.declared_in, DeclaredIn::Source);
        // Nothing else differs.
        for t in &report.tables {
            if ![
                "Track",
                "InvoiceLine",
                "PlaylistTrack",
                "Customer",
                "Artist",
            ]
            .contains(&t.source_table.as_str())
            {
                assert_eq!(t.verdict, Verdict::Equal, "{}", t.source_table);
            }
            let d = &t.differences;
            assert_eq!(
                d.total(),
                (d.missing.first.len() + d.extra.first.len() + d.changed.first.len()) as u64
            );
        }
        assert_eq!(
            report
                .tables
                .iter()
                .map(|t| t.differences.total())
                .sum::<u64>(),
            (5 * k + k) as u64,
            "{strategy:?}"
        );
        assert_eq!(report.verdict, Verdict::Different);
    }
}

#[tokio::test]
async fn constraint_violations_and_invariants_are_reported() {
    let (_dir, sqlite) = chinook_sqlite();
    let maria = chinook_mariadb("cons");
    let invariants = [Invariant {
        name: "invoice totals by country".into(),
        source_sql: "SELECT BillingCountry, ROUND(SUM(Total), 2) FROM Invoice GROUP BY 1".into(),
        target_sql: "SELECT BillingCountry, ROUND(SUM(Total), 2) FROM Invoice GROUP BY 1".into(),
    }];
    // Untouched: everything equal, invariant included.
    let report = run(
        &sqlite,
        &maria.url(),
        &options(StrategyChoice::Merge),
        &invariants,
    )
    .await;
    assert!(report.invariants[0].equal, "{:?}", report.invariants);
    assert_eq!(report.invariants[0].source_rows, 24);
    assert_eq!(report.verdict, Verdict::Equal);

    mariadb(
        &maria.name,
        &[
            "-e",
            "SET SESSION FOREIGN_KEY_CHECKS = 0; \
               UPDATE Track SET GenreId = 9999 WHERE TrackId IN (1, 2, 3); \
               ALTER TABLE Album MODIFY Title NVARCHAR(160) NULL; \
               UPDATE Album SET Title = NULL WHERE AlbumId IN (10, 20); \
               ALTER TABLE Track ADD CONSTRAINT positive_length CHECK (Milliseconds > 0); \
               SET SESSION check_constraint_checks = 0; \
               UPDATE Track SET Milliseconds = -1 WHERE TrackId = 7; \
               UPDATE Invoice SET Total = Total + 1 WHERE InvoiceId = 1",
        ],
        None,
    );
    let report = run(
        &sqlite,
        &maria.url(),
        &options(StrategyChoice::Checksum),
        &invariants,
    )
    .await;
    let table = |name: &str| {
        report
            .tables
            .iter()
            .find(|t| t.source_table == name)
            .expect("table")
    };
    let violations = |name: &str, kind: ConstraintKind| -> Vec<(String, u64)> {
        table(name)
            .constraints
            .iter()
            .filter(|c| c.kind == kind && c.violations > 0)
            .map(|c| (c.name.clone(), c.violations))
            .collect()
    };
    assert_eq!(
        violations("Track", ConstraintKind::ForeignKey),
        vec![(
            "(GenreId) → ".to_owned() + &format!("{}.Genre", maria.name),
            3
        )]
    );
    assert_eq!(
        violations("Album", ConstraintKind::NotNull),
        vec![("Title".to_owned(), 2)]
    );
    assert_eq!(
        violations("Track", ConstraintKind::Check),
        vec![("positive_length".to_owned(), 1)]
    );
    assert!(!report.invariants[0].equal);
    assert_eq!(
        report.invariants[0].first.len(),
        1,
        "{:?}",
        report.invariants
    );
    assert_ne!(report.verdict, Verdict::Equal);
}

#[tokio::test]
async fn an_interrupted_run_resumes_after_its_finished_tables() {
    let (dir, sqlite) = chinook_sqlite();
    let maria = chinook_mariadb("resume");
    let path = RunState::path_for(dir.path(), "test run");
    let opts = Options {
        tables: vec!["Genre".into(), "MediaType".into()],
        ..options(StrategyChoice::Merge)
    };
    let first = {
        let mut state = RunState::load(path.clone(), false).expect("state");
        validate::validate_urls(&sqlite, &maria.url(), &opts, &[], Some(&mut state), &Silent)
            .await
            .expect("runs")
    };
    assert!(path.is_file());
    // Pretend the run stopped after Genre: keep only its report, and change MediaType's rows in
    // the target; the resumed run must re-validate MediaType only.
    let mut state = RunState::load(path.clone(), false).expect("state");
    state.finished.retain(|t| t.source_table == "Genre");
    let genre = first.tables[0].clone();
    state
        .record(&genre.source_table.clone(), vec![genre])
        .expect("state saved");
    mariadb(
        &maria.name,
        &["-e", "UPDATE MediaType SET Name = 'changed' WHERE MediaTypeId = 1; UPDATE Genre SET Name = 'changed' WHERE GenreId = 1"],
        None,
    );
    let mut state = RunState::load(path.clone(), false).expect("state");
    let resumed =
        validate::validate_urls(&sqlite, &maria.url(), &opts, &[], Some(&mut state), &Silent)
            .await
            .expect("runs");
    assert_eq!(resumed.tables[0].source_table, "Genre");
    assert_eq!(
        resumed.tables[0].verdict,
        Verdict::Equal,
        "taken from the state"
    );
    assert!(resumed.tables[0]
        .notes
        .iter()
        .any(|n| n.contains("earlier")));
    assert_eq!(resumed.tables[1].verdict, Verdict::Different);
    // --restart forgets it.
    let mut state = RunState::load(path, true).expect("state");
    let fresh =
        validate::validate_urls(&sqlite, &maria.url(), &opts, &[], Some(&mut state), &Silent)
            .await
            .expect("runs");
    assert_eq!(fresh.tables[0].verdict, Verdict::Different);
}

#[test]
fn cli_prints_a_summary_and_fails_when_not_equal() {
    let (dir, sqlite) = chinook_sqlite();
    let maria = chinook_mariadb("cli");
    let project = dir.path().join("project");
    let manifest = migration_studio::project::Manifest::new(
        "chinook",
        migration_studio::import::Engine::Sqlite,
        migration_studio::import::Engine::Mysql,
        migration_studio::plan::MigrationShape::Offline,
    );
    manifest.create(&project).expect("manifest");
    // Invariants declared in the manifest run beside those given on the command line.
    let path = project.join("migration-studio.toml");
    let mut text = std::fs::read_to_string(&path).expect("manifest text");
    text.push_str("\n[[invariants]]\nname = \"genres\"\nsource_sql = \"SELECT count(*) FROM Genre\"\ntarget_sql = \"SELECT count(*) FROM Genre\"\n");
    std::fs::write(&path, text).expect("manifest written");
    let cli = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_migration-studio"))
            .arg("validate")
            .arg(&project)
            .args(["--source-url", &sqlite, "--target-url", &maria.url()])
            .args(["--tables", "Genre,MediaType,Invoice"])
            .args(extra)
            .output()
            .expect("runs")
    };
    let out = cli(&["--invariant", "invoices=SELECT count(*) FROM Invoice"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Verdict: equal"), "{text}");
    assert!(text.contains("invariant invoices: equal"), "{text}");
    assert!(text.contains("invariant genres: equal"), "{text}");
    mariadb(
        &maria.name,
        &[
            "-e",
            "SET SESSION FOREIGN_KEY_CHECKS = 0; DELETE FROM Genre WHERE GenreId = 25",
        ],
        None,
    );
    let out = cli(&["--json", "--strategy", "checksum"]);
    assert_eq!(out.status.code(), Some(1));
    let report: Report = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(
        report.tables[0].differences.missing.first,
        vec!["25".to_owned()]
    );
}

/// The tables of the incremental tests, in MariaDB (source, captured) and PostgreSQL (target):
/// an integer key, a composite key and a text key.
fn incremental_fixture(label: &str) -> (ScratchMaria, ScratchPg) {
    let source = ScratchMaria::new(&format!("inc_src_{label}"));
    mariadb(
        &source.name,
        &[
            "-e",
            "CREATE TABLE item (id INT PRIMARY KEY, label VARCHAR(40), made DATE);
             INSERT INTO item SELECT seq, CONCAT('item ', seq), DATE_ADD('2020-01-01', INTERVAL seq DAY) FROM seq_1_to_300;
             CREATE TABLE line (order_id INT, line_no INT, qty INT, PRIMARY KEY (order_id, line_no));
             INSERT INTO line SELECT 1 + seq DIV 3, 1 + seq % 3, seq FROM seq_0_to_599;
             CREATE TABLE tag (code VARCHAR(10) PRIMARY KEY, note VARCHAR(20));
             INSERT INTO tag SELECT CONCAT('t', seq), CONCAT('note ', seq) FROM seq_1_to_50;",
        ],
        None,
    );
    let target = ScratchPg::new(&format!("inc_tgt_{label}"));
    psql(
        &target.name,
        &[
            "-c",
            "CREATE TABLE item (id integer PRIMARY KEY, label text, made date);
             INSERT INTO item SELECT i, 'item ' || i, date '2020-01-01' + i FROM generate_series(1, 300) i;
             CREATE TABLE line (order_id integer, line_no integer, qty integer, PRIMARY KEY (order_id, line_no));
             INSERT INTO line SELECT 1 + i / 3, 1 + i % 3, i FROM generate_series(0, 599) i;
             CREATE TABLE tag (code varchar(10) PRIMARY KEY, note text);
             INSERT INTO tag SELECT 't' || i, 'note ' || i FROM generate_series(1, 50) i;",
        ],
        None,
    );
    (source, target)
}

fn keys_of(list: &validate::report::ChangedList) -> Vec<String> {
    list.first.iter().map(|c| c.key.clone()).collect()
}

fn table<'a>(report: &'a Report, name: &str) -> &'a validate::TableReport {
    report
        .tables
        .iter()
        .find(|t| t.source_table.ends_with(&format!(".{name}")))
        .unwrap_or_else(|| panic!("{name} in the report"))
}

fn coded(t: &validate::TableReport, code: &str) -> bool {
    t.failures.iter().any(|f| f.starts_with(code))
}

/// The incremental final validation (issue 17) on a captured MariaDB source and its PostgreSQL
/// copy: it compares the rows the changelog names in a position range plus exact counts; the
/// gate combines it with the pinned full validation; the sampled re-check finds a row changed
/// on the target behind the capture's back, which nothing else does.
#[tokio::test]
async fn incremental_validation_compares_changed_keys_and_rechecks_behind_the_captures_back() {
    use migration_studio::data::TableSpec;
    use migration_studio::import::Engine;
    use migration_studio::rehearsal::capture::{self, Applier, Route};
    use migration_studio::validate::changed::{self, code, Recheck, Settings};

    let (source, target) = incremental_fixture("main");
    let (from, to) = (
        db::connect(&source.url(), Access::ReadWrite, 2)
            .await
            .unwrap(),
        db::connect(&target.url(), Access::ReadWrite, 2)
            .await
            .unwrap(),
    );
    let (source_ro, target_ro) = (
        db::connect(&source.url(), Access::ReadOnly, 4)
            .await
            .unwrap(),
        db::connect(&target.url(), Access::ReadOnly, 4)
            .await
            .unwrap(),
    );
    let source_inventory = import_live(Engine::Mysql, &source.url(), &[])
        .await
        .unwrap();
    let target_inventory = import_live(Engine::Postgres, &target.url(), &[])
        .await
        .unwrap();
    let names = ["item", "line", "tag"];
    let routes: Vec<Route> = names
        .iter()
        .map(|n| {
            let s = source_inventory
                .tables
                .iter()
                .find(|t| t.name.name == *n)
                .unwrap();
            let t = target_inventory
                .tables
                .iter()
                .find(|t| t.name.name == *n)
                .unwrap();
            let t = TableSpec::new(Engine::Postgres, t).unwrap();
            Route {
                from: TableSpec::new(Engine::Mysql, s).unwrap(),
                to_table: t.name.clone(),
                to_columns: t
                    .columns
                    .iter()
                    .map(|c| (c.name.clone(), c.declared.clone(), c.logical.clone()))
                    .collect(),
                to_key: t.key_columns(),
                also_from: Vec::new(),
                partner: false,
            }
        })
        .collect();
    capture::install(&from, &routes).await.unwrap();
    let mut applier = Applier {
        from: from.clone(),
        to: to.clone(),
        routes: routes.clone(),
        applied: 0,
        run_id: "inc".into(),
        policy: Default::default(),
        refused: 0,
        converted: Default::default(),
        skipped: Default::default(),
    };
    let sides = validate::Sides {
        source: &source_ro,
        target: &target_ro,
        source_inventory: &source_inventory,
        target_inventory: &target_inventory,
    };
    let options = Options {
        tables: names.iter().map(|n| (*n).to_owned()).collect(),
        show: 1_000,
        sample_rows: 0,
        ..Options::default()
    };
    let no_recheck = Settings {
        keys_per_statement: 2,
        recheck: Recheck {
            keys_per_table: 0,
            seed: 1,
            whole_table_rows: 0,
        },
    };

    // A source change in flight (captured, not applied yet) and a target row damaged behind
    // the capture's back, both before the pinned full validation.
    let pinned_at = applier.applied;
    mariadb(
        &source.name,
        &["-e", "UPDATE item SET label = 'in flight' WHERE id = 10"],
        None,
    );
    psql(
        &target.name,
        &["-c", "UPDATE item SET label = 'damaged' WHERE id = 20"],
        None,
    );
    let pinned = validate::run(
        &sides,
        validate::Strategy::Merge,
        &options,
        &[],
        None,
        &Silent,
    )
    .await
    .unwrap();
    assert_eq!(
        keys_of(&table(&pinned, "item").differences.changed),
        ["10", "20"]
    );

    // Writes go on and are applied; one more is captured but not applied.
    mariadb(
        &source.name,
        &["-e", "UPDATE item SET label = 'later' WHERE id = 30; DELETE FROM line WHERE order_id = 5 AND line_no = 1;
                 INSERT INTO line VALUES (999, 1, 7); UPDATE tag SET note = 'n' WHERE code = 't7'"],
        None,
    );
    applier.apply(1_000).await.unwrap();
    mariadb(
        &source.name,
        &["-e", "UPDATE item SET label = 'late' WHERE id = 40"],
        None,
    );
    let head = capture::position(&from).await.unwrap();
    assert!(head > applier.applied);
    let keys = capture::changed_keys(&source_ro, &routes, pinned_at, head)
        .await
        .unwrap();
    let item = format!("{}.item", source.name);
    let mut item_keys: Vec<String> = keys[&item].iter().map(|k| format!("{k:?}")).collect();
    item_keys.sort();
    assert_eq!(item_keys, ["[Int(10)]", "[Int(30)]", "[Int(40)]"]);
    assert_eq!(keys[&format!("{}.line", source.name)].len(), 2);
    assert_eq!(
        keys[&format!("{}.tag", source.name)],
        vec![vec![migration_studio::data::Cell::Text("t7".into())]]
    );

    // The changed rows are compared: only 40 (not applied) differs. Row 20, damaged behind the
    // capture's back, is not in the range and, without a re-check, not found here.
    let inc = changed::validate_changed(&sides, &keys, &options, &no_recheck, &[], &Silent)
        .await
        .unwrap();
    let t = table(&inc.report, "item");
    assert_eq!(keys_of(&t.differences.changed), ["40"]);
    assert!(coded(t, code::CHANGED_ROW), "{:?}", t.failures);
    assert_eq!(table(&inc.report, "line").verdict, Verdict::Equal);
    assert_eq!(table(&inc.report, "tag").verdict, Verdict::Equal);
    // The gate: the pinned difference on 10 was in flight (superseded), the one on 20 stands.
    let gate = inc.gate(&pinned);
    let t = table(&gate, "item");
    let mut found = keys_of(&t.differences.changed);
    found.sort();
    assert_eq!(found, ["20", "40"]);
    assert!(coded(t, code::PINNED), "{:?}", t.failures);
    assert_eq!(gate.verdict, Verdict::Different);

    // Everything applied and row 20 repaired: an empty range on equal tables finds nothing.
    applier.apply(1_000).await.unwrap();
    psql(
        &target.name,
        &["-c", "UPDATE item SET label = 'item 20' WHERE id = 20"],
        None,
    );
    let head = capture::position(&from).await.unwrap();
    let none = capture::changed_keys(&source_ro, &routes, head, head)
        .await
        .unwrap();
    assert!(none.is_empty());
    for settings in [no_recheck, Settings::default()] {
        let inc = changed::validate_changed(&sides, &none, &options, &settings, &[], &Silent)
            .await
            .unwrap();
        assert_eq!(
            inc.report.verdict,
            Verdict::Equal,
            "{}",
            inc.report.render_text()
        );
    }

    // Rows changed on the target behind the capture's back after the full validation.
    psql(
        &target.name,
        &["-c", "UPDATE item SET label = 'behind' WHERE id = 77; UPDATE line SET qty = -1 WHERE order_id = 100 AND line_no = 2; UPDATE tag SET note = 'x' WHERE code = 't33'"],
        None,
    );
    // Not found without a re-check (the documented limit) …
    let inc = changed::validate_changed(&sides, &none, &options, &no_recheck, &[], &Silent)
        .await
        .unwrap();
    assert_eq!(inc.report.verdict, Verdict::Equal);
    // … found by re-comparing small tables whole …
    let whole = Settings {
        recheck: Recheck {
            keys_per_table: 0,
            seed: 1,
            whole_table_rows: 10_000,
        },
        ..no_recheck
    };
    // … and by drawing random keys (seeded: the same draw every run; 3,000 draws over 300
    // keys, text keys by reservoir).
    let sampled = Settings {
        recheck: Recheck {
            keys_per_table: 3_000,
            seed: 7,
            whole_table_rows: 0,
        },
        keys_per_statement: 500,
    };
    for settings in [whole, sampled] {
        let inc = changed::validate_changed(&sides, &none, &options, &settings, &[], &Silent)
            .await
            .unwrap();
        for (name, key) in [("item", "77"), ("line", "100, 2"), ("tag", "t33")] {
            let t = table(&inc.report, name);
            assert_eq!(keys_of(&t.differences.changed), [key], "{settings:?}");
            assert!(coded(t, code::RECHECK), "{:?}", t.failures);
        }
    }
    // A row inserted on the target behind the capture's back changes the counts.
    psql(
        &target.name,
        &["-c", "INSERT INTO item VALUES (1000, 'extra', NULL)"],
        None,
    );
    let inc = changed::validate_changed(&sides, &none, &options, &no_recheck, &[], &Silent)
        .await
        .unwrap();
    assert!(coded(table(&inc.report, "item"), code::COUNTS));
    for db in [from, to, source_ro, target_ro] {
        db.close().await;
    }
}

/// A target without the source's key holding one row twice in place of another: the counts
/// agree, so only the checksum of the rows can tell. Across engines a segment is hashed whole
/// in key order (SHA-256 on both sides); between two PostgreSQL databases its rows' native
/// hashes are folded by XOR, where a duplicated pair cancels out: either way the segment must
/// still differ by the deleted row. Equal copies first: no range differs at all.
#[tokio::test]
async fn a_duplicate_standing_in_for_a_deleted_row_is_found_by_the_checksum() {
    let rows = "INSERT INTO t SELECT i, concat('row ', i) FROM generate_series(1, 2000) AS i";
    let maria = ScratchMaria::new("xor_src");
    mariadb(
        &maria.name,
        &[
            "-e",
            "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL); \
             INSERT INTO t SELECT seq, CONCAT('row ', seq) FROM seq_1_to_2000",
        ],
        None,
    );
    let source_pg = ScratchPg::new("xor_src");
    psql(
        &source_pg.name,
        &[
            "-c",
            "CREATE TABLE t (id int PRIMARY KEY, v varchar(20) NOT NULL)",
            "-c",
            rows,
        ],
        None,
    );
    let target = ScratchPg::new("xor_dst");
    psql(
        &target.name,
        &[
            "-c",
            "CREATE TABLE t (id int NOT NULL, v varchar(20) NOT NULL)",
            "-c",
            rows,
            "-c",
            "DELETE FROM t WHERE id = 1001",
            "-c",
            "INSERT INTO t SELECT * FROM t WHERE id = 1000",
        ],
        None,
    );
    let same = ScratchPg::new("xor_same");
    psql(
        &same.name,
        &[
            "-c",
            "CREATE TABLE t (id int PRIMARY KEY, v varchar(20) NOT NULL)",
            "-c",
            rows,
        ],
        None,
    );
    let target_url = format!("postgres://postgres@127.0.0.1:5432/{}", target.name);
    let same_url = format!("postgres://postgres@127.0.0.1:5432/{}", same.name);
    let source_pg_url = format!("postgres://postgres@127.0.0.1:5432/{}", source_pg.name);
    // Equal copies: every segment's checksum agrees at the first level (no range differs), so
    // the two engines hash the rows alike, not merely fall back to comparing them.
    for source in [maria.url(), source_pg_url.clone()] {
        let report = run(&source, &same_url, &options(StrategyChoice::Checksum), &[]).await;
        assert_all_equal(&report);
    }
    for source in [maria.url(), source_pg_url] {
        let report = run(
            &source,
            &target_url,
            &options(StrategyChoice::Checksum),
            &[],
        )
        .await;
        let t = &report.tables[0];
        assert_eq!((t.source_rows, t.target_rows), (2000, 2000), "{source}");
        assert_eq!(
            t.differences.missing.first,
            vec!["1001".to_owned()],
            "{source}"
        );
        assert_eq!(
            t.differences.extra.first,
            vec!["1000".to_owned()],
            "{source}"
        );
        assert_eq!(t.differences.total(), 2, "{source}");
        assert_eq!(report.verdict, Verdict::Different);
    }
}
