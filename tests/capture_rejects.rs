//! A captured change the other side refuses does not stop the catch-up: it is kept in the
//! reject table with the reason, and every other change of the pass is applied.

mod common;

use common::{capture_pair, mariadb, psql, CapturePair};
use migration_studio::rehearsal::capture::Applier;

#[tokio::test]
async fn a_refused_change_is_kept_with_its_reason_and_the_rest_applied() {
    let CapturePair {
        source,
        target,
        from,
        to,
        routes,
    } = capture_pair("cap_rej").await;
    mariadb(
        &source.name,
        &[
            "-e",
            "UPDATE item SET label = 'a2' WHERE id = 1; \
                 INSERT INTO item VALUES (4, CONCAT('nul', CHAR(0), 'byte')); \
                 UPDATE item SET label = 'c2' WHERE id = 3; DELETE FROM item WHERE id = 2",
        ],
        None,
    );
    let mut applier = Applier {
        from: from.clone(),
        to: to.clone(),
        routes,
        applied: 0,
        run_id: "cap".into(),
        policy: Default::default(),
        refused: 0,
        converted: Default::default(),
        skipped: Default::default(),
    };
    let applied = applier
        .apply(1_000)
        .await
        .expect("the pass goes on past the refusal");
    assert_eq!(applied.rejected, 1);
    assert_eq!(applier.refused, 1);
    assert!(
        applier.applied > 0,
        "the position moved past the refused change"
    );
    let rows = psql(
        &target.name,
        &[
            "-At",
            "-c",
            "SELECT string_agg(id || '=' || label, ',' ORDER BY id) FROM item",
        ],
        None,
    );
    assert_eq!(rows.trim(), "1=a2,3=c2");
    let kept = psql(
        &target.name,
        &[
            "-At",
            "-F",
            "|",
            "-c",
            "SELECT table_name, row_key, reason FROM _migration_studio_reject WHERE run_id = 'cap'",
        ],
        None,
    );
    let kept = kept.trim();
    assert!(
        kept.contains("item (change capture)|[{\"t\":\"Int\",\"v\":4}]|"),
        "{kept}"
    );
    assert!(kept.contains("0x00"), "the target's reason: {kept}");
    from.close().await;
    to.close().await;
}
