//===- InputChecks.cpp - UTF-8 and nesting checks around the parser -------===//
//
// Step 1 of parseModelFile: the text must be valid UTF-8 (ANTLR's decoder
// would throw otherwise). Step 3: a scan over the tokens rejects nesting
// deeper than kMaxNesting before the recursive-descent parser could
// overflow the stack on it.
//
//===----------------------------------------------------------------------===//
#include "ParseSteps.h"

#include <cstdio>

using lamina_antlr::LaminaParser;

namespace lamina {
namespace frontend {

namespace {

/// Brackets and unary minus may nest this deep.
constexpr unsigned kMaxNesting = 256;

/// Decodes the first code point of valid UTF-8 `s` (0 if empty).
uint32_t firstCodePoint(const std::string &s) {
  if (s.empty())
    return 0;
  auto c = static_cast<unsigned char>(s[0]);
  if (c < 0x80)
    return c;
  unsigned len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
  uint32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
  for (unsigned k = 1; k < len && k < s.size(); ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[k]) & 0x3F);
  return cp;
}

} // namespace

//===----------------------------------------------------------------------===//
// Step 1: UTF-8.
//===----------------------------------------------------------------------===//

size_t findInvalidUtf8(const std::string &s) {
  static const uint32_t minCodePoint[] = {0, 0, 0x80, 0x800, 0x10000};
  size_t i = 0, n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    unsigned len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n)
      return i;
    for (unsigned k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80)
        return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < minCodePoint[len] || (cp >= 0xD800 && cp <= 0xDFFF) ||
        cp > 0x10FFFF)
      return i;
    i += len;
  }
  return std::string::npos;
}

SourceLoc locOfByte(const std::string &file, const std::string &text,
                    size_t offset) {
  unsigned line = 1, col = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++col;
    }
  }
  return SourceLoc{file, line, col};
}

std::string describeChar(const std::string &utf8) {
  uint32_t cp = firstCodePoint(utf8);
  if (cp >= 0x20 && cp < 0x7F)
    return "'" + utf8.substr(0, 1) + "'";
  char hex[16];
  std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(cp));
  bool control = cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
  if (control)
    return hex;
  // Keep only the first character of ANTLR's text.
  size_t len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  return "'" + utf8.substr(0, len) + "' (" + hex + ")";
}

//===----------------------------------------------------------------------===//
// Step 3: nesting.
//===----------------------------------------------------------------------===//

bool checkTokens(const std::vector<antlr4::Token *> &tokens,
                 const std::string &file, DiagnosticEngine &diag) {
  std::vector<unsigned> open; // the depth of each open bracket
  unsigned prefixRun = 0;     // consecutive prefix minus signs
  bool afterOperand = false;
  for (antlr4::Token *t : tokens) {
    size_t type = t->getType();
    SourceLoc loc = makeLoc(file, t->getLine(), t->getCharPositionInLine());
    if (type == LaminaParser::UNTERMINATED_COMMENT) {
      diag.error(loc, "unterminated '/*' comment");
      return false;
    }
    if (t->getChannel() != antlr4::Token::DEFAULT_CHANNEL)
      continue;
    unsigned base = open.empty() ? 0 : open.back();
    switch (type) {
    case LaminaParser::LPAREN:
    case LaminaParser::LBRACK: {
      unsigned depth = base + prefixRun + 1;
      if (depth > kMaxNesting) {
        diag.error(loc, "expression is nested too deeply (the limit is " +
                            std::to_string(kMaxNesting) + " levels)");
        return false;
      }
      open.push_back(depth);
      prefixRun = 0;
      afterOperand = false;
      break;
    }
    case LaminaParser::RPAREN:
    case LaminaParser::RBRACK:
      if (!open.empty())
        open.pop_back();
      prefixRun = 0;
      afterOperand = true;
      break;
    case LaminaParser::MINUS:
      if (!afterOperand && base + ++prefixRun > kMaxNesting) {
        diag.error(loc, "expression is nested too deeply (the limit is " +
                            std::to_string(kMaxNesting) + " levels)");
        return false;
      }
      afterOperand = false;
      break;
    case LaminaParser::ID:
    case LaminaParser::INT:
    case LaminaParser::FLOAT:
      prefixRun = 0;
      afterOperand = true;
      break;
    default:
      prefixRun = 0;
      afterOperand = false;
      break;
    }
  }
  return true;
}

} // namespace frontend
} // namespace lamina
