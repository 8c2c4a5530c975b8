//! Bounded YAML loading: a small tree with real line numbers, built from `saphyr-parser`'s event
//! stream with every limit enforced here, before memory is spent.
//!
//! `saphyr-parser` (the maintained successor of `yaml-rust`) only produces events; it never
//! expands aliases itself. This loader expands them and is where the limits live:
//!
//! - **size**: a file larger than [`YamlLimits::max_bytes`] is refused before it is read;
//! - **depth**: nesting deeper than [`YamlLimits::max_depth`] is refused when the parser opens
//!   the collection that crosses it;
//! - **aliases**: an alias copies its anchored node; the nodes and scalar bytes added by copies
//!   are counted *before* copying and refused past [`YamlLimits::max_alias_nodes`] /
//!   [`YamlLimits::max_alias_bytes`] (the copy kept for an anchor counts too). A "billion laughs" document is therefore refused after at
//!   most that much work, with memory bounded by the file size plus those budgets.
//!
//! Scalars are kept as text (Kubernetes and compose files quote numbers inconsistently, and the
//! importers only compare names); plain `~`, `null`, `Null`, `NULL` and empty plain scalars are
//! [`YamlValue::Null`].

use std::collections::HashMap;
use std::path::Path;

use saphyr_parser::{Event, Parser, ScalarStyle};

use super::error::ServiceImportError;
use crate::import::files::{read_limited, Links, ReadError};

/// Limits applied to one YAML file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YamlLimits {
    /// Largest file accepted, in bytes. Default 8 MiB (Online Boutique's all-in-one release
    /// manifest is 23 KB; Sock Shop's is 18 KB).
    pub max_bytes: u64,
    /// Deepest nesting of sequences and mappings accepted. Default 64 (Kubernetes manifests
    /// nest about 12 deep).
    pub max_depth: usize,
    /// Most nodes that alias expansion may add to a file. Default 100,000.
    pub max_alias_nodes: usize,
    /// Most scalar bytes that alias expansion may add to a file. Default 4 MiB.
    pub max_alias_bytes: usize,
}

impl Default for YamlLimits {
    fn default() -> Self {
        Self {
            max_bytes: 8 * 1024 * 1024,
            max_depth: 64,
            max_alias_nodes: 100_000,
            max_alias_bytes: 4 * 1024 * 1024,
        }
    }
}

/// A YAML value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum YamlValue {
    /// `null`, `~` or an empty plain scalar.
    Null,
    /// Any other scalar, as written (numbers and booleans included).
    Scalar(String),
    /// A sequence.
    Sequence(Vec<Yaml>),
    /// A mapping, entries in document order.
    Mapping(Vec<(Yaml, Yaml)>),
}

/// A YAML node and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Yaml {
    /// The value.
    pub value: YamlValue,
    /// 1-based line of the node's first character in its file.
    pub line: usize,
}

static NULL: Yaml = Yaml {
    value: YamlValue::Null,
    line: 0,
};

impl Yaml {
    /// The value under `key` of a mapping (compared as text), or `None`.
    pub fn get(&self, key: &str) -> Option<&Yaml> {
        match &self.value {
            YamlValue::Mapping(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Walks `path` through nested mappings; a missing step gives a null node (line 0).
    pub fn at(&self, path: &[&str]) -> &Yaml {
        let mut node = self;
        for key in path {
            match node.get(key) {
                Some(next) => node = next,
                None => return &NULL,
            }
        }
        node
    }

    /// The scalar text, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            YamlValue::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The items of a sequence; empty for anything else.
    pub fn items(&self) -> &[Yaml] {
        match &self.value {
            YamlValue::Sequence(items) => items,
            _ => &[],
        }
    }

    /// The entries of a mapping; empty for anything else.
    pub fn entries(&self) -> &[(Yaml, Yaml)] {
        match &self.value {
            YamlValue::Mapping(entries) => entries,
            _ => &[],
        }
    }

    /// Whether this is a mapping.
    pub fn is_mapping(&self) -> bool {
        matches!(self.value, YamlValue::Mapping(_))
    }

    /// Whether this is null (or missing, for nodes returned by [`Yaml::at`]).
    pub fn is_null(&self) -> bool {
        matches!(self.value, YamlValue::Null)
    }

    /// Nodes and scalar bytes in this subtree (what copying it costs).
    fn weight(&self) -> (usize, usize) {
        match &self.value {
            YamlValue::Null => (1, 0),
            YamlValue::Scalar(s) => (1, s.len()),
            YamlValue::Sequence(items) => items.iter().fold((1, 0), |(n, b), i| {
                let (n2, b2) = i.weight();
                (n + n2, b + b2)
            }),
            YamlValue::Mapping(entries) => entries.iter().fold((1, 0), |(n, b), (k, v)| {
                let (n1, b1) = k.weight();
                let (n2, b2) = v.weight();
                (n + n1 + n2, b + b1 + b2)
            }),
        }
    }
}

/// Reads `path` (named `file` in errors) within `limits` and parses every document in it.
///
/// # Errors
/// [`ServiceImportError::Read`], [`ServiceImportError::NotUtf8`], and the YAML errors of
/// [`parse_documents`].
pub fn load_file(
    path: &Path,
    file: &str,
    limits: &YamlLimits,
) -> Result<Vec<Yaml>, ServiceImportError> {
    let text = read_bounded(path, file, limits.max_bytes, Links::Follow)?;
    parse_documents(&text, file, limits)
}

/// Reads a regular text file of at most `max_bytes`, refusing a larger one before reading it
/// and anything but a regular file before opening it.
///
/// # Errors
/// [`ServiceImportError::TooLarge`], [`ServiceImportError::Read`], [`ServiceImportError::NotUtf8`].
pub fn read_bounded(
    path: &Path,
    file: &str,
    max_bytes: u64,
    links: Links,
) -> Result<String, ServiceImportError> {
    let bytes = read_limited(path, links, max_bytes).map_err(|e| match e {
        ReadError::Io(source) => ServiceImportError::Read {
            file: file.to_owned(),
            source,
        },
        ReadError::TooLarge { bytes, limit } => ServiceImportError::TooLarge {
            file: file.to_owned(),
            bytes,
            limit,
        },
    })?;
    String::from_utf8(bytes).map_err(|e| ServiceImportError::NotUtf8 {
        file: file.to_owned(),
        offset: e.utf8_error().valid_up_to(),
    })
}

enum Frame {
    Sequence {
        items: Vec<Yaml>,
        line: usize,
        anchor: usize,
    },
    Mapping {
        entries: Vec<(Yaml, Yaml)>,
        key: Option<Yaml>,
        line: usize,
        anchor: usize,
    },
}

/// Parses every document of `text` (named `file` in errors) within `limits`. Empty documents
/// are skipped.
///
/// # Errors
/// [`ServiceImportError::TooLarge`], [`ServiceImportError::YamlSyntax`],
/// [`ServiceImportError::YamlTooDeep`], [`ServiceImportError::YamlAliasLimit`],
/// [`ServiceImportError::YamlUnknownAlias`], each naming `file` and the line.
pub fn parse_documents(
    text: &str,
    file: &str,
    limits: &YamlLimits,
) -> Result<Vec<Yaml>, ServiceImportError> {
    if text.len() as u64 > limits.max_bytes {
        return Err(ServiceImportError::TooLarge {
            file: file.to_owned(),
            bytes: text.len() as u64,
            limit: limits.max_bytes,
        });
    }
    let mut documents = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, (Yaml, (usize, usize))> = HashMap::new();
    let mut copied = (0usize, 0usize);
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| ServiceImportError::YamlSyntax {
            file: file.to_owned(),
            line: e.marker().line(),
            message: e.info().to_owned(),
        })?;
        let line = span.start.line();
        let done: Option<Yaml> = match event {
            Event::DocumentStart(_) => {
                anchors.clear();
                None
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= limits.max_depth {
                    return Err(ServiceImportError::YamlTooDeep {
                        file: file.to_owned(),
                        line,
                        limit: limits.max_depth,
                    });
                }
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::Sequence {
                        items: Vec::new(),
                        line,
                        anchor,
                    }
                } else {
                    Frame::Mapping {
                        entries: Vec::new(),
                        key: None,
                        line,
                        anchor,
                    }
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match stack.pop() {
                    Some(Frame::Sequence {
                        items,
                        line,
                        anchor,
                    }) => (
                        Yaml {
                            value: YamlValue::Sequence(items),
                            line,
                        },
                        anchor,
                    ),
                    Some(Frame::Mapping {
                        entries,
                        line,
                        anchor,
                        ..
                    }) => (
                        Yaml {
                            value: YamlValue::Mapping(entries),
                            line,
                        },
                        anchor,
                    ),
                    None => continue,
                };
                if anchor != 0 {
                    // Keeping the anchored copy costs as much as an alias copy does.
                    let weight = node.weight();
                    charge(&mut copied, weight, limits, file, line)?;
                    anchors.insert(anchor, (node.clone(), weight));
                }
                Some(node)
            }
            Event::Scalar(value, style, anchor, _) => {
                let is_null = style == ScalarStyle::Plain
                    && matches!(value.as_ref(), "" | "~" | "null" | "Null" | "NULL");
                let node = Yaml {
                    value: if is_null {
                        YamlValue::Null
                    } else {
                        YamlValue::Scalar(value.into_owned())
                    },
                    line,
                };
                if anchor != 0 {
                    anchors.insert(anchor, (node.clone(), node.weight()));
                }
                Some(node)
            }
            Event::Alias(id) => {
                let Some((target, (nodes, bytes))) = anchors.get(&id) else {
                    return Err(ServiceImportError::YamlUnknownAlias {
                        file: file.to_owned(),
                        line,
                    });
                };
                // Count before copying: the copy is what a YAML bomb multiplies.
                charge(&mut copied, (*nodes, *bytes), limits, file, line)?;
                let mut copy = target.clone();
                copy.line = line;
                Some(copy)
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => None,
        };
        let Some(node) = done else { continue };
        match stack.last_mut() {
            None => {
                if !node.is_null() {
                    documents.push(node);
                }
            }
            Some(Frame::Sequence { items, .. }) => items.push(node),
            Some(Frame::Mapping { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }
    Ok(documents)
}

/// Adds a copy of `weight` (nodes, scalar bytes) to the running total, refusing past the limits.
fn charge(
    copied: &mut (usize, usize),
    weight: (usize, usize),
    limits: &YamlLimits,
    file: &str,
    line: usize,
) -> Result<(), ServiceImportError> {
    copied.0 = copied.0.saturating_add(weight.0);
    copied.1 = copied.1.saturating_add(weight.1);
    if copied.0 > limits.max_alias_nodes || copied.1 > limits.max_alias_bytes {
        return Err(ServiceImportError::YamlAliasLimit {
            file: file.to_owned(),
            line,
            nodes: limits.max_alias_nodes,
            bytes: limits.max_alias_bytes,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_real_and_documents_split() {
        let docs = parse_documents(
            "a: 1\nb:\n  - x\n  - y\n---\nkind: Service\n",
            "t.yaml",
            &YamlLimits::default(),
        )
        .unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].get("b").unwrap().items()[1].line, 4);
        assert_eq!(docs[1].get("kind").unwrap().as_str(), Some("Service"));
        assert_eq!(docs[1].get("kind").unwrap().line, 6);
    }

    #[test]
    fn depth_is_bounded() {
        let text = "[".repeat(200) + &"]".repeat(200);
        let err = parse_documents(&text, "deep.yaml", &YamlLimits::default()).unwrap_err();
        assert!(
            matches!(err, ServiceImportError::YamlTooDeep { .. }),
            "{err}"
        );
    }

    #[test]
    fn aliases_expand_within_budget() {
        let docs = parse_documents(
            "base: &b {image: redis}\nuse: *b\n",
            "t.yaml",
            &YamlLimits::default(),
        )
        .unwrap();
        assert_eq!(docs[0].at(&["use", "image"]).as_str(), Some("redis"));
    }
}
