//! Planning facts a planner relies on, from real public schemas: those the sample projects
//! carry and those in `tests/datasets/`.

mod common;

use std::collections::HashMap;

use common::{
    dataset, import_scripts, pagila_scripts, psql, sakila_scripts, sample_file, ScratchPg,
};
use migration_studio::graph::{DependencyGraph, DependencyKind, MigrationOrder};
use migration_studio::import::Engine;
use migration_studio::plan::{MigrationShape, Plan, PlanSettings};

const CHINOOK_PG: &str = "chinook/ChinookDatabase/DataSources/Chinook_PostgreSql.sql";
const CHINOOK_MYSQL: &str = "chinook/ChinookDatabase/DataSources/Chinook_MySql.sql";
const ADVENTUREWORKS: &str = "adventureworks/install.sql";

/// Every kept dependency goes from a later wave to an earlier one (or stays inside an
/// unbreakable cycle): the order is valid after the breaks.
fn assert_valid_order(graph: &DependencyGraph, order: &MigrationOrder) {
    let wave = order.wave_of();
    let deferred: Vec<(&str, &str)> = order
        .deferred()
        .map(|d| (d.from.as_str(), d.to.as_str()))
        .collect();
    let unbroken: Vec<&Vec<String>> = order
        .cycles
        .iter()
        .filter(|c| !c.broken)
        .map(|c| &c.members)
        .collect();
    assert_eq!(
        wave.len(),
        graph.artifact_count(),
        "every artifact is in exactly one wave"
    );
    for (from, to, dep) in graph.dependencies() {
        let (a, b) = (&graph.artifact(from).id, &graph.artifact(to).id);
        if a == b || deferred.contains(&(a.as_str(), b.as_str())) {
            continue;
        }
        if unbroken.iter().any(|m| m.contains(a) && m.contains(b)) {
            assert_eq!(wave[a.as_str()], wave[b.as_str()]);
            continue;
        }
        assert!(
            wave[a.as_str()] > wave[b.as_str()],
            "{a} (wave {}) depends on {b} (wave {}) via {:?}",
            wave[a.as_str()],
            wave[b.as_str()],
            dep.kind
        );
    }
}

#[test]
fn sakila_store_staff_cycle_is_found_and_broken_and_rental_comes_late() {
    let inventory = import_scripts(Engine::Mysql, &sakila_scripts());
    assert_eq!(inventory.tables.len(), 16);
    assert_eq!(inventory.foreign_key_count(), 22);
    assert_eq!(inventory.views.len(), 7);
    assert_eq!(inventory.triggers.len(), 6);
    let rows: u64 = inventory.tables.iter().filter_map(|t| t.rows).sum();
    assert_eq!(
        rows, 46_273,
        "rows counted from the INSERTs (film_text is filled by triggers)"
    );

    let graph = DependencyGraph::from_inventory(&inventory);
    let order = graph.order();
    assert_valid_order(&graph, &order);

    let cycle = order
        .cycles
        .iter()
        .find(|c| !c.self_reference)
        .expect("the store<->staff cycle is reported");
    assert_eq!(cycle.members, ["table:sakila.staff", "table:sakila.store"]);
    assert!(cycle.broken);
    assert_eq!(cycle.deferred.len(), 1, "one deferred FK is enough");
    assert_eq!(order.cycles.len(), 1);

    let wave = order.wave_of();
    for parent in ["inventory", "customer", "staff"] {
        assert!(
            wave["table:sakila.rental"] > wave[format!("table:sakila.{parent}").as_str()],
            "rental migrates after {parent}"
        );
    }
    assert!(wave["table:sakila.payment"] > wave["table:sakila.rental"]);
}

#[test]
fn chinook_in_all_three_dialects_gives_the_same_plan_shape() {
    let mut shapes = Vec::new();
    for (engine, file, employee) in [
        (
            Engine::Sqlite,
            sample_file("chinook-sqlite-to-postgres/data/Chinook_Sqlite.sql"),
            "table:Employee",
        ),
        (
            Engine::Mysql,
            dataset(CHINOOK_MYSQL),
            "table:Chinook.Employee",
        ),
        (
            Engine::Postgres,
            dataset(CHINOOK_PG),
            "table:public.employee",
        ),
    ] {
        let inventory = import_scripts(engine, std::slice::from_ref(&file));
        let file = file.display();
        assert_eq!(inventory.tables.len(), 11, "{file}");
        assert_eq!(inventory.foreign_key_count(), 11, "{file}");
        let rows: u64 = inventory.tables.iter().filter_map(|t| t.rows).sum();
        assert_eq!(rows, 15_607, "{file}: rows counted from the INSERTs");
        let graph = DependencyGraph::from_inventory(&inventory);
        let order = graph.order();
        assert_valid_order(&graph, &order);
        // Employee.ReportsTo -> Employee: a self-reference, deferred, nullable.
        assert_eq!(order.cycles.len(), 1, "{file}");
        let cycle = &order.cycles[0];
        assert!(cycle.self_reference && cycle.broken, "{file}");
        assert_eq!(cycle.members, [employee]);
        assert!(cycle.deferred[0].nullable, "ReportsTo is nullable");
        let sizes: Vec<usize> = order.waves.iter().map(|w| w.artifacts.len()).collect();
        shapes.push(sizes);
    }
    assert!(shapes.windows(2).all(|w| w[0] == w[1]), "{shapes:?}");
}

#[test]
fn pagila_partitions_hang_under_their_parent() {
    let inventory = import_scripts(Engine::Postgres, &pagila_scripts());
    assert_eq!(inventory.tables.len(), 22);
    assert_eq!(inventory.foreign_key_count(), 36);
    let payment = inventory
        .tables
        .iter()
        .find(|t| t.name.name == "payment")
        .expect("payment");
    let partitioning = payment
        .partitioning
        .as_ref()
        .expect("payment is partitioned");
    assert_eq!(partitioning.partitions.len(), 7);
    let rows: u64 = inventory.tables.iter().filter_map(|t| t.rows).sum();
    assert_eq!(rows, 49_636, "rows counted from the COPY blocks");

    let graph = DependencyGraph::from_inventory(&inventory);
    let order = graph.order();
    assert_valid_order(&graph, &order);
    assert!(
        order.cycles.is_empty(),
        "pagila has no store<->staff FK cycle"
    );
    let wave = order.wave_of();
    assert!(wave["table:public.payment_p2022_01"] > wave["table:public.payment"]);
    assert!(graph
        .dependencies()
        .any(|(_, _, d)| d.kind == DependencyKind::PartitionOf));
}

#[test]
fn adventureworks_fk_count_matches_what_postgresql_reports() {
    let inventory = import_scripts(Engine::Postgres, &[dataset(ADVENTUREWORKS)]);
    assert_eq!(inventory.tables.len(), 68);
    let schemas: Vec<&str> = inventory
        .tables
        .iter()
        .filter_map(|t| t.name.schema.as_deref())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        schemas,
        [
            "humanresources",
            "person",
            "production",
            "purchasing",
            "sales"
        ]
    );

    // Load the schema without its data (7 CSVs are missing upstream; without data every FK is
    // created) and ask PostgreSQL how many FKs it has.
    let script = std::fs::read_to_string(dataset(ADVENTUREWORKS)).expect("read");
    let schema_only: String = script
        .lines()
        .filter(|l| !l.trim_start().starts_with("\\copy") && !l.trim_start().starts_with("\\pset"))
        .collect::<Vec<_>>()
        .join("\n");
    let db = ScratchPg::new("adventureworks");
    psql(&db.name, &[], Some(&schema_only));
    let reported: usize = psql(
        &db.name,
        &[
            "-At",
            "-c",
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f'",
        ],
        None,
    )
    .trim()
    .parse()
    .expect("a count");
    assert_eq!(inventory.foreign_key_count(), reported);
    assert_eq!(reported, 90);

    let graph = DependencyGraph::from_inventory(&inventory);
    let order = graph.order();
    assert_valid_order(&graph, &order);
}

#[test]
fn point_of_no_return_moves_with_the_rto_and_reversible_steps_come_first() {
    let inventory = import_scripts(Engine::Mysql, &sakila_scripts());
    let graph = DependencyGraph::from_inventory(&inventory);
    for shape in [
        MigrationShape::Cdc,
        MigrationShape::Offline,
        MigrationShape::DualWrite,
        MigrationShape::BlueGreen,
    ] {
        for rto in [5.0, 30.0] {
            let settings = PlanSettings {
                shape,
                rto_minutes: rto,
                ..PlanSettings::default()
            };
            let plan = Plan::build(&graph, &settings);
            let ponr = plan
                .point_of_no_return
                .as_ref()
                .expect("every shape has a PONR");
            let at = plan
                .steps
                .iter()
                .position(|s| s.id == ponr.step_id)
                .unwrap();
            // Rollback cost before the PONR fits the RTO.
            let before: f64 = plan.steps[..at]
                .iter()
                .map(|s| {
                    s.rollback
                        .as_ref()
                        .expect("reversible before the PONR")
                        .minutes
                })
                .sum();
            assert!(before <= rto, "{shape}: {before} > {rto}");
            // Every reversible step after the PONR depends on it, directly or transitively.
            let index: HashMap<&str, usize> = plan
                .steps
                .iter()
                .enumerate()
                .map(|(i, s)| (s.id.as_str(), i))
                .collect();
            let mut downstream = vec![false; plan.steps.len()];
            downstream[at] = true;
            for (i, step) in plan.steps.iter().enumerate().skip(at + 1) {
                downstream[i] = step
                    .depends_on
                    .iter()
                    .any(|d| downstream[index[d.as_str()]]);
                if step.reversible() {
                    assert!(
                        downstream[i],
                        "{shape}: {} should come before the PONR",
                        step.id
                    );
                }
            }
            // Dependencies always point backwards.
            for (i, step) in plan.steps.iter().enumerate() {
                for dep in &step.depends_on {
                    assert!(
                        index[dep.as_str()] < i,
                        "{shape}: {} depends on later {dep}",
                        step.id
                    );
                }
            }
        }
    }
    // A tight RTO moves the CDC PONR to the cutover, whose rollback (10 min) exceeds it.
    let tight = Plan::build(
        &graph,
        &PlanSettings {
            rto_minutes: 5.0,
            ..PlanSettings::default()
        },
    );
    let ponr = tight.point_of_no_return.clone().unwrap();
    assert!(tight
        .step(&ponr.step_id)
        .unwrap()
        .title
        .starts_with("Cutover"));
}

#[test]
fn critical_path_follows_the_longest_chain_of_dependencies() {
    let inventory = import_scripts(Engine::Mysql, &sakila_scripts());
    let graph = DependencyGraph::from_inventory(&inventory);
    let plan = Plan::build(&graph, &PlanSettings::default());
    let path = &plan.schedule.critical_path;
    // Consecutive critical steps are linked by a dependency.
    for pair in path.windows(2) {
        let next = plan.step(&pair[1]).unwrap();
        assert!(next.depends_on.contains(&pair[0]), "{pair:?}");
    }
    let sum: f64 = path
        .iter()
        .map(|id| plan.step(id).unwrap().expected_minutes)
        .sum();
    assert!((sum - plan.schedule.total_minutes).abs() < 0.01);
    // payment is the deepest table: its backfill lies on the critical path.
    assert!(path
        .iter()
        .any(|id| plan.step(id).unwrap().artifact.as_deref() == Some("table:sakila.payment")));
}
