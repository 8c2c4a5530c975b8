//! A transaction that commits long after it took its changelog sequence number (a slow commit
//! on a loaded machine) is applied when it commits, though the catch-up had moved past its
//! number; until then the applier's floor stays below it, so a validation pinned there
//! compares that row again.

mod common;

use common::{capture_pair, mariadb, psql, CapturePair};
use migration_studio::db::Pool;
use migration_studio::rehearsal::capture::Applier;

#[tokio::test]
async fn a_change_committed_after_the_catch_up_moved_past_its_number_is_applied() {
    let CapturePair {
        source,
        target,
        from,
        to,
        routes,
    } = capture_pair("cap_late").await;

    // The slow transaction takes sequence number 1 and stays open.
    let Pool::Mysql(pool) = &from.pool else {
        unreachable!("a MariaDB source")
    };
    let mut slow = pool.begin().await.unwrap();
    sqlx::query("UPDATE item SET label = 'late' WHERE id = 1")
        .execute(&mut *slow)
        .await
        .unwrap();
    // Another one takes number 2 and commits.
    mariadb(
        &source.name,
        &["-e", "UPDATE item SET label = 'b2' WHERE id = 2"],
        None,
    );
    // Older than the in-flight allowance: the catch-up takes the gap for a rollback.
    tokio::time::sleep(std::time::Duration::from_millis(2_300)).await;
    let mut applier = Applier {
        from: from.clone(),
        to: to.clone(),
        routes,
        applied: 0,
        run_id: "late".into(),
        policy: Default::default(),
        refused: 0,
        converted: Default::default(),
        skipped: Default::default(),
    };
    applier.apply(1_000).await.unwrap();
    assert_eq!(applier.applied, 2, "the position moved past the gap");
    assert_eq!(applier.floor(), 0, "but nothing below 1 is known applied");
    let rows = || {
        psql(
            &target.name,
            &[
                "-At",
                "-c",
                "SELECT string_agg(id || '=' || label, ',' ORDER BY id) FROM item",
            ],
            None,
        )
        .trim()
        .to_owned()
    };
    assert_eq!(rows(), "1=a,2=b2,3=c");

    slow.commit().await.unwrap();
    applier.apply(1_000).await.unwrap();
    assert_eq!(rows(), "1=late,2=b2,3=c", "the late commit is applied");
    assert_eq!(applier.floor(), 2, "nothing is looked for any more");
    assert!(applier.skipped.is_empty());
    from.close().await;
    to.close().await;
}

/// MariaDB fails a write that runs while a capture trigger is created on its table with
/// "1146 table `…_migration_studio_changelog` doesn't exist", though the changelog exists
/// (MDEV-26048): that error, as the server words it, is taken for a transient one, repeated
/// rather than counted against the rehearsal; any other missing table is not.
#[tokio::test]
async fn the_missing_changelog_of_a_trigger_being_created_is_transient() {
    use migration_studio::backfill::retry::is_transient;
    use migration_studio::db::{connect, Access};
    let scratch = common::ScratchMaria::new("mdev26048");
    let db = connect(&scratch.url(), Access::ReadWrite, 1).await.unwrap();
    let changelog = db
        .execute(
            "INSERT INTO _migration_studio_changelog (tbl) VALUES (1)",
            &[],
            "a workload write",
        )
        .await
        .unwrap_err();
    assert!(is_transient(&changelog), "{changelog}");
    let other = db
        .execute(
            "INSERT INTO orders (id) VALUES (1)",
            &[],
            "a workload write",
        )
        .await
        .unwrap_err();
    assert!(!is_transient(&other), "{other}");
    db.close().await;
}
