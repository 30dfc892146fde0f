//===- SyntaxErrors.cpp - Lexer and parser errors worded for people -------===//
//
// Steps 2 and 4 of parseModelFile report through LaminaErrorListener; the
// parser recovers with LaminaErrorStrategy, whose messages name the token
// that most likely is missing.
//
//===----------------------------------------------------------------------===//
#include "ParseSteps.h"

using lamina_antlr::LaminaParser;

namespace lamina {
namespace frontend {

namespace {

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

} // namespace

void LaminaErrorListener::syntaxError(antlr4::Recognizer *recognizer,
                                      antlr4::Token *, size_t line,
                                      size_t charPos, const std::string &msg,
                                      std::exception_ptr e) {
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
    text =
        lexer->getInputStream()->getText(antlr4::misc::Interval(start, start));
  } catch (...) {
  }
  if (text.empty()) {
    diag_.error(loc, "invalid character");
    return;
  }
  diag_.error(loc, "invalid character " + describeChar(text));
}

void LaminaErrorStrategy::reportMissingToken(antlr4::Parser *p) {
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

void LaminaErrorStrategy::reportUnwantedToken(antlr4::Parser *p) {
  if (inErrorRecoveryMode(p))
    return;
  beginErrorCondition(p);
  antlr4::Token *t = p->getCurrentToken();
  std::string msg = "unexpected " + describeToken(t) + "; expected " +
                    describeExpected(getExpectedTokens(p), p->getVocabulary());
  p->notifyErrorListeners(t, msg, nullptr);
}

void LaminaErrorStrategy::reportInputMismatch(
    antlr4::Parser *p, const antlr4::InputMismatchException &e) {
  antlr4::Token *t = e.getOffendingToken();
  std::string msg =
      "expected " +
      describeExpected(e.getExpectedTokens(), p->getVocabulary()) + ", found " +
      describeToken(t);
  p->notifyErrorListeners(t, msg, std::make_exception_ptr(e));
}

void LaminaErrorStrategy::reportNoViableAlternative(
    antlr4::Parser *p, const antlr4::NoViableAltException &e) {
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

void LaminaErrorStrategy::reportFailedPredicate(
    antlr4::Parser *p, const antlr4::FailedPredicateException &e) {
  antlr4::Token *t = e.getOffendingToken();
  p->notifyErrorListeners(t, "unexpected " + describeToken(t),
                          std::make_exception_ptr(e));
}

} // namespace frontend
} // namespace lamina
