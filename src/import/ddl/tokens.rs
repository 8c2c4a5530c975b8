//! Facts read from a statement's token stream when the statement as a whole is beyond what
//! `sqlparser` parses: trigger bodies (MySQL `BEGIN … END`, SQLite triggers), PL/pgSQL function
//! bodies, and PostgreSQL's `ALTER TABLE … ATTACH PARTITION`.
//!
//! The tokens come from `sqlparser`'s own tokenizer, so strings, comments and quoted identifiers
//! are handled exactly as the parser would.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer, Word};

use crate::import::dialect::Engine;

/// A possibly qualified name as written: each part with whether it was quoted.
pub(crate) type RawName = Vec<(String, bool)>;

/// What a `CREATE TRIGGER` statement says.
#[derive(Debug, Default)]
pub(crate) struct TriggerFacts {
    pub name: RawName,
    pub table: RawName,
    /// Tables the body writes (INSERT INTO, UPDATE, DELETE FROM targets).
    pub writes: Vec<RawName>,
    /// Function the trigger executes (PostgreSQL `EXECUTE FUNCTION f()`).
    pub executes: Option<RawName>,
}

/// Significant tokens of `text` (no whitespace or comments). `None` if the text does not tokenize.
pub(crate) fn significant(text: &str, engine: Engine) -> Option<Vec<Token>> {
    let dialect = engine.sql_dialect();
    let tokens = Tokenizer::new(dialect.as_ref(), text).tokenize().ok()?;
    Some(
        tokens
            .into_iter()
            .filter(|t| !matches!(t, Token::Whitespace(_) | Token::EOF))
            .collect(),
    )
}

fn is_kw(token: Option<&Token>, keyword: Keyword) -> bool {
    matches!(token, Some(Token::Word(w)) if w.keyword == keyword && w.quote_style.is_none())
}

/// Reads a dotted name starting at `*i`, advancing past it.
fn read_name(tokens: &[Token], i: &mut usize) -> Option<RawName> {
    let mut parts = Vec::new();
    while let Some(Token::Word(Word {
        value, quote_style, ..
    })) = tokens.get(*i)
    {
        parts.push((value.clone(), quote_style.is_some()));
        *i += 1;
        if matches!(tokens.get(*i), Some(Token::Period)) {
            *i += 1;
        } else {
            break;
        }
    }
    (!parts.is_empty()).then_some(parts)
}

/// Tables written by data-changing statements anywhere in `tokens`.
pub(crate) fn written_tables(tokens: &[Token], engine: Engine) -> Vec<RawName> {
    let mut writes = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let target_at = if is_kw(tokens.get(i), Keyword::INSERT)
            || is_kw(tokens.get(i), Keyword::REPLACE)
        {
            let mut j = i + 1;
            if is_kw(tokens.get(j), Keyword::IGNORE) {
                j += 1;
            }
            is_kw(tokens.get(j), Keyword::INTO).then_some(j + 1)
        } else if is_kw(tokens.get(i), Keyword::DELETE) {
            is_kw(tokens.get(i + 1), Keyword::FROM).then_some(i + 2)
        } else if is_kw(tokens.get(i), Keyword::UPDATE) {
            // `BEFORE UPDATE ON t` / `AFTER INSERT OR UPDATE OF c` describe events, not writes.
            let event = matches!(
                tokens.get(i + 1),
                Some(Token::Word(w)) if matches!(w.keyword, Keyword::ON | Keyword::OF | Keyword::OR)
            );
            (!event).then_some(i + 1)
        } else {
            None
        };
        if let Some(mut j) = target_at {
            if is_kw(tokens.get(j), Keyword::ONLY) {
                j += 1;
            }
            if let Some(name) = read_name(tokens, &mut j) {
                writes.push(name);
            }
        }
        if let Some(Token::DollarQuotedString(body)) = tokens.get(i) {
            if let Some(inner) = significant(&body.value, engine) {
                writes.extend(written_tables(&inner, engine));
            }
        }
        i += 1;
    }
    writes
}

/// Reads `CREATE [OR REPLACE] [DEFINER=…] TRIGGER name … ON table … body`.
pub(crate) fn trigger(tokens: &[Token], engine: Engine) -> Option<TriggerFacts> {
    let at = tokens
        .iter()
        .position(|t| matches!(t, Token::Word(w) if w.keyword == Keyword::TRIGGER))?;
    let mut i = at + 1;
    if is_kw(tokens.get(i), Keyword::IF) {
        i += 3;
    }
    let name = read_name(tokens, &mut i)?;
    let on = (i..tokens.len()).find(|&k| is_kw(tokens.get(k), Keyword::ON))?;
    let mut j = on + 1;
    let table = read_name(tokens, &mut j)?;
    let body = &tokens[j..];
    let executes = body
        .iter()
        .position(|t| matches!(t, Token::Word(w) if w.keyword == Keyword::EXECUTE))
        .and_then(|k| {
            let mut m = j + k + 1;
            if is_kw(tokens.get(m), Keyword::FUNCTION) || is_kw(tokens.get(m), Keyword::PROCEDURE) {
                m += 1;
            }
            read_name(tokens, &mut m)
        });
    Some(TriggerFacts {
        name,
        table,
        writes: written_tables(body, engine),
        executes,
    })
}

/// Reads `CREATE [OR REPLACE] FUNCTION|PROCEDURE name` and the tables its body writes.
pub(crate) fn routine(tokens: &[Token], engine: Engine) -> Option<(RawName, Vec<RawName>)> {
    let at = tokens.iter().position(|t| {
        matches!(t, Token::Word(w) if matches!(w.keyword, Keyword::FUNCTION | Keyword::PROCEDURE))
    })?;
    let mut i = at + 1;
    let name = read_name(tokens, &mut i)?;
    Some((name, written_tables(&tokens[i..], engine)))
}

/// Reads PostgreSQL's `ALTER TABLE [ONLY] parent ATTACH PARTITION child …`.
pub(crate) fn attach_partition(tokens: &[Token]) -> Option<(RawName, RawName)> {
    if !is_kw(tokens.first(), Keyword::ALTER) || !is_kw(tokens.get(1), Keyword::TABLE) {
        return None;
    }
    let mut i = 2;
    if is_kw(tokens.get(i), Keyword::ONLY) {
        i += 1;
    }
    let parent = read_name(tokens, &mut i)?;
    if !(is_kw(tokens.get(i), Keyword::ATTACH) && is_kw(tokens.get(i + 1), Keyword::PARTITION)) {
        return None;
    }
    i += 2;
    let child = read_name(tokens, &mut i)?;
    Some((parent, child))
}

/// Reads psql's `COPY name [(columns)] FROM stdin` and returns the table.
pub(crate) fn copy_from_stdin(tokens: &[Token]) -> Option<RawName> {
    if !is_kw(tokens.first(), Keyword::COPY) {
        return None;
    }
    let mut i = 1;
    read_name(tokens, &mut i)
}

/// Splits PostgreSQL's `CREATE SCHEMA name CREATE TABLE … CREATE VIEW …` into the schema name
/// and its elements, each as (1-based line within `text`, element text). `None` when the
/// statement has no elements.
pub(crate) fn schema_elements(
    text: &str,
    engine: Engine,
) -> Option<(RawName, Vec<(usize, String)>)> {
    let dialect = engine.sql_dialect();
    let tokens = Tokenizer::new(dialect.as_ref(), text)
        .tokenize_with_location()
        .ok()?;
    let significant: Vec<_> = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
        .collect();
    let plain: Vec<Token> = significant.iter().map(|t| t.token.clone()).collect();
    if !(is_kw(plain.first(), Keyword::CREATE) && is_kw(plain.get(1), Keyword::SCHEMA)) {
        return None;
    }
    let mut i = 2;
    if is_kw(plain.get(i), Keyword::IF) {
        i += 3;
    }
    let name = read_name(&plain, &mut i)?;
    let mut depth = 0i32;
    let mut starts = Vec::new();
    for (k, token) in plain.iter().enumerate().skip(i) {
        match token {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            Token::Word(w)
                if depth == 0 && w.keyword == Keyword::CREATE && w.quote_style.is_none() =>
            {
                starts.push(significant[k].span.start)
            }
            _ => {}
        }
    }
    if starts.is_empty() {
        return None;
    }
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let offset = |line: u64, column: u64| -> usize {
        let start = line_starts[(line as usize).saturating_sub(1).min(line_starts.len() - 1)];
        text[start..]
            .char_indices()
            .nth((column as usize).saturating_sub(1))
            .map_or(text.len(), |(i, _)| start + i)
    };
    let offsets: Vec<usize> = starts.iter().map(|l| offset(l.line, l.column)).collect();
    let elements = offsets
        .iter()
        .enumerate()
        .map(|(k, &start)| {
            let end = offsets.get(k + 1).copied().unwrap_or(text.len());
            (starts[k].line as usize, text[start..end].to_owned())
        })
        .collect();
    Some((name, elements))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(name: &RawName) -> String {
        name.iter()
            .map(|(v, _)| v.as_str())
            .collect::<Vec<_>>()
            .join(".")
    }

    #[test]
    fn mysql_trigger_body_writes() {
        let sql = "CREATE TRIGGER `ins_film` AFTER INSERT ON `film` FOR EACH ROW BEGIN\n INSERT INTO film_text (film_id) VALUES (new.film_id);\n UPDATE film_text SET title = 'x';\nEND";
        let t = trigger(&significant(sql, Engine::Mysql).unwrap(), Engine::Mysql).unwrap();
        assert_eq!(plain(&t.name), "ins_film");
        assert_eq!(plain(&t.table), "film");
        assert_eq!(
            t.writes.iter().map(plain).collect::<Vec<_>>(),
            ["film_text", "film_text"]
        );
    }

    #[test]
    fn postgres_trigger_executes_function() {
        let sql = "CREATE TRIGGER last_updated BEFORE UPDATE ON public.actor FOR EACH ROW EXECUTE FUNCTION public.last_updated()";
        let t = trigger(
            &significant(sql, Engine::Postgres).unwrap(),
            Engine::Postgres,
        )
        .unwrap();
        assert_eq!(plain(&t.table), "public.actor");
        assert!(t.writes.is_empty());
        assert_eq!(plain(t.executes.as_ref().unwrap()), "public.last_updated");
    }

    #[test]
    fn create_schema_elements_are_split_at_top_level_create() {
        let sql =
            "CREATE SCHEMA Person\n  CREATE TABLE a (x int DEFAULT (1))\n  CREATE TABLE b (y int)";
        let (name, elements) = schema_elements(sql, Engine::Postgres).unwrap();
        assert_eq!(plain(&name), "Person");
        assert_eq!(elements.len(), 2);
        assert_eq!(elements[1].0, 3);
        assert_eq!(elements[1].1.trim(), "CREATE TABLE b (y int)");
    }

    #[test]
    fn attach_partition_names_parent_and_child() {
        let sql = "ALTER TABLE ONLY public.payment ATTACH PARTITION public.payment_p2022_01 FOR VALUES FROM ('a') TO ('b')";
        let (p, c) = attach_partition(&significant(sql, Engine::Postgres).unwrap()).unwrap();
        assert_eq!(
            (plain(&p), plain(&c)),
            ("public.payment".into(), "public.payment_p2022_01".into())
        );
    }
}
