//! Text beyond Latin-1 into a MySQL target whose database defaults to `latin1` (MariaDB's
//! compiled-in default before 11.6, and what many older servers still run): the tables the copy
//! creates say `utf8mb4` themselves, so every character arrives and validates equal, none
//! refused and none turned into `?`. A spec that casts text into a narrower character set
//! (`latin1`, `utf8mb3`) is review finding M020, whose data pass counts exactly the rows the
//! target then refuses.

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

/// PostgreSQL → MariaDB with `title` cast to `CHARACTER SET latin1` (Windows-1252: `€`, `Œ`
/// and accents fit; `Ł`, CJK and emoji do not) and `body` to `utf8mb3` (no emoji): M020 for
/// each, the data pass's counts equal to the rows the backfill then rejects, each kept with
/// the target's reason; the rows that fit arrive byte for byte.
#[test]
fn text_cast_into_a_narrower_character_set_is_found_counted_and_refused_as_counted() {
    let ddl = "CREATE TABLE note (id integer PRIMARY KEY, title varchar(40) NOT NULL, body text NOT NULL);\n";
    let source = ScratchPg::new("narrow_src");
    psql(&source.name, &[], Some(ddl));
    psql(
        &source.name,
        &[
            "-c",
            "INSERT INTO note VALUES (1, 'plain', 'plain'), (2, 'café crème', 'ok'), \
             (3, '5 € Œuvre', 'ok'), (4, 'Łódź', 'ok'), (5, 'ok', '😀 emoji'), \
             (6, '中文', '中文 fits utf8mb3'), (7, 'ok', 'ok')",
        ],
        None,
    );
    let target = ScratchMaria::new("narrow_tgt");
    let dir = tempfile::tempdir().unwrap();
    let root = common::ddl_project(dir.path(), "narrow", ("postgres", "mysql"), ddl, true);
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_migration-studio"))
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            out.stdout,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let spec = root.join("mapping.toml");
    let text: Vec<String> = std::fs::read_to_string(&spec)
        .unwrap()
        .lines()
        .map(|l| match l {
            l if l.starts_with("title = ") => r#"title = { type = "varchar(40) CHARACTER SET latin1", reason = "the old reporting tool reads latin1", author = "ana" }"#.to_owned(),
            l if l.starts_with("body = ") => r#"body = { type = "text CHARACTER SET utf8mb3", reason = "as the other tables", author = "ana" }"#.to_owned(),
            l => l.to_owned(),
        })
        .collect();
    std::fs::write(&spec, text.join("\n") + "\n").unwrap();

    let (code, stdout, err) = cli(&[
        "mapping",
        "review",
        root.to_str().unwrap(),
        "--source-url",
        &source.url(),
        "--json",
    ]);
    assert_eq!(code, Some(1), "M020 is an error: {err}");
    let review: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    let mut found: Vec<(String, u64, Vec<String>)> = review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "M020")
        .map(|f| {
            (
                f["column"].as_str().unwrap().to_owned(),
                f["data"]["rows"].as_u64().unwrap(),
                f["data"]["examples"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e.as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("body".to_owned(), 1, vec!["id 5".to_owned()]),
            (
                "title".to_owned(),
                2,
                vec!["id 4".to_owned(), "id 6".to_owned()]
            ),
        ]
    );

    let out = common::between(
        "backfill",
        &root,
        &source.url(),
        &target.url(),
        &["--create-tables", "--mark-rehearsal-target", "--json"],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(report["tables"][0]["rejected"], 3, "{report:#}");
    assert_eq!(report["tables"][0]["rows"], 4, "{report:#}");
    let arrived = mariadb(
        &target.name,
        &[
            "-N",
            "-B",
            "-e",
            "SELECT id, HEX(CONVERT(title USING utf8mb4)) FROM note ORDER BY id",
        ],
        None,
    );
    let expected: Vec<String> = [(1, "plain"), (2, "café crème"), (3, "5 € Œuvre"), (7, "ok")]
        .iter()
        .map(|(id, t)| {
            format!(
                "{id}\t{}",
                t.bytes().map(|b| format!("{b:02X}")).collect::<String>()
            )
        })
        .collect();
    assert_eq!(arrived.trim(), expected.join("\n"));
}

/// The data pass's MySQL condition for each narrower character set, run on real MariaDB over
/// a utf8mb4 column: it picks exactly the values the set cannot hold.
#[test]
fn the_mysql_condition_finds_the_characters_each_set_lacks() {
    use migration_studio::import::Engine;
    use migration_studio::mapping::charset::Repertoire;
    let db = ScratchMaria::new("charset_cond");
    mariadb(
        &db.name,
        &[
            "--default-character-set=utf8mb4",
            "-e",
            "CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(40) CHARACTER SET utf8mb4);
             INSERT INTO t VALUES (1, 'plain'), (2, 'café'), (3, '5 €'), (4, 'Łódź'),
             (5, '中文'), (6, '😀'), (7, NULL), (8, 'what?')",
        ],
        None,
    );
    for (repertoire, ids) in [
        (Repertoire::Ascii, "2,3,4,5,6"),
        (Repertoire::Latin1, "4,5,6"),
        (Repertoire::Utf8mb3, "6"),
    ] {
        let condition = repertoire.outside_sql(Engine::Mysql, "`s`").unwrap();
        let found = mariadb(
            &db.name,
            &[
                "-N",
                "-B",
                "-e",
                &format!("SELECT GROUP_CONCAT(id ORDER BY id) FROM t WHERE {condition}"),
            ],
            None,
        );
        assert_eq!(found.trim(), ids, "{repertoire:?}");
    }
}
