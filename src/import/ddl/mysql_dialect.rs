//! MySQL dialect with the column attributes real dumps use and `sqlparser` does not read yet.
//!
//! Oracle's Sakila declares `password VARCHAR(40) BINARY`, the legacy MySQL spelling of a
//! binary collation (MySQL 8.0 reference, §13.3.1 "String Data Type Syntax"). sqlparser 0.59
//! rejects it, so this dialect wraps [`MySqlDialect`] (the wrapping pattern sqlparser documents
//! for `Dialect::dialect`) and reads `BINARY` as a dialect-specific column option. Everything else
//! is delegated unchanged.

use sqlparser::ast::{ColumnOption, Expr, Statement};
use sqlparser::dialect::{Dialect, MySqlDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// [`MySqlDialect`] plus the `BINARY` column attribute.
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
        if parser.parse_keyword(Keyword::BINARY) {
            return Ok(Some(Ok(Some(ColumnOption::DialectSpecific(vec![
                Token::make_keyword("BINARY"),
            ])))));
        }
        Ok(None)
    }
}
