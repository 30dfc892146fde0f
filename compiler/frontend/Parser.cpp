//===- Parser.cpp - Lamina source text -> AST ----------------------------===//
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
// No exception leaves parseModelFile. The steps live in the files that
// ParseSteps.h lists.
//
//===----------------------------------------------------------------------===//
#include "ParseSteps.h"

#include "lamina/Frontend.h"

#include "LaminaLexer.h"

#include <cstdio>

using lamina_antlr::LaminaLexer;
using lamina_antlr::LaminaParser;

namespace lamina {

using namespace frontend;

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
  case DeclKind::Split:
    return "Split";
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

    std::unique_ptr<ast::ModelFile> m = buildAst(tree, file, diag);
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
