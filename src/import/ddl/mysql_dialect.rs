//! MySQL dialect with the column attributes real dumps use and `sqlparser` does not read yet.
//!
//! Oracle's Sakila declares `password VARCHAR(40) BINARY`, the legacy MySQL spelling of a
//! binary collation (MySQL 8.0 reference, §13.3.1 "String Data Type Syntax"). sqlparser 0.59
//! rejects it and a few more column attributes of MySQL's `column_definition` grammar (§15.1.20
//! "CREATE TABLE Statement"): `CHARSET x` (the synonym of `CHARACTER SET x`), `ZEROFILL`,
//! `COLUMN_FORMAT`, `STORAGE`, `[IN]VISIBLE`, `ENGINE_ATTRIBUTE`, `SERIAL DEFAULT VALUE`, the
//! `KEY` / `UNIQUE KEY` spellings of the column keys, a `COMMENT` in double quotes, MariaDB's `PERSISTENT`,
//! `COMPRESSED`, `[WITH|WITHOUT] SYSTEM VERSIONING` and `REF_SYSTEM_ID`, and the multi-word type
//! names (`NATIONAL VARCHAR(n)`, `LONG VARCHAR`, `CHAR(n) BYTE`, `… ASCII`). This dialect wraps
//! [`MySqlDialect`] (the wrapping pattern sqlparser documents for `Dialect::dialect`) and reads
//! them in its column-option hook, and `CAST(x AS CHAR CHARACTER SET cs)` in its prefix hook;
//! everything else is delegated unchanged.
//!
//! A type name's later words arrive in that hook after sqlparser has read the first word as a
//! type (`NATIONAL`, `LONG`, `CHAR(3)`), so they come back as a dialect-specific option made of
//! the words themselves, and [`normalize_type`] puts the type together again as MySQL itself
//! reports it (`information_schema.COLUMNS`), so the DDL and live imports agree.

use sqlparser::ast::{CastKind, ColumnOption, Expr, Ident, ObjectName, Statement};
use sqlparser::dialect::{Dialect, MySqlDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// [`MySqlDialect`] plus the column attributes listed in the module documentation.
#[derive(Debug)]
pub struct MySqlDumpDialect(MySqlDialect);

impl Default for MySqlDumpDialect {
    fn default() -> Self {
        Self(MySqlDialect {})
    }
}

macro_rules! delegate_flags {
    ($($name:ident),* $(,)?) => {
        $(fn $name(&self) -> bool { self.0.$name() })*
    };
}

impl Dialect for MySqlDumpDialect {
    fn dialect(&self) -> std::any::TypeId {
        self.0.dialect()
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        self.0.is_identifier_start(ch)
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        self.0.is_identifier_part(ch)
    }

    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        self.0.is_delimited_identifier_start(ch)
    }

    fn identifier_quote_style(&self, identifier: &str) -> Option<char> {
        self.0.identifier_quote_style(identifier)
    }

    delegate_flags!(
        supports_string_literal_backslash_escape,
        supports_string_literal_concatenation,
        ignores_wildcard_escapes,
        supports_numeric_prefix,
        require_interval_qualifier,
        supports_limit_comma,
        supports_create_table_select,
        supports_insert_set,
        supports_user_host_grantee,
        supports_table_hints,
        requires_single_line_comment_whitespace,
        supports_match_against,
        supports_set_names,
        supports_comma_separated_set_assignments,
        supports_data_type_signed_suffix,
        supports_cross_join_constraint,
    );

    fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        // `CAST(x AS CHAR(n) CHARACTER SET cs)` (MySQL §14.10 "Cast Functions and Operators"):
        // sqlparser reads the charset only in CONVERT's comma form.
        (peek_is(parser, 0, "CAST") && parser.peek_nth_token(1).token == Token::LParen)
            .then(|| cast_with_charset(parser))
    }

    fn parse_infix(
        &self,
        parser: &mut Parser,
        expr: &Expr,
        precedence: u8,
    ) -> Option<Result<Expr, ParserError>> {
        self.0.parse_infix(parser, expr, precedence)
    }

    fn parse_statement(&self, parser: &mut Parser) -> Option<Result<Statement, ParserError>> {
        self.0.parse_statement(parser)
    }

    fn is_table_factor_alias(&self, explicit: bool, kw: &Keyword, parser: &mut Parser) -> bool {
        self.0.is_table_factor_alias(explicit, kw, parser)
    }

    fn parse_column_option(
        &self,
        parser: &mut Parser,
    ) -> Result<Option<Result<Option<ColumnOption>, ParserError>>, ParserError> {
        Ok(column_option(parser).transpose().map(|r| r.map(Some)))
    }
}

/// Words that continue a type name after its first word (MySQL §13.3.1).
const TYPE_WORDS: [&str; 8] = [
    "VARCHAR",
    "CHAR",
    "CHARACTER",
    "VARYING",
    "VARBINARY",
    "BYTE",
    "ASCII",
    "UNICODE",
];

fn is_word(token: &Token, word: &str) -> bool {
    matches!(token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
}

fn peek_is(parser: &Parser, n: usize, word: &str) -> bool {
    is_word(&parser.peek_nth_token(n).token, word)
}

/// Consumes `word` when it is next.
fn eat(parser: &mut Parser, word: &str) -> bool {
    let matched = peek_is(parser, 0, word);
    if matched {
        parser.next_token();
    }
    matched
}

fn keyword_option(words: &[&str]) -> ColumnOption {
    ColumnOption::DialectSpecific(words.iter().map(|w| Token::make_keyword(w)).collect())
}

/// One column attribute sqlparser's MySQL dialect does not read, or `None` to let it try.
fn column_option(parser: &mut Parser) -> Result<Option<ColumnOption>, ParserError> {
    if parser.parse_keyword(Keyword::BINARY) {
        return Ok(Some(keyword_option(&["BINARY"])));
    }
    if eat(parser, "CHARSET") {
        return Ok(Some(ColumnOption::CharacterSet(charset_name(parser)?)));
    }
    if peek_is(parser, 0, "CHARACTER") && peek_is(parser, 1, "SET") {
        parser.next_token();
        parser.next_token();
        return Ok(Some(ColumnOption::CharacterSet(charset_name(parser)?)));
    }
    if eat(parser, "COLLATE") {
        return Ok(Some(ColumnOption::Collation(charset_name(parser)?)));
    }
    if eat(parser, "COMMENT") {
        return comment(parser).map(|text| Some(ColumnOption::Comment(text)));
    }
    // `KEY` alone is MySQL's shorthand for PRIMARY KEY on a column, `UNIQUE KEY` for UNIQUE.
    if peek_is(parser, 0, "UNIQUE") && peek_is(parser, 1, "KEY") {
        parser.next_token();
        parser.next_token();
        return Ok(Some(ColumnOption::Unique {
            is_primary: false,
            characteristics: None,
        }));
    }
    if eat(parser, "KEY") {
        return Ok(Some(ColumnOption::Unique {
            is_primary: true,
            characteristics: None,
        }));
    }
    // `SERIAL DEFAULT VALUE` is NOT NULL AUTO_INCREMENT UNIQUE; the NOT NULL is what the
    // inventory needs, the uniqueness follows from the key it must have.
    if peek_is(parser, 0, "SERIAL") && peek_is(parser, 1, "DEFAULT") && peek_is(parser, 2, "VALUE")
    {
        for _ in 0..3 {
            parser.next_token();
        }
        return Ok(Some(ColumnOption::NotNull));
    }
    for single in [
        "ZEROFILL",
        "INVISIBLE",
        "VISIBLE",
        "PERSISTENT",
        "COMPRESSED",
    ] {
        if eat(parser, single) {
            // MariaDB's `COMPRESSED[=zlib]`.
            if single == "COMPRESSED" && parser.consume_token(&Token::Eq) {
                parser.next_token();
            }
            return Ok(Some(keyword_option(&[single])));
        }
    }
    for (first, values) in [
        ("COLUMN_FORMAT", &["FIXED", "DYNAMIC", "DEFAULT"][..]),
        ("STORAGE", &["DISK", "MEMORY", "DEFAULT"][..]),
    ] {
        if peek_is(parser, 0, first) && values.iter().any(|v| peek_is(parser, 1, v)) {
            parser.next_token();
            let value = parser.next_token().token.to_string();
            return Ok(Some(keyword_option(&[first, &value])));
        }
    }
    for attribute in [
        "ENGINE_ATTRIBUTE",
        "SECONDARY_ENGINE_ATTRIBUTE",
        "REF_SYSTEM_ID",
    ] {
        if eat(parser, attribute) {
            let _ = parser.consume_token(&Token::Eq);
            parser.next_token();
            return Ok(Some(keyword_option(&[attribute])));
        }
    }
    for versioning in ["WITH", "WITHOUT"] {
        if peek_is(parser, 0, versioning)
            && peek_is(parser, 1, "SYSTEM")
            && peek_is(parser, 2, "VERSIONING")
        {
            for _ in 0..3 {
                parser.next_token();
            }
            return Ok(Some(keyword_option(&[versioning, "SYSTEM", "VERSIONING"])));
        }
    }
    if let Some(word) = TYPE_WORDS.iter().find(|w| peek_is(parser, 0, w)) {
        parser.next_token();
        let mut tokens = vec![Token::make_keyword(word)];
        if parser.consume_token(&Token::LParen) {
            tokens.push(Token::LParen);
            loop {
                let next = parser.next_token().token;
                match next {
                    Token::RParen => break,
                    Token::EOF => return parser.expected(")", parser.peek_token()),
                    other => tokens.push(other),
                }
            }
            tokens.push(Token::RParen);
        }
        return Ok(Some(ColumnOption::DialectSpecific(tokens)));
    }
    Ok(None)
}

/// `CAST(expr AS type [CHARACTER SET cs | CHARSET cs])`; the character set is not kept.
fn cast_with_charset(parser: &mut Parser) -> Result<Expr, ParserError> {
    parser.next_token();
    parser.expect_token(&Token::LParen)?;
    let expr = parser.parse_expr()?;
    parser.expect_keyword(Keyword::AS)?;
    let data_type = parser.parse_data_type()?;
    if eat(parser, "CHARSET") || (eat(parser, "CHARACTER") && eat(parser, "SET")) {
        charset_name(parser)?;
    }
    parser.expect_token(&Token::RParen)?;
    Ok(Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(expr),
        data_type,
        format: None,
    })
}

/// A character set or collation name: an identifier or a quoted string (`CHARSET 'utf8'`).
fn charset_name(parser: &mut Parser) -> Result<ObjectName, ParserError> {
    let next = parser.peek_token().token;
    match next {
        Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => {
            parser.next_token();
            Ok(ObjectName::from(vec![Ident::new(s)]))
        }
        _ => parser.parse_object_name(false),
    }
}

/// A comment's text: one string, which may be double-quoted (a string, not an identifier, unless
/// `ANSI_QUOTES` is set); MariaDB refuses national, introduced and concatenated strings here.
fn comment(parser: &mut Parser) -> Result<String, ParserError> {
    match parser.peek_token().token {
        Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => {
            parser.next_token();
            Ok(s)
        }
        _ => parser.expected("the comment's string", parser.peek_token()),
    }
}

/// The later words of a type name, when `option` carries them (see the module documentation).
pub(crate) fn type_words(option: &ColumnOption) -> Option<String> {
    let ColumnOption::DialectSpecific(tokens) = option else {
        return None;
    };
    let first = tokens.first()?;
    TYPE_WORDS.iter().any(|w| is_word(first, w)).then(|| {
        let mut text = String::new();
        for token in tokens {
            if matches!(token, Token::Word(_)) && !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&token.to_string());
        }
        text
    })
}

/// A declared MySQL type as the server reports it: `NATIONAL VARCHAR(10)` and `NCHAR VARYING(10)`
/// are `varchar(10)`, `NCHAR(3)` is `char(3)`, `LONG [VARCHAR]` is `mediumtext`, `LONG
/// VARBINARY` is `mediumblob`, `CHAR(3) BYTE` is `binary(3)`; `ASCII` and `UNICODE` only name a
/// character set (MySQL 8.0 reference §13.3.2). Anything else is returned as given.
pub fn normalize_type(declared: &str) -> String {
    let args = declared
        .find('(')
        .and_then(|s| declared[s..].find(')').map(|e| &declared[s..=s + e]))
        .unwrap_or("");
    let without_args = declared.replacen(args, " ", 1).to_ascii_uppercase();
    let words: Vec<&str> = without_args
        .split_whitespace()
        .filter(|w| *w != "ASCII" && *w != "UNICODE")
        .collect();
    let with_args = |base: &str| format!("{base}{args}");
    match words.as_slice() {
        ["NATIONAL", "CHAR" | "CHARACTER"] | ["NCHAR"] => with_args("CHAR"),
        ["NATIONAL", "VARCHAR"]
        | ["NATIONAL", "CHAR" | "CHARACTER", "VARYING"]
        | ["NCHAR", "VARCHAR" | "VARYING"]
        | ["NVARCHAR"] => with_args("VARCHAR"),
        ["LONG"] | ["LONG", "VARCHAR"] | ["LONG", "CHAR" | "CHARACTER", "VARYING"] => {
            "MEDIUMTEXT".into()
        }
        ["LONG", "VARBINARY"] => "MEDIUMBLOB".into(),
        ["CHAR" | "CHARACTER", "BYTE"] => with_args("BINARY"),
        // Only ASCII or UNICODE went: the type is its first word, its arguments, the rest.
        _ if words.len() != without_args.split_whitespace().count() => {
            let mut out = with_args(words.first().copied().unwrap_or_default());
            for word in words.iter().skip(1) {
                out.push(' ');
                out.push_str(word);
            }
            out
        }
        _ => declared.to_owned(),
    }
}

/// The collation a MySQL table's options name (`… DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
/// as sqlparser prints them), lower-cased; `None` when they name none.
pub(super) fn table_collation(options: &str) -> Option<String> {
    table_option(options, "COLLATE").map(|name| name.to_ascii_lowercase())
}

/// The storage engine a MySQL table's options name (`ENGINE=MyISAM …`), as written; `None`
/// when they name none.
pub(super) fn table_engine(options: &str) -> Option<String> {
    table_option(options, "ENGINE")
}

/// The word after `key` (and an optional `=`) in a table's options, quotes removed.
fn table_option(options: &str, key: &str) -> Option<String> {
    let upper = options.to_ascii_uppercase();
    let at = upper.find(key)? + key.len();
    let rest = options[at..]
        .trim_start()
        .trim_start_matches('=')
        .trim_start();
    let name: String = rest
        .trim_start_matches(['\'', '"', '`'])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tables_storage_engine_is_read_from_its_options() {
        assert_eq!(
            table_engine("ENGINE=MyISAM DEFAULT CHARSET=utf8").as_deref(),
            Some("MyISAM")
        );
        assert_eq!(table_engine("DEFAULT CHARSET=utf8mb4"), None);
    }

    #[test]
    fn a_tables_collation_is_read_from_its_options() {
        assert_eq!(
            table_collation("ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin").as_deref(),
            Some("utf8mb4_bin")
        );
        assert_eq!(
            table_collation("DEFAULT COLLATE 'latin1_General_CS'").as_deref(),
            Some("latin1_general_cs")
        );
        assert_eq!(
            table_collation("ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"),
            None
        );
    }

    #[test]
    fn multi_word_types_are_named_as_the_server_names_them() {
        for (declared, reported) in [
            ("national VARCHAR(3)", "VARCHAR(3)"),
            ("NCHAR VARYING(3)", "VARCHAR(3)"),
            ("NCHAR(4)", "CHAR(4)"),
            ("long VARCHAR", "MEDIUMTEXT"),
            ("long", "MEDIUMTEXT"),
            ("long VARBINARY", "MEDIUMBLOB"),
            ("CHAR(2) BYTE", "BINARY(2)"),
            ("VARCHAR(3) ASCII", "VARCHAR(3)"),
            ("INT(11) UNSIGNED", "INT(11) UNSIGNED"),
            ("ENUM('a b', 'c')", "ENUM('a b', 'c')"),
        ] {
            assert_eq!(normalize_type(declared), reported, "{declared}");
        }
    }

    #[test]
    fn column_attributes_parse() {
        let sql = "CREATE TABLE t (a varchar(3) CHARSET utf8 COLLATE 'utf8_bin' COMMENT \"dq\", b int unsigned ZEROFILL STORAGE DISK COLUMN_FORMAT FIXED ENGINE_ATTRIBUTE '{}', c int KEY, d int UNIQUE KEY, e text WITH SYSTEM VERSIONING)";
        let statements = Parser::parse_sql(&MySqlDumpDialect::default(), sql).unwrap();
        let Statement::CreateTable(create) = &statements[0] else {
            panic!("{statements:?}")
        };
        let options = |i: usize| -> Vec<&ColumnOption> {
            create.columns[i]
                .options
                .iter()
                .map(|o| &o.option)
                .collect()
        };
        assert!(
            matches!(options(0)[..], [ColumnOption::CharacterSet(_), ColumnOption::Collation(_), ColumnOption::Comment(ref c)] if c == "dq")
        );
        assert!(matches!(
            options(2)[..],
            [ColumnOption::Unique {
                is_primary: true,
                ..
            }]
        ));
        assert!(matches!(
            options(3)[..],
            [ColumnOption::Unique {
                is_primary: false,
                ..
            }]
        ));
    }
}
