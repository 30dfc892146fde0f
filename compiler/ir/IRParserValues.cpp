//===- IRParserValues.cpp - Tokens, literals, attributes, types -----------===//
//
// The parts of the textual IR parser below an item: token helpers and the
// grammar of numbers, list literals, attribute dictionaries, tensor types
// and `loc(...)`. See IRParser.cpp for the graph and its items.
//
//===----------------------------------------------------------------------===//
#include "IRParserImpl.h"

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace lamina {
namespace ir {

bool Parser::isKeyword(const char *kw) const {
  return tok_.kind == Tok::Ident && tok_.text == kw;
}

SourceLoc Parser::locOf(const Token &t) const {
  return SourceLoc{file_, t.line, t.col};
}

bool Parser::error(const Token &t, const std::string &msg) {
  diag_.error(locOf(t), msg);
  return false;
}

std::string Parser::describe(const Token &t) {
  std::string text = t.text.size() > 40 ? t.text.substr(0, 40) + "..." : t.text;
  switch (t.kind) {
  case Tok::Eof:
    return "end of input";
  case Tok::String:
    return "a string";
  case Tok::ValueId:
    return "'%" + text + "'";
  case Tok::GraphId:
    return "'@" + text + "'";
  default:
    return "'" + text + "'";
  }
}

bool Parser::fail(const std::string &expected) {
  if (tok_.kind == Tok::Error)
    return error(tok_, tok_.text);
  return error(tok_, "expected " + expected + ", found " + describe(tok_));
}

bool Parser::expect(Tok k, const char *what) {
  if (tok_.kind != k)
    return fail(what);
  consume();
  return true;
}

bool Parser::parseValueRef(Node *&n) {
  if (tok_.kind != Tok::ValueId)
    return fail("a value name such as '%0'");
  auto it = values_.find(tok_.text);
  if (it == values_.end())
    return error(tok_, "use of undefined value '%" + tok_.text + "'");
  n = it->second;
  consume();
  return true;
}

bool Parser::parseString(std::string &s, const char *what) {
  if (tok_.kind != Tok::String)
    return fail(what);
  s = tok_.text;
  consume();
  return true;
}

bool Parser::parseInt(int64_t &v) {
  if (tok_.kind != Tok::Int)
    return fail("an integer");
  errno = 0;
  long long x = std::strtoll(tok_.text.c_str(), nullptr, 10);
  if (errno == ERANGE)
    return error(tok_, "integer '" + tok_.text + "' is out of range");
  v = x;
  consume();
  return true;
}

bool Parser::parseUnsigned(uint64_t &v, uint64_t max) {
  if (tok_.kind != Tok::Int || tok_.text[0] == '-')
    return fail("a non-negative integer");
  errno = 0;
  unsigned long long x = std::strtoull(tok_.text.c_str(), nullptr, 10);
  if (errno == ERANGE || x > max)
    return error(tok_, "integer '" + tok_.text + "' is out of range");
  v = x;
  consume();
  return true;
}

bool Parser::isNumber() const {
  return tok_.kind == Tok::Int || tok_.kind == Tok::Float || isKeyword("nan") ||
         isKeyword("inf");
}

bool Parser::parseNumber(double &v) {
  if (!isNumber())
    return fail("a number");
  if (tok_.kind == Tok::Ident) {
    v = tok_.text == "nan" ? std::numeric_limits<double>::quiet_NaN()
                           : std::numeric_limits<double>::infinity();
    consume();
    return true;
  }
  if (tok_.text == "-inf") {
    v = -std::numeric_limits<double>::infinity();
    consume();
    return true;
  }
  errno = 0;
  v = std::strtod(tok_.text.c_str(), nullptr);
  if (errno == ERANGE && std::isinf(v))
    return error(tok_, "number '" + tok_.text + "' is out of range");
  consume();
  return true;
}

bool Parser::checkLiteral(Literal &lit, const TensorType &type,
                          const Token &where) {
  Shape expected = type.shape;
  for (int64_t &d : expected)
    if (d == kBatch)
      d = 1;
  if (lit.regular && lit.shape == expected)
    return true;
  if (lit.shape.empty() && lit.data.size() == 1) {
    // One number fills the whole tensor, as the printer writes a large
    // uniform one.
    int64_t n = 1;
    for (int64_t d : expected)
      if (d < 0 || __builtin_mul_overflow(n, d, &n) || n > kMaxFilledElements)
        return error(where, "type " + typeToString(type) +
                                " is too large to fill from one number (the "
                                "limit is 2^24 elements)");
    lit.data.assign(static_cast<size_t>(n), lit.data[0]);
    lit.shape = expected;
    return true;
  }
  if (!lit.regular)
    return error(where, "literal has rows of different lengths");
  return error(where, "literal of shape " + shapeToString(lit.shape) +
                          " does not match type " + typeToString(type));
}

bool Parser::parseLiteral(Literal &lit) {
  return parseLiteralRec(lit.data, lit.shape, lit.regular, 0);
}

bool Parser::parseLiteralRec(std::vector<double> &data, Shape &shape,
                             bool &regular, unsigned depth) {
  if (tok_.kind != Tok::LBracket) {
    double v = 0;
    if (!isNumber())
      return fail("a number or '['");
    if (!parseNumber(v))
      return false;
    data.push_back(v);
    shape.clear();
    return true;
  }
  if (depth >= kMaxListDepth)
    return error(tok_, "list literal is nested more than " +
                           std::to_string(kMaxListDepth) + " levels deep");
  consume();
  int64_t count = 0;
  Shape first;
  if (tok_.kind != Tok::RBracket) {
    while (true) {
      Shape elem;
      if (!parseLiteralRec(data, elem, regular, depth + 1))
        return false;
      if (count == 0)
        first = elem;
      else if (elem != first)
        regular = false;
      ++count;
      if (tok_.kind == Tok::Comma) {
        consume();
        continue;
      }
      if (tok_.kind != Tok::RBracket)
        return fail("',' or ']'");
      break;
    }
  }
  consume();
  shape.assign(1, count);
  shape.insert(shape.end(), first.begin(), first.end());
  return true;
}

bool Parser::parseAttrDict(Attrs &attrs) {
  consume();
  if (tok_.kind == Tok::RBrace) {
    consume();
    return true;
  }
  while (true) {
    if (tok_.kind != Tok::Ident && tok_.kind != Tok::String)
      return fail("an attribute name");
    Token keyTok = tok_;
    consume();
    if (attrs.count(keyTok.text))
      return error(keyTok, "duplicate attribute '" + keyTok.text + "'");
    if (!expect(Tok::Equal, "'='"))
      return false;
    Attr value;
    if (!parseAttrValue(value))
      return false;
    attrs[keyTok.text] = std::move(value);
    if (tok_.kind == Tok::Comma) {
      consume();
      continue;
    }
    if (tok_.kind != Tok::RBrace)
      return fail("',' or '}'");
    consume();
    return true;
  }
}

bool Parser::parseAttrValue(Attr &value) {
  if (tok_.kind == Tok::Int) {
    int64_t v = 0;
    if (!parseInt(v))
      return false;
    value = v;
    return true;
  }
  if (isNumber()) {
    double v = 0;
    if (!parseNumber(v))
      return false;
    value = v;
    return true;
  }
  if (tok_.kind == Tok::String) {
    value = tok_.text;
    consume();
    return true;
  }
  if (tok_.kind != Tok::LBracket)
    return fail("an attribute value");
  consume();
  std::vector<int64_t> list;
  if (tok_.kind != Tok::RBracket) {
    while (true) {
      if (tok_.kind == Tok::Float || tok_.kind == Tok::LBracket)
        return error(tok_, "attribute lists hold integers only");
      int64_t v = 0;
      if (!parseInt(v))
        return false;
      list.push_back(v);
      if (tok_.kind == Tok::Comma) {
        consume();
        continue;
      }
      if (tok_.kind != Tok::RBracket)
        return fail("',' or ']'");
      break;
    }
  }
  consume();
  value = std::move(list);
  return true;
}

bool Parser::parseType(TensorType &type) {
  if (tok_.kind != Tok::Ident)
    return fail("a type such as 'f32[2, 3]'");
  std::optional<DType> dt = parseDType(tok_.text);
  if (!dt)
    return error(tok_, "unknown element type '" + tok_.text + "'");
  Token typeTok = tok_;
  consume();
  if (!expect(Tok::LBracket, "'['"))
    return false;
  Shape shape;
  int64_t elements = 1;
  if (tok_.kind != Tok::RBracket) {
    while (true) {
      int64_t d = 0;
      if (isKeyword("batch")) {
        d = kBatch;
        consume();
      } else {
        if (tok_.kind != Tok::Int)
          return fail("a dimension (an integer or 'batch')");
        Token dimTok = tok_;
        if (!parseInt(d))
          return false;
        if (d < 0)
          return error(dimTok, "dimension " + dimTok.text + " is negative");
      }
      shape.push_back(d);
      if (__builtin_mul_overflow(elements, d == kBatch ? 1 : d, &elements))
        return error(typeTok, "type has too many elements");
      if (tok_.kind == Tok::Comma) {
        consume();
        continue;
      }
      if (tok_.kind != Tok::RBracket)
        return fail("',' or ']'");
      break;
    }
  }
  consume();
  type = TensorType{*dt, std::move(shape)};
  return true;
}

bool Parser::parseLoc(SourceLoc &loc) {
  consume();
  uint64_t line = 0, col = 0;
  if (!expect(Tok::LParen, "'('") ||
      !parseString(loc.file, "a quoted file name") ||
      !expect(Tok::Colon, "':'") || !parseUnsigned(line, UINT_MAX) ||
      !expect(Tok::Colon, "':'") || !parseUnsigned(col, UINT_MAX) ||
      !expect(Tok::RParen, "')'"))
    return false;
  loc.line = static_cast<unsigned>(line);
  loc.col = static_cast<unsigned>(col);
  return true;
}

} // namespace ir
} // namespace lamina
