//! The upgrade checks' catalog reading on the machine's MariaDB: a scratch database with keys
//! and indexes over text under its default and an explicit collation, read as source and target
//! at once (one server: nothing differs), then with the target's answers changed as a newer
//! server gives them (11.5's uca1400_ai_ci default, a collation it lacks, a removed variable, a
//! changed default).

mod common;

use common::{mariadb, ScratchMaria};
use migration_studio::db::{self, Access};
use migration_studio::upgrade::{self, catalog};

#[tokio::test]
async fn mariadb_catalogs_give_collations_defaults_and_variables_to_the_checks() {
    let scratch = ScratchMaria::new("upgrade_catalogs");
    mariadb(
        &scratch.name,
        &[
            "-e",
            "CREATE TABLE film (film_id INT PRIMARY KEY, title VARCHAR(100) CHARACTER SET utf8mb4, \
             code VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci, year INT, \
             KEY idx_title (title), UNIQUE KEY uq_code (code), KEY idx_year (year)); \
             INSERT INTO film VALUES (1, 'Academy Dinosaur', 'AD', 2006)",
        ],
        None,
    );
    let db = db::connect(&scratch.url(), Access::ReadOnly, 1)
        .await
        .expect("connect");
    let facts = catalog::read(&db, &db).await.expect("catalogs read");
    db.close().await;

    assert!(facts.mariadb(), "{}", facts.source_version);
    let index = |name: &str| {
        facts
            .indexes
            .iter()
            .find(|i| i.index == format!("{}.film.{name}", scratch.name))
            .unwrap_or_else(|| panic!("{name} in {:?}", facts.indexes))
    };
    let default_utf8mb4 = facts
        .source_default_collations
        .iter()
        .find(|(c, _)| c == "utf8mb4")
        .map(|(_, c)| c.clone())
        .expect("utf8mb4 has a default collation");
    assert_eq!(index("idx_title").collation, default_utf8mb4);
    assert_eq!(index("uq_code").collation, "utf8mb4_unicode_ci");
    assert!(
        facts
            .indexes
            .iter()
            .all(|i| !i.index.ends_with(".idx_year") && !i.index.ends_with(".PRIMARY")),
        "integer keys have no collation: {:?}",
        facts.indexes
    );
    assert!(facts
        .source_settings
        .iter()
        .any(|s| s.name == "innodb_buffer_pool_size"));
    assert!(
        facts
            .source_settings
            .iter()
            .any(|s| s.name == "explicit_defaults_for_timestamp" && s.source == "default"),
        "compiled-in defaults read as such"
    );
    // One server on both sides: nothing moved.
    assert!(
        upgrade::check(&facts).is_empty(),
        "{:?}",
        upgrade::check(&facts)
    );

    // The target as a MariaDB 11.8 answers: uca1400_ai_ci by default, no utf8mb4_unicode_ci
    // (simulated), innodb_change_buffering gone (11.0), another default for a variable.
    let mut newer = facts.clone();
    newer.target_version = "11.8.3-MariaDB-0+deb13u1".into();
    for (charset, collation) in &mut newer.target_default_collations {
        if charset == "utf8mb4" {
            *collation = "utf8mb4_uca1400_ai_ci".into();
        }
    }
    newer
        .target_collations
        .retain(|c| c.name != "utf8mb4_unicode_ci");
    newer
        .target_settings
        .retain(|s| s.name != "innodb_change_buffering");
    let changed = newer
        .target_settings
        .iter_mut()
        .find(|s| s.name == "innodb_buffer_pool_size")
        .unwrap();
    changed.default = format!("{}0", changed.default);
    let findings = upgrade::check(&newer);
    let codes: Vec<&str> = findings.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, ["U004", "U006", "U007", "U009"]);
    let by = |code: &str| findings.iter().find(|f| f.code == code).unwrap();
    assert_eq!(
        by("U004").objects,
        [format!("{}.film.uq_code", scratch.name)]
    );
    assert_eq!(by("U006").objects, ["innodb_change_buffering"]);
    assert!(
        by("U006").message.contains("do not exist in MariaDB 11.8"),
        "{}",
        by("U006").message
    );
    assert!(by("U007").objects[0].starts_with("innodb_buffer_pool_size: "));
    assert_eq!(
        by("U009").objects,
        [format!("{}.film.idx_title", scratch.name)]
    );
    assert!(by("U009").message.contains("utf8mb4_uca1400_ai_ci"));
    // No REINDEX: MariaDB's collation rules are in their names, not a library version.
    assert!(upgrade::steps(&newer, &findings, 200_000.0).is_empty());
    for f in &findings {
        assert!(migration_studio::codes::upgrade_finding(&f.code).is_some());
    }
}
