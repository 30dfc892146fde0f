//===- FrontendUtil.h - Helpers shared by the frontend's files
//-------------===//
//
// Private to compiler/frontend/: literal folding, argument binding, "did you
// mean" suggestions and the train block.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_FRONTEND_FRONTENDUTIL_H
#define LAMINA_FRONTEND_FRONTENDUTIL_H

#include "lamina/AST.h"
#include "lamina/IR.h"
#include "lamina/abi/Spelling.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lamina {

class DiagnosticEngine;

namespace frontend {

// editDistance and closestMatch: lamina/abi/Spelling.h.
using abi::closestMatch;
using abi::editDistance;

/// "; did you mean 'relu'?" for the closest candidate, or "".
std::string didYouMean(const std::string &word,
                       const std::vector<std::string> &candidates);

/// The value of a number literal, possibly negated: `3`, `-0.5`.
std::optional<double> numberValue(const ast::Expr &e);

/// The value of an integer literal, possibly negated.
std::optional<int64_t> intValue(const ast::Expr &e);

/// True if the second argument of `c` is positional and not a number: a
/// tensor, as in dense(x, W) or conv2d(x, W), not a size.
bool givesTensor(const ast::CallExpr &c);

/// A short description of `e` for messages: "64", "-0.5", "'x'",
/// "'sgd(...)'", "an array", "an expression".
std::string describeExpr(const ast::Expr &e);

/// The arguments of a call matched to its parameters: `bound[i]` is the
/// argument given for `params[i]`, or nullptr.
struct BoundArgs {
  std::vector<const ast::Arg *> bound;
  /// The number of positional arguments.
  unsigned positional = 0;
};

/// Matches `call`'s arguments to `params`: positional arguments in order,
/// keyword arguments by name or by an alias in `aliases` (alias -> param).
/// Parameter names starting with '#' take positional arguments only.
/// Reports keywords that name no parameter (with a suggestion), too many
/// positional arguments, a positional argument after a keyword and
/// arguments given twice. Returns nullopt if it reported anything.
std::optional<BoundArgs>
bindArgs(const ast::CallExpr &call, const std::vector<std::string> &params,
         DiagnosticEngine &diag,
         const std::map<std::string, std::string> &aliases = {});

/// Interprets a train block (batch, epochs, optimizer, init, validation,
/// seed). Reports unknown keys and bad values at their locations; returns
/// nullopt if it reported anything.
std::optional<TrainConfig> buildTrainConfig(const ast::TrainBlock &t,
                                            DiagnosticEngine &diag);

} // namespace frontend
} // namespace lamina

#endif // LAMINA_FRONTEND_FRONTENDUTIL_H
