//===- IRLexer.cpp - Tokens of the textual IR -----------------------------===//
//
// See IRLexer.h. Every malformed token becomes a Tok::Error carrying its
// message, so the parser reports it where it stands.
//
//===----------------------------------------------------------------------===//
#include "IRLexer.h"

namespace lamina {
namespace ir {

namespace {

bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isIdentChar(char c) { return isIdentStart(c) || isDigit(c) || c == '.'; }

int hexValue(char c) {
  if (isDigit(c))
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// Spells a byte for a message: 'c' if printable, else '\xNN'.
std::string describeByte(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f)
    return std::string("'") + c + "'";
  static const char *kHex = "0123456789abcdef";
  return std::string("'\\x") + kHex[u >> 4] + kHex[u & 15] + "'";
}

} // namespace

Token Lexer::next() {
  skipTrivia();
  Token t;
  t.line = line_;
  t.col = col_;
  if (atEnd())
    return t;
  char c = peek();
  auto punct = [&](Tok k) {
    t.kind = k;
    t.text = std::string(1, c);
    advance();
    return t;
  };
  switch (c) {
  case '[':
    return punct(Tok::LBracket);
  case ']':
    return punct(Tok::RBracket);
  case '{':
    return punct(Tok::LBrace);
  case '}':
    return punct(Tok::RBrace);
  case '(':
    return punct(Tok::LParen);
  case ')':
    return punct(Tok::RParen);
  case ',':
    return punct(Tok::Comma);
  case ':':
    return punct(Tok::Colon);
  case '=':
    return punct(Tok::Equal);
  case '"':
    return lexString(t);
  case '%':
    advance();
    t.kind = Tok::ValueId;
    t.text = lexIdentChars();
    if (t.text.empty())
      return error(t, "expected a value name after '%'");
    return t;
  case '@':
    advance();
    if (!atEnd() && peek() == '"') {
      t = lexString(t);
      if (t.kind == Tok::String)
        t.kind = Tok::GraphId;
      return t;
    }
    t.kind = Tok::GraphId;
    t.text = lexIdentChars();
    if (t.text.empty())
      return error(t, "expected a graph name after '@'");
    return t;
  default:
    break;
  }
  if (c == '-' || isDigit(c))
    return lexNumber(t);
  if (isIdentStart(c)) {
    t.kind = Tok::Ident;
    t.text = lexIdentChars();
    return t;
  }
  return error(t, "unexpected character " + describeByte(c));
}

void Lexer::advance() {
  if (text_[pos_] == '\n') {
    ++line_;
    col_ = 1;
  } else {
    ++col_;
  }
  ++pos_;
}

Token Lexer::error(Token t, std::string msg) {
  t.kind = Tok::Error;
  t.text = std::move(msg);
  return t;
}

void Lexer::skipTrivia() {
  while (!atEnd()) {
    char c = peek();
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
        c == '\v') {
      advance();
    } else if (c == '/' && peek(1) == '/') {
      while (!atEnd() && peek() != '\n')
        advance();
    } else {
      return;
    }
  }
}

std::string Lexer::lexIdentChars() {
  std::string s;
  while (!atEnd() && isIdentChar(peek())) {
    s += peek();
    advance();
  }
  return s;
}

Token Lexer::lexString(Token t) {
  advance();
  std::string s;
  while (true) {
    if (atEnd() || peek() == '\n')
      return error(t, "unterminated string");
    char c = peek();
    if (c == '"') {
      advance();
      break;
    }
    if (c != '\\') {
      s += c;
      advance();
      continue;
    }
    Token esc;
    esc.line = line_;
    esc.col = col_;
    advance();
    char e = peek();
    if (e == 'n' || e == 't' || e == 'r' || e == '"' || e == '\\') {
      s += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
      advance();
      continue;
    }
    if (e == 'x' && hexValue(peek(1)) >= 0 && hexValue(peek(2)) >= 0) {
      s += static_cast<char>(hexValue(peek(1)) * 16 + hexValue(peek(2)));
      advance();
      advance();
      advance();
      continue;
    }
    if (atEnd() || e == '\n')
      return error(t, "unterminated string");
    return error(esc, "invalid escape sequence in string");
  }
  t.kind = Tok::String;
  t.text = std::move(s);
  return t;
}

Token Lexer::lexNumber(Token t) {
  std::string s;
  if (peek() == '-') {
    s += '-';
    advance();
    if (peek() == 'i' && peek(1) == 'n' && peek(2) == 'f' &&
        !isIdentChar(peek(3))) {
      advance();
      advance();
      advance();
      t.kind = Tok::Float;
      t.text = "-inf";
      return t;
    }
    if (!isDigit(peek()))
      return error(t, "expected a digit after '-'");
  }
  bool isFloat = false;
  while (isDigit(peek())) {
    s += peek();
    advance();
  }
  if (peek() == '.') {
    isFloat = true;
    s += '.';
    advance();
    while (isDigit(peek())) {
      s += peek();
      advance();
    }
  }
  if ((peek() == 'e' || peek() == 'E') &&
      (isDigit(peek(1)) ||
       ((peek(1) == '+' || peek(1) == '-') && isDigit(peek(2))))) {
    isFloat = true;
    s += peek();
    advance();
    if (peek() == '+' || peek() == '-') {
      s += peek();
      advance();
    }
    while (isDigit(peek())) {
      s += peek();
      advance();
    }
  }
  if (isIdentChar(peek())) {
    while (!atEnd() && isIdentChar(peek()) && s.size() < 64) {
      s += peek();
      advance();
    }
    return error(t, "invalid number '" + s + "'");
  }
  t.kind = isFloat ? Tok::Float : Tok::Int;
  t.text = std::move(s);
  return t;
}

} // namespace ir
} // namespace lamina
