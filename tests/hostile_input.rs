//! Input written by a careless or hostile hand (issue 15): special files in a services folder,
//! loose CSV quoting, unclosed SQL comments, misplaced manifest keys, control characters in names,
//! oversized statements. Each is refused (or skipped and reported) naming the file and line, and
//! a refused import changes nothing.

use std::path::Path;

use migration_studio::project::{Project, ProjectError, MANIFEST_FILE};

const HEAD: &str = "name = \"hostile\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\n\n[source]\nengine = \"mysql\"\n\n[target]\nengine = \"postgres\"\n";

/// A project in `dir` whose manifest is [`HEAD`] then `inputs`, with `files` written under it.
fn project_with(dir: &Path, inputs: &str, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    std::fs::write(dir.join(MANIFEST_FILE), format!("{HEAD}{inputs}")).unwrap();
}

#[test]
fn an_unknown_key_in_one_input_names_that_inputs_line() {
    let dir = tempfile::tempdir().unwrap();
    // Lines 10-11: the first input; 13-15: the second, whose `bogus` key is on line 15.
    project_with(
        dir.path(),
        "[[inputs]]\npath = \"a.sql\"\n\n[[inputs]]\npath = \"b.sql\"\nbogus = 1\n",
        &[("a.sql", ""), ("b.sql", "")],
    );
    let error = Project::open(dir.path()).expect_err("refused");
    assert!(
        matches!(&error, ProjectError::Manifest { line: Some(15), message, .. } if message.contains("bogus")),
        "{error:?}"
    );

    // A key of another kind of input, and an input of no kind, name their own entry too.
    project_with(
        dir.path(),
        "[[inputs]]\npath = \"a.sql\"\n\n[[inputs]]\nservices = \"svc\"\nurl_env = \"X\"\n\n[[inputs]]\nengine = \"mysql\"\n",
        &[],
    );
    let error = Project::open(dir.path()).expect_err("refused");
    assert!(
        matches!(&error, ProjectError::Manifest { line: Some(15), message, .. } if message.contains("url_env")),
        "{error:?}"
    );
    project_with(
        dir.path(),
        "[[inputs]]\npath = \"a.sql\"\n\n[[inputs]]\nengine = \"mysql\"\n",
        &[],
    );
    let error = Project::open(dir.path()).expect_err("refused");
    assert!(
        matches!(&error, ProjectError::Manifest { line: Some(13), message, .. } if message.contains("`path`")),
        "{error:?}"
    );
}
