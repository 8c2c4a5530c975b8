//! Incremental final validation at scale (issue 17): the time the post-freeze validation takes
//! when 1 % of a large table's rows changed after a full validation, against validating the
//! whole table again (what the rehearsal did after the freeze before).
//!
//! Run by `bash bench/validate_incremental.sh` (which makes the tables), or directly:
//! `cargo bench --bench validate_changed -- SOURCE_URL TARGET_URL TABLE [ROUNDS]`, with a
//! MariaDB/MySQL source and a copy of its table in the target. With `-` for TABLE it changes
//! nothing and times, over every table, the incremental validation of an empty change set (what
//! the post-freeze check costs when nothing changed: counts and the re-check) against a full
//! validation (`bash bench/validate_small.sh` does this for Chinook and Sakila). Otherwise it
//! writes to both databases:
//! the capture's triggers and changelog on the source, and the 1 % update on both sides (so
//! they are equal again, as after the final catch-up); use scratch databases.
//!
//! Steps: install change capture on the source's table; a full validation (merge) pinned at the
//! changelog's position; `UPDATE … SET <second column> = <second column> + 1` on every row whose
//! leading key is a multiple of 100 (1 % of the rows), on both sides; then, timed per round, the
//! incremental validation (the changelog's keys since the pinned position, their rows compared,
//! exact counts, 100 random keys re-checked) and a full validation of the same table. Prints
//! the seconds of each and the keys compared.

use std::time::Instant;

use migration_studio::data::TableSpec;
use migration_studio::db::{self, Access};
use migration_studio::import::live::import_live;
use migration_studio::rehearsal::capture::{self, Route};
use migration_studio::validate::changed::{self, Settings};
use migration_studio::validate::{self, Options, Silent, Strategy};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let [source_url, target_url, table] = [0, 1, 2].map(|i| {
        args.get(i)
            .cloned()
            .expect("usage: validate_changed SOURCE_URL TARGET_URL TABLE [ROUNDS]")
    });
    let rounds: usize = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(1);
    if table == "-" {
        return unchanged(&source_url, &target_url, rounds).await;
    }
    let writer = db::connect(&source_url, Access::ReadWrite, 2)
        .await
        .unwrap();
    let target_writer = db::connect(&target_url, Access::ReadWrite, 2)
        .await
        .unwrap();
    let (source, target) = (
        db::connect(&source_url, Access::ReadOnly, 4).await.unwrap(),
        db::connect(&target_url, Access::ReadOnly, 4).await.unwrap(),
    );
    let source_inventory = import_live(source.engine, &source_url, &[]).await.unwrap();
    let target_inventory = import_live(target.engine, &target_url, &[]).await.unwrap();
    let find = |inv: &migration_studio::inventory::Inventory| {
        inv.tables
            .iter()
            .find(|t| t.name.name.eq_ignore_ascii_case(&table))
            .cloned()
            .expect("the table on both sides")
    };
    let (s_table, t_table) = (find(&source_inventory), find(&target_inventory));
    let spec = TableSpec::new(source.engine, &s_table).unwrap();
    let t_spec = TableSpec::new(target.engine, &t_table).unwrap();
    let routes = vec![Route {
        from: spec.clone(),
        to_table: t_spec.name.clone(),
        to_columns: t_spec
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.declared.clone(), c.logical.clone()))
            .collect(),
        to_key: t_spec.key_columns(),
        also_from: Vec::new(),
        partner: false,
    }];
    capture::install(&writer, &routes).await.unwrap();
    let sides = validate::Sides {
        source: &source,
        target: &target,
        source_inventory: &source_inventory,
        target_inventory: &target_inventory,
    };
    let options = Options {
        tables: vec![table.clone()],
        show: 1_000,
        sample_rows: 0,
        ..Options::default()
    };
    let started = Instant::now();
    let pinned_at = capture::position(&source).await.unwrap();
    let pinned = validate::run(&sides, Strategy::Merge, &options, &[], None, &Silent)
        .await
        .unwrap();
    println!(
        "pinned full validation: {:.2} s, verdict {:?}, at position {pinned_at}",
        started.elapsed().as_secs_f64(),
        pinned.verdict
    );

    // 1 % of the rows change on the source (captured) and, as the catch-up would, on the target.
    let lead = &spec.columns[spec.key[0]].name;
    let value = &spec
        .columns
        .iter()
        .enumerate()
        .find(|(i, _)| !spec.key.contains(i))
        .expect("a non-key column")
        .1
        .name;
    let update = |engine, name| {
        let (l, v) = (
            db::quote::ident(engine, lead),
            db::quote::ident(engine, value),
        );
        format!(
            "UPDATE {} SET {v} = {v} + 1 WHERE {l} % 100 = 0",
            db::quote::table(engine, name)
        )
    };
    let t0 = Instant::now();
    let changed_rows = writer
        .execute(&update(writer.engine, &spec.name), &[], "changing 1 %")
        .await
        .unwrap();
    target_writer
        .execute(
            &update(target_writer.engine, &t_spec.name),
            &[],
            "changing 1 %",
        )
        .await
        .unwrap();
    println!(
        "changed {changed_rows} rows on both sides in {:.2} s (untimed setup)",
        t0.elapsed().as_secs_f64()
    );
    let head = capture::position(&source).await.unwrap();
    for round in 1..=rounds {
        let t = Instant::now();
        let keys = capture::changed_keys(&source, &routes, pinned_at, head)
            .await
            .unwrap();
        let read_keys = t.elapsed().as_secs_f64();
        let inc =
            changed::validate_changed(&sides, &keys, &options, &Settings::default(), &[], &Silent)
                .await
                .unwrap();
        let gate = inc.gate(&pinned);
        let incremental = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let full = validate::run(&sides, Strategy::Merge, &options, &[], None, &Silent)
            .await
            .unwrap();
        let whole = t.elapsed().as_secs_f64();
        println!(
            "round {round}: incremental final validation {incremental:.2} s (changed keys read in {read_keys:.2} s, {} keys, verdict {:?}); full validation {whole:.2} s (verdict {:?})",
            keys.values().map(Vec::len).sum::<usize>(),
            gate.verdict,
            full.verdict
        );
    }
    for db in [writer, target_writer, source, target] {
        db.close().await;
    }
}

/// Every table, nothing changed: the incremental validation of an empty change set against a
/// full validation, `rounds` times each, interleaved.
async fn unchanged(source_url: &str, target_url: &str, rounds: usize) {
    let (source, target) = (
        db::connect(source_url, Access::ReadOnly, 4).await.unwrap(),
        db::connect(target_url, Access::ReadOnly, 4).await.unwrap(),
    );
    let source_inventory = import_live(source.engine, source_url, &[]).await.unwrap();
    let target_inventory = import_live(target.engine, target_url, &[]).await.unwrap();
    let sides = validate::Sides {
        source: &source,
        target: &target,
        source_inventory: &source_inventory,
        target_inventory: &target_inventory,
    };
    let options = Options::default();
    for round in 1..=rounds {
        let t = Instant::now();
        let inc = changed::validate_changed(
            &sides,
            &Default::default(),
            &options,
            &Settings::default(),
            &[],
            &Silent,
        )
        .await
        .unwrap();
        let incremental = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let full = validate::run(&sides, Strategy::Merge, &options, &[], None, &Silent)
            .await
            .unwrap();
        let whole = t.elapsed().as_secs_f64();
        println!(
            "round {round}: {} tables; incremental validation, nothing changed: {incremental:.3} s (verdict {:?}); full validation {whole:.3} s (verdict {:?})",
            inc.report.tables.len(),
            inc.report.verdict,
            full.verdict
        );
    }
    source.close().await;
    target.close().await;
}
