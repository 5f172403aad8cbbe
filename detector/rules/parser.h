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
//   FieldOrXform  ::= Field | Transformer '(' XformArg ( ',' XformArg )* ')' ( '[' FieldArg ']' )?
//   XformArg      ::= FieldOrXform | QuotedStr | Number | '(' ( ListArg ( ',' ListArg )* )? ')'
//   ListArg       ::= FieldOrXform | QuotedStr | Number
//   RhsField      ::= 'val(' Field ')' | Transformer '(' ... ')' as in FieldOrXform
//   Transformer   ::= 'tolower' | 'toupper' | 'b64' | 'basename' | 'len'
//                   | 'join' | 'concat' | 'getopt'          (Falco 0.44: several operands)
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
//   Number        ::= 0[xX][0-9a-zA-Z]+ | [+-]?[0-9]+\.?[0-9]*([eE][+-][0-9]+)?
//   QuotedStr     ::= '"' ( '\' any | [^"] )* '"' | "'" ( '\' any | [^'] )* "'"
//   BareStr       ::= [^ \t\r\n\f\v(),="']+
//
// Keywords ('and', 'or', 'not', word operators) must be followed by a blank, '(' or the end
// of input, so identifiers such as "notable" or "order_x" stay identifiers. A field name is
// told apart from a macro name by its '.'.
//
// A quoted string ends at the first quote of its kind not preceded by a backslash (libsinsp's
// lexer); its escapes are libsinsp's (unescape_quoted), any other is a parse error.
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

// Writes a field expression back as condition text: "tolower(proc.aname[2])",
// "join(\"-\", (fd.name, \"x\"))" (a call's literals always quoted).
std::string format_field_expr(const ast::FieldExpr& f);

// Unescapes the inside of a string quoted with `quote` (without the quotes) as libsinsp does:
// \b \f \n \r \t \\ \/ \xHH, the string's own quote, and "\ " as a backslash; any other
// escape (or the other quote's) is an error in *error.
bool unescape_quoted(std::string_view inner, char quote, std::string* out, std::string* error);

// Writes a value the way the parser reads it back as the same text: bare when it can be,
// otherwise double-quoted with \\ \" \n \r \t \b \f escaped.
std::string format_value(std::string_view v);
// The same, always double-quoted.
std::string format_quoted(std::string_view v);

// True when s is a "word" operator or comparison operator the language knows.
bool is_known_operator(std::string_view op);
// True for a transformer's name (tolower, toupper, b64, basename, len, join, concat, getopt).
bool is_transformer_name(std::string_view name);
// True for the string operators a comparison modifier may follow (= == != contains ... regex).
bool takes_modifier(std::string_view op);
// True for Falco 0.44's comparison modifiers: oneof, anyof, allof.
bool is_modifier(std::string_view word);
// True for in / intersects / pmatch.
bool is_list_operator(std::string_view op);

}  // namespace riposte::detector::rules
