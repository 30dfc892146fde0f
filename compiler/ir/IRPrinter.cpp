//===- IRPrinter.cpp - Graph -> textual IR
//---------------------------------===//
//
// The textual form, read back by IRParser.cpp:
//
//   graph @Mlp {
//     %x = input "x" {role = "input"} : f32[batch, 784]
//     %w = param "w" {init = "zeros", role = "param"} = [[0.5]] : f32[1, 1]
//     %0 = dense %x, %w : f32[batch, 1] name "h1" loc("mlp.lam":3:5)
//     %1 = constant [[1.0, 2.0], [3.0, 4.0]] : f32[2, 2]
//     loss %5
//     output "probs" = %4
//     metric "accuracy" = %6
//     update "w" = %9
//     train {batch = 64, epochs = 5, lr = 0.05, ...}
//   }
//
// Leaves print as %<their name>, every other node as %N, numbered in order.
// Attributes come sorted by name; doubles always show a '.' or an exponent,
// so an attribute's type survives the round trip. Strings are printed in
// ASCII with \" \\ \n \t and \xHH escapes.
//
//===----------------------------------------------------------------------===//
#include "lamina/IRText.h"
#include "lamina/OpInfo.h"
#include "lamina/Support.h"

#include <cstring>
#include <ostream>
#include <set>
#include <unordered_map>

namespace lamina {

static bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool isIdentChar(char c) {
  return isIdentStart(c) || (c >= '0' && c <= '9') || c == '.';
}

/// True if `s` can be printed bare, as an SSA name or attribute key.
static bool isIdentifier(const std::string &s) {
  if (s.empty() || !isIdentStart(s[0]))
    return false;
  for (char c : s)
    if (!isIdentChar(c))
      return false;
  return true;
}

static void printString(std::ostream &os, const std::string &s) {
  static const char *kHex = "0123456789abcdef";
  os << '"';
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\')
      os << '\\' << c;
    else if (c == '\n')
      os << "\\n";
    else if (c == '\t')
      os << "\\t";
    else if (u < 0x20 || u >= 0x7f)
      os << "\\x" << kHex[u >> 4] << kHex[u & 15];
    else
      os << c;
  }
  os << '"';
}

/// Prints an attribute key or graph name bare if it is an identifier.
static void printIdentOrString(std::ostream &os, const std::string &s) {
  if (isIdentifier(s))
    os << s;
  else
    printString(os, s);
}

static void printAttrValue(std::ostream &os, const Attr &a) {
  if (auto *i = std::get_if<int64_t>(&a)) {
    os << *i;
    return;
  }
  if (auto *d = std::get_if<double>(&a)) {
    os << formatDouble(*d);
    return;
  }
  if (auto *s = std::get_if<std::string>(&a)) {
    printString(os, *s);
    return;
  }
  const auto &list = std::get<std::vector<int64_t>>(a);
  os << '[';
  for (size_t i = 0; i < list.size(); ++i)
    os << (i ? ", " : "") << list[i];
  os << ']';
}

static void printAttrs(std::ostream &os, const Attrs &attrs) {
  if (attrs.empty())
    return;
  os << " {";
  bool first = true;
  for (const auto &[key, value] : attrs) {
    os << (first ? "" : ", ");
    first = false;
    printIdentOrString(os, key);
    os << " = ";
    printAttrValue(os, value);
  }
  os << '}';
}

/// Number of elements of `s` with the batch counted as 1; nullopt on
/// overflow.
static std::optional<int64_t> literalElements(const Shape &s) {
  int64_t n = 1;
  for (int64_t d : s) {
    int64_t e = d == kBatch ? 1 : d;
    if (e < 0 || __builtin_mul_overflow(n, e, &n))
      return std::nullopt;
  }
  return n;
}

static void printNested(std::ostream &os, const std::vector<double> &data,
                        const Shape &shape, size_t dim, size_t &next) {
  if (dim == shape.size()) {
    os << formatDouble(data[next++]);
    return;
  }
  int64_t extent = shape[dim] == kBatch ? 1 : shape[dim];
  os << '[';
  for (int64_t i = 0; i < extent; ++i) {
    if (i)
      os << ", ";
    printNested(os, data, shape, dim + 1, next);
  }
  os << ']';
}

/// Uniform literals with more elements than this print as one number, which
/// the parser spreads over the type's shape.
constexpr size_t kPrintListUpTo = 16;

/// Whether every element has the bits of the first: each equals the next,
/// in one memcmp (an element loop took seconds per 2^24-element constant in
/// the fuzzers' instrumented builds).
static bool uniform(const std::vector<double> &data) {
  return data.size() < 2 ||
         std::memcmp(data.data(), data.data() + 1,
                     (data.size() - 1) * sizeof(double)) == 0;
}

/// Prints `data` nested as `shape` (a scalar bare, a large uniform tensor as
/// its one number); a flat list if the element count does not fit the shape.
static void printLiteral(std::ostream &os, const std::vector<double> &data,
                         const Shape &shape) {
  std::optional<int64_t> n = literalElements(shape);
  if (n && static_cast<size_t>(*n) == data.size() &&
      data.size() > kPrintListUpTo && uniform(data)) {
    os << formatDouble(data[0]);
    return;
  }
  if (n && static_cast<size_t>(*n) == data.size()) {
    size_t next = 0;
    printNested(os, data, shape, 0, next);
    return;
  }
  os << '[';
  for (size_t i = 0; i < data.size(); ++i)
    os << (i ? ", " : "") << formatDouble(data[i]);
  os << ']';
}

static void printLoc(std::ostream &os, const SourceLoc &loc) {
  os << " loc(";
  printString(os, loc.file);
  os << ':' << loc.line << ':' << loc.col << ')';
}

static bool isLeaf(const Node &n) {
  return n.kind() == OpKind::Input || n.kind() == OpKind::Param;
}

/// Turns `s` into an identifier for a fresh SSA name.
static std::string valueIdentifier(const std::string &s) {
  std::string out;
  for (char c : s)
    out += isIdentChar(c) ? c : '_';
  if (out.empty() || !isIdentStart(out[0]))
    out = "v" + out;
  return out;
}

std::vector<std::string> valueNames(const Graph &g) {
  const auto &nodes = g.nodes();
  std::vector<std::string> names(nodes.size());
  // Leaves whose names are usable identifiers claim them first, so one
  // that needs a fresh name never takes a name another leaf has.
  std::set<std::string> used;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node &n = *nodes[i];
    if (isLeaf(n) && isIdentifier(n.name()) && used.insert(n.name()).second)
      names[i] = n.name();
  }
  unsigned counter = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node &n = *nodes[i];
    if (!isLeaf(n)) {
      names[i] = "%" + std::to_string(counter++);
      continue;
    }
    if (names[i].empty()) {
      std::string base = valueIdentifier(n.name()), name = base;
      for (unsigned k = 1; used.count(name); ++k)
        name = base + "_" + std::to_string(k);
      used.insert(name);
      names[i] = name;
    }
    names[i] = "%" + names[i];
  }
  return names;
}

std::unordered_map<const Node *, std::string> valueNameMap(const Graph &g) {
  std::vector<std::string> names = valueNames(g);
  std::unordered_map<const Node *, std::string> map;
  for (size_t i = 0; i < names.size(); ++i)
    map[g.nodes()[i].get()] = std::move(names[i]);
  return map;
}

void printGraph(const Graph &g, std::ostream &os, PrintOptions opts,
                const std::optional<TrainConfig> &defaults) {
  std::vector<std::string> names = valueNames(g);
  // Pointer -> position, for lookups only; output order never depends on it.
  std::unordered_map<const Node *, size_t> position;
  for (size_t i = 0; i < g.nodes().size(); ++i)
    position[g.nodes()[i].get()] = i;
  auto nameOf = [&](const Node *n) -> std::string {
    if (!n)
      return "%<null>";
    auto it = position.find(n);
    return it == position.end() ? "%<foreign>" : names[it->second];
  };

  os << "graph @";
  printIdentOrString(os, g.name());
  os << " {\n";
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    const Node &n = *g.nodes()[i];
    os << "  " << names[i] << " = " << opName(n.kind());
    if (isLeaf(n)) {
      os << ' ';
      printString(os, n.name());
    } else if (n.kind() == OpKind::Constant) {
      os << ' ';
      printLiteral(os, n.data(), n.shape());
    }
    for (unsigned j = 0; j < n.numInputs(); ++j)
      os << (j ? ", " : " ") << nameOf(n.inputs()[j]);
    printAttrs(os, n.attrs());
    if (n.kind() != OpKind::Constant && !n.data().empty()) {
      os << " = ";
      printLiteral(os, n.data(), n.shape());
    }
    os << " : " << typeToString(n.type());
    if (!isLeaf(n) && !n.name().empty()) {
      os << " name ";
      printString(os, n.name());
    }
    if (opts.printLocs && n.loc().isKnown())
      printLoc(os, n.loc());
    os << '\n';
  }

  if (g.loss())
    os << "  loss " << nameOf(g.loss()) << '\n';
  std::set<std::string> metrics(g.metrics().begin(), g.metrics().end());
  for (const auto &[name, n] : g.outputs()) {
    os << (metrics.count(name) ? "  metric " : "  output ");
    printString(os, name);
    os << " = " << nameOf(n) << '\n';
  }
  for (const auto &[name, n] : g.updates()) {
    os << "  update ";
    printString(os, name);
    os << " = " << nameOf(n) << '\n';
  }
  if (const std::optional<TrainConfig> &t = defaults) {
    os << "  train {batch = " << t->batch << ", epochs = " << t->epochs
       << ", lr = " << formatDouble(t->lr)
       << ", momentum = " << formatDouble(t->momentum)
       << ", weight_decay = " << formatDouble(t->weightDecay);
    // The other optimizers' fields only where they apply.
    if (t->optimizer != "sgd") {
      os << ", optimizer = ";
      printString(os, t->optimizer);
    }
    if (t->nesterov)
      os << ", nesterov = true";
    if (t->optimizer == "adam" || t->optimizer == "adamw")
      os << ", beta1 = " << formatDouble(t->beta1)
         << ", beta2 = " << formatDouble(t->beta2);
    if (t->optimizer == "rmsprop")
      os << ", alpha = " << formatDouble(t->alpha);
    if (t->optimizer != "sgd")
      os << ", eps = " << formatDouble(t->eps);
    if (t->clipNorm > 0)
      os << ", clip_norm = " << formatDouble(t->clipNorm);
    if (!t->schedule.empty()) {
      os << ", schedule = ";
      printString(os, t->schedule);
      if (t->schedule == "step_decay")
        os << ", every = " << t->every;
      if (t->schedule == "step_decay" || t->schedule == "exponential")
        os << ", gamma = " << formatDouble(t->gamma);
      if (t->schedule == "cosine")
        os << ", schedule_epochs = " << t->scheduleEpochs
           << ", min_lr = " << formatDouble(t->minLr);
      if (t->schedule == "plateau")
        os << ", patience = " << t->patience
           << ", factor = " << formatDouble(t->factor);
      os << ", warmup = " << t->warmup;
    }
    if (!t->stopMonitor.empty()) {
      os << ", early_stopping = ";
      printString(os, t->stopMonitor);
      os << ", stop_patience = " << t->stopPatience
         << ", stop_min_delta = " << formatDouble(t->stopMinDelta);
    }
    os << ", init = ";
    printString(os, t->init);
    os << ", init_arg = " << formatDouble(t->initArg)
       << ", validation = " << formatDouble(t->validationSplit)
       << ", seed = " << t->seed << '}';
    if (opts.printLocs && t->loc.isKnown())
      printLoc(os, t->loc);
    os << '\n';
  }
  os << "}\n";
}

} // namespace lamina
