//===- IRLexer.h - Tokens of the textual IR -----------------*- C++ -*-===//
//
// Private to compiler/ir/: the hand-written lexer that IRParser.cpp reads
// the form printed by IRPrinter.cpp with. A malformed token is a Tok::Error
// whose text is the message; the lexer never fails otherwise.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_IR_IRLEXER_H
#define LAMINA_IR_IRLEXER_H

#include <cstddef>
#include <string>

namespace lamina {
namespace ir {

/// The kinds of token.
enum class Tok {
  Eof,
  Error, // A malformed token; its text is the message.
  Ident,
  ValueId, // %name, text without the '%'
  GraphId, // @name or @"name", text without the '@'
  String,  // text is the decoded contents
  Int,
  Float,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  LParen,
  RParen,
  Comma,
  Colon,
  Equal,
};

/// A token and where it starts (1-based).
struct Token {
  Tok kind = Tok::Eof;
  std::string text;
  unsigned line = 1;
  unsigned col = 1;
};

/// Splits IR text into tokens, skipping whitespace and `//` comments.
class Lexer {
public:
  /// Lexes `text`, which must outlive the lexer.
  explicit Lexer(const std::string &text) : text_(text) {}

  /// Lexes the next token, skipping whitespace and `//` comments.
  Token next();

private:
  bool atEnd() const { return pos_ >= text_.size(); }
  char peek(size_t k = 0) const {
    return pos_ + k < text_.size() ? text_[pos_ + k] : '\0';
  }
  /// Moves past one character, counting lines and columns.
  void advance();
  /// `t` turned into an error token with message `msg`.
  static Token error(Token t, std::string msg);
  /// Skips whitespace and `//` comments.
  void skipTrivia();
  /// Reads [A-Za-z0-9_.]*.
  std::string lexIdentChars();
  /// string ::= '"' (char | '\' [nt"\\] | '\x' hex hex)* '"'
  Token lexString(Token t);
  /// number ::= '-'? digit+ ('.' digit*)? ([eE] [+-]? digit+)? | '-inf'
  Token lexNumber(Token t);

  const std::string &text_;
  size_t pos_ = 0;
  unsigned line_ = 1;
  unsigned col_ = 1;
};

} // namespace ir
} // namespace lamina

#endif // LAMINA_IR_IRLEXER_H
