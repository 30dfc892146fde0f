//===- Step.cpp - The generated C++ that runs a plan's kernels in order ---===//
//
// For each pipeline, laminac writes `lamina_<kind>_step(void **args,
// StepArena *arena)` and `lamina_<kind>_metadata()`: the entry point and the
// argument list (in Halide's metadata format) that the runtime binds by name
// (runtime/src/Model.cpp). The body checks the arguments, prepares the
// caller's arena (lamina/abi/Step.h) and calls the kernels one after
// another, straight-line, in the variant the CPU runs.
//
//===----------------------------------------------------------------------===//
#include "lamina/Codegen.h"
#include "lamina/OpInfo.h"
#include "lamina/Plan.h"
#include "lamina/abi/Version.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <set>
#include <sstream>

namespace lamina {

namespace {

const char *typeCode(DType t) {
  switch (t) {
  case DType::F32:
  case DType::F64:
    return "halide_type_float";
  case DType::I32:
    return "halide_type_int";
  }
  return "halide_type_float";
}

std::string halideTypeExpr(DType t) {
  return std::string("halide_type_t(") + typeCode(t) + ", " +
         std::to_string(dtypeSize(t) * 8) + ", 1)";
}

/// Gradient arguments of the update phase that no kernel reads.
std::vector<std::pair<std::string, const Node *>>
unreadArguments(const KernelPlan &plan) {
  std::vector<std::pair<std::string, const Node *>> unread;
  for (const auto &[name, n] : plan.gradArgs)
    if (auto it = plan.cutNames.find(n);
        it == plan.cutNames.end() || it->second != name)
      unread.emplace_back(name, n);
  return unread;
}

/// A rank-0 Input leaf: a hyper-parameter passed as a double.
bool isHyper(const Node &leaf) {
  return leaf.kind() == OpKind::Input && leaf.rank() == 0;
}

/// The symbol variant `v` of an executable built for `suffixes` calls for
/// kernel k: its own, or k's last compiled one (see Kernel::variants).
std::string kernelSymbol(const Kernel &k,
                         const std::vector<std::string> &suffixes, size_t v) {
  size_t compiled = std::min(suffixes.size(), static_cast<size_t>(k.variants));
  return k.symbol() + suffixes[std::min(v, compiled - 1)];
}

/// Where the step finds each tensor: an argument slot or an arena slot.
struct StepWriter {
  const KernelPlan &plan;
  std::string fn;                          // "lamina_train"
  std::map<const Node *, size_t> argOf;    // leaves
  std::map<const Node *, size_t> resultOf; // the first result of a node
  std::map<const Node *, size_t> arenaOf;  // intermediates
  std::vector<ArenaEntry> arena;
  /// Gradient arguments of the update phase that no kernel reads.
  std::vector<std::pair<std::string, const Node *>> unread;
  /// The index of the first result argument.
  size_t firstResult = 0;

  explicit StepWriter(const KernelPlan &p)
      : plan(p), fn(pipelineFunctionName(p.kind)), unread(unreadArguments(p)) {
    // Argument 0 is the batch; then the leaves, the unread arguments and
    // the results.
    size_t i = 1;
    for (const Node *leaf : plan.leaves)
      argOf[leaf] = i++;
    i += unread.size();
    firstResult = i;
    for (const PlanResult &r : plan.results)
      resultOf.emplace(r.node, i++);
    arena = arenaEntries(plan);
    for (size_t a = 0; a < arena.size(); ++a)
      arenaOf[arena[a].node] = a;
  }

  static std::string arg(size_t i) {
    return "static_cast<halide_buffer_t *>(a[" + std::to_string(i) + "])";
  }

  /// The buffer a kernel reads n from.
  std::string source(const Node *n) const {
    if (auto it = arenaOf.find(n); it != arenaOf.end())
      return "t[" + std::to_string(it->second) + "]";
    if (auto it = argOf.find(n); it != argOf.end())
      return arg(it->second);
    return arg(resultOf.at(n));
  }

  /// The buffer a kernel writes n to.
  std::string dest(const Node *n) const {
    if (auto it = arenaOf.find(n); it != arenaOf.end())
      return "t[" + std::to_string(it->second) + "]";
    return arg(resultOf.at(n));
  }

  void metadata(std::ostream &os, const std::string &target) const {
    std::vector<PipelineArgument> args = pipelineArguments(plan);
    assert(args.size() == firstResult + plan.results.size() &&
           "the step's slots and its argument list disagree");
    os << "const halide_filter_argument_t " << fn << "_args[] = {\n";
    for (const PipelineArgument &a : args) {
      const char *kind = a.kind == abi::ArgKind::Scalar
                             ? "halide_argument_kind_input_scalar"
                         : a.kind == abi::ArgKind::Input
                             ? "halide_argument_kind_input_buffer"
                             : "halide_argument_kind_output_buffer";
      os << "    {\"" << a.name << "\", " << kind << ", " << a.shape.size()
         << ", " << halideTypeExpr(a.dtype)
         << ", nullptr, nullptr, nullptr, nullptr, nullptr},\n";
    }
    os << "};\n"
       << "const halide_filter_metadata_t " << fn << "_md = {\n"
       << "    halide_filter_metadata_t::VERSION, " << args.size() << ", " << fn
       << "_args, \"" << target << "\", \"" << fn << "\"};\n";
  }

  void tensors(std::ostream &os) const {
    if (arena.empty())
      return;
    os << "const lamina::abi::StepTensor " << fn << "_tensors[] = {\n";
    for (const ArenaEntry &e : arena) {
      const Node &n = *e.node;
      os << "    {" << typeCode(n.dtype()) << ", " << dtypeSize(n.dtype()) * 8
         << ", " << n.rank() << ", {";
      for (size_t d = 0; d < n.shape().size(); ++d)
        os << (d ? ", " : "") << n.shape()[d];
      os << "}, " << e.first << ", " << e.last << "}, // %" << n.id() << "\n";
    }
    os << "};\n";
  }

  /// The body for variant `v`: every kernel (its last compiled variant up
  /// to v, see Kernel::variants), then the copies that give a value to its
  /// second and later results.
  void body(std::ostream &os, const std::vector<std::string> &suffixes,
            size_t v) const {
    os << "int " << fn << suffixes[v]
       << "(void **a, halide_buffer_t *const *t, int32_t batch) {\n"
       << "  (void)t;\n  int rc = 0;\n"
       << "  lamina::abi::KernelClock clock(lamina::abi::kernelTimes("
       << static_cast<int>(plan.kind) << "));\n";
    for (size_t ki = 0; ki < plan.kernels.size(); ++ki) {
      const Kernel &k = plan.kernels[ki];
      os << "  if ((rc = " << kernelSymbol(k, suffixes, v) << "("
         << k.batchArgument();
      for (const Node *s : k.scalars)
        os << ", *static_cast<double *>(a[" << argOf.at(s) << "])";
      for (const Node *in : k.inputs)
        os << ", " << source(in);
      for (const Node *o : k.outputs)
        os << ", " << dest(o);
      os << ")))\n    return rc;\n  clock.lap(" << ki << ");\n";
    }
    std::set<const Node *> seen;
    size_t i = firstResult;
    for (const PlanResult &r : plan.results) {
      if (!seen.insert(r.node).second)
        os << "  if ((rc = lamina::abi::copyBuffer(" << dest(r.node) << ", "
           << arg(i) << ")))\n"
           << "    return rc;\n";
      ++i;
    }
    os << "  return 0;\n}\n";
  }

  /// The largest batch at which every tensor of a kernel without
  /// large_buffers (kernelTarget) stays under 2^31 bytes.
  int64_t maxBatch() const {
    int64_t most = (int64_t(1) << 31) - 1;
    Halide::Target plain("x86-64-linux");
    for (const Kernel &k : plan.kernels) {
      if (kernelTarget(k, plain).has_feature(Halide::Target::LargeBuffers))
        continue;
      for (const auto *list : {&k.nodes, &k.inputs, &k.outputs})
        for (const Node *n : *list)
          if (hasBatch(n->shape()))
            most = std::min(most,
                            ((int64_t(1) << 31) - 1) /
                                (numElements(n->shape(), 1) *
                                 static_cast<int64_t>(dtypeSize(n->dtype()))));
    }
    return most;
  }

  /// The table of every tensor argument, checked once per call by
  /// abi::checkArguments: kernels are compiled without Halide's assertions.
  /// Returns the number of entries.
  size_t checks(std::ostream &os, std::vector<int64_t> &shapeTable) const {
    size_t count = 0;
    os << "const lamina::abi::ArgumentCheck " << fn << "_checks[] = {\n";
    auto check = [&](const std::string &name, size_t i, const Node &n) {
      os << "    {\"" << name << "\", " << i << ", " << typeCode(n.dtype())
         << ", " << dtypeSize(n.dtype()) * 8 << ", " << n.rank() << ", "
         << shapeTable.size() << "},\n";
      shapeTable.insert(shapeTable.end(), n.shape().begin(), n.shape().end());
      ++count;
    };
    for (const Node *leaf : plan.leaves)
      if (!isHyper(*leaf))
        check(leafArgName(plan, *leaf), argOf.at(leaf), *leaf);
    size_t i = firstResult;
    for (const PlanResult &r : plan.results)
      check(r.name, i++, *r.node);
    if (count == 0)
      os << "    {\"\", 0, 0, 0, 0, 0},\n";
    os << "};\n";
    return count;
  }

  /// The kernels as `bench` reports them (abi::KernelInfo), and
  /// `<fn>_kernels(int *count)` that returns them.
  void kernelTable(std::ostream &os) const {
    os << "const lamina::abi::KernelInfo " << fn << "_kernel_table[] = {\n";
    for (const Kernel &k : plan.kernels) {
      std::string ops;
      double one = 0, two = 0;
      for (const Node *n : k.nodes) {
        ops += std::string(ops.empty() ? "" : " ") + opName(n->kind()) + " %" +
               std::to_string(n->id());
        one += nodeFlops(*n, 1);
        two += nodeFlops(*n, 2);
      }
      os << "    {\"" << k.symbol() << "\", \"" << ops << "\", " << two - one
         << ", " << 2 * one - two << "},\n";
    }
    if (plan.kernels.empty())
      os << "    {\"\", \"\", 0, 0},\n";
    os << "};\n"
       << "extern \"C\" const lamina::abi::KernelInfo *" << fn
       << "_kernels(int *count) {\n  *count = " << plan.kernels.size()
       << ";\n  return " << fn << "_kernel_table;\n}\n";
  }

  void entry(std::ostream &os, const std::vector<std::string> &suffixes) const {
    std::vector<int64_t> shapeTable;
    size_t count = checks(os, shapeTable);
    os << "const int64_t " << fn << "_shapes[] = {";
    for (size_t i = 0; i < shapeTable.size(); ++i)
      os << (i ? ", " : "") << shapeTable[i];
    if (shapeTable.empty())
      os << "0";
    os << "};\n"
       << "extern \"C\" int " << fn
       << "_step(void **a, lamina::abi::StepArena *arena) {\n"
       << "  int32_t batch = *static_cast<int32_t *>(a[0]);\n"
       << "  if (int rc = lamina::abi::checkBatch(\"" << fn << "\", batch, "
       << maxBatch() << "))\n    return rc;\n"
       << "  if (int rc = lamina::abi::checkArguments(\"" << fn << "\", " << fn
       << "_checks, " << count << ", a, " << fn << "_shapes, batch))\n"
       << "    return rc;\n";
    if (arena.empty())
      os << "  (void)arena;\n  halide_buffer_t *const *t = nullptr;\n";
    else
      os << "  halide_buffer_t *const *t = lamina::abi::prepareArena(arena, "
         << fn << "_tensors, " << arena.size() << ", batch);\n"
         << "  if (!t)\n    return halide_error_code_out_of_memory;\n";
    if (suffixes.size() == 1) {
      os << "  return " << fn << suffixes[0] << "(a, t, batch);\n}\n";
    } else {
      os << "  switch (lamina::abi::cpuVariant(" << suffixes.size() << ")) {\n";
      for (size_t v = suffixes.size(); v-- > 1;)
        os << "  case " << v << ":\n    return " << fn << suffixes[v]
           << "(a, t, batch);\n";
      os << "  default:\n    return " << fn << suffixes[0]
         << "(a, t, batch);\n  }\n}\n";
    }
    os << "extern \"C\" const halide_filter_metadata_t *" << fn
       << "_metadata() {\n  return &" << fn << "_md;\n}\n";
  }
};

} // namespace

std::vector<PipelineArgument> pipelineArguments(const KernelPlan &plan) {
  std::vector<PipelineArgument> args;
  args.push_back(
      {abi::kBatchArgument, abi::ArgKind::Scalar, DType::I32, {}, nullptr});
  for (const Node *leaf : plan.leaves) {
    if (isHyper(*leaf))
      args.push_back({leafArgName(plan, *leaf),
                      abi::ArgKind::Scalar,
                      DType::F64,
                      {},
                      nullptr});
    else
      args.push_back({leafArgName(plan, *leaf), abi::ArgKind::Input,
                      leaf->dtype(), leaf->shape(), leaf});
  }
  for (const auto &[name, n] : unreadArguments(plan))
    args.push_back({name, abi::ArgKind::Input, n->dtype(), n->shape(), n});
  for (const PlanResult &r : plan.results)
    args.push_back({r.name, abi::ArgKind::Output, r.node->dtype(),
                    r.node->shape(), r.node});
  return args;
}

std::string stepSource(const std::vector<const KernelPlan *> &plans,
                       const std::vector<std::string> &suffixes,
                       const std::string &targetName) {
  std::ostringstream os;
  os << "// Generated by laminac: each pipeline's kernels, in order. Do not "
        "edit.\n"
     << "#include <HalideRuntime.h>\n#include \"lamina/abi/Step.h\"\n\n"
     << "#include <cstdint>\n\n"
     << "static_assert(lamina::abi::kAbiVersion == " << abi::kAbiVersion
     << ", \"laminac and the runtime disagree on the step ABI\");\n\n"
     << "extern \"C\" {\n";
  std::set<std::string> declared;
  for (const KernelPlan *p : plans)
    for (const Kernel &k : p->kernels)
      for (size_t v = 0; v < suffixes.size(); ++v) {
        std::string sym = kernelSymbol(k, suffixes, v);
        if (!declared.insert(sym).second)
          continue;
        os << "int " << sym << "(int32_t";
        for (size_t i = 0; i < k.scalars.size(); ++i)
          os << ", double";
        for (size_t i = 0; i < k.inputs.size() + k.outputs.size(); ++i)
          os << ", halide_buffer_t *";
        os << ");\n";
      }
  os << "}\n\nnamespace {\n";
  for (const KernelPlan *p : plans) {
    StepWriter w(*p);
    w.metadata(os, targetName);
    w.tensors(os);
    for (size_t v = 0; v < suffixes.size(); ++v)
      w.body(os, suffixes, v);
  }
  os << "} // namespace\n\n";
  for (const KernelPlan *p : plans) {
    StepWriter w(*p);
    w.entry(os, suffixes);
    w.kernelTable(os);
  }
  os << "extern \"C\" const char *lamina_kernel_variant() {\n";
  if (suffixes.size() == 1) {
    os << "  return \"" << targetName << " (the only variant built)\";\n}\n";
  } else {
    std::string built;
    for (size_t v = 0; v < suffixes.size(); ++v)
      built +=
          std::string(v ? ", " : "") + abi::variantName(static_cast<int>(v));
    os << "  static const char *const names[] = {";
    for (size_t v = 0; v < suffixes.size(); ++v)
      os << (v ? ", " : "") << "\"" << abi::variantName(static_cast<int>(v))
         << " (this CPU's best of " << built << ")\"";
    os << "};\n  return names[lamina::abi::cpuVariant(" << suffixes.size()
       << ")];\n}\n";
  }
  return os.str();
}

} // namespace lamina
