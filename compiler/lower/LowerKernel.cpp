//===- LowerKernel.cpp - One kernel of a plan as a Halide pipeline --------===//
//
// A kernel's arguments are named by position ("s0", "i0", outputs "o0"), so
// two kernels with the same key lower to the same code whatever their
// nodes are called. Anchors keep their op's schedule. A fusible node read
// once in the kernel, by a fusible node or by an output, is inlined into its
// reader: bias, activation and update expressions are computed in the loop
// that stores the kernel's output, not in a pass of their own.
//
//===----------------------------------------------------------------------===//
#include "lamina/OpInfo.h"
#include "lamina/Plan.h"

#include <map>

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

LoweredKernel lowerKernel(const KernelPlan &plan, const Kernel &k,
                          const Halide::Target &target) {
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
  // and the output stores.
  std::map<const Node *, int> reads;
  std::map<const Node *, bool> readByAnchor;
  for (const Node *n : k.nodes)
    for (const Node *in : loweringInputs(*n)) {
      ++reads[in];
      readByAnchor[in] |= !getOpInfo(n->kind()).fusible;
    }
  for (const Node *o : k.outputs)
    ++reads[o];

  for (const Node *n : k.nodes) {
    const OpInfo &info = getOpInfo(n->kind());
    Halide::Func f = info.lower(*n, ctx);
    bool inlined = info.fusible && reads[n] == 1 && !readByAnchor[n];
    if (!inlined) {
      if (info.schedule)
        info.schedule(*n, f, ctx);
      else
        scheduleDefault(*n, f, ctx);
    }
    ctx.setFunc(*n, f);
  }

  std::vector<Halide::Func> outs;
  for (size_t i = 0; i < k.outputs.size(); ++i) {
    outs.push_back(outputFunc("o" + std::to_string(i), *k.outputs[i], ctx));
  }
  out.pipeline = Halide::Pipeline(outs);
  return out;
}

} // namespace lamina
