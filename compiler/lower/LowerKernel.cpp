//===- LowerKernel.cpp - One kernel of a plan as a Halide pipeline --------===//
//
// A kernel's arguments are named by position ("s0", "i0", outputs "o0"), so
// two kernels with the same key lower to the same code whatever their
// nodes are called. Anchors keep their op's schedule. A fusible node read
// once in the kernel, by a fusible node or by an output, is inlined into its
// reader: bias, activation and update expressions are computed in the loop
// that stores the kernel's output, not in a pass of their own. A matmul's
// or a dense's epilogue (its activation, a gradient mask, a parameter's
// update) is computed as each register tile is stored, so its own result
// is never stored. An output is computed straight into its output buffer.
//
//===----------------------------------------------------------------------===//
#include "lamina/OpInfo.h"
#include "lamina/Plan.h"

#include <map>
#include <set>

namespace lamina {

Halide::Target kernelTarget(const Kernel &k, const Halide::Target &target) {
  constexpr int64_t kLimit = int64_t(1) << 31;
  auto large = [&](const std::vector<const Node *> &nodes) {
    for (const Node *n : nodes)
      if (numElements(n->shape(), 1) *
              static_cast<int64_t>(dtypeSize(n->dtype())) >=
          kLimit)
        return true;
    return false;
  };
  if (large(k.nodes) || large(k.inputs) || large(k.outputs) ||
      large(k.constants))
    return target.with_feature(Halide::Target::LargeBuffers);
  return target;
}

/// Whether an update of f stores anywhere but at its own pure coordinates
/// (a scatter), so the region it writes may exceed f's extents.
static bool scatters(const Halide::Func &f) {
  for (int u = 0; u < f.num_update_definitions(); ++u)
    for (int d = 0; d < f.dimensions(); ++d)
      if (!updateKeepsPureVar(f, u, d))
        return true;
  return false;
}

LoweredKernel lowerKernel(const KernelPlan &plan, const Kernel &k,
                          const Halide::Target &target) {
  if (k.generic)
    return lowerKernel(k.generic->plan, k.generic->kernel, target);
  LowerContext ctx(*plan.graph, target);
  LoweredKernel out;
  out.arguments.push_back(ctx.batch());
  out.batch = ctx.batch();
  for (size_t i = 0; i < k.scalars.size(); ++i) {
    const Node &s = *k.scalars[i];
    ctx.setArgName(s, "s" + std::to_string(i));
    ctx.setFunc(s, getOpInfo(OpKind::Input).lower(s, ctx));
    out.arguments.push_back(ctx.scalarParamFor(s));
    out.scalars.push_back(ctx.scalarParamFor(s));
  }
  for (size_t i = 0; i < k.inputs.size(); ++i) {
    const Node &in = *k.inputs[i];
    ctx.setArgName(in, "i" + std::to_string(i));
    Halide::ImageParam &img = ctx.imageParamFor(in);
    ctx.setFunc(in, img);
    out.arguments.push_back(img);
    out.inputs.push_back(img);
  }
  for (const Node *c : k.constants) {
    Halide::Func f = getOpInfo(OpKind::Constant).lower(*c, ctx);
    if (c->rank() > 0)
      scheduleDefault(*c, f, ctx);
    ctx.setFunc(*c, f);
  }

  // Who reads each node inside the kernel: fusible members, other members,
  // and the output stores; and the last member that reads it.
  std::map<const Node *, int> reads;
  std::map<const Node *, bool> readByAnchor;
  std::map<const Node *, const Node *> readerOf;
  for (const Node *n : k.nodes)
    for (const Node *in : loweringInputs(*n)) {
      ++reads[in];
      readByAnchor[in] |= !getOpInfo(n->kind()).fusible;
      readerOf[in] = n;
    }
  for (const Node *o : k.outputs)
    ++reads[o];

  // An output that nothing in the kernel reads over a wider region than its
  // own extents (no anchor and no reshape reads it, directly or through
  // inlined element-wise nodes) is named by position and computed at root
  // straight into the output buffer: no internal buffer (one of 2^31
  // elements or more is an error even with large_buffers) and no copy.
  // Another output is computed where its readers need it and copied out.
  std::map<const Node *, bool> widened;
  for (auto it = k.nodes.rbegin(); it != k.nodes.rend(); ++it) {
    const Node *n = *it;
    const OpInfo &info = getOpInfo(n->kind());
    bool wide = !info.fusible || n->kind() == OpKind::Reshape || widened[n];
    if (wide)
      for (const Node *in : loweringInputs(*n))
        widened[in] = true;
  }
  std::set<const Node *> direct;
  for (size_t i = 0; i < k.outputs.size(); ++i)
    if (!widened[k.outputs[i]] && direct.insert(k.outputs[i]).second)
      ctx.setName(*k.outputs[i], "o" + std::to_string(i));
  auto inlined = [&](const Node *n) {
    return getOpInfo(n->kind()).fusible && !direct.count(n) && reads[n] == 1 &&
           !readByAnchor[n];
  };
  for (const Node *n : k.nodes)
    ctx.setFunc(*n, getOpInfo(n->kind()).lower(*n, ctx));

  // Epilogues: an anchor whose schedule tiles its epilogue (OpInfo::
  // tilesEpilogue), read once, by a fusible node of its shape, has that
  // chain of nodes scheduled in its place, up to the first one stored (an
  // output, or a value read twice): e.g. relu(dense(..)) or an update
  // p - lr * matmul(..) computed as each register tile is stored.
  std::map<const Node *, const Node *> tiledBy;
  std::set<const Node *> tiledAnchors;
  for (const Node *n : k.nodes) {
    // Read once (an output's store counts), so not an output when a
    // member reads it.
    if (!getOpInfo(n->kind()).tilesEpilogue || reads[n] != 1 || readByAnchor[n])
      continue;
    // n's one reader is a fusible node, and so is that of each inlined one.
    const Node *end = n;
    do {
      auto it = readerOf.find(end);
      const Node *reader = it != readerOf.end() ? it->second : nullptr;
      end = reader && reader->shape() == n->shape() &&
                    !ctx.funcOf(*reader).has_update_definition()
                ? reader
                : nullptr;
    } while (end && inlined(end));
    if (end && tiledBy.emplace(end, n).second)
      tiledAnchors.insert(n);
  }

  for (const Node *n : k.nodes) {
    if (inlined(n) || tiledAnchors.count(n))
      continue;
    auto it = tiledBy.find(n);
    const Node &anchor = it != tiledBy.end() ? *it->second : *n;
    const OpInfo &info = getOpInfo(anchor.kind());
    Halide::Func f = ctx.funcOf(*n);
    if (info.schedule)
      info.schedule(anchor, f, ctx);
    else
      scheduleDefault(*n, f, ctx);
  }

  std::vector<Halide::Func> outs;
  for (size_t i = 0; i < k.outputs.size(); ++i) {
    const Node &n = *k.outputs[i];
    Halide::Func o = ctx.funcOf(n);
    if (!direct.count(&n) || scatters(o)) {
      // A scattering update (pad_grad's) writes outside the extents, so
      // the node's Func ("oN" if it was to be direct) is stored apart.
      std::string name = "o" + std::to_string(i);
      outs.push_back(
          outputFunc(direct.count(&n) ? name + "_out" : name, n, ctx));
      continue;
    }
    setOutputBounds(o, n, ctx);
    outs.push_back(o);
  }
  out.pipeline = Halide::Pipeline(outs);
  keepNaNInVectorTails(out.pipeline);
  return out;
}

} // namespace lamina
