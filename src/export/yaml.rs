//! YAML for the orchestrator exports, written from a serde value so that every reader reads the
//! same values: YAML 1.2 and YAML 1.1 readers (Kubernetes' and PyYAML, where a plain `yes`, `on`,
//! `2001-12-14` or `1:20` is a boolean, a date or a number) alike.
//!
//! A string is plain only when it starts with a letter, holds only letters, digits, spaces and
//! `. _ / ( ) @ , + -`, does not end with a space and is not one of the words YAML 1.1 reads as
//! a boolean or null (`y`, `no`, `on`, `null`…, in any case); any other string is double-quoted
//! with JSON's escapes, which YAML's double-quoted style shares. Mappings and sequences are in
//! block style, two spaces per level, keys in the order the value has them (a struct's field
//! order: the value is `serde_yaml_ng`'s, whose mappings keep it).

use serde::Serialize;
use serde_yaml_ng::Value;

/// Words a YAML 1.1 reader takes for a boolean or null, compared in lower case.
const RESERVED: [&str; 11] = [
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf",
];

fn plain(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || " ._/()@,+-".contains(c))
        && !text.ends_with(' ')
        && !RESERVED.contains(&text.to_ascii_lowercase().as_str())
}

fn string(text: &str, out: &mut String) {
    if plain(text) {
        out.push_str(text);
    } else {
        // A JSON string is a YAML double-quoted scalar.
        out.push_str(&serde_json::Value::String(text.to_owned()).to_string());
    }
}

fn scalar(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => string(s, out),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
        Value::Sequence(_) => out.push_str("[]"),
        Value::Mapping(_) => out.push_str("{}"),
        Value::Tagged(tagged) => scalar(&tagged.value, out),
    }
}

fn is_block(value: &Value) -> bool {
    match value {
        Value::Sequence(items) => !items.is_empty(),
        Value::Mapping(map) => !map.is_empty(),
        _ => false,
    }
}

/// Writes the entries of a non-empty mapping or sequence, the first line already indented (after
/// `- ` for a sequence item), the others at `indent` spaces.
fn block(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Mapping(map) => {
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(&pad);
                }
                scalar(key, out);
                out.push(':');
                entry(item, indent, out);
            }
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(&pad);
                }
                out.push('-');
                if is_block(item) {
                    if item.is_sequence() {
                        // A sequence in a sequence starts on its own line.
                        out.push('\n');
                        out.push_str(&" ".repeat(indent + 2));
                    } else {
                        out.push(' ');
                    }
                    block(item, indent + 2, out);
                } else {
                    out.push(' ');
                    scalar(item, out);
                    out.push('\n');
                }
            }
        }
        _ => {
            scalar(value, out);
            out.push('\n');
        }
    }
}

/// The value of a mapping entry, after `key:`.
fn entry(item: &Value, indent: usize, out: &mut String) {
    match item {
        Value::Mapping(_) if is_block(item) => {
            out.push('\n');
            out.push_str(&" ".repeat(indent + 2));
            block(item, indent + 2, out);
        }
        // Sequences under a key at the key's own indentation, as kubectl writes them.
        Value::Sequence(_) if is_block(item) => {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            block(item, indent, out);
        }
        _ => {
            out.push(' ');
            scalar(item, out);
            out.push('\n');
        }
    }
}

/// `value` as a YAML document.
///
/// # Errors
/// When serde cannot represent `value`.
pub fn to_yaml(value: &impl Serialize) -> Result<String, serde_yaml_ng::Error> {
    let value = serde_yaml_ng::to_value(value)?;
    let mut out = String::new();
    if is_block(&value) {
        block(&value, 0, &mut out);
    } else {
        scalar(&value, &mut out);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risky_scalars_are_quoted_and_safe_ones_plain() {
        let words = [
            "yes",
            "No",
            "ON",
            "y",
            "null",
            "~",
            "2001-12-14",
            "1:20",
            "1_000",
            "0x1F",
            "<<",
            "=",
            "",
            " lead",
            "trail ",
            "a: b",
            "a #b",
            "{{x}}",
            "S001",
            "Migration lead",
            "sakila.actor",
            "--tables",
            "line\nbreak",
            "é",
        ];
        let out = to_yaml(&words.to_vec()).unwrap();
        assert_eq!(
            out,
            "- \"yes\"\n- \"No\"\n- \"ON\"\n- \"y\"\n- \"null\"\n- \"~\"\n- \"2001-12-14\"\n- \"1:20\"\n\
             - \"1_000\"\n- \"0x1F\"\n- \"<<\"\n- \"=\"\n- \"\"\n- \" lead\"\n- \"trail \"\n- \"a: b\"\n\
             - \"a #b\"\n- \"{{x}}\"\n- S001\n- Migration lead\n- sakila.actor\n- \"--tables\"\n\
             - \"line\\nbreak\"\n- \"é\"\n"
        );
    }

    #[test]
    fn nesting() {
        let value: Value =
            serde_yaml_ng::from_str("{a: {b: [1, {c: d, e: []}], f: {}}, g: [[1, 2], true, null]}")
                .unwrap();
        assert_eq!(
            to_yaml(&value).unwrap(),
            "a:\n  b:\n  - 1\n  - c: d\n    e: []\n  f: {}\ng:\n-\n  - 1\n  - 2\n- true\n- null\n"
        );
    }
}
