//! The rehearsal's workload writes as an application does for as long as a rehearsal lasts,
//! resumed or not, without failing on its own account: a narrow generated key (Sakila's
//! `staff_id` is `TINYINT UNSIGNED AUTO_INCREMENT`) is never driven past its type's range.

mod common;

use common::{mariadb, ScratchMaria};
use migration_studio::db::{connect, Access};
use migration_studio::import::{live::import_live, Engine};
use migration_studio::rehearsal::workload;

#[tokio::test]
async fn a_long_workload_leaves_a_narrow_generated_key_room() {
    let source = ScratchMaria::new("narrow_key");
    mariadb(
        &source.name,
        &["-e", "CREATE TABLE staff (staff_id TINYINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, first_name VARCHAR(45) NOT NULL); INSERT INTO staff (first_name) VALUES ('Mike'), ('Jon')"],
        None,
    );
    let inventory = import_live(Engine::Mysql, &source.url(), &[])
        .await
        .unwrap();
    let db = connect(&source.url(), Access::ReadWrite, 2).await.unwrap();
    // Two processes one after the other, as a killed and resumed rehearsal runs it: the second
    // starts with no memory of the keys the first took.
    let mut stats = Vec::new();
    for seed in [7, 8] {
        let memory = workload::burst(&db, &inventory, &[], seed, Default::default(), 1_500).await;
        assert_eq!(memory.first_error(), None);
        stats.push(memory.stats());
    }
    let highest: i64 = mariadb(
        &source.name,
        &["-e", "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'staff'"],
        None,
    )
    .trim()
    .parse()
    .unwrap();
    assert!(highest <= 255, "the generator reached {highest}");
    // It went on writing: updates once the inserts stopped short of the range.
    for s in &stats {
        assert_eq!(s.errors, 0);
        assert!(s.inserts > 0 || s.key_changes > 0 || s.updates > 0);
        assert!(s.updates > 0);
    }
    assert!(stats[0].inserts > 50);
    db.close().await;
}
