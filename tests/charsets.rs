//! Text beyond Latin-1 into a MySQL target whose database defaults to `latin1` (MariaDB's
//! compiled-in default before 11.6, and what many older servers still run): the tables the copy
//! creates say `utf8mb4` themselves, so every character arrives and validates equal, none
//! refused and none turned into `?`.

mod common;

use common::{mariadb, psql, ScratchMaria, ScratchPg};

#[test]
fn text_beyond_latin1_arrives_whole_in_a_latin1_mysql_database() {
    let ddl = "CREATE TABLE note (id integer PRIMARY KEY, body text NOT NULL);\n";
    let source = ScratchPg::new("charset_src");
    psql(&source.name, &[], Some(ddl));
    psql(
        &source.name,
        &[
            "-c",
            "INSERT INTO note VALUES (1, 'plain'), (2, 'Ünïcødé ß'), (3, '😀 emoji, 4 bytes'), \
             (4, '中文 한국어 日本語'), (5, E'tab\\there, newline\\nthere'), (6, '')",
        ],
        None,
    );
    let target = ScratchMaria::new("charset_tgt");
    mariadb(
        "mysql",
        &[
            "-e",
            &format!(
                "ALTER DATABASE `{}` CHARACTER SET latin1 COLLATE latin1_swedish_ci",
                target.name
            ),
        ],
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("charsets");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("schema.sql"), ddl).unwrap();
    std::fs::write(
        root.join("migration-studio.toml"),
        "name = \"charsets\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\n\n\
         [source]\nengine = \"postgres\"\n\n[target]\nengine = \"mysql\"\n\n\
         [[inputs]]\npath = \"schema.sql\"\n",
    )
    .unwrap();
    let out = common::between(
        "backfill",
        &root,
        &source.url(),
        &target.url(),
        &["--create-tables", "--mark-rehearsal-target", "--json"],
    );
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rejected: u64 = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["rejected"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(rejected, 0, "{report:#}");
    let emoji = mariadb(
        &target.name,
        &["-e", "SELECT HEX(body) FROM note WHERE id = 3"],
        None,
    );
    assert_eq!(emoji.trim(), "F09F988020656D6F6A692C2034206279746573");
    let out = common::between("validate", &root, &source.url(), &target.url(), &["--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(report["verdict"], "equal", "{report:#}");
}
