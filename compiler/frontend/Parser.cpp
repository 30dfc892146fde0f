//===- Parser.cpp - Lamina source text -> AST
//------------------------------===//
//
// parseModelFile runs in four steps, each of which stops at its errors:
//   1. the text must be valid UTF-8 (ANTLR's decoder would throw otherwise);
//   2. the ANTLR lexer tokenizes the whole file; characters it cannot lex are
//      reported by LaminaErrorListener;
//   3. a scan over the tokens rejects nesting deeper than kMaxNesting before
//      the recursive-descent parser could overflow the stack on it;
//   4. the parser runs with LaminaErrorStrategy, which words its messages
//      for people, and AstBuilder turns the parse tree into the AST, checking
//      literals, element types and shapes on the way.
// No exception leaves parseModelFile.
//
//===----------------------------------------------------------------------===//
#include "lamina/AST.h"
#include "lamina/Diagnostics.h"
#include "lamina/Frontend.h"

#include "LaminaLexer.h"
#include "LaminaParser.h"
#include <antlr4-runtime.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

using lamina_antlr::LaminaLexer;
using lamina_antlr::LaminaParser;

namespace lamina {

namespace {

using ast::ExprPtr;

/// Brackets and unary minus may nest this deep.
constexpr unsigned kMaxNesting = 256;
/// An expression tree (long operator chains included) may be this deep, so
/// the recursive walks over it stay far from the stack limit.
constexpr unsigned kMaxExprDepth = 1024;
/// A declared shape may have at most this many elements per sample.
constexpr int64_t kMaxElements = int64_t(1) << 40;

SourceLoc makeLoc(const std::string &file, size_t line, size_t charPos) {
  return SourceLoc{file, static_cast<unsigned>(line),
                   static_cast<unsigned>(charPos + 1)};
}

//===----------------------------------------------------------------------===//
// Step 1: UTF-8.
//===----------------------------------------------------------------------===//

/// Returns the byte offset of the first malformed UTF-8 sequence (overlong
/// forms, surrogates and code points past U+10FFFF included), or npos.
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

/// The location of byte `offset` of valid UTF-8 `text`; columns count code
/// points, as ANTLR's do.
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

/// "'#'" for printable ASCII, "'€' (U+20AC)" for other printable
/// characters, "U+0007" for control characters.
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
// Step 2 and 4: error reporting.
//===----------------------------------------------------------------------===//

/// Sends lexer and parser errors to the DiagnosticEngine as
/// `file:line:col: error: message` (col 1-based).
class LaminaErrorListener : public antlr4::BaseErrorListener {
public:
  LaminaErrorListener(DiagnosticEngine &diag, std::string file)
      : diag_(diag), file_(std::move(file)) {}

  void syntaxError(antlr4::Recognizer *recognizer, antlr4::Token *, size_t line,
                   size_t charPos, const std::string &msg,
                   std::exception_ptr e) override {
    SourceLoc loc = makeLoc(file_, line, charPos);
    auto *lexer = dynamic_cast<antlr4::Lexer *>(recognizer);
    if (!lexer) {
      // After recovering from an error, ANTLR often trips again over the
      // same statement; only an error on a later line is news.
      if (lastParserErrorLine_ != 0 && line <= lastParserErrorLine_)
        return;
      lastParserErrorLine_ = line;
      diag_.error(loc, msg);
      return;
    }
    // ANTLR says "token recognition error at: 'X'"; name the character.
    std::string text;
    try {
      if (e)
        std::rethrow_exception(e);
    } catch (antlr4::LexerNoViableAltException &ex) {
      size_t start = ex.getStartIndex();
      text = lexer->getInputStream()->getText(
          antlr4::misc::Interval(start, start));
    } catch (...) {
    }
    if (text.empty()) {
      diag_.error(loc, "invalid character");
      return;
    }
    diag_.error(loc, "invalid character " + describeChar(text));
  }

private:
  DiagnosticEngine &diag_;
  std::string file_;
  size_t lastParserErrorLine_ = 0;
};

/// "a name", "';'", "end of file".
std::string describeTokenType(size_t type, const antlr4::dfa::Vocabulary &v) {
  switch (type) {
  case antlr4::Token::EOF:
    return "end of file";
  case LaminaParser::ID:
    return "a name";
  case LaminaParser::INT:
    return "an integer";
  case LaminaParser::FLOAT:
    return "a number";
  default:
    return v.getLiteralName(type);
  }
}

/// "'foo'" or "end of file".
std::string describeToken(antlr4::Token *t) {
  if (!t || t->getType() == antlr4::Token::EOF)
    return "end of file";
  return "'" + t->getText() + "'";
}

bool has(const antlr4::misc::IntervalSet &s, size_t type) {
  return s.contains(type);
}

/// Words the set of tokens the parser expected for a person: the token that
/// most likely is missing rather than every operator that could continue an
/// expression.
std::string describeExpected(const antlr4::misc::IntervalSet &s,
                             const antlr4::dfa::Vocabulary &v) {
  if (has(s, LaminaParser::SEMI))
    return "';'";
  if (has(s, LaminaParser::ID) && has(s, LaminaParser::INT) &&
      has(s, LaminaParser::LPAREN))
    return "an expression";
  if (has(s, LaminaParser::INPUT) && has(s, LaminaParser::ID))
    return has(s, LaminaParser::RBRACE) ? "a declaration or '}'"
                                        : "a declaration";
  if (has(s, LaminaParser::COMMA) && has(s, LaminaParser::RPAREN))
    return "',' or ')'";
  if (has(s, LaminaParser::COMMA) && has(s, LaminaParser::RBRACK))
    return "',' or ']'";
  if (has(s, LaminaParser::MODEL) && has(s, LaminaParser::TRAIN))
    return "'model' or 'train'";
  if (has(s, LaminaParser::ID) && has(s, LaminaParser::RBRACE) && s.size() == 2)
    return "a setting or '}'";
  std::vector<std::string> names;
  for (ssize_t t : s.toList()) {
    // Operators that would merely continue an expression are noise here.
    if (t == LaminaParser::PLUS || t == LaminaParser::MINUS ||
        t == LaminaParser::STAR || t == LaminaParser::SLASH ||
        t == LaminaParser::AT)
      continue;
    names.push_back(describeTokenType(static_cast<size_t>(t), v));
  }
  if (names.empty())
    return "an operator";
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i)
      out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

/// What a rule is called in messages ("declaration" for decl).
std::string ruleNoun(size_t rule) {
  switch (rule) {
  case LaminaParser::RuleDecl:
    return "declaration";
  case LaminaParser::RuleSetting:
    return "setting";
  case LaminaParser::RuleExpr:
  case LaminaParser::RulePrimary:
    return "expression";
  case LaminaParser::RuleArg:
  case LaminaParser::RuleArgList:
    return "argument";
  case LaminaParser::RuleTypeSpec:
  case LaminaParser::RuleDim:
    return "type";
  case LaminaParser::RuleModelFile:
    return "'model' or 'train'";
  default:
    return "";
  }
}

/// "an expression", "a declaration"; quoted tokens stay as they are.
std::string withArticle(const std::string &noun) {
  if (noun.empty() || noun[0] == '\'')
    return noun;
  bool vowel = std::string("aeiou").find(noun[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + noun;
}

/// ANTLR's recovery (single-token insertion and deletion, resynchronizing
/// in loops) with messages such as "expected ';' after declaration".
class LaminaErrorStrategy : public antlr4::DefaultErrorStrategy {
protected:
  /// A token is missing: reported just after the previous token, where it
  /// belongs, like clang does.
  void reportMissingToken(antlr4::Parser *p) override {
    if (inErrorRecoveryMode(p))
      return;
    beginErrorCondition(p);
    antlr4::misc::IntervalSet expecting = getExpectedTokens(p);
    std::string what = describeExpected(expecting, p->getVocabulary());
    std::string msg = "expected " + what;
    size_t rule = p->getContext()->getRuleIndex();
    if (what == "';'" &&
        (rule == LaminaParser::RuleDecl || rule == LaminaParser::RuleSetting))
      msg += " after " + ruleNoun(rule);
    antlr4::Token *prev = p->getTokenStream()->LT(-1);
    if (!prev) {
      p->notifyErrorListeners(p->getCurrentToken(), msg, nullptr);
      return;
    }
    antlr4::CommonToken after(prev);
    after.setCharPositionInLine(
        prev->getCharPositionInLine() +
        (prev->getStopIndex() + 1 - prev->getStartIndex()));
    p->notifyErrorListeners(&after, msg, nullptr);
  }

  void reportUnwantedToken(antlr4::Parser *p) override {
    if (inErrorRecoveryMode(p))
      return;
    beginErrorCondition(p);
    antlr4::Token *t = p->getCurrentToken();
    std::string msg =
        "unexpected " + describeToken(t) + "; expected " +
        describeExpected(getExpectedTokens(p), p->getVocabulary());
    p->notifyErrorListeners(t, msg, nullptr);
  }

  void reportInputMismatch(antlr4::Parser *p,
                           const antlr4::InputMismatchException &e) override {
    antlr4::Token *t = e.getOffendingToken();
    std::string msg =
        "expected " +
        describeExpected(e.getExpectedTokens(), p->getVocabulary()) +
        ", found " + describeToken(t);
    p->notifyErrorListeners(t, msg, std::make_exception_ptr(e));
  }

  void
  reportNoViableAlternative(antlr4::Parser *p,
                            const antlr4::NoViableAltException &e) override {
    antlr4::Token *t = e.getOffendingToken();
    std::string noun = e.getCtx() ? ruleNoun(e.getCtx()->getRuleIndex()) : "";
    std::string msg;
    // When prediction failed on the rule's first token, nothing of it
    // matched; otherwise the token itself is the surprise.
    if (!noun.empty() && e.getStartToken() == t) {
      msg = "expected " + withArticle(noun) + ", found " + describeToken(t);
    } else {
      msg = "unexpected " + describeToken(t);
    }
    p->notifyErrorListeners(t, msg, std::make_exception_ptr(e));
  }

  void
  reportFailedPredicate(antlr4::Parser *p,
                        const antlr4::FailedPredicateException &e) override {
    antlr4::Token *t = e.getOffendingToken();
    p->notifyErrorListeners(t, "unexpected " + describeToken(t),
                            std::make_exception_ptr(e));
  }
};

//===----------------------------------------------------------------------===//
// Step 3: nesting.
//===----------------------------------------------------------------------===//

/// Reports an unterminated block comment and nesting deeper than
/// kMaxNesting (brackets and prefix minus signs, which each make the parser
/// recurse). Returns false if it reported anything.
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

//===----------------------------------------------------------------------===//
// Step 4: parse tree -> AST.
//===----------------------------------------------------------------------===//

/// Converts the parse tree into the AST, checking literals and types. Errors
/// are reported and conversion goes on; the caller drops the result if
/// there were any.
class AstBuilder {
public:
  AstBuilder(std::string file, DiagnosticEngine &diag)
      : file_(std::move(file)), diag_(diag) {}

  /// modelFile ::= (model | trainBlock)* EOF
  std::unique_ptr<ast::ModelFile> build(LaminaParser::ModelFileContext *ctx) {
    auto m = std::make_unique<ast::ModelFile>();
    m->file = file_;
    for (antlr4::tree::ParseTree *child : ctx->children) {
      if (auto *mc = dynamic_cast<LaminaParser::ModelContext *>(child))
        m->models.push_back(convertModel(mc));
      else if (auto *tc =
                   dynamic_cast<LaminaParser::TrainBlockContext *>(child))
        m->trains.push_back(convertTrain(tc));
    }
    return m;
  }

private:
  SourceLoc loc(antlr4::Token *t) const {
    return makeLoc(file_, t->getLine(), t->getCharPositionInLine());
  }
  SourceLoc loc(antlr4::tree::TerminalNode *n) const {
    return loc(n->getSymbol());
  }

  /// model ::= 'model' ID '{' decl* '}'
  ast::Model convertModel(LaminaParser::ModelContext *ctx) {
    ast::Model m;
    m.name = ctx->ID()->getText();
    m.loc = loc(ctx->MODEL());
    for (LaminaParser::DeclContext *d : ctx->decl())
      m.decls.push_back(convertDecl(d));
    return m;
  }

  /// decl ::= 'input' ID ':' typeSpec ';' | 'label' ID ':' typeSpec ';'
  ///        | 'param' ID ':' typeSpec ('=' expr)? ';' | 'loss' expr ';'
  ///        | 'metric' (ID '=')? expr ';' | 'output' ID '=' expr ';'
  ///        | ID '=' expr ';'
  ast::Decl convertDecl(LaminaParser::DeclContext *ctx) {
    ast::Decl d;
    d.loc = loc(ctx->getStart());
    auto named = [&](antlr4::tree::TerminalNode *id) {
      d.name = id->getText();
      d.nameLoc = loc(id);
    };
    if (auto *c = dynamic_cast<LaminaParser::InputDeclContext *>(ctx)) {
      d.kind = ast::DeclKind::Input;
      named(c->ID());
      d.type = convertType(c->typeSpec(), /*allowBatch=*/true);
    } else if (auto *c = dynamic_cast<LaminaParser::LabelDeclContext *>(ctx)) {
      d.kind = ast::DeclKind::Label;
      named(c->ID());
      d.type = convertType(c->typeSpec(), /*allowBatch=*/true);
    } else if (auto *c = dynamic_cast<LaminaParser::ParamDeclContext *>(ctx)) {
      d.kind = ast::DeclKind::Param;
      named(c->ID());
      d.type = convertType(c->typeSpec(), /*allowBatch=*/false);
      if (c->expr())
        d.value = convertExpr(c->expr());
    } else if (auto *c = dynamic_cast<LaminaParser::LossDeclContext *>(ctx)) {
      d.kind = ast::DeclKind::Loss;
      d.value = convertExpr(c->expr());
    } else if (auto *c =
                   dynamic_cast<LaminaParser::NamedMetricDeclContext *>(ctx)) {
      d.kind = ast::DeclKind::Metric;
      named(c->ID());
      d.value = convertExpr(c->expr());
    } else if (auto *c = dynamic_cast<LaminaParser::MetricDeclContext *>(ctx)) {
      d.kind = ast::DeclKind::Metric;
      d.value = convertExpr(c->expr());
    } else if (auto *c = dynamic_cast<LaminaParser::OutputDeclContext *>(ctx)) {
      d.kind = ast::DeclKind::Output;
      named(c->ID());
      d.value = convertExpr(c->expr());
    } else if (auto *c = dynamic_cast<LaminaParser::LetDeclContext *>(ctx)) {
      d.kind = ast::DeclKind::Let;
      named(c->ID());
      d.value = convertExpr(c->expr());
    }
    return d;
  }

  /// typeSpec ::= ID ('[' (dim (',' dim)*)? ']')?
  /// dim ::= '-'? INT | ID
  ast::TypeSpec convertType(LaminaParser::TypeSpecContext *ctx,
                            bool allowBatch) {
    ast::TypeSpec t;
    t.loc = loc(ctx->ID());
    std::string dtype = ctx->ID()->getText();
    if (std::optional<DType> dt = parseDType(dtype))
      t.type.dtype = *dt;
    else
      diag_.error(t.loc, "unknown element type '" + dtype +
                             "'; expected f32, f64 or i32");
    bool ok = true;
    std::vector<LaminaParser::DimContext *> dims = ctx->dim();
    for (size_t i = 0; i < dims.size(); ++i) {
      LaminaParser::DimContext *d = dims[i];
      SourceLoc dloc = loc(d->getStart());
      if (antlr4::tree::TerminalNode *id = d->ID()) {
        std::string name = id->getText();
        if (name != "batch") {
          diag_.error(dloc, "unknown dimension '" + name +
                                "'; a dimension is an integer or 'batch'");
          ok = false;
        } else if (!allowBatch) {
          diag_.error(dloc, "a parameter cannot have a batch dimension");
          ok = false;
        } else if (i != 0) {
          diag_.error(dloc, "'batch' must be the first dimension");
          ok = false;
        }
        t.type.shape.push_back(kBatch);
        continue;
      }
      std::optional<int64_t> v = parseInt(d->INT());
      if (!v) {
        ok = false;
        t.type.shape.push_back(1);
        continue;
      }
      int64_t dim = d->MINUS() ? -*v : *v;
      if (dim <= 0) {
        diag_.error(dloc,
                    "dimension must be positive, got " + std::to_string(dim));
        ok = false;
        dim = 1;
      }
      t.type.shape.push_back(dim);
    }
    if (ok && !fitsElementLimit(t.type.shape))
      diag_.error(t.loc, "shape " + shapeToString(t.type.shape) +
                             " has more than 2^40 elements");
    return t;
  }

  static bool fitsElementLimit(const Shape &s) {
    int64_t n = 1;
    for (int64_t d : s) {
      if (d == kBatch)
        continue;
      if (d > kMaxElements / n)
        return false;
      n *= d;
    }
    return true;
  }

  /// Parses an INT token ('_' separators allowed); reports values beyond
  /// int64.
  std::optional<int64_t> parseInt(antlr4::tree::TerminalNode *tok) {
    std::string text = tok->getText();
    int64_t v = 0;
    for (char c : text) {
      if (c == '_')
        continue;
      int digit = c - '0';
      if (v > (std::numeric_limits<int64_t>::max() - digit) / 10) {
        diag_.error(loc(tok),
                    "integer literal '" + text +
                        "' is too large (the maximum is 9223372036854775807)");
        return std::nullopt;
      }
      v = v * 10 + digit;
    }
    return v;
  }

  /// expr ::= primary | '-' expr | expr ('*' | '/' | '@') expr
  ///        | expr ('+' | '-') expr
  /// Left-associative chains form the parse tree's left spine; it is walked
  /// with a loop so a long sum does not recurse once per term.
  ExprPtr convertExpr(LaminaParser::ExprContext *ctx) {
    unsigned depth = 0;
    return convertExpr(ctx, depth);
  }

  ExprPtr convertExpr(LaminaParser::ExprContext *ctx, unsigned &depth) {
    std::vector<LaminaParser::ExprContext *> spine;
    LaminaParser::ExprContext *cur = ctx;
    for (;;) {
      if (auto *m = dynamic_cast<LaminaParser::MulExprContext *>(cur)) {
        spine.push_back(m);
        cur = m->expr(0);
        continue;
      }
      if (auto *a = dynamic_cast<LaminaParser::AddExprContext *>(cur)) {
        spine.push_back(a);
        cur = a->expr(0);
        continue;
      }
      break;
    }
    ExprPtr result = convertUnaryOrPrimary(cur, depth);
    for (auto it = spine.rbegin(); it != spine.rend(); ++it) {
      antlr4::Token *op;
      LaminaParser::ExprContext *rhsCtx;
      if (auto *m = dynamic_cast<LaminaParser::MulExprContext *>(*it)) {
        op = m->op;
        rhsCtx = m->expr(1);
      } else {
        auto *a = static_cast<LaminaParser::AddExprContext *>(*it);
        op = a->op;
        rhsCtx = a->expr(1);
      }
      unsigned rhsDepth = 0;
      ExprPtr rhs = convertExpr(rhsCtx, rhsDepth);
      depth = std::max(depth, rhsDepth) + 1;
      if (depth > kMaxExprDepth) {
        diag_.error(loc(op), "expression is too complex (its tree is more "
                             "than " +
                                 std::to_string(kMaxExprDepth) +
                                 " levels deep)");
        depth = 0;
        return nullptr;
      }
      ast::BinaryOp bop = ast::BinaryOp::Add;
      switch (op->getType()) {
      case LaminaParser::PLUS:
        bop = ast::BinaryOp::Add;
        break;
      case LaminaParser::MINUS:
        bop = ast::BinaryOp::Sub;
        break;
      case LaminaParser::STAR:
        bop = ast::BinaryOp::Mul;
        break;
      case LaminaParser::SLASH:
        bop = ast::BinaryOp::Div;
        break;
      case LaminaParser::AT:
        bop = ast::BinaryOp::MatMul;
        break;
      }
      result = std::make_unique<ast::BinaryExpr>(bop, std::move(result),
                                                 std::move(rhs), loc(op));
    }
    return result;
  }

  ExprPtr convertUnaryOrPrimary(LaminaParser::ExprContext *ctx,
                                unsigned &depth) {
    if (auto *n = dynamic_cast<LaminaParser::NegExprContext *>(ctx)) {
      ExprPtr operand = convertExpr(n->expr(), depth);
      ++depth;
      return std::make_unique<ast::UnaryExpr>(std::move(operand),
                                              loc(n->MINUS()));
    }
    auto *p = static_cast<LaminaParser::PrimaryExprContext *>(ctx);
    return convertPrimary(p->primary(), depth);
  }

  /// primary ::= ID '(' argList? ')' | ID | INT | FLOAT
  ///           | '[' (expr (',' expr)* ','?)? ']' | '(' expr ')'
  ExprPtr convertPrimary(LaminaParser::PrimaryContext *ctx, unsigned &depth) {
    depth = 1;
    if (auto *c = dynamic_cast<LaminaParser::CallExprContext *>(ctx)) {
      std::vector<ast::Arg> args;
      if (LaminaParser::ArgListContext *al = c->argList())
        for (LaminaParser::ArgContext *a : al->arg())
          args.push_back(convertArg(a, depth));
      ++depth;
      return std::make_unique<ast::CallExpr>(c->ID()->getText(),
                                             std::move(args), loc(c->ID()));
    }
    if (auto *n = dynamic_cast<LaminaParser::NameExprContext *>(ctx))
      return std::make_unique<ast::NameRef>(n->ID()->getText(), loc(n->ID()));
    if (auto *i = dynamic_cast<LaminaParser::IntExprContext *>(ctx)) {
      std::optional<int64_t> v = parseInt(i->INT());
      return std::make_unique<ast::IntLit>(v.value_or(0), loc(i->INT()));
    }
    if (auto *f = dynamic_cast<LaminaParser::FloatExprContext *>(ctx)) {
      std::string text = f->FLOAT()->getText();
      std::string digits;
      for (char c : text)
        if (c != '_')
          digits += c;
      double v = std::strtod(digits.c_str(), nullptr);
      if (std::isinf(v))
        diag_.error(loc(f->FLOAT()),
                    "floating-point literal '" + text + "' is out of range");
      return std::make_unique<ast::FloatLit>(v, loc(f->FLOAT()));
    }
    if (auto *a = dynamic_cast<LaminaParser::ArrayExprContext *>(ctx)) {
      std::vector<ExprPtr> elems;
      unsigned maxDepth = 0;
      for (LaminaParser::ExprContext *e : a->expr()) {
        unsigned d = 0;
        elems.push_back(convertExpr(e, d));
        maxDepth = std::max(maxDepth, d);
      }
      depth = maxDepth + 1;
      return std::make_unique<ast::ArrayLit>(std::move(elems),
                                             loc(a->LBRACK()));
    }
    auto *p = static_cast<LaminaParser::ParenExprContext *>(ctx);
    return convertExpr(p->expr(), depth);
  }

  /// arg ::= ID '=' expr | expr
  ast::Arg convertArg(LaminaParser::ArgContext *ctx, unsigned &depth) {
    ast::Arg a;
    unsigned d = 0;
    if (auto *k = dynamic_cast<LaminaParser::KeywordArgContext *>(ctx)) {
      a.keyword = k->ID()->getText();
      a.loc = loc(k->ID());
      a.value = convertExpr(k->expr(), d);
    } else {
      auto *p = static_cast<LaminaParser::PositionalArgContext *>(ctx);
      a.loc = loc(p->getStart());
      a.value = convertExpr(p->expr(), d);
    }
    depth = std::max(depth, d);
    return a;
  }

  /// trainBlock ::= 'train' ID '{' setting* '}'
  /// setting ::= ID '=' expr ';'
  ast::TrainBlock convertTrain(LaminaParser::TrainBlockContext *ctx) {
    ast::TrainBlock t;
    t.model = ctx->ID()->getText();
    t.loc = loc(ctx->TRAIN());
    t.modelLoc = loc(ctx->ID());
    for (LaminaParser::SettingContext *s : ctx->setting()) {
      ast::Setting st;
      st.key = s->ID()->getText();
      st.loc = loc(s->ID());
      st.value = convertExpr(s->expr());
      t.settings.push_back(std::move(st));
    }
    return t;
  }

  std::string file_;
  DiagnosticEngine &diag_;
};

} // namespace

namespace ast {

const char *binaryOpSpelling(BinaryOp op) {
  switch (op) {
  case BinaryOp::Add:
    return "+";
  case BinaryOp::Sub:
    return "-";
  case BinaryOp::Mul:
    return "*";
  case BinaryOp::Div:
    return "/";
  case BinaryOp::MatMul:
    return "@";
  }
  return "?";
}

const char *declKindName(DeclKind k) {
  switch (k) {
  case DeclKind::Input:
    return "Input";
  case DeclKind::Label:
    return "Label";
  case DeclKind::Param:
    return "Param";
  case DeclKind::Let:
    return "Let";
  case DeclKind::Loss:
    return "Loss";
  case DeclKind::Metric:
    return "Metric";
  case DeclKind::Output:
    return "Output";
  }
  return "?";
}

} // namespace ast

std::unique_ptr<ast::ModelFile> parseModelFile(const std::string &file,
                                               const std::string &text,
                                               DiagnosticEngine &diag) {
  diag.addSource(file, text);
  size_t bad = findInvalidUtf8(text);
  if (bad != std::string::npos) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x",
                  static_cast<unsigned>(static_cast<unsigned char>(text[bad])));
    diag.error(locOfByte(file, text, bad),
               std::string("invalid UTF-8 byte ") + hex);
    return nullptr;
  }
  unsigned errorsBefore = diag.numErrors();
  try {
    LaminaErrorListener listener(diag, file);
    antlr4::ANTLRInputStream input(text);
    LaminaLexer lexer(&input);
    lexer.removeErrorListeners();
    lexer.addErrorListener(&listener);
    antlr4::CommonTokenStream tokens(&lexer);
    tokens.fill();
    if (diag.numErrors() != errorsBefore)
      return nullptr;
    if (!checkTokens(tokens.getTokens(), file, diag))
      return nullptr;

    LaminaParser parser(&tokens);
    parser.removeErrorListeners();
    parser.addErrorListener(&listener);
    parser.setErrorHandler(std::make_shared<LaminaErrorStrategy>());
    LaminaParser::ModelFileContext *tree = parser.modelFile();
    if (diag.numErrors() != errorsBefore)
      return nullptr;

    std::unique_ptr<ast::ModelFile> m = AstBuilder(file, diag).build(tree);
    if (diag.numErrors() != errorsBefore)
      return nullptr;
    return m;
  } catch (const std::exception &e) {
    diag.error(SourceLoc{file, 0, 0},
               std::string("internal parser error: ") + e.what());
  } catch (...) {
    diag.error(SourceLoc{file, 0, 0}, "internal parser error");
  }
  return nullptr;
}

} // namespace lamina
