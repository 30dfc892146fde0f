//===- Frontend.h - Model files -> AST -> Graph ---------------------------===//
#ifndef LAMINA_FRONTEND_H
#define LAMINA_FRONTEND_H

#include "lamina/IR.h"

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

namespace lamina {

class DiagnosticEngine;
namespace ast {
struct ModelFile;
} // namespace ast

/// Parses a model file. Syntax errors are reported to `diag` (which also
/// gets the text registered); returns nullptr if there were any.
std::unique_ptr<ast::ModelFile> parseModelFile(const std::string &file,
                                               const std::string &text,
                                               DiagnosticEngine &diag);

/// Prints the AST as an indented tree (deterministic; for --emit=ast).
void printAst(const ast::ModelFile &m, std::ostream &os);

/// Builds the forward graph of model `modelName` (the only or the first
/// model if empty); its train block sets the init of the parameters
/// without data and, if `defaults` is not null, is stored there (the run
/// defaults of a Module; nullopt for a model without one).
/// Unknown names and ops, bad arguments and shape mismatches are reported
/// with their locations; returns nullptr if there were any.
std::unique_ptr<Graph>
buildGraph(const ast::ModelFile &m, DiagnosticEngine &diag,
           const std::string &modelName = "",
           std::optional<TrainConfig> *defaults = nullptr);

} // namespace lamina

#endif // LAMINA_FRONTEND_H
