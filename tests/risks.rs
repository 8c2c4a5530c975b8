//! The risk register: CSV round trip through the Excel-safe writer, all-or-nothing imports with
//! errors naming file, line and field, suggestions accepted and dismissed, ordering constraints
//! reaching the planner, blast radius and heat map; end to end through the CLI on the Sock Shop
//! services sample.

mod common;

use std::path::Path;
use std::process::Command;

use migration_studio::graph::{DependencyGraph, GraphJson};
use migration_studio::import::ddl::DdlImporter;
use migration_studio::import::Engine;
use migration_studio::plan::Plan;
use migration_studio::risk::heatmap::HeatMap;
use migration_studio::risk::suggest::suggest;
use migration_studio::risk::table::{read_risks_csv, write_risks_csv, RISK_CSV_COLUMNS};
use migration_studio::risk::{
    apply_ordering, blast_radius, Category, OrderingConstraint, Risk, Status,
};

use common::sample;

fn cli(args: &[&str]) -> Result<String, String> {
    let output = Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .args(args)
        .output()
        .expect("the CLI runs");
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

fn tricky_risks() -> Vec<Risk> {
    let mut a = Risk::new(
        "R-001",
        "Orders lost, during \"cutover\"",
        Category::DataLoss,
        5,
        2,
    );
    a.mitigation = Some("=HYPERLINK(\"http://x\")\nthen dual write, carefully".into());
    a.owner = Some("@orders-team".into());
    a.status = Status::Mitigating;
    a.artifacts = vec!["datastore:orders-db".into(), "service:orders".into()];
    a.retired_by = Some("S012".into());
    a.ordering = vec![OrderingConstraint {
        first: "datastore:orders-db".into(),
        then: "service:orders".into(),
    }];
    a.origin = Some("finding:x:y:1".into());
    let mut b = Risk::new("R-002", "-1 is not a size", Category::Other, 1, 5);
    b.status = Status::Retired;
    let c = Risk::new("R-010", "Slow catalogue", Category::Performance, 3, 3);
    vec![a, b, c]
}

#[test]
fn risk_csv_round_trips_through_the_excel_safe_writer() {
    let risks = tricky_risks();
    let mut bytes = Vec::new();
    write_risks_csv(&risks, None, &mut bytes).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with(&RISK_CSV_COLUMNS.join(",")));
    assert!(text.contains("\r\n"));
    // Formula-looking cells are neutralised in the file…
    assert!(text.contains("\"'=HYPERLINK"), "{text}");
    assert!(text.contains(",'@orders-team,"), "{text}");
    assert!(text.contains(",'-1 is not a size,"), "{text}");
    // …and read back as written.
    let back = read_risks_csv(&text, "risks.csv").unwrap();
    assert_eq!(back, risks);
    // Computed columns: score, flags.
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let first = reader.records().next().unwrap().unwrap();
    assert_eq!(&first[5], "10");
    assert_eq!(&first[14], "");
    let third = reader.records().nth(1).unwrap().unwrap();
    assert_eq!(&third[14], "no-mitigation no-owner");
}

#[test]
fn risk_csv_errors_name_file_line_and_field() {
    let header = "id,title,category,severity,likelihood\n";
    let cases = [
        (
            "R-1,ok,downtime,3,3\nR-2,bad,downtime,7,3\n",
            "risks.csv:3: field `severity`: `7` is not a whole number from 1 to 5",
        ),
        (
            "R-1,ok,fire,3,3\n",
            "risks.csv:2: field `category`: unknown category `fire`",
        ),
        (
            ",,downtime,3,3\n",
            "risks.csv:2: field `title`: a title is required",
        ),
    ];
    for (rows, expected) in cases {
        let error = read_risks_csv(&format!("{header}{rows}"), "risks.csv").unwrap_err();
        assert!(
            error.to_string().starts_with(expected),
            "{error} / {expected}"
        );
    }
    let error = read_risks_csv("id,title,colour\n", "r.csv").unwrap_err();
    assert!(error.to_string().starts_with("r.csv:1: field `colour`"));
    let error = read_risks_csv(
        "title,category,severity,likelihood,ordering\nx,other,1,1,a after b\n",
        "r.csv",
    )
    .unwrap_err();
    assert!(error.to_string().starts_with("r.csv:2: field `ordering`"));
}

#[test]
fn heat_map_counts_risks_that_are_not_retired() {
    let risks = tricky_risks();
    let map = HeatMap::of(&risks);
    assert_eq!(map.cells[4][1], 1, "severity 5, likelihood 2");
    assert_eq!(map.cells[2][2], 1, "severity 3, likelihood 3");
    assert_eq!(map.cells[0][4], 0, "the retired risk is left out");
    assert_eq!(map.cells.iter().flatten().sum::<usize>(), 2);
    let text = map.to_text();
    assert!(text.lines().nth(1).unwrap().trim_start().starts_with('5'));
    assert!(map.to_markdown().contains("| **5** | 0 | 1 | 0 | 0 | 0 |"));
}

#[test]
fn suggestions_from_a_plan_with_an_fk_cycle_and_a_table_without_key() {
    // Sakila: store <-> staff is an FK cycle; a table without a primary key is added.
    let mut importer = DdlImporter::new(Engine::Mysql);
    let schema = common::sample_file("sakila-mysql-to-postgres/data/sakila-mv-schema.sql");
    let text = std::fs::read_to_string(&schema).unwrap();
    importer.add_script("sakila-mv-schema.sql", &text).unwrap();
    importer
        .add_script(
            "extra.sql",
            "CREATE TABLE sakila.audit_log (happened_at DATETIME, note TEXT);",
        )
        .unwrap();
    let inventory = importer.finish();
    let graph = DependencyGraph::from_inventory(&inventory);
    let plan = Plan::build(&graph, &Default::default());
    let suggestions = suggest(&inventory, &graph, &plan);
    let keys: Vec<&str> = suggestions.iter().map(|s| s.key.as_str()).collect();
    assert!(
        keys.contains(&"fk-cycle:table:sakila.staff,table:sakila.store"),
        "{keys:?}"
    );
    assert!(
        keys.contains(&"no-primary-key:table:sakila.audit_log"),
        "{keys:?}"
    );
    // Sakila's film_text is MyISAM.
    assert!(
        keys.contains(&"non-transactional:table:sakila.film_text"),
        "{keys:?}"
    );
    assert!(keys.contains(&"no-owner:table"), "{keys:?}");
    let cycle = suggestions
        .iter()
        .find(|s| s.key.starts_with("fk-cycle"))
        .unwrap();
    assert_eq!(cycle.risk.category, Category::DataLoss);
    // Retired by the step that creates the deferred FKs.
    let step = plan
        .step(cycle.risk.retired_by.as_deref().unwrap())
        .unwrap();
    assert!(
        step.title.contains("deferred foreign keys"),
        "{}",
        step.title
    );
    // Blast radius of that risk: everything depending on staff or store.
    let radius = blast_radius(&cycle.risk, &graph);
    assert!(radius.affected.contains(&"table:sakila.rental".to_owned()));
    assert!(radius.affected.contains(&"table:sakila.payment".to_owned()));
}

#[test]
fn ordering_constraints_reach_the_waves() {
    let mut importer = migration_studio::import::services::ServiceImporter::new();
    importer
        .add_text(
            "id,kind,calls\napi,service,db\ndb,datastore,\nbatch,job,\n",
            "s.csv",
            None,
            false,
        )
        .unwrap();
    let inventory = importer.finish();
    let mut graph = DependencyGraph::from_inventory(&inventory);
    let before = graph.order().wave_of().get("job:batch").copied();
    assert_eq!(before, Some(1));
    let mut risk = Risk::new(
        "R-001",
        "batch reads the API",
        Category::Compatibility,
        3,
        3,
    );
    risk.ordering = vec![
        "service:api before job:batch".parse().unwrap(),
        "service:nope before job:batch".parse().unwrap(),
    ];
    let unknown = apply_ordering(&mut graph, &[risk]);
    assert_eq!(
        unknown,
        [(
            "R-001".to_owned(),
            "service:nope before job:batch".to_owned()
        )]
    );
    let order = graph.order();
    let wave_of = order.wave_of();
    assert!(wave_of["job:batch"] > wave_of["service:api"]);
    assert!(wave_of["service:api"] > wave_of["datastore:db"]);
}

#[test]
fn sock_shop_sample_end_to_end() {
    let (_dir, root) = sample("sock-shop-services");
    let root = root.to_str().unwrap();
    let imported = cli(&["import", root]).unwrap();
    assert!(imported.contains("Findings: 3 warnings"), "{imported}");
    assert!(imported.contains("netpol-cart-access.yaml"), "{imported}");

    // Waves: stores and the queue before the services that use them, front-end last.
    let json: GraphJson =
        serde_json::from_str(&cli(&["graph", root, "--format", "json"]).unwrap()).unwrap();
    let wave = |id: &str| json.nodes.iter().find(|n| n.id == id).unwrap().wave;
    assert!(wave("service:orders") > wave("datastore:orders-db"));
    assert!(wave("service:queue-master") > wave("queue:rabbitmq"));
    assert!(wave("service:front-end") > wave("service:orders"));
    assert_eq!(json.nodes.len(), 14);
    let plan = cli(&["plan", root]).unwrap();
    assert!(plan.contains("[services and stores]"), "{plan}");

    // Views and blast radius.
    let by_owner = cli(&["services", "list", root, "--by", "owner"]).unwrap();
    assert!(by_owner.contains("orders-team"), "{by_owner}");
    assert!(
        by_owner.contains("No owner (1):\n  datastore:session-db"),
        "{by_owner}"
    );
    let radius = cli(&["services", "blast-radius", root, "datastore:orders-db"]).unwrap();
    assert!(
        radius.starts_with("Blast radius of datastore:orders-db: 2 artifacts"),
        "{radius}"
    );
    assert!(radius.contains("service:front-end"), "{radius}");

    // Suggestions: the three dangling selectors, the unowned store, the PONR.
    let suggestions = cli(&["risks", "suggest", root]).unwrap();
    assert!(suggestions.contains("5 pending"), "{suggestions}");
    let key = "finding:dangling-selector:services/manifests-policy/netpol-cart-access.yaml:10";
    assert!(cli(&["risks", "accept", root, key])
        .unwrap()
        .contains("as R-001"));
    assert!(cli(&["risks", "dismiss", root, "ponr"])
        .unwrap()
        .contains("Dismissed"));
    assert!(
        cli(&["risks", "accept", root, "ponr"]).is_err(),
        "already decided"
    );
    assert!(cli(&["risks", "suggest", root])
        .unwrap()
        .contains("3 pending"));

    // Add a risk whose ordering constraint changes the plan.
    let added = cli(&[
        "risks",
        "add",
        root,
        "--title",
        "Front-end cache must be warm before carts moves",
        "--category",
        "performance",
        "--severity",
        "3",
        "--likelihood",
        "4",
        "--artifact",
        "datastore:carts-db",
        "--order",
        "service:front-end before datastore:carts-db",
    ])
    .unwrap();
    assert!(added.contains("Added R-002"), "{added}");
    let json: GraphJson =
        serde_json::from_str(&cli(&["graph", root, "--format", "json"]).unwrap()).unwrap();
    let wave = |id: &str| json.nodes.iter().find(|n| n.id == id).unwrap().wave;
    assert!(wave("datastore:carts-db") > wave("service:front-end"));

    let list = cli(&["risks", "list", root]).unwrap();
    assert!(list.contains("R-001") && list.contains("R-002"), "{list}");
    assert!(list.contains("no-mitigation,no-owner"), "{list}");
    assert!(list.contains("severity \\ likelihood"), "{list}");

    // Export, re-import the same file: the register is unchanged.
    let exported = root.to_owned() + "/risks.csv";
    cli(&["risks", "export", root, "-o", &exported]).unwrap();
    let first = std::fs::read_to_string(&exported).unwrap();
    assert!(cli(&["risks", "import", root, &exported])
        .unwrap()
        .contains("Imported 2 risks"));
    cli(&["risks", "export", root, "-o", &exported]).unwrap();
    assert_eq!(std::fs::read_to_string(&exported).unwrap(), first);

    // A bad file changes nothing and names file, line and field.
    let bad = root.to_owned() + "/bad.csv";
    std::fs::write(
        &bad,
        "id,title,category,severity,likelihood\n,new one,downtime,2,2\nR-001,changed,downtime,9,1\n",
    )
    .unwrap();
    let error = cli(&["risks", "import", root, &bad]).unwrap_err();
    assert!(error.contains("bad.csv:3: field `severity`"), "{error}");
    cli(&["risks", "export", root, "-o", &exported]).unwrap();
    assert_eq!(std::fs::read_to_string(&exported).unwrap(), first);

    let md = cli(&["risks", "export", root, "--format", "md"]).unwrap();
    assert!(md.contains("## Heat map"), "{md}");

    // The services CSV export reads back into the same artifacts.
    let services_csv = root.to_owned() + "/data/export.csv";
    cli(&["services", "export", root, "-o", &services_csv]).unwrap();
    let mut importer = migration_studio::import::services::ServiceImporter::new();
    importer
        .add_path(Path::new(root), Path::new("data/export.csv"), None)
        .unwrap();
    let back = importer.finish();
    assert_eq!(back.services.len(), 14);
    assert_eq!(back.links.len(), 13);
    assert!(back.findings.is_empty(), "{:?}", back.findings);
}

/// The CLI edits the register as the desktop app does (the same `Workspace` calls): add, edit
/// (given fields replace, empty text clears, ordering reaches the plan), delete (a suggestion it
/// was accepted from is pending again), with errors that say what is wrong.
#[test]
fn cli_adds_edits_and_deletes_risks() {
    let (_dir, root) = sample("sock-shop-services");
    let root = root.to_str().unwrap();
    cli(&["import", root]).unwrap();
    let risks = || -> Vec<Risk> {
        serde_json::from_str(&cli(&["risks", "list", root, "--json"]).unwrap()).unwrap()
    };
    let wave = |id: &str| -> usize {
        let json: GraphJson =
            serde_json::from_str(&cli(&["graph", root, "--format", "json"]).unwrap()).unwrap();
        json.nodes.iter().find(|n| n.id == id).unwrap().wave
    };

    let added = cli(&[
        "risks",
        "add",
        root,
        "--title",
        "  Carts cache cold after the move ",
        "--category",
        "performance",
        "--severity",
        "2",
        "--likelihood",
        "3",
        "--artifact",
        "datastore:carts-db",
    ])
    .unwrap();
    assert!(added.contains("Added R-001"), "{added}");
    // Cleaned as the desktop cleans it.
    assert_eq!(risks()[0].title, "Carts cache cold after the move");
    assert!(wave("datastore:carts-db") <= wave("service:front-end"));

    let edited = cli(&[
        "risks",
        "edit",
        root,
        "R-001",
        "--severity",
        "4",
        "--owner",
        "@platform",
        "--mitigation",
        "Warm the cache first",
        "--status",
        "mitigating",
        "--order",
        "service:front-end before datastore:carts-db",
    ])
    .unwrap();
    assert!(edited.contains("Edited R-001"), "{edited}");
    let risk = &risks()[0];
    assert_eq!((risk.severity, risk.likelihood), (4, 3));
    assert_eq!(risk.owner.as_deref(), Some("@platform"));
    assert_eq!(risk.mitigation.as_deref(), Some("Warm the cache first"));
    assert_eq!(risk.status, Status::Mitigating);
    assert_eq!(risk.artifacts, ["datastore:carts-db"]);
    assert_eq!(risk.title, "Carts cache cold after the move");
    assert!(wave("datastore:carts-db") > wave("service:front-end"));

    // Empty text clears; `--no-order` drops the constraint and the plan follows.
    cli(&[
        "risks",
        "edit",
        root,
        "R-001",
        "--mitigation",
        "",
        "--no-order",
        "--no-artifacts",
    ])
    .unwrap();
    let risk = &risks()[0];
    assert_eq!(risk.mitigation, None);
    assert!(risk.ordering.is_empty() && risk.artifacts.is_empty());
    assert!(wave("datastore:carts-db") <= wave("service:front-end"));
    let list = cli(&["risks", "list", root]).unwrap();
    assert!(list.contains("no-mitigation"), "{list}");

    // Errors say what is wrong and change nothing.
    let before = risks();
    let e = cli(&["risks", "edit", root, "R-404", "--owner", "x"]).unwrap_err();
    assert!(e.contains("no risk `R-404`"), "{e}");
    let e = cli(&["risks", "edit", root, "R-001", "--title", "  "]).unwrap_err();
    assert!(e.contains("title"), "{e}");
    let e = cli(&["risks", "edit", root, "R-001", "--severity", "9"]).unwrap_err();
    assert!(e.contains("severity"), "{e}");
    assert_eq!(risks(), before);

    // A risk accepted from a suggestion, deleted: the suggestion is pending again.
    assert!(cli(&["risks", "accept", root, "ponr"])
        .unwrap()
        .contains("as R-002"));
    assert!(!cli(&["risks", "suggest", root]).unwrap().contains("ponr"));
    assert!(cli(&["risks", "delete", root, "R-002"])
        .unwrap()
        .contains("Deleted R-002"));
    assert!(cli(&["risks", "suggest", root]).unwrap().contains("ponr"));
    assert_eq!(risks().len(), 1);
    let e = cli(&["risks", "delete", root, "R-002"]).unwrap_err();
    assert!(e.contains("no risk `R-002`"), "{e}");
}
