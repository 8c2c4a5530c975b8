//! The docker provider, for real: throwaway containers through the Docker Engine API.
//!
//! `.ci/run` starts Debian's dockerd on a private socket, exports `DOCKER_HOST`, builds the
//! database images from Debian packages (`migration-studio images build`) and sets
//! `MIGRATION_STUDIO_REQUIRE_DOCKER=1`, so there these tests cannot pass by skipping. Elsewhere
//! they say why they skip when no daemon answers.

mod common;

use common::sample;
use migration_studio::project::Project;
use migration_studio::rehearsal::provider::docker::{leftover_containers, DockerProvider};
use migration_studio::rehearsal::{
    self, ImageOverrides, Provider, ProviderChoice, ProviderError, RehearsalError,
    RehearsalOptions, Side, Verdict,
};

async fn docker_or_skip() -> Option<DockerProvider> {
    match DockerProvider::connect(ImageOverrides::default()).await {
        Ok(d) => Some(d),
        Err(e) if std::env::var_os("MIGRATION_STUDIO_REQUIRE_DOCKER").is_some() => {
            panic!("MIGRATION_STUDIO_REQUIRE_DOCKER is set but {e}")
        }
        Err(e) => {
            eprintln!("skipped: {e}");
            None
        }
    }
}

fn docker_options() -> RehearsalOptions {
    RehearsalOptions {
        provider: ProviderChoice::Docker,
        workload_rate: 40.0,
        post_cutover_seconds: 2.0,
        ..RehearsalOptions::default()
    }
}

/// No container of run `id` exists any more, running or stopped.
async fn no_container_of(id: &str) {
    let run = id.replace('-', "_").replace('_', "-");
    let left: Vec<String> = leftover_containers()
        .await
        .unwrap()
        .into_iter()
        .filter(|name| name.contains(&run))
        .collect();
    assert!(left.is_empty(), "containers left behind: {left:?}");
}

#[tokio::test]
async fn sakila_rehearsal_passes_in_throwaway_containers_and_leaves_none() {
    let Some(_docker) = docker_or_skip().await else {
        return;
    };
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let project = Project::open(&root).unwrap();
    let options = RehearsalOptions {
        run_id: Some(rehearsal::new_run_id()),
        ..docker_options()
    };
    let report = rehearsal::rehearse(&project, &options).await.unwrap();
    assert_eq!(report.provider, "docker");
    assert_eq!(report.verdict, Verdict::Pass, "{:?}", report.failed_because);
    assert_eq!(report.source_rows, 47_273);
    assert_eq!(report.mismatched_rows, 0, "mismatched rows after catch-up");
    assert!(report.workload_target.writes() > 0);
    assert_eq!(
        report.rollback_mismatched_rows, 0,
        "every post-cutover write is in the source after the rollback drill"
    );
    assert!(report
        .steps
        .iter()
        .any(|s| s.name == "provision containers"));
    no_container_of(&report.id).await;
}

#[tokio::test]
async fn containers_listen_on_loopback_and_clean_up_finds_them_by_run() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let run = rehearsal::new_run_id().replace('-', "_");
    let side = |engine, version: &str| Side {
        engine,
        version: Some(version.into()),
    };
    let env = docker
        .provision(
            &run,
            &side(migration_studio::import::Engine::Mysql, "10.11"),
            &side(migration_studio::import::Engine::Postgres, "15"),
        )
        .await
        .unwrap();
    assert_eq!(env.containers().len(), 2);
    for url in [&env.source_url, &env.target_url] {
        assert!(url.contains("@127.0.0.1:"), "published on loopback only");
    }
    // What a rehearsal does after Ctrl-C or a crash: find the run's containers by label.
    docker.clean_up(&run).await;
    no_container_of(&run).await;
}

#[tokio::test]
async fn a_missing_image_is_refused_by_name_and_nothing_is_left() {
    let Some(_docker) = docker_or_skip().await else {
        return;
    };
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let project = Project::open(&root).unwrap();
    let options = RehearsalOptions {
        run_id: Some(rehearsal::new_run_id()),
        images: ImageOverrides {
            source: None,
            target: Some("localhost/no-such-image:0".into()),
        },
        ..docker_options()
    };
    let err = rehearsal::rehearse(&project, &options).await.unwrap_err();
    match &err {
        RehearsalError::Provider(ProviderError::NoImage { tried, .. }) => {
            assert!(tried.contains("localhost/no-such-image:0"), "{err}");
        }
        other => panic!("expected NoImage, got {other}"),
    }
    assert!(err.to_string().contains("migration-studio images build"));
    no_container_of(options.run_id.as_deref().unwrap()).await;
}

/// Pagila's manifest says PostgreSQL 15 → 17: the docker provider runs the two versions, the
/// report says which ran, and the upgrade checks read both catalogs. An index on a text column
/// under ICU's root collation is planted in the source: ICU's collation version differs between
/// the two images (bookworm's ICU 72, trixie's ICU 76), so the index must be named for a rebuild
/// and the runbook must gain its REINDEX.
#[tokio::test]
async fn pagila_upgrades_from_15_to_17_in_containers_with_its_upgrade_findings() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let (_dir, root) = sample("pagila-postgres-upgrade");
    let project = Project::open(&root).unwrap();
    let (source, target) = rehearsal::sides(&project);
    for (role, side) in [("source", &source), ("target", &target)] {
        if let Err(e) = docker.present_image(role, side).await {
            if std::env::var_os("MIGRATION_STUDIO_REQUIRE_DOCKER").is_some() {
                panic!("MIGRATION_STUDIO_REQUIRE_DOCKER is set but {e}");
            }
            eprintln!("skipped: {e}");
            return;
        }
    }
    std::fs::write(
        root.join("data/plant-icu-index.sql"),
        "CREATE INDEX film_title_icu ON public.film (title COLLATE \"und-x-icu\");\n",
    )
    .unwrap();
    let manifest = root.join("migration-studio.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text + "\n[[inputs]]\npath = \"data/plant-icu-index.sql\"\n",
    )
    .unwrap();
    let project = Project::open(&root).unwrap();
    let options = RehearsalOptions {
        run_id: Some(rehearsal::new_run_id()),
        ..docker_options()
    };
    let report = rehearsal::rehearse(&project, &options).await.unwrap();
    assert_eq!(report.verdict, Verdict::Pass, "{:?}", report.failed_because);
    let (source_version, target_version) = &report.server_versions;
    assert!(source_version.starts_with("15."), "{source_version}");
    assert!(target_version.starts_with("17."), "{target_version}");
    assert!(
        report.version_mismatches.is_empty(),
        "{:?}",
        report.version_mismatches
    );
    let codes: Vec<&str> = report
        .upgrade_findings
        .iter()
        .map(|f| f.code.as_str())
        .collect();
    let u003 = report
        .upgrade_findings
        .iter()
        .find(|f| f.code == "U003")
        .unwrap_or_else(|| panic!("no collation finding in {codes:?}"));
    assert_eq!(u003.objects, ["public.film_title_icu"]);
    assert!(
        codes.contains(&"U006"),
        "17 removed parameters 15 has: {codes:?}"
    );
    let step = report
        .upgrade_steps
        .iter()
        .find(|s| s.code == "U003")
        .expect("a reindex step");
    assert_eq!(
        step.sql[0],
        "REINDEX INDEX CONCURRENTLY \"public\".\"film_title_icu\""
    );
    assert!(
        step.estimate_basis.contains("1000 rows"),
        "{}",
        step.estimate_basis
    );
    let md = rehearsal::report::markdown(&report);
    assert!(
        md.contains("### Upgrade findings") && md.contains("REINDEX INDEX"),
        "{md}"
    );
    // The plan now carries what this rehearsal read, and its runbook the REINDEX.
    let planned = migration_studio::workspace::plan::planned(
        &project,
        migration_studio::workspace::calibrate::Calibrate::Estimates,
    )
    .await
    .unwrap();
    let upgrade = planned.plan.upgrade.as_ref().expect("an upgrade's plan");
    assert_eq!(upgrade.rehearsal.as_deref(), Some(report.id.as_str()));
    assert!(planned
        .plan
        .steps
        .iter()
        .any(|s| s.finding.as_deref() == Some("U003") && s.statements.first() == step.sql.first()));
    no_container_of(&report.id).await;
}

/// A manifest version no image provides is refused before anything starts, naming the field
/// and the images there are, rather than rehearsed on another version.
#[tokio::test]
async fn a_version_without_an_image_names_the_manifest_field_and_the_versions_present() {
    let Some(_docker) = docker_or_skip().await else {
        return;
    };
    let (_dir, root) = sample("pagila-postgres-upgrade");
    let manifest = root.join("migration-studio.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("version = \"17\"", "version = \"13\""),
    )
    .unwrap();
    let project = Project::open(&root).unwrap();
    let options = RehearsalOptions {
        run_id: Some(rehearsal::new_run_id()),
        ..docker_options()
    };
    let err = rehearsal::rehearse(&project, &options).await.unwrap_err();
    let text = err.to_string();
    match &err {
        RehearsalError::Provider(ProviderError::NoImage { version, .. }) => {
            assert_eq!(version, "13");
        }
        other => panic!("expected NoImage, got {other}"),
    }
    assert!(text.contains("the manifest's `[target] version`"), "{text}");
    assert!(text.contains("migration-studio-postgres:15"), "{text}");
    no_container_of(options.run_id.as_deref().unwrap()).await;
}
