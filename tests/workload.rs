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

/// A MyISAM table (Sakila's `film_text`) keeps a row whose statement was rolled back while the
/// change capture's InnoDB changelog entry goes: its writes cannot be rehearsed against
/// trigger-based capture, so the workload leaves it alone. Both imports know its storage
/// engine.
#[tokio::test]
async fn the_workload_leaves_tables_without_transactions_alone() {
    let source = ScratchMaria::new("myisam");
    mariadb(
        &source.name,
        &[
            "-e",
            "CREATE TABLE note (id INT PRIMARY KEY, body VARCHAR(40) NOT NULL) ENGINE=MyISAM;
             CREATE TABLE item (id INT PRIMARY KEY, body VARCHAR(40) NOT NULL) ENGINE=InnoDB;
             INSERT INTO note VALUES (1, 'a'), (2, 'b'); INSERT INTO item VALUES (1, 'a'), (2, 'b')",
        ],
        None,
    );
    let inventory = import_live(Engine::Mysql, &source.url(), &[])
        .await
        .unwrap();
    let table = |name: &str| {
        inventory
            .tables
            .iter()
            .find(|t| t.name.name == name)
            .unwrap()
    };
    assert_eq!(table("note").storage_engine.as_deref(), Some("MyISAM"));
    assert!(!table("note").transactional());
    assert!(table("item").transactional());
    let ddl = common::import_scripts(Engine::Mysql, &common::sakila_scripts());
    let film_text = ddl
        .tables
        .iter()
        .find(|t| t.name.name == "film_text")
        .unwrap();
    assert_eq!(film_text.storage_engine.as_deref(), Some("MyISAM"));

    let db = connect(&source.url(), Access::ReadWrite, 2).await.unwrap();
    let memory = workload::burst(&db, &inventory, &[], 7, Default::default(), 200).await;
    assert_eq!(memory.first_error(), None);
    let note = mariadb(
        &source.name,
        &[
            "-N",
            "-B",
            "-e",
            "SELECT GROUP_CONCAT(id ORDER BY id), GROUP_CONCAT(body ORDER BY id) FROM note",
        ],
        None,
    );
    assert_eq!(note.trim(), "1,2\ta,b", "the MyISAM table was written");
    let item = mariadb(
        &source.name,
        &["-N", "-B", "-e", "SELECT COUNT(*) FROM item"],
        None,
    );
    assert_ne!(item.trim(), "2", "the InnoDB table was not written at all");
}
