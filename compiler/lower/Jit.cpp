//===- Jit.cpp - Run a graph in-process with Halide's JIT -----------------===//
#include "lamina/Jit.h"

#include <stdexcept>

namespace lamina {

/// A Halide buffer of `t` with logical shape `shape` (batch resolved).
static Halide::Buffer<> makeBuffer(DType t, const std::vector<int64_t> &shape) {
  std::vector<int> sizes(shape.rbegin(), shape.rend());
  return Halide::Buffer<>(LowerContext::halideType(t), sizes);
}

/// Row-major logical order is Halide's dense layout with dims reversed, so
/// element i of `data` is element i of the buffer's storage.
static void fill(Halide::Buffer<> &b, DType t, const std::vector<double> &d) {
  for (size_t i = 0; i < d.size(); ++i) {
    switch (t) {
    case DType::F32:
      static_cast<float *>(b.data())[i] = static_cast<float>(d[i]);
      break;
    case DType::F64:
      static_cast<double *>(b.data())[i] = d[i];
      break;
    case DType::I32:
      static_cast<int32_t *>(b.data())[i] = static_cast<int32_t>(d[i]);
      break;
    }
  }
}

static std::vector<double> drain(const Halide::Buffer<> &b, DType t) {
  std::vector<double> d(b.number_of_elements());
  for (size_t i = 0; i < d.size(); ++i) {
    switch (t) {
    case DType::F32:
      d[i] = static_cast<const float *>(b.data())[i];
      break;
    case DType::F64:
      d[i] = static_cast<const double *>(b.data())[i];
      break;
    case DType::I32:
      d[i] = static_cast<const int32_t *>(b.data())[i];
      break;
    }
  }
  return d;
}

/// The JIT target from the environment plus the features `opts` asks for.
static Halide::Target jitTarget(const JitOptions &opts) {
  Halide::Target t = Halide::get_jit_target_from_environment();
  if (opts.strictFloat)
    t = t.with_feature(Halide::Target::StrictFloat);
  return t;
}

JitPipeline::JitPipeline(const Graph &g, PipelineKind kind,
                         const JitOptions &opts)
    : target_(jitTarget(opts)), lp_(lowerGraph(g, kind, target_)) {
  lp_.pipeline.compile_jit(target_);
}

TensorMap JitPipeline::run(const TensorMap &feeds) {
  auto feedFor = [&](const Node &leaf) -> const HostTensor & {
    auto it = feeds.find(leaf.name());
    if (it == feeds.end())
      throw std::runtime_error("no value fed for '" + leaf.name() + "'");
    return it->second;
  };
  // The batch comes from the first fed tensor with a batch dim.
  int64_t batch = 1;
  bool found = false;
  for (const auto &[leaf, img] : lp_.images) {
    const Shape &s = leaf->shape();
    for (size_t d = 0; d < s.size() && !found; ++d)
      if (s[d] == kBatch) {
        const HostTensor &t = feedFor(*leaf);
        if (t.shape.size() != s.size())
          throw std::runtime_error("'" + leaf->name() + "' has rank " +
                                   std::to_string(t.shape.size()) +
                                   ", expected " + std::to_string(s.size()));
        batch = t.shape[d];
        found = true;
      }
  }
  lp_.batch.set(static_cast<int32_t>(batch));
  // Keep the input buffers alive until the run is over.
  std::vector<Halide::Buffer<>> keep;
  for (auto &[leaf, img] : lp_.images) {
    const HostTensor &t = feedFor(*leaf);
    std::vector<int64_t> shape = leaf->shape();
    for (int64_t &d : shape)
      if (d == kBatch)
        d = batch;
    if (t.shape != shape)
      throw std::runtime_error("'" + leaf->name() + "' fed with shape " +
                               shapeToString(t.shape) + ", expected " +
                               shapeToString(shape));
    if (static_cast<int64_t>(t.data.size()) != numElements(shape))
      throw std::runtime_error("'" + leaf->name() + "' has " +
                               std::to_string(t.data.size()) + " values");
    Halide::Buffer<> b = makeBuffer(leaf->dtype(), shape);
    fill(b, leaf->dtype(), t.data);
    img.set(b);
    keep.push_back(b);
  }
  for (auto &[leaf, p] : lp_.scalars) {
    const HostTensor &t = feedFor(*leaf);
    if (t.data.size() != 1)
      throw std::runtime_error("'" + leaf->name() + "' must be a scalar");
    p.set(t.data[0]);
  }

  std::vector<Halide::Buffer<>> outs;
  for (const Node *n : lp_.outputNodes) {
    std::vector<int64_t> shape = n->shape();
    for (int64_t &d : shape)
      if (d == kBatch)
        d = batch;
    outs.push_back(makeBuffer(n->dtype(), shape));
  }
  Halide::Realization r(outs);
  lp_.pipeline.realize(r, target_);

  TensorMap result;
  for (size_t i = 0; i < outs.size(); ++i) {
    const Node *n = lp_.outputNodes[i];
    HostTensor t;
    t.dtype = n->dtype();
    t.shape = n->shape();
    for (int64_t &d : t.shape)
      if (d == kBatch)
        d = batch;
    t.data = drain(outs[i], n->dtype());
    result[lp_.outputNames[i]] = std::move(t);
  }
  return result;
}

TensorMap runJit(const Graph &g, PipelineKind kind, const TensorMap &feeds,
                 const JitOptions &opts) {
  return JitPipeline(g, kind, opts).run(feeds);
}

} // namespace lamina
