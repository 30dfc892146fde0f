//===- ParseSteps.h - The steps of parseModelFile -----------*- C++ -*-===//
//
// Private to compiler/frontend/: the parts that parseModelFile (Parser.cpp)
// runs in order.
//   InputChecks.cpp   UTF-8 validity before lexing and nesting depth before
//                     parsing;
//   SyntaxErrors.cpp  the ANTLR error listener and error strategy, which word
//                     lexer and parser errors for people;
//   AstBuilder.cpp    the ANTLR parse tree -> AST.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_FRONTEND_PARSESTEPS_H
#define LAMINA_FRONTEND_PARSESTEPS_H

#include "lamina/AST.h"
#include "lamina/Diagnostics.h"

#include "LaminaParser.h"
#include <antlr4-runtime.h>

#include <memory>
#include <string>
#include <vector>

namespace lamina {
namespace frontend {

/// The location of an ANTLR position (`charPos` counts from 0).
inline SourceLoc makeLoc(const std::string &file, size_t line, size_t charPos) {
  return SourceLoc{file, static_cast<unsigned>(line),
                   static_cast<unsigned>(charPos + 1)};
}

//===----------------------------------------------------------------------===//
// Step 1: UTF-8 (InputChecks.cpp).
//===----------------------------------------------------------------------===//

/// Returns the byte offset of the first malformed UTF-8 sequence (overlong
/// forms, surrogates and code points past U+10FFFF included), or npos.
size_t findInvalidUtf8(const std::string &s);

/// The location of byte `offset` of valid UTF-8 `text`; columns count code
/// points, as ANTLR's do.
SourceLoc locOfByte(const std::string &file, const std::string &text,
                    size_t offset);

/// "'#'" for printable ASCII, "'€' (U+20AC)" for other printable
/// characters, "U+0007" for control characters.
std::string describeChar(const std::string &utf8);

//===----------------------------------------------------------------------===//
// Step 2 and 4: error reporting (SyntaxErrors.cpp).
//===----------------------------------------------------------------------===//

/// Sends lexer and parser errors to the DiagnosticEngine as
/// `file:line:col: error: message` (col 1-based).
class LaminaErrorListener : public antlr4::BaseErrorListener {
public:
  LaminaErrorListener(DiagnosticEngine &diag, std::string file)
      : diag_(diag), file_(std::move(file)) {}

  /// Reports one lexer or parser error; a lexer error names the character.
  void syntaxError(antlr4::Recognizer *recognizer, antlr4::Token *, size_t line,
                   size_t charPos, const std::string &msg,
                   std::exception_ptr e) override;

private:
  DiagnosticEngine &diag_;
  std::string file_;
  size_t lastParserErrorLine_ = 0;
};

/// ANTLR's recovery (single-token insertion and deletion, resynchronizing
/// in loops) with messages such as "expected ';' after declaration".
class LaminaErrorStrategy : public antlr4::DefaultErrorStrategy {
protected:
  /// A token is missing: reported just after the previous token, where it
  /// belongs, like clang does.
  void reportMissingToken(antlr4::Parser *p) override;
  /// "unexpected 'x'; expected ';'".
  void reportUnwantedToken(antlr4::Parser *p) override;
  /// "expected ';', found 'x'".
  void reportInputMismatch(antlr4::Parser *p,
                           const antlr4::InputMismatchException &e) override;
  /// "expected an expression, found ')'" or "unexpected ')'".
  void
  reportNoViableAlternative(antlr4::Parser *p,
                            const antlr4::NoViableAltException &e) override;
  /// "unexpected 'x'".
  void
  reportFailedPredicate(antlr4::Parser *p,
                        const antlr4::FailedPredicateException &e) override;
};

//===----------------------------------------------------------------------===//
// Step 3: nesting (InputChecks.cpp).
//===----------------------------------------------------------------------===//

/// Reports an unterminated block comment and nesting deeper than
/// kMaxNesting (brackets and prefix minus signs, which each make the parser
/// recurse). Returns false if it reported anything.
bool checkTokens(const std::vector<antlr4::Token *> &tokens,
                 const std::string &file, DiagnosticEngine &diag);

//===----------------------------------------------------------------------===//
// Step 4: parse tree -> AST (AstBuilder.cpp).
//===----------------------------------------------------------------------===//

/// Converts the parse tree into the AST, checking literals and types. Errors
/// are reported and conversion goes on; the caller drops the result if
/// there were any.
std::unique_ptr<ast::ModelFile>
buildAst(lamina_antlr::LaminaParser::ModelFileContext *tree,
         const std::string &file, DiagnosticEngine &diag);

} // namespace frontend
} // namespace lamina

#endif // LAMINA_FRONTEND_PARSESTEPS_H
