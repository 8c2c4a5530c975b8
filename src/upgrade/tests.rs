//! The checks on catalog answers as two servers give them, including answers the machine's own
//! servers cannot give (a collation version that changed, an extension missing).

use super::*;

fn collation(name: &str, version: Option<&str>) -> Collation {
    Collation {
        name: name.into(),
        provider: "icu".into(),
        locale: "und".into(),
        version: version.map(str::to_owned),
    }
}

fn setting(name: &str, default: &str) -> Setting {
    Setting {
        name: name.into(),
        default: default.into(),
        source: "default".into(),
    }
}

/// What the PostgreSQL 15 (ICU 72) and 17 (ICU 76) images answer for an index on a text
/// column under `und-x-icu`.
fn facts() -> Facts {
    Facts {
        source_version: "15.20 (Debian 15.20-0+deb12u1)".into(),
        target_version: "17.12 (Debian 17.12-0+deb13u1)".into(),
        source_extensions: vec![
            ("plpgsql".into(), "1.0".into()),
            ("hstore".into(), "1.8".into()),
            ("postgis".into(), "3.3.2".into()),
        ],
        target_extensions: vec![
            ("plpgsql".into(), "1.0".into()),
            ("hstore".into(), "1.8".into()),
        ],
        indexes: vec![
            CollatedIndex {
                index: "public.film_title_icu".into(),
                table: "public.film".into(),
                collation: "und-x-icu".into(),
                rows: 1_000,
            },
            CollatedIndex {
                index: "public.idx_title".into(),
                table: "public.film".into(),
                collation: "default".into(),
                rows: 1_000,
            },
        ],
        source_collations: vec![
            collation("und-x-icu", Some("153.120")),
            Collation {
                name: "default".into(),
                provider: "libc".into(),
                locale: "C.UTF-8".into(),
                version: None,
            },
        ],
        target_collations: vec![
            collation("und-x-icu", Some("153.128")),
            Collation {
                name: "default".into(),
                provider: "libc".into(),
                locale: "C.UTF-8".into(),
                version: None,
            },
        ],
        unpinned_functions: vec![("public.last_day".into(), "public.idx_due".into())],
        source_settings: vec![
            setting("work_mem", "4096"),
            setting("old_snapshot_threshold", "-1"),
        ],
        target_settings: vec![setting("work_mem", "4096")],
        ..Facts::default()
    }
}

#[test]
fn a_collation_version_change_names_its_indexes_and_calls_for_a_reindex() {
    let facts = facts();
    let findings = check(&facts);
    let u003 = findings
        .iter()
        .find(|f| f.code == U003_COLLATION_VERSION)
        .expect("U003");
    assert_eq!(
        u003.objects,
        ["public.film_title_icu"],
        "only the ICU index"
    );
    assert!(u003.message.contains("153.120") && u003.message.contains("153.128"));
    let steps = steps(&facts, &findings, 200_000.0);
    assert_eq!(steps.len(), 1);
    assert_eq!(
        steps[0].sql,
        [
            "REINDEX INDEX CONCURRENTLY \"public\".\"film_title_icu\"",
            "ALTER COLLATION \"und-x-icu\" REFRESH VERSION"
        ]
    );
    assert!((steps[0].expected_seconds - 0.005).abs() < 1e-9);
}

#[test]
fn equal_versions_call_for_nothing() {
    let mut facts = facts();
    facts.target_collations[0].version = Some("153.120".into());
    let findings = check(&facts);
    assert!(findings.iter().all(|f| f.code != U003_COLLATION_VERSION));
    assert!(steps(&facts, &findings, 200_000.0).is_empty());
}

#[test]
fn extensions_settings_and_search_paths_are_found() {
    let mut facts = facts();
    facts.target_extensions[1].1 = "1.9".into();
    let findings = check(&facts);
    let codes: Vec<&str> = findings.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, ["U001", "U002", "U003", "U005", "U006"]);
    assert_eq!(findings[0].objects, ["postgis 3.3.2"]);
    assert_eq!(findings[1].objects, ["hstore"]);
    assert_eq!(findings[4].objects, ["old_snapshot_threshold"]);
    assert_eq!(
        findings[4].severity,
        Severity::Notice,
        "left at its default"
    );
    // 15 -> 16 does not cross 17's safe search_path.
    facts.target_version = "16.4".into();
    assert!(check(&facts).iter().all(|f| f.code != "U005"));
}

#[test]
fn every_code_is_registered() {
    let mut facts = facts();
    facts.target_collations.remove(0);
    facts.target_settings[0].default = "8192".into();
    facts.target_extensions[1].1 = "1.9".into();
    for f in check(&facts) {
        assert!(
            crate::codes::upgrade_finding(&f.code).is_some(),
            "{} is not in codes::UPGRADE_FINDINGS",
            f.code
        );
    }
}
