// Parser for Falco's condition language (compatible with libsinsp's filter grammar).
//
// Grammar (EBNF; keywords are case-sensitive, blanks are ' ' \t \r \n \f \v):
//
//   Expr          ::= OrExpr
//   OrExpr        ::= AndExpr ( 'or' AndExpr )*
//   AndExpr       ::= NotExpr ( 'and' NotExpr )*
//   NotExpr       ::= 'not' NotExpr | Primary
//   Primary       ::= '(' Expr ')' | Check | MacroRef
//   MacroRef      ::= Identifier
//   Check         ::= FieldOrXform UnaryOp
//                   | FieldOrXform CmpOp   ( Value | RhsField )
//                   | FieldOrXform ListOp  ( List | ListRef | RhsField )
//   FieldOrXform  ::= Field | Transformer '(' FieldOrXform ')'
//   RhsField      ::= 'val(' Field ')' | Transformer '(' FieldOrXform ')'
//   Transformer   ::= 'tolower' | 'toupper' | 'b64' | 'basename' | 'len'
//   Field         ::= FieldName ( '[' FieldArg ']' )?
//   List          ::= '(' ( Value ( ',' Value )* )? ')'
//   ListRef       ::= Identifier                       (a list's name)
//   Value         ::= QuotedStr | BareStr
//
//   UnaryOp       ::= 'exists'
//   CmpOp         ::= '=' | '==' | '!=' | '<' | '<=' | '>' | '>='
//                   | 'contains' | 'icontains' | 'bcontains' | 'startswith' | 'bstartswith'
//                   | 'endswith' | 'glob' | 'iglob' | 'regex'
//   ListOp        ::= 'in' | 'intersects' | 'pmatch'
//
// Tokens:
//   Identifier    ::= [a-zA-Z_][a-zA-Z0-9_]*
//   FieldName     ::= [a-zA-Z_][a-zA-Z0-9_]* ( '.' [a-zA-Z0-9_]+ )+
//   FieldArg      ::= QuotedStr | [^ \t\r\n\[\]"']+
//   QuotedStr     ::= '"' ( '\' any | [^"] )* '"' | "'" ( '\' any | [^'] )* "'"
//   BareStr       ::= [^ \t\r\n\f\v(),="']+
//
// Keywords ('and', 'or', 'not', word operators) must be followed by a blank, '(' or the end
// of input, so identifiers such as "notable" or "order_x" stay identifiers. A field name is
// told apart from a macro name by its '.'.
//
// Quoted strings understand the escapes \\ \" \' \n \r \t \b \f; any other backslash is kept.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "detector/rules/ast.h"

namespace riposte::detector::rules {

struct ParseResult {
  std::unique_ptr<ast::Expr> expr;  // null on error
  size_t error_pos = 0;             // byte offset into the input
  std::string error;
  bool ok() const { return expr != nullptr; }
};

// Parses a whole condition; trailing garbage is an error.
ParseResult parse_condition(std::string_view text);

// Parses a field reference with optional transformers ("tolower(proc.aname[2])") that must
// span the whole input. Used for exception `fields`. Returns false with *error on failure.
bool parse_field_expr(std::string_view text, ast::FieldExpr* out, std::string* error);

// Unescapes the inside of a quoted string (without the quotes).
std::string unescape_quoted(std::string_view inner);

// Writes a value the way the parser reads it back as the same text: bare when it can be,
// otherwise double-quoted with \\ \" \n \r \t \b \f escaped.
std::string format_value(std::string_view v);

// True when s is a "word" operator or comparison operator the language knows.
bool is_known_operator(std::string_view op);
// True for a transformer's name (tolower, toupper, b64, basename, len).
bool is_transformer_name(std::string_view name);
// True for in / intersects / pmatch.
bool is_list_operator(std::string_view op);

}  // namespace riposte::detector::rules
