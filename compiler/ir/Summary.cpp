//===- Summary.cpp - The layer table of --summary -------------------------===//
#include "lamina/Summary.h"
#include "lamina/OpInfo.h"

#include <iomanip>
#include <ostream>
#include <sstream>

namespace lamina {

std::string withThousands(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

int64_t countParameters(const Graph &g) {
  int64_t total = 0;
  for (Node *p : g.paramsWithRole("param"))
    total += numElements(p->shape());
  return total;
}

/// "relu(dense)": the op of n, and of the unnamed computation feeding it.
static std::string opLabel(const Node &n) {
  std::string label = opName(n.kind());
  if (n.numInputs() == 0)
    return label;
  const Node &in = n.input(0);
  if (in.name().empty() && in.kind() != OpKind::Constant &&
      in.kind() != OpKind::Input && in.kind() != OpKind::Param)
    return label + "(" + opLabel(in) + ")";
  return label;
}

/// Parameters whose name is `value` + "." + something.
static int64_t paramsOf(const Graph &g, const std::string &value) {
  int64_t total = 0;
  for (Node *p : g.paramsWithRole("param"))
    if (p->name().rfind(value + ".", 0) == 0)
      total += numElements(p->shape());
  return total;
}

void printSummary(const Graph &g, std::ostream &os) {
  struct Row {
    std::string name, op, shape, params;
  };
  std::vector<Row> rows;
  for (const auto &np : g.nodes()) {
    const Node &n = *np;
    if (n.kind() == OpKind::Param || n.kind() == OpKind::Constant ||
        n.name().empty())
      continue;
    int64_t p = n.kind() == OpKind::Input ? 0 : paramsOf(g, n.name());
    rows.push_back(
        {n.name(), opLabel(n), typeToString(n.type()), withThousands(p)});
  }
  // Explicit `param` declarations get a row of their own.
  for (Node *p : g.paramsWithRole("param"))
    if (p->name().find('.') == std::string::npos)
      rows.push_back({p->name(), "param", typeToString(p->type()),
                      withThousands(numElements(p->shape()))});
  size_t w[4] = {5, 2, 12, 6};
  for (const Row &r : rows) {
    w[0] = std::max(w[0], r.name.size());
    w[1] = std::max(w[1], r.op.size());
    w[2] = std::max(w[2], r.shape.size());
    w[3] = std::max(w[3], r.params.size());
  }
  auto line = [&](const std::string &a, const std::string &b,
                  const std::string &c, const std::string &d) {
    os << std::left << std::setw(static_cast<int>(w[0] + 2)) << a
       << std::setw(static_cast<int>(w[1] + 2)) << b
       << std::setw(static_cast<int>(w[2] + 2)) << c << std::right
       << std::setw(static_cast<int>(w[3])) << d << '\n';
  };
  os << "Model: " << g.name() << '\n';
  line("Layer", "Op", "Output shape", "Params");
  os << std::string(w[0] + w[1] + w[2] + w[3] + 6, '-') << '\n';
  for (const Row &r : rows)
    line(r.name, r.op, r.shape, r.params);
  os << std::string(w[0] + w[1] + w[2] + w[3] + 6, '-') << '\n';
  int64_t total = countParameters(g);
  int64_t bytes = 0;
  for (Node *p : g.paramsWithRole("param"))
    bytes += numElements(p->shape()) * dtypeSize(p->dtype());
  os << "Total parameters: " << withThousands(total) << '\n';
  std::ostringstream mb;
  mb << std::fixed << std::setprecision(2) << bytes / (1024.0 * 1024.0);
  os << "Parameter memory: " << mb.str() << " MiB\n";
}

} // namespace lamina
