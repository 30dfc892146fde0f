//===- IRText.h - The textual form of the graph IR ------------------------===//
#ifndef LAMINA_IRTEXT_H
#define LAMINA_IRTEXT_H

#include "lamina/IR.h"

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace lamina {

class DiagnosticEngine;

struct PrintOptions {
  /// Append `loc("file":line:col)` to nodes with a known location.
  bool printLocs = false;
};

/// Prints `g` in the textual IR form that parseGraph reads back, closed by
/// the `train {...}` line of `defaults` when it has a value (the run
/// defaults of the Module that `g` belongs to).
void printGraph(const Graph &g, std::ostream &os, PrintOptions opts = {},
                const std::optional<TrainConfig> &defaults = std::nullopt);

/// Parses textual IR; errors go to `diag` with file:line:col; returns
/// nullptr if there were any. The graph's `train {...}` line, if any, is
/// stored in `*defaults`; a train line is an error when `defaults` is null.
std::unique_ptr<Graph>
parseGraph(const std::string &file, const std::string &text,
           DiagnosticEngine &diag,
           std::optional<TrainConfig> *defaults = nullptr);

/// Checks structural invariants (inputs precede users, types match each
/// op's rule, outputs/updates/loss belong to the graph, update types equal
/// their param's). Reports each problem; returns true if none.
bool verifyGraph(const Graph &g, DiagnosticEngine &diag);

/// The names printGraph gives the nodes of `g`, by position in g.nodes():
/// "%x" for a leaf named x (made unique and identifier-safe), "%0", "%1", ...
/// for the other nodes in order.
std::vector<std::string> valueNames(const Graph &g);

/// valueNames(g) by node: every name that --emit=plan, --emit=halide and
/// --profile give a node is the one printGraph gives it.
std::unordered_map<const Node *, std::string> valueNameMap(const Graph &g);

} // namespace lamina

#endif // LAMINA_IRTEXT_H
