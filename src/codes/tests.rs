use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::*;
use crate::db::DbError;
use crate::project::ProjectError;
use crate::rehearsal::RehearsalError;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable source folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The string literals of `text` that look like codes (lower-case words joined by `-`).
fn kebab_literals(text: &str) -> Vec<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            s.contains('-')
                && s.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                && !s.starts_with('-')
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_codes_document_is_the_registry() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/CODES.md");
    let generated = markdown();
    if std::env::var_os("MIGRATION_STUDIO_WRITE_CODES").is_some() {
        std::fs::write(&path, &generated).expect("docs/CODES.md written");
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == generated,
        "docs/CODES.md differs from codes::markdown(); rewrite it with \
         MIGRATION_STUDIO_WRITE_CODES=1 cargo test --lib codes"
    );
}

#[test]
fn codes_are_unique_and_gates_are_found_by_their_labels() {
    let unique = |codes: Vec<&str>| {
        let set: BTreeSet<&str> = codes.iter().copied().collect();
        assert_eq!(set.len(), codes.len(), "duplicate in {codes:?}");
    };
    unique(GATES.iter().map(|g| g.code).collect());
    unique(GATES.iter().map(|g| g.name).collect());
    unique(FINDINGS.iter().map(|f| f.code).collect());
    unique(SUGGESTIONS.iter().map(|s| s.code).collect());
    for (i, g) in GATES.iter().enumerate() {
        assert_eq!(
            g.code,
            format!("G{:03}", i + 1),
            "gates are numbered in order"
        );
        assert_eq!(gate_for_label(g.name), Some(g));
        assert_eq!(gate(g.code), Some(g));
    }
    assert_eq!(
        gate_for_label("time of step `backfill`"),
        Some(&G007_STEP_TIME)
    );
    assert_eq!(gate_for_label("rows lost in transit"), None);
    assert_eq!(gate_for_label("timeless"), None);
    let mut exits: Vec<u8> = ErrorClass::ALL.iter().map(|c| c.exit_code()).collect();
    exits.push(0);
    let set: BTreeSet<u8> = exits.iter().copied().collect();
    assert_eq!(set.len(), exits.len(), "exit codes are distinct");
}

/// The codes given to [`crate::inventory::Finding`]s in the source: the code-like literals
/// between each `Finding {` or `finding(` and the severity that follows it.
#[test]
fn every_finding_code_the_import_emits_is_registered_and_every_registered_one_is_emitted() {
    let mut emitted = BTreeSet::new();
    for dir in ["import", "inventory", "project"] {
        for path in rust_files(&src().join(dir)) {
            let text = std::fs::read_to_string(&path).expect("readable source");
            for opener in ["Finding {", "finding("] {
                for (at, _) in text.match_indices(opener) {
                    let rest = &text[at..];
                    let Some(end) = rest.find("Severity::") else {
                        continue;
                    };
                    for code in kebab_literals(&rest[..end]) {
                        emitted.insert(code);
                    }
                }
            }
        }
    }
    emitted.insert(crate::import::ddl::UNPARSED_STATEMENT.to_owned());
    let registered: BTreeSet<String> = FINDINGS.iter().map(|f| f.code.to_owned()).collect();
    assert_eq!(
        emitted, registered,
        "finding codes in src vs codes::FINDINGS"
    );
}

#[test]
fn every_gate_the_rehearsal_checks_is_registered() {
    let mut labels = Vec::new();
    for path in rust_files(&src().join("rehearsal")) {
        let text = std::fs::read_to_string(&path).expect("readable source");
        for (at, _) in text.match_indices("GateResult::at_most(") {
            let rest = &text[at + "GateResult::at_most(".len()..];
            // The label is the first literal, possibly inside `format!(…)`.
            let label = rest.split('"').nth(1).expect("a label literal");
            labels.push(label.split('`').next().unwrap().trim().to_owned());
        }
    }
    assert!(labels.len() >= 8, "found {labels:?}");
    for label in &labels {
        assert!(
            gate_for_label(label).is_some(),
            "gate `{label}` has no code"
        );
    }
}

#[test]
fn every_validation_failure_code_is_registered_and_numbered_in_order() {
    for (i, v) in VALIDATION_FAILURES.iter().enumerate() {
        assert_eq!(v.code, format!("V{:03}", i + 1));
    }
    // Failure lines are written from the `code::` constants only.
    let text = std::fs::read_to_string(src().join("validate/changed.rs")).unwrap();
    for (at, _) in text.match_indices("failures.push(format!(") {
        let call = &text[at..at + text[at..].find(");").unwrap()];
        let used = call
            .split("code::")
            .nth(1)
            .expect("a failure line names its code");
        let name: String = used
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || *c == '_')
            .collect();
        assert!(
            text.contains(&format!("pub const {name}: &str = \"V")),
            "{name} is a V code"
        );
    }
}

#[test]
fn suggestion_keys_are_registered() {
    let text = std::fs::read_to_string(src().join("risk/suggest.rs")).unwrap();
    // Keys are `prefix:{…}` formats, or plain literals given as `key: "…"`.
    let mut keys = BTreeSet::new();
    for (at, _) in text.match_indices("format!(\"") {
        let before = text[..at].trim_end();
        if !(before.ends_with("key:") || before.ends_with("push(")) {
            continue;
        }
        let literal = text[at..].split('"').nth(1).unwrap();
        if let Some((prefix, rest)) = literal.split_once(':') {
            let word =
                !prefix.is_empty() && prefix.chars().all(|c| c.is_ascii_lowercase() || c == '-');
            if word && rest.starts_with('{') {
                keys.insert(prefix.to_owned());
            }
        }
    }
    for (at, _) in text.match_indices("key: \"") {
        let literal = text[at..].split('"').nth(1).unwrap();
        keys.insert(literal.to_owned());
    }
    let registered: BTreeSet<String> = SUGGESTIONS.iter().map(|s| s.code.to_owned()).collect();
    assert_eq!(keys, registered);
}

#[test]
fn verdicts_are_spelt_as_the_json_spells_them() {
    use crate::rehearsal::Verdict as R;
    use crate::validate::Verdict as V;
    let json = |v: serde_json::Value| v.as_str().unwrap().to_owned();
    let validation: Vec<String> = [V::Equal, V::Different, V::Violations, V::NotCompared]
        .into_iter()
        .map(|v| json(serde_json::to_value(v).unwrap()))
        .collect();
    let registered: Vec<&str> = VALIDATION_VERDICTS.iter().map(|v| v.code).collect();
    assert_eq!(validation, registered);
    let rehearsal: Vec<String> = [R::Pass, R::Fail]
        .into_iter()
        .map(|v| json(serde_json::to_value(v).unwrap()))
        .collect();
    let registered: Vec<&str> = REHEARSAL_VERDICTS.iter().map(|v| v.code).collect();
    assert_eq!(rehearsal, registered);
}

#[test]
fn errors_are_classed_through_boxes_and_sources() {
    let timeout = DbError::ConnectTimeout {
        url: "postgres://127.0.0.1:1/x".into(),
        seconds: 5.0,
    };
    assert_eq!(timeout.class(), ErrorClass::Unavailable);
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(RehearsalError::Db(timeout));
    assert_eq!(classify(&*boxed), ErrorClass::Unavailable);
    assert_eq!(classify(&*boxed).exit_code(), 3);

    let refused = DbError::Connect {
        url: "postgres://127.0.0.1:1/x".into(),
        source: sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
    };
    assert_eq!(refused.class(), ErrorClass::Unavailable);
    let guard = DbError::NotARehearsalTarget {
        url: "postgres://127.0.0.1/prod".into(),
    };
    assert_eq!(guard.class(), ErrorClass::BadInput);

    let manifest = ProjectError::Manifest {
        file: "migration-studio.toml".into(),
        line: Some(2),
        message: "unknown field".into(),
    };
    assert_eq!(classify(&manifest).exit_code(), 2);
    assert_eq!(
        classify(&NotPassed("validation verdict: DIFFERENT".into())).exit_code(),
        1
    );

    /// A wrapper the engine does not know, holding an engine error as its source.
    #[derive(Debug, thiserror::Error)]
    #[error("wrapped")]
    struct Wrapper(#[source] ProjectError);
    assert_eq!(
        classify(&Wrapper(ProjectError::NotAProject("x".into()))),
        ErrorClass::BadInput
    );
    let plain = std::io::Error::other("stdout closed");
    assert_eq!(classify(&plain), ErrorClass::Internal);
    let stopped = Interrupted {
        what: "rehearsal".into(),
        signal: "SIGTERM".into(),
        cleanup: String::new(),
    };
    assert_eq!(classify(&stopped).exit_code(), 130);
    assert_eq!(stopped.to_string(), "rehearsal interrupted by SIGTERM");
}

/// The orchestrator task codes are the ones the exports write.
#[test]
fn orchestrator_task_codes_are_the_exports_own() {
    let codes: Vec<&str> = ORCHESTRATOR_TASKS.iter().map(|t| t.code).collect();
    assert_eq!(
        codes,
        ["manual-step", "completed-<id>", "rollback_on_failure"]
    );
    assert_eq!(crate::export::orchestrator::MANUAL_STEP, "manual-step");
    let dag = include_str!("../export/airflow_dag.py");
    assert!(dag.contains("task_id=\"rollback_on_failure\""));
    let argo = include_str!("../export/argo.rs");
    assert!(argo.contains("format!(\"completed-{id}\")"));
}

/// Review findings are numbered in order; spec error codes are unique and the ones the spec
/// reader gives.
#[test]
fn mapping_codes_are_numbered_and_unique() {
    for (i, f) in REVIEW_FINDINGS.iter().enumerate() {
        assert_eq!(f.code, format!("M{:03}", i + 1));
        assert_eq!(review_finding(f.code), Some(f));
    }
    let codes: BTreeSet<&str> = SPEC_ERRORS.iter().map(|e| e.code).collect();
    assert_eq!(codes.len(), SPEC_ERRORS.len());
    let text = ["mapping/spec/mod.rs", "mapping/spec/table_split.rs"]
        .map(|f| std::fs::read_to_string(src().join(f)).unwrap())
        .concat();
    for e in SPEC_ERRORS {
        let constant = e
            .code
            .trim_start_matches("mapping-")
            .replace('-', "_")
            .to_uppercase();
        assert!(
            text.contains(&format!("error::{constant}")),
            "spec error {} is never given",
            e.code
        );
    }
}
