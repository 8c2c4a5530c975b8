//! Service inventory import from real public manifests (`tests/datasets/` and the Sock Shop
//! sample project): counts of artifacts and links as the files declare them (counted by reading
//! the files, cross-checked with an independent PyYAML script), dangling references with file
//! and line, env-derived links, waves over services, blast radius, and the YAML limits.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use migration_studio::graph::{ArtifactKind, DependencyGraph, DependencyKind};
use migration_studio::import::services::{
    ServiceFormat, ServiceImportError, ServiceImporter, YamlLimits,
};
use migration_studio::inventory::{Inventory, LinkKind, ServiceKind};

/// Imports dataset paths (files or folders under `datasets()`) as one services input.
fn import(paths: &[&str]) -> Inventory {
    import_under(&common::datasets(), paths)
}

/// Imports paths (files or folders under `root`, and named relative to it) as one services
/// input.
fn import_under(root: &Path, paths: &[&str]) -> Inventory {
    let mut importer = ServiceImporter::new();
    for path in paths {
        importer
            .add_path(root, Path::new(path), None)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    importer.finish()
}

fn kinds(inventory: &Inventory) -> BTreeMap<ServiceKind, usize> {
    let mut counts = BTreeMap::new();
    for s in &inventory.services {
        *counts.entry(s.kind).or_default() += 1;
    }
    counts
}

fn links_of(inventory: &Inventory, kind: LinkKind) -> Vec<(String, String)> {
    inventory
        .links
        .iter()
        .filter(|l| l.kind == kind)
        .map(|l| (l.from.clone(), l.to.clone()))
        .collect()
}

fn dangling(inventory: &Inventory) -> Vec<(String, String, Option<usize>)> {
    inventory
        .findings
        .iter()
        .filter(|f| f.code.starts_with("dangling"))
        .map(|f| (f.code.clone(), f.source.clone(), f.line))
        .collect()
}

#[test]
fn deathstarbench_social_network_compose_counts_and_waves() {
    // 27 services; 19 depends_on entries, 13 services in the long form
    // (`depends_on: {svc: {condition: service_started}}`), the rest in the short form.
    let inventory = import(&["deathstarbench/socialNetwork/docker-compose.yml"]);
    assert_eq!(inventory.services.len(), 27);
    assert_eq!(links_of(&inventory, LinkKind::DependsOn).len(), 19);
    assert_eq!(
        inventory.links.len(),
        19,
        "no env var names another service"
    );
    assert!(dangling(&inventory).is_empty());
    // Long form, read from the file: social-graph-service depends on jaeger-agent and
    // social-graph-mongodb (a mongo image, so a data store).
    let social = links_of(&inventory, LinkKind::DependsOn)
        .into_iter()
        .filter(|(f, _)| f == "service:social-graph-service")
        .map(|(_, t)| t)
        .collect::<Vec<_>>();
    assert_eq!(
        social,
        ["datastore:social-graph-mongodb", "service:jaeger-agent"]
    );
    let derivation = &inventory
        .links
        .iter()
        .find(|l| {
            l.to == "datastore:social-graph-mongodb" && l.from.ends_with("social-graph-service")
        })
        .unwrap()
        .derivation;
    assert!(
        derivation.contains("deathstarbench/socialNetwork/docker-compose.yml:11"),
        "{derivation}"
    );

    // Waves are valid topological layers: every artifact in exactly one wave, and each
    // dependency points to an earlier wave.
    let graph = DependencyGraph::from_inventory(&inventory);
    let order = graph.order();
    assert!(order.cycles.is_empty());
    let wave_of = order.wave_of();
    assert_eq!(wave_of.len(), 27);
    assert_eq!(
        order.waves.iter().map(|w| w.artifacts.len()).sum::<usize>(),
        27
    );
    for (from, to, _) in graph.dependencies() {
        let (from, to) = (&graph.artifact(from).id, &graph.artifact(to).id);
        assert!(
            wave_of[from.as_str()] > wave_of[to.as_str()],
            "{from} (wave {}) must come after {to} (wave {})",
            wave_of[from.as_str()],
            wave_of[to.as_str()]
        );
    }
    // Data stores depend on nothing here, so they are all in wave 1.
    for s in inventory
        .services
        .iter()
        .filter(|s| s.kind == ServiceKind::DataStore)
    {
        assert_eq!(wave_of[s.artifact_id().as_str()], 1, "{}", s.id);
    }
}

#[test]
fn deathstarbench_other_compose_files() {
    for (file, services, depends_on) in [
        (
            "deathstarbench/socialNetwork/docker-compose-tls.yml",
            28,
            45,
        ),
        (
            "deathstarbench/socialNetwork/docker-compose-sharding.yml",
            30,
            25,
        ),
        (
            "deathstarbench/socialNetwork/docker-compose-swarm.yml",
            31,
            61,
        ),
        (
            "deathstarbench/mediaMicroservices/docker-compose.yml",
            33,
            0,
        ),
    ] {
        let inventory = import(&[file]);
        assert_eq!(inventory.services.len(), services, "{file}");
        assert_eq!(
            links_of(&inventory, LinkKind::DependsOn).len(),
            depends_on,
            "{file}"
        );
        assert!(DependencyGraph::from_inventory(&inventory)
            .order()
            .cycles
            .is_empty());
    }
    // hotelReservation: 24 services and 8 top-level named volumes (data stores); 22 depends_on
    // entries (short form) and 8 mounts of those volumes (writes), one per MongoDB.
    let hotel = import(&["deathstarbench/hotelReservation/docker-compose.yml"]);
    assert_eq!(hotel.services.len(), 24 + 8);
    assert_eq!(links_of(&hotel, LinkKind::DependsOn).len(), 22);
    let writes = links_of(&hotel, LinkKind::Writes);
    assert_eq!(writes.len(), 8);
    assert!(writes.contains(&("datastore:mongodb-geo".into(), "datastore:geo".into())));
}

#[test]
fn deathstarbench_hotel_reservation_kubernetes() {
    // 50 files: 19 Deployments, 19 Services, 6 PersistentVolumes (not modelled: cluster
    // infrastructure), 6 PersistentVolumeClaims (data stores), each mounted by one MongoDB.
    // No env var names another Service (they discover each other through consul).
    let inventory = import(&["deathstarbench/hotelReservation/kubernetes"]);
    assert_eq!(inventory.services.len(), 19 + 6);
    assert_eq!(links_of(&inventory, LinkKind::Calls).len(), 0);
    assert_eq!(links_of(&inventory, LinkKind::Writes).len(), 6);
    assert_eq!(inventory.links.len(), 6);
    assert!(dangling(&inventory).is_empty());
}

#[test]
fn online_boutique_env_derived_links() {
    // 12 Deployments (redis-cart runs redis: a data store), 12 Services. The *_ADDR variables
    // give 16 links; the loadgenerator's FRONTEND_ADDR appears in its init container and its
    // container and counts once. SHOPPING_ASSISTANT_SERVICE_ADDR names a Service that is not
    // deployed: a finding at frontend.yaml:83.
    let inventory = import(&["online-boutique/kubernetes-manifests"]);
    assert_eq!(inventory.services.len(), 12);
    assert_eq!(kinds(&inventory)[&ServiceKind::DataStore], 1);
    let calls = links_of(&inventory, LinkKind::Calls);
    assert_eq!(calls.len(), 16);
    let expected = [
        ("frontend", "adservice"),
        ("frontend", "cartservice"),
        ("frontend", "checkoutservice"),
        ("frontend", "currencyservice"),
        ("frontend", "productcatalogservice"),
        ("frontend", "recommendationservice"),
        ("frontend", "shippingservice"),
        ("checkoutservice", "cartservice"),
        ("checkoutservice", "currencyservice"),
        ("checkoutservice", "emailservice"),
        ("checkoutservice", "paymentservice"),
        ("checkoutservice", "productcatalogservice"),
        ("checkoutservice", "shippingservice"),
        ("recommendationservice", "productcatalogservice"),
        ("loadgenerator", "frontend"),
    ];
    for (from, to) in expected {
        assert!(
            calls.contains(&(format!("service:{from}"), format!("service:{to}"))),
            "{from} -> {to}"
        );
    }
    assert!(calls.contains(&("service:cartservice".into(), "datastore:redis-cart".into())));
    let link = inventory
        .links
        .iter()
        .find(|l| l.from == "service:checkoutservice" && l.to == "service:paymentservice")
        .unwrap();
    assert_eq!(
        link.derivation,
        "env PAYMENT_SERVICE_ADDR=paymentservice:50051 in Deployment checkoutservice (online-boutique/kubernetes-manifests/checkoutservice.yaml:61)"
    );
    assert_eq!(
        dangling(&inventory),
        [(
            "dangling-env-host".to_owned(),
            "online-boutique/kubernetes-manifests/frontend.yaml".to_owned(),
            Some(83)
        )]
    );

    // The NetworkPolicies encode 15 of the same links (all but loadgenerator -> frontend); merged
    // with the env-derived ones, there are still 16, and those links name both derivations.
    let with_policies = import(&[
        "online-boutique/kubernetes-manifests",
        "online-boutique/kustomize/components/network-policies",
    ]);
    assert_eq!(links_of(&with_policies, LinkKind::Calls).len(), 16);
    let both = with_policies
        .links
        .iter()
        .filter(|l| l.derivation.contains("env ") && l.derivation.contains("NetworkPolicy "))
        .count();
    assert_eq!(both, 15);
}

#[test]
fn sock_shop_dangling_network_policy_labels() {
    // 14 Deployments: 8 services, 5 data stores (carts-db, orders-db run mongo, session-db
    // redis, catalogue-db and user-db in-house `-db` images), 1 queue (rabbitmq). The policies
    // allow 11 links between existing pods. Three selectors select nothing: `name: cart`
    // (the Deployment is labelled `carts`) as a policy target and as a source, and `name: cortex`.
    // The sample project carries upstream's manifests and policies, unchanged.
    let services = common::samples().join("sock-shop-services/services");
    let inventory = import_under(&services, &["manifests", "manifests-policy"]);
    assert_eq!(inventory.services.len(), 14);
    let counts = kinds(&inventory);
    assert_eq!(counts[&ServiceKind::Service], 8);
    assert_eq!(counts[&ServiceKind::DataStore], 5);
    assert_eq!(counts[&ServiceKind::Queue], 1);
    assert_eq!(links_of(&inventory, LinkKind::Calls).len(), 11);
    let policy = "manifests-policy";
    assert_eq!(
        dangling(&inventory),
        [
            (
                "dangling-selector".to_owned(),
                format!("{policy}/netpol-cart-access.yaml"),
                Some(10)
            ),
            (
                "dangling-selector".to_owned(),
                format!("{policy}/netpol-cart-db-access.yaml"),
                Some(15)
            ),
            (
                "dangling-selector".to_owned(),
                format!("{policy}/netpol-cortex-access.yaml"),
                Some(14)
            ),
        ]
    );
    let finding = inventory
        .findings
        .iter()
        .find(|f| f.source.ends_with("netpol-cart-access.yaml"))
        .unwrap();
    assert!(finding.message.contains("name=cart"), "{}", finding.message);

    // The compose file: 15 services, no depends_on; one env var names another service
    // (user's MONGO_HOST=user-db:27017).
    let compose = import(&["sock-shop/deploy/docker-compose/docker-compose.yml"]);
    assert_eq!(compose.services.len(), 15);
    assert_eq!(
        compose
            .links
            .iter()
            .map(|l| (l.from.as_str(), l.to.as_str(), l.kind))
            .collect::<Vec<_>>(),
        [("service:user", "datastore:user-db", LinkKind::Calls)]
    );
}

#[test]
fn backstage_catalog() {
    // 21 entity files: 1 Location (not an artifact), 13 Components, 1 Resource (a database),
    // 3 Systems, 3 Domains. providesApis names 5 APIs (petstore: petstore, streetlights,
    // hello-world; wayback-archive; wayback-search), created as APIs since the subset has no
    // API entities. Links: 5 provides-api, 1 consumes-api, 2 subcomponentOf (part-of).
    let inventory = import(&["backstage-examples/packages/catalog-model/examples"]);
    let counts = kinds(&inventory);
    assert_eq!(counts[&ServiceKind::Service], 13);
    assert_eq!(counts[&ServiceKind::DataStore], 1);
    assert_eq!(counts[&ServiceKind::System], 3);
    assert_eq!(counts[&ServiceKind::Domain], 3);
    assert_eq!(counts[&ServiceKind::Api], 5);
    assert_eq!(inventory.services.len(), 25);
    assert_eq!(links_of(&inventory, LinkKind::ProvidesApi).len(), 5);
    assert_eq!(
        links_of(&inventory, LinkKind::ConsumesApi),
        [(
            "service:wayback-search".to_owned(),
            "api:wayback-archive".to_owned()
        )]
    );
    assert_eq!(links_of(&inventory, LinkKind::PartOf).len(), 2);
    assert_eq!(inventory.links.len(), 8);
    // File name != entity name: playback-lib-component.yaml defines playback-sdk.
    let sdk = inventory.service("service:playback-sdk").unwrap();
    assert_eq!(sdk.system.as_deref(), Some("audio-playback"));
    assert_eq!(sdk.owner.as_deref(), Some("team-c"));
    let db = inventory.service("datastore:artists-db").unwrap();
    assert_eq!(db.system.as_deref(), Some("artist-engagement-portal"));
    // Systems and domains all resolve; owners are groups this subset does not include: notices.
    assert!(dangling(&inventory).is_empty());
    assert_eq!(
        inventory
            .findings
            .iter()
            .filter(|f| f.code == "unknown-owner")
            .count(),
        20
    );
    // The consumer orders after the API, the API after its provider.
    let graph = DependencyGraph::from_inventory(&inventory);
    let order = graph.order();
    let wave_of = order.wave_of();
    assert!(wave_of["service:wayback-search"] > wave_of["api:wayback-archive"]);
    assert!(wave_of["api:wayback-archive"] > wave_of["service:wayback-archive"]);
}

#[test]
fn an_api_nobody_provides_is_a_finding() {
    let mut importer = ServiceImporter::new();
    importer
        .add_text(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: shop\nspec:\n  owner: team-a\n  consumesApis:\n    - payments\n",
            "catalog.yaml",
            Some(ServiceFormat::Backstage),
            false,
        )
        .unwrap();
    let inventory = importer.finish();
    assert_eq!(
        dangling(&inventory),
        [(
            "dangling-api".to_owned(),
            "catalog.yaml".to_owned(),
            Some(8)
        )]
    );
}

#[test]
fn services_csv_links_services_to_stores_to_tables() {
    // A CSV over the Sakila schema: a data store matched by connection name (schema `sakila`),
    // a service that writes it and reads one table directly.
    let mut inventory = common::import_scripts(
        migration_studio::import::Engine::Mysql,
        &[common::sample_file(
            "sakila-mysql-to-postgres/data/sakila-mv-schema.sql",
        )],
    );
    let mut importer = ServiceImporter::new();
    importer
        .add_text(
            "id,kind,owner,size,depends_on,writes,tables,connection\n\
             rental-db,datastore,dba-team,3GB,,,,sakila\n\
             rental-api,service,rentals-team,0,,rental-db,sakila.film,\n\
             web,service,,,rental-api,,,\n",
            "services.csv",
            Some(ServiceFormat::Csv),
            false,
        )
        .unwrap();
    let services = importer.into_inventory();
    inventory.services.extend(services.services);
    inventory.links.extend(services.links);
    migration_studio::inventory::resolve::resolve_links(&mut inventory);
    assert!(dangling(&inventory).is_empty(), "{:?}", inventory.findings);
    let contains = links_of(&inventory, LinkKind::Contains);
    assert_eq!(contains.len(), inventory.tables.len());
    assert!(links_of(&inventory, LinkKind::UsesTable)
        .contains(&("service:rental-api".into(), "table:sakila.film".into())));

    let graph = DependencyGraph::from_inventory(&inventory);
    let order = graph.order();
    let wave_of = order.wave_of();
    let last_table = inventory
        .tables
        .iter()
        .map(|t| wave_of[format!("table:{}", t.name).as_str()])
        .max()
        .unwrap();
    assert!(wave_of["datastore:rental-db"] > last_table);
    assert!(wave_of["service:rental-api"] > wave_of["datastore:rental-db"]);
    assert!(wave_of["service:web"] > wave_of["service:rental-api"]);

    // Blast radius of one table: the store holding it, the API using it, the web front.
    let film = graph.find("table:sakila.film").unwrap();
    let radius = graph.blast_radius(&[film]);
    for id in ["datastore:rental-db", "service:rental-api", "service:web"] {
        assert!(radius.affected.contains(&id.to_owned()), "{id}");
    }
    assert_eq!(radius.by_kind["datastore"], 1);
    assert_eq!(radius.by_kind["service"], 2);
    assert_eq!(radius.by_owner["rentals-team"], 1);
    assert_eq!(
        radius.by_owner["(no owner)"],
        1 + radius.by_kind["table"]
            + radius.by_kind.get("view").copied().unwrap_or(0)
            + radius.by_kind.get("trigger").copied().unwrap_or(0)
    );

    let rollup = graph.rollup(&order);
    let dba = rollup
        .by_owner
        .iter()
        .find(|g| g.key == "dba-team")
        .unwrap();
    assert_eq!(dba.bytes, 3_000_000_000);
    assert!(rollup.no_owner.contains(&"service:web".to_owned()));
    assert!(rollup.no_size.contains(&"service:web".to_owned()));
    assert!(!rollup.no_size.contains(&"service:rental-api".to_owned()));
}

#[test]
fn blast_radius_on_a_known_graph() {
    // db <- api <- web, api <- worker, db <- report; queue <- worker.
    let mut importer = ServiceImporter::new();
    importer
        .add_text(
            "id,kind,owner,calls,writes,reads,consumes\n\
             db,datastore,data,,,,\n\
             queue,queue,platform,,,,\n\
             api,service,team-a,,db,,\n\
             web,service,team-b,api,,,\n\
             worker,service,team-a,api,,,queue\n\
             report,job,,,,db,\n\
             lonely,service,team-c,,,,\n",
            "known.csv",
            None,
            false,
        )
        .unwrap();
    let inventory = importer.finish();
    let graph = DependencyGraph::from_inventory(&inventory);
    let db = graph.find("datastore:db").unwrap();
    let radius = graph.blast_radius(&[db]);
    assert_eq!(
        radius.affected,
        ["job:report", "service:api", "service:web", "service:worker"]
    );
    assert_eq!(
        radius.by_kind,
        BTreeMap::from([("job".into(), 1), ("service".into(), 3)])
    );
    assert_eq!(
        radius.by_owner,
        BTreeMap::from([
            ("(no owner)".into(), 1),
            ("team-a".into(), 2),
            ("team-b".into(), 1)
        ])
    );
    let queue = graph.find("queue:queue").unwrap();
    assert_eq!(graph.blast_radius(&[queue]).affected, ["service:worker"]);
    let lonely = graph.find("service:lonely").unwrap();
    assert!(graph.blast_radius(&[lonely]).affected.is_empty());
}

#[test]
fn service_cycles_are_broken_with_a_strategy_per_link_kind() {
    // orders calls payment, payment reads orders' store, which orders writes: a cycle
    // orders -> payment -> orders-db <- orders ... made a cycle by orders-db calling orders.
    let mut importer = ServiceImporter::new();
    importer
        .add_text(
            "id,kind,calls,writes,reads\n\
             orders,service,payment,,\n\
             payment,service,,ledger,\n\
             ledger,datastore,,,\n\
             audit,service,orders,,\n\
             reporting,service,,,orders\n",
            "cycle.csv",
            None,
            false,
        )
        .unwrap();
    let mut inventory = importer.finish();
    // Close a cycle: ledger calls audit (say, a trigger-like webhook).
    inventory.links.push(migration_studio::inventory::Link {
        from: "datastore:ledger".into(),
        to: "service:audit".into(),
        kind: LinkKind::Calls,
        derivation: "test".into(),
        source: "test".into(),
        line: None,
    });
    let graph = DependencyGraph::from_inventory(&inventory);
    let order = graph.order();
    assert_eq!(order.cycles.len(), 1);
    let cycle = &order.cycles[0];
    assert!(cycle.broken);
    assert_eq!(cycle.deferred.len(), 1);
    // The cheapest cut: every edge in this cycle is a call (anti-corruption layer, cost 2) but
    // payment -> ledger, a write (dual write, cost 3), which is kept.
    let cut = &cycle.deferred[0];
    assert_eq!(cut.kind, DependencyKind::Link(LinkKind::Calls));
    assert_eq!(
        cut.strategy,
        migration_studio::graph::BreakStrategy::AntiCorruptionLayer
    );
    let text = migration_studio::plan::Plan::build(&graph, &Default::default())
        .render_text("cycle", &graph);
    assert!(text.contains("anti-corruption layer"), "{text}");
    assert!(graph
        .artifacts()
        .all(|(_, a)| matches!(a.kind, ArtifactKind::Service(_))));
}

#[test]
fn a_yaml_bomb_is_refused_with_bounded_memory() {
    // The "billion laughs" in YAML: each level repeats the previous one 9 times; fully
    // expanded, level i has 9^i leaves (9^9 = 387,420,489 at the last level).
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut previous = 'a';
    for next in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
        let refs = vec![format!("*{previous}"); 9].join(",");
        bomb.push_str(&format!("{next}: &{next} [{refs}]\n"));
        previous = next;
    }
    bomb.push_str("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.yaml");
    std::fs::write(&path, &bomb).unwrap();
    let started = Instant::now();
    let error = ServiceImporter::new()
        .add_path(dir.path(), Path::new("bomb.yaml"), None)
        .unwrap_err();
    match &error {
        ServiceImportError::YamlAliasLimit { file, line, .. } => {
            assert_eq!(file, "bomb.yaml");
            assert!(*line >= 4 && *line <= 9, "line {line}");
        }
        other => panic!("expected the alias limit, got {other}"),
    }
    assert!(error.to_string().contains("bomb.yaml"));
    eprintln!("YAML bomb refused in {:?}", started.elapsed());

    // Deep nesting is refused, naming the file and line: block nesting by the loader's depth
    // limit, flow nesting (`[[[…`) already by the parser's own recursion limit.
    let deep: String = (0..1_000)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    std::fs::write(dir.path().join("deep.yaml"), deep).unwrap();
    let error = ServiceImporter::new()
        .add_path(dir.path(), Path::new("deep.yaml"), None)
        .unwrap_err();
    assert!(
        matches!(
            error,
            ServiceImportError::YamlTooDeep {
                line: 65,
                limit: 64,
                ..
            }
        ),
        "{error}"
    );
    let flow = "x: ".to_owned() + &"[".repeat(100_000) + &"]".repeat(100_000);
    std::fs::write(dir.path().join("flow.yaml"), flow).unwrap();
    let error = ServiceImporter::new()
        .add_path(dir.path(), Path::new("flow.yaml"), None)
        .unwrap_err();
    assert!(error.to_string().starts_with("flow.yaml:1: "), "{error}");
    let big = "# padding\n".repeat(2_000);
    std::fs::write(dir.path().join("big.yaml"), big).unwrap();
    let error = ServiceImporter::with_limits(YamlLimits {
        max_bytes: 1_000,
        ..YamlLimits::default()
    })
    .add_path(dir.path(), Path::new("big.yaml"), None)
    .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("big.yaml: 20000 bytes exceeds"),
        "{error}"
    );
}

#[test]
fn csv_errors_name_file_line_and_field() {
    let mut importer = ServiceImporter::new();
    let error = importer
        .add_text(
            "id,kind,size\nok,service,1GB\nbad,service,lots\n",
            "inv.csv",
            None,
            false,
        )
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "inv.csv:3: field `size`: `lots` is not a size (e.g. 1048576, 20GB, 1.5GiB, 512Mi)"
    );
    let error = ServiceImporter::new()
        .add_text("id,colour\nx,red\n", "inv.csv", None, false)
        .unwrap_err();
    assert!(error
        .to_string()
        .starts_with("inv.csv:1: field `colour`: unknown column"));
}

#[test]
fn csv_lines_are_right_after_crlf_endings_and_blank_lines() {
    // A spreadsheet's CSV: `\r\n` endings and a blank line; the bad row is on line 5.
    let text = "id,kind,size\r\nok,service,1GB\r\n\r\nstore,datastore,2GB\r\nbad,service,lots\r\n";
    let error = ServiceImporter::new()
        .add_text(text, "inv.csv", None, false)
        .unwrap_err();
    assert!(
        error.to_string().starts_with("inv.csv:5: field `size`"),
        "{error}"
    );
    // Malformed CSV (a cell too many) names its line too.
    let error = ServiceImporter::new()
        .add_text(
            "id,kind\r\nok,service\r\nbad,service,extra\r\n",
            "inv.csv",
            None,
            false,
        )
        .unwrap_err();
    assert!(error.to_string().starts_with("inv.csv:3:"), "{error}");
    // Without errors, each artifact's source line is its own line.
    let mut importer = ServiceImporter::new();
    importer
        .add_text(&text.replace("lots", "3GB"), "inv.csv", None, false)
        .unwrap();
    let inventory = importer.finish();
    let line_of = |id: &str| inventory.services.iter().find(|s| s.id == id).unwrap().line;
    assert_eq!(line_of("ok"), Some(2));
    assert_eq!(line_of("store"), Some(4));
    assert_eq!(line_of("bad"), Some(5));
}
