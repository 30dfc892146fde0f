//===- Partition.cpp - A pipeline's nodes as fused kernels ----------------===//
//
// Every node that is not fusible (OpInfo::fusible) anchors a kernel of its
// own. A fusible node joins the kernel of its latest-computed operand (its
// epilogue: bias and activation after a matmul, a parameter's update after
// its gradient); one whose operands are all leaves or constants joins the
// first kernel that reads it. Then, walking backwards, a fusible node that
// its own kernel does not read, and that only fusible nodes of one later
// kernel read, moves there and is inlined (an activation's derivative mask
// into the gradient kernel that multiplies by it). Kernels run in the order
// they were created: every operand of a kernel's node is computed by an
// earlier kernel or by the kernel itself.
//
//===----------------------------------------------------------------------===//
#include "lamina/IRText.h"
#include "lamina/OpInfo.h"
#include "lamina/Plan.h"
#include "lamina/abi/Arena.h"
#include "lamina/abi/Names.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstring>
#include <map>
#include <ostream>
#include <sstream>

namespace lamina {

std::string Kernel::symbol() const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "lk_%016llx",
                static_cast<unsigned long long>(hash));
  return buf;
}

std::string Kernel::batchArgument() const {
  if (!generic)
    return "batch";
  std::string rows = std::to_string(generic->rows);
  return generic->perBatch ? "batch * " + rows : rows;
}

int64_t Kernel::batchArgumentAt(int64_t batch) const {
  if (!generic)
    return batch;
  return generic->perBatch ? batch * generic->rows : generic->rows;
}

std::vector<PlanResult> pipelineResults(const Graph &g, PipelineKind kind) {
  std::vector<PlanResult> out;
  auto isMetric = [&](const std::string &name) {
    return std::find(g.metrics().begin(), g.metrics().end(), name) !=
           g.metrics().end();
  };
  // The buffers (running statistics) are updated from the batch, so by the
  // gradient phase; the parameters and the optimizer's state by the update
  // phase; all of them by the train step.
  // `buffers`: only those (true), only the others (false), or all.
  auto updatesOf = [&](std::optional<bool> buffers) {
    for (const auto &[name, n] : g.updates()) {
      const Node &leaf = *g.findLeaf(name);
      if (!buffers || isBuffer(leaf) == *buffers)
        out.push_back({abi::nextArgumentName(argName(leaf)), n});
    }
  };
  if (kind == PipelineKind::Update) {
    updatesOf(false);
    return out;
  }
  if (kind != PipelineKind::Predict) {
    if (g.loss())
      out.push_back({abi::kLossArgument, g.loss()});
    for (const std::string &m : g.metrics())
      for (const auto &[name, n] : g.outputs())
        if (name == m)
          out.push_back({abi::metricArgumentName(abi::sanitize(m)), n});
  }
  if (kind == PipelineKind::Train)
    updatesOf(std::nullopt);
  if (kind == PipelineKind::Grad || kind == PipelineKind::GradCheck) {
    for (const auto &[name, n] : g.gradients())
      out.push_back({abi::gradientArgumentName(argName(*g.findLeaf(name))), n});
    updatesOf(true);
  }
  if (kind == PipelineKind::Predict)
    for (const auto &[name, n] : g.outputs())
      if (!isMetric(name))
        out.push_back({abi::outputArgumentName(abi::sanitize(name)), n});
  return out;
}

/// An argument of the pipeline: an Input or Param leaf, or a value the plan
/// is cut at (a gradient, for the update phase).
static bool isLeaf(const KernelPlan &plan, const Node &n) {
  return n.kind() == OpKind::Input || n.kind() == OpKind::Param ||
         plan.cutNames.count(&n);
}

static bool isComputed(const KernelPlan &plan, const Node &n) {
  return !isLeaf(plan, n) && n.kind() != OpKind::Constant;
}

std::string leafArgName(const KernelPlan &plan, const Node &n) {
  auto it = plan.cutNames.find(&n);
  return it != plan.cutNames.end() ? it->second : argName(n);
}

static std::string typeKey(const Node &n) {
  std::string s = dtypeName(n.dtype());
  s += "[";
  for (size_t d = 0; d < n.shape().size(); ++d)
    s += (d ? "," : "") + (n.shape()[d] == kBatch
                               ? std::string("B")
                               : std::to_string(n.shape()[d]));
  return s + "]";
}

static std::string exactDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

static std::string attrKey(const Attr &a) {
  if (auto *i = std::get_if<int64_t>(&a))
    return std::to_string(*i);
  if (auto *d = std::get_if<double>(&a))
    return exactDouble(*d);
  if (auto *s = std::get_if<std::string>(&a))
    return "\"" + *s + "\"";
  std::string s = "[";
  for (int64_t v : std::get<std::vector<int64_t>>(a))
    s += std::to_string(v) + ",";
  return s + "]";
}

static uint64_t fnv1a(const std::string &s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

/// See Kernel::variants.
static int variantCount(const Kernel &k) {
  for (const Node *n : k.nodes)
    if (getOpInfo(n->kind()).computeBound)
      return 3;
  return 1;
}

/// The text that decides a kernel's code: its arguments' types, its nodes'
/// ops, attributes, types and operands (by position, not by name), its
/// outputs, and the salt (targets, compiler build and flags). Kernels with
/// equal keys compile to the same object.
static std::string kernelKey(const Kernel &k, const std::string &salt) {
  std::map<const Node *, std::string> ref;
  std::ostringstream os;
  os << "lamina kernel 1\n" << salt << "\n";
  for (size_t i = 0; i < k.scalars.size(); ++i) {
    ref[k.scalars[i]] = "s" + std::to_string(i);
    os << "s" << i << " " << typeKey(*k.scalars[i]) << "\n";
  }
  for (size_t i = 0; i < k.inputs.size(); ++i) {
    ref[k.inputs[i]] = "i" + std::to_string(i);
    os << "i" << i << " " << typeKey(*k.inputs[i]) << "\n";
  }
  for (size_t i = 0; i < k.constants.size(); ++i) {
    const Node &c = *k.constants[i];
    ref[&c] = "c" + std::to_string(i);
    os << "c" << i << " " << typeKey(c) << " {";
    for (double v : c.data())
      os << exactDouble(v) << ",";
    os << "}\n";
  }
  for (size_t i = 0; i < k.nodes.size(); ++i) {
    const Node &n = *k.nodes[i];
    ref[&n] = "n" + std::to_string(i);
    os << "n" << i << " = " << opName(n.kind()) << "(";
    std::vector<const Node *> reads = loweringInputs(n);
    for (unsigned j = 0; j < reads.size(); ++j) {
      // An operand read through (matmul's transpose(x)) keeps its op and
      // attributes in the key: matmul(transpose(a), b) is not matmul(a, b).
      const Node &operand = n.input(j);
      if (reads[j] != &operand) {
        os << opName(operand.kind()) << "{";
        for (const auto &[name, a] : operand.attrs())
          os << name << "=" << attrKey(a) << ",";
        os << "}";
      }
      os << ref.at(reads[j]) << ",";
    }
    os << ") {";
    for (const auto &[name, a] : n.attrs())
      os << name << "=" << attrKey(a) << ",";
    os << "} " << typeKey(n) << "\n";
  }
  for (const Node *o : k.outputs)
    os << "out " << ref.at(o) << "\n";
  return os.str();
}

/// The leading dims of its result that n computes row by row (see
/// OpInfo::rowDims).
static unsigned rowDimsOf(const Node &n) {
  const OpInfo &info = getOpInfo(n.kind());
  if (info.rowDims)
    return info.rowDims(n);
  if (!info.fusible || n.rank() == 0)
    return 0;
  for (const Node *in : loweringInputs(n))
    if (in->rank() != 0 && in->shape() != n.shape())
      return 0;
  return n.rank() - 1;
}

/// k as a GenericKernel, or nullptr if it is none (see GenericKernel).
static std::shared_ptr<const GenericKernel>
makeGeneric(const Kernel &k, PipelineKind kind, const std::string &salt) {
  if (k.nodes.empty() || kernelTarget(k, Halide::Target("x86-64-linux"))
                             .has_feature(Halide::Target::LargeBuffers))
    return nullptr;
  unsigned dims = ~0u;
  for (const Node *n : k.nodes) {
    if (getOpInfo(n->kind()).computeBound ||
        loweringInputs(*n) !=
            std::vector<const Node *>(n->inputs().begin(), n->inputs().end()))
      return nullptr;
    dims = std::min(dims, rowDimsOf(*n));
  }
  for (const Node *c : k.constants)
    if (c->rank() != 0)
      return nullptr;
  if (dims == 0 || dims == ~0u)
    return nullptr;
  const Shape &first = k.nodes.front()->shape();
  Shape lead(first.begin(), first.begin() + dims);
  for (const auto *list : {&k.nodes, &k.inputs, &k.outputs})
    for (const Node *n : *list)
      if (n->rank() != 0 &&
          (n->rank() < dims ||
           !std::equal(lead.begin(), lead.end(), n->shape().begin())))
        return nullptr;
  auto g = std::make_shared<GenericKernel>();
  g->dims = dims;
  for (int64_t d : lead) {
    if (d == kBatch)
      g->perBatch = true;
    else
      g->rows *= d;
  }
  // Nothing to gain where the leading dims are the batch alone.
  if (g->rows == 1)
    return nullptr;
  auto typeOf = [&](const Node &n) {
    if (n.rank() == 0)
      return n.type();
    Shape s(dims, 1);
    s[0] = kBatch;
    s.insert(s.end(), n.shape().begin() + dims, n.shape().end());
    return TensorType{n.dtype(), s};
  };
  g->graph = std::make_unique<Graph>("generic");
  std::map<const Node *, Node *> copy;
  auto leaf = [&](const Node &n) {
    Node *c = g->graph->create(n.kind(), {}, typeOf(n), n.attrs(), n.loc());
    c->setData(n.data());
    return copy[&n] = c;
  };
  for (const Node *n : k.scalars)
    g->kernel.scalars.push_back(leaf(*n));
  for (const Node *n : k.inputs)
    g->kernel.inputs.push_back(leaf(*n));
  for (const Node *n : k.constants)
    g->kernel.constants.push_back(leaf(*n));
  for (const Node *n : k.nodes) {
    std::vector<Node *> ins;
    for (const Node *in : n->inputs())
      ins.push_back(copy.at(in));
    Node *c =
        g->graph->create(n->kind(), ins, typeOf(*n), n->attrs(), n->loc());
    copy[n] = c;
    g->kernel.nodes.push_back(c);
  }
  for (const Node *n : k.outputs)
    g->kernel.outputs.push_back(copy.at(n));
  g->kernel.key = kernelKey(g->kernel, salt);
  g->kernel.hash = fnv1a(g->kernel.key);
  g->kernel.variants = k.variants;
  g->plan.kind = kind;
  g->plan.graph = g->graph.get();
  return g;
}

KernelPlan partition(const Graph &g, PipelineKind kind,
                     const std::string &salt) {
  KernelPlan plan;
  plan.kind = kind;
  plan.graph = &g;
  plan.results = pipelineResults(g, kind);
  // The update phase takes every gradient as an argument; it is cut at the
  // computed ones (a gradient that is a leaf or a constant it reads as such).
  if (kind == PipelineKind::Update)
    for (const auto &[name, n] : g.gradients()) {
      std::string arg = abi::gradientArgumentName(argName(*g.findLeaf(name)));
      plan.gradArgs.emplace_back(arg, n);
      if (n->kind() != OpKind::Input && n->kind() != OpKind::Param &&
          n->kind() != OpKind::Constant)
        plan.cutNames.emplace(n, arg);
    }

  unsigned size = g.size();
  std::vector<bool> live(size, false), isResult(size, false);
  std::vector<const Node *> work;
  for (const PlanResult &r : plan.results) {
    isResult[r.node->id()] = true;
    if (!live[r.node->id()]) {
      live[r.node->id()] = true;
      work.push_back(r.node);
    }
  }
  while (!work.empty()) {
    const Node *n = work.back();
    work.pop_back();
    if (plan.cutNames.count(n))
      continue;
    for (const Node *in : loweringInputs(*n))
      if (!live[in->id()]) {
        live[in->id()] = true;
        work.push_back(in);
      }
  }
  std::vector<std::vector<const Node *>> users(size);
  std::vector<const Node *> order;
  for (const auto &np : g.nodes())
    if (live[np->id()]) {
      order.push_back(np.get());
      if (!plan.cutNames.count(np.get()))
        for (const Node *in : loweringInputs(*np))
          users[in->id()].push_back(np.get());
    }

  // Anchors and epilogues, forwards. A fusible node computed from leaves
  // and constants alone floats: it joins the first kernel that reads it.
  constexpr int kFloating = -2;
  std::vector<int> kernelOf(size, -1);
  int numGroups = 0;
  // The update phase (train --accumulate runs the train step as two
  // phases, PipelineKind::Grad then Update, and sums the gradients in
  // between): one kernel per layer ("h1" of h1.weight, h1.bias and their
  // velocities). In a train step nothing runs between a gradient and its
  // update, so an update is the epilogue of the kernel that computes the
  // gradient, except where that kernel's anchor is compute-bound and not
  // marked OpInfo::tilesEpilogue (a convolution's weight gradient). There
  // the anchor's kernel would be compiled twice, for the train step and
  // for the gradient phase, to save a pass over a few thousand weights
  // (+30% compile time for LeNet-5 and VGG-small when measured); the
  // update goes to its layer's update kernel.
  std::map<const Node *, std::string> layerOf;
  std::map<std::string, int> layerKernel;
  if (kind == PipelineKind::Update || kind == PipelineKind::Train)
    for (const auto &[name, n] : g.updates())
      layerOf.emplace(n, name.substr(0, name.find('.')));
  // Per kernel: its anchor stores a gradient its update needs (see above).
  std::vector<bool> storesGradient;
  auto newKernel = [&](const Node *anchor) {
    const OpInfo &info = getOpInfo(anchor->kind());
    storesGradient.push_back(!info.fusible && info.computeBound &&
                             !info.tilesEpilogue);
    return numGroups++;
  };
  for (const Node *n : order) {
    if (isLeaf(plan, *n))
      plan.leaves.push_back(n);
    if (!isComputed(plan, *n))
      continue;
    int k = -1;
    bool fusible = getOpInfo(n->kind()).fusible;
    if (fusible)
      for (const Node *in : loweringInputs(*n))
        k = std::max(k, kernelOf[in->id()]);
    auto layer = layerOf.find(n);
    if (layer != layerOf.end() &&
        (kind == PipelineKind::Update || k < 0 || storesGradient[k])) {
      auto at = layerKernel.find(layer->second);
      if (at == layerKernel.end())
        at = layerKernel.emplace(layer->second, newKernel(n)).first;
      kernelOf[n->id()] = at->second;
      continue;
    }
    kernelOf[n->id()] = k >= 0                          ? k
                        : fusible && !isResult[n->id()] ? kFloating
                                                        : newKernel(n);
  }
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const Node *n = *it;
    if (kernelOf[n->id()] != kFloating)
      continue;
    int k = numGroups;
    for (const Node *u : users[n->id()])
      k = std::min(k, kernelOf[u->id()]);
    kernelOf[n->id()] = k < numGroups ? k : newKernel(n);
  }
  // Sinking, backwards: a fusible node nothing in its kernel reads moves to
  // the one later kernel whose fusible nodes read it (where it is inlined).
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const Node *n = *it;
    if (!isComputed(plan, *n) || !getOpInfo(n->kind()).fusible ||
        isResult[n->id()])
      continue;
    int own = kernelOf[n->id()], to = -1;
    bool movable = !users[n->id()].empty();
    for (const Node *u : users[n->id()]) {
      int ku = kernelOf[u->id()];
      movable &=
          ku != own && (to < 0 || ku == to) && getOpInfo(u->kind()).fusible;
      to = ku;
    }
    if (movable && to > own)
      kernelOf[n->id()] = to;
  }

  // The phases of a train step take every argument of their role, used or
  // not, as the runtime passes them all.
  bool gradPhase =
      kind == PipelineKind::Grad || kind == PipelineKind::GradCheck;
  if (gradPhase || kind == PipelineKind::Update) {
    plan.leaves.clear();
    for (const auto &np : g.nodes()) {
      const Node &n = *np;
      std::string role = n.hasAttr("role") ? n.strAttr("role") : "";
      bool hyper = n.kind() == OpKind::Input && role == "hyper";
      bool take =
          n.kind() == OpKind::Input   ? hyper == (kind == PipelineKind::Update)
          : n.kind() != OpKind::Param ? false
          : isBuffer(n)               ? gradPhase
                        : kind == PipelineKind::Update || role != "state";
      if (take)
        plan.leaves.push_back(&n);
    }
    for (const auto &[name, n] : g.gradients())
      if (plan.cutNames.count(n) &&
          std::find(plan.leaves.begin(), plan.leaves.end(), n) ==
              plan.leaves.end())
        plan.leaves.push_back(n);
  }

  std::vector<Kernel> groups(numGroups);
  for (const Node *n : order)
    if (isComputed(plan, *n))
      groups[kernelOf[n->id()]].nodes.push_back(n);
  // A result that no kernel computes (a leaf or a constant passed through)
  // is copied by a kernel of its own.
  std::vector<const Node *> copied;
  for (const PlanResult &r : plan.results)
    if (!isComputed(plan, *r.node) &&
        std::find(copied.begin(), copied.end(), r.node) == copied.end()) {
      copied.push_back(r.node);
      Kernel copy;
      copy.outputs.push_back(r.node);
      bool scalar = r.node->kind() == OpKind::Input && r.node->rank() == 0;
      (r.node->kind() == OpKind::Constant ? copy.constants
       : scalar                           ? copy.scalars
                                          : copy.inputs)
          .push_back(r.node);
      groups.push_back(std::move(copy));
    }

  for (size_t gi = 0; gi < groups.size(); ++gi) {
    Kernel &k = groups[gi];
    if (k.nodes.empty() && k.outputs.empty())
      continue;
    auto addOnce = [](std::vector<const Node *> &v, const Node *n) {
      if (std::find(v.begin(), v.end(), n) == v.end())
        v.push_back(n);
    };
    for (const Node *n : k.nodes)
      for (const Node *in : loweringInputs(*n)) {
        if (isComputed(plan, *in) && kernelOf[in->id()] == static_cast<int>(gi))
          continue;
        if (plan.cutNames.count(in))
          addOnce(k.inputs, in);
        else if (in->kind() == OpKind::Constant)
          addOnce(k.constants, in);
        else if (in->kind() == OpKind::Input && in->rank() == 0)
          addOnce(k.scalars, in);
        else
          addOnce(k.inputs, in);
      }
    for (const Node *n : k.nodes) {
      bool out = isResult[n->id()];
      for (const Node *u : users[n->id()])
        out |= kernelOf[u->id()] != static_cast<int>(gi);
      if (out)
        k.outputs.push_back(n);
    }
    for ([[maybe_unused]] const Node *in : k.inputs)
      assert((!isComputed(plan, *in) ||
              kernelOf[in->id()] < static_cast<int>(gi)) &&
             "a kernel reads a value of a later kernel");
    k.variants = variantCount(k);
    k.generic = makeGeneric(k, kind, salt);
    k.key = k.generic ? "generic over " + std::to_string(k.generic->dims) +
                            " leading dims\n" + k.generic->kernel.key
                      : kernelKey(k, salt);
    k.hash = fnv1a(k.key);
    plan.kernels.push_back(std::move(k));
  }
  return plan;
}

//===----------------------------------------------------------------------===//
// The arena and the printout
//===----------------------------------------------------------------------===//

std::vector<ArenaEntry> arenaEntries(const KernelPlan &plan) {
  std::map<const Node *, size_t> index;
  std::vector<ArenaEntry> out;
  auto isResult = [&](const Node *n) {
    for (const PlanResult &r : plan.results)
      if (r.node == n)
        return true;
    return false;
  };
  for (size_t k = 0; k < plan.kernels.size(); ++k) {
    for (const Node *o : plan.kernels[k].outputs)
      if (isComputed(plan, *o) && !isResult(o)) {
        index[o] = out.size();
        out.push_back({o, static_cast<int>(k), static_cast<int>(k)});
      }
    for (const Node *in : plan.kernels[k].inputs)
      if (auto it = index.find(in); it != index.end())
        out[it->second].last = static_cast<int>(k);
  }
  return out;
}

int64_t arenaLayout(const std::vector<ArenaEntry> &entries, int64_t batch,
                    std::vector<int64_t> *offsets) {
  std::vector<abi::ArenaTensor> t;
  for (const ArenaEntry &e : entries)
    t.push_back({numElements(e.node->shape(), batch) *
                     static_cast<int64_t>(dtypeSize(e.node->dtype())),
                 e.first, e.last});
  int64_t total = 0;
  std::vector<int64_t> off = abi::layoutArena(t, &total);
  if (offsets)
    *offsets = std::move(off);
  return total;
}

static std::string
describe(const Node &n, int64_t batch,
         const std::unordered_map<const Node *, std::string> &names) {
  auto it = names.find(&n);
  std::string s = it != names.end() ? it->second : "%" + std::to_string(n.id());
  if (!n.name().empty())
    s += " \"" + n.name() + "\"";
  s += " " + std::string(dtypeName(n.dtype())) + "[";
  for (size_t d = 0; d < n.shape().size(); ++d)
    s += (d ? ", " : "") +
         std::to_string(n.shape()[d] == kBatch ? batch : n.shape()[d]);
  return s + "]";
}

const char *pipelineFunctionName(PipelineKind k) {
  switch (k) {
  case PipelineKind::Train:
    return "lamina_train";
  case PipelineKind::Eval:
    return "lamina_eval";
  case PipelineKind::Predict:
    return "lamina_predict";
  case PipelineKind::Grad:
    return "lamina_train_grad";
  case PipelineKind::Update:
    return "lamina_train_update";
  case PipelineKind::GradCheck:
    return "lamina_gradcheck";
  }
  return "lamina_unknown";
}

void printPlan(const KernelPlan &plan, std::ostream &os, int64_t batch) {
  // The nodes by their %N in the dump of the plan's graph.
  std::unordered_map<const Node *, std::string> names;
  if (plan.graph)
    names = valueNameMap(*plan.graph);
  auto nameOf = [&](const Node *n) {
    auto it = names.find(n);
    return it != names.end() ? it->second : "%" + std::to_string(n->id());
  };
  std::vector<ArenaEntry> entries = arenaEntries(plan);
  std::vector<int64_t> offsets;
  int64_t arena = arenaLayout(entries, batch, &offsets);
  std::map<const Node *, size_t> slot;
  for (size_t i = 0; i < entries.size(); ++i)
    slot[entries[i].node] = i;
  std::map<uint64_t, int> distinct;
  for (const Kernel &k : plan.kernels)
    ++distinct[k.hash];
  // "train" of "lamina_train".
  os << "pipeline " << pipelineFunctionName(plan.kind) + std::strlen("lamina_")
     << ": " << plan.kernels.size() << " kernels, " << distinct.size()
     << " distinct; arena " << arena << " bytes at batch " << batch << "\n";
  auto bytes = [&](const Node &n) {
    return numElements(n.shape(), batch) *
           static_cast<int64_t>(dtypeSize(n.dtype()));
  };
  auto where = [&](const Node &n) -> std::string {
    for (const PlanResult &r : plan.results)
      if (r.node == &n)
        return "result " + r.name;
    if (isLeaf(plan, n))
      return "argument " + leafArgName(plan, n);
    if (n.kind() == OpKind::Constant)
      return "constant";
    auto it = slot.find(&n);
    assert(it != slot.end() && "a kernel reads an intermediate not planned");
    return "arena @" + std::to_string(offsets[it->second]) + " (" +
           std::to_string(bytes(n)) + " bytes)";
  };
  for (size_t i = 0; i < plan.kernels.size(); ++i) {
    const Kernel &k = plan.kernels[i];
    os << "kernel " << i << " " << k.symbol() << ":";
    for (const Node *n : k.nodes)
      os << " " << opName(n->kind()) << " " << nameOf(n);
    if (k.nodes.empty())
      os << " copy";
    os << "\n";
    for (const Node *s : k.scalars)
      os << "  scalar " << describe(*s, batch, names) << " " << where(*s)
         << "\n";
    for (const Node *in : k.inputs)
      os << "  in  " << describe(*in, batch, names) << " " << where(*in)
         << "\n";
    for (const Node *o : k.outputs)
      os << "  out " << describe(*o, batch, names) << " " << where(*o) << "\n";
  }
}

} // namespace lamina
