//===- pool_bench.cpp - Time the pooling kernels at the LeNet-5 shapes ----===//
//
// Prints microseconds per run of the Predict pipeline of maxpool2d,
// maxpool_grad, avgpool2d and avgpool_grad (kernel 2, f32, batch 64) on the
// two LeNet-5 pooling inputs, [64, 6, 28, 28] and [64, 16, 10, 10]. Each
// pipeline ends in a copy of its result to the output buffer, so "copy of x"
// is printed for scale. Built by CMake as lamina-pool-bench, never run by the
// tests; run it by hand on a quiet machine (HL_NUM_THREADS=1 for one core):
//
//   build/test/lamina-pool-bench
//
//===----------------------------------------------------------------------===//
#include "lamina/IR.h"
#include "lamina/Jit.h"
#include "lamina/OpInfo.h"

#include <Halide.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using namespace lamina;

namespace {

using Ints = std::vector<int64_t>;

/// Microseconds per run of `g`'s Predict pipeline at batch 64 (f32): the
/// best of 5 loops of 200 runs, as wall-clock time and as process CPU time
/// (all threads). The pipeline is compiled and warmed up first.
std::pair<double, double> microsPerCall(const Graph &g,
                                        const TensorMap &feeds) {
  // One pipeline of the graph (lowerGraph), timed without the copies in
  // and out that JitPipeline::run makes.
  Halide::Target target = Halide::get_jit_target_from_environment();
  LoweredPipeline lp = lowerGraph(g, PipelineKind::Predict, target);
  lp.batch.set(64);
  std::vector<Halide::Buffer<float>> ins;
  for (auto &[leaf, img] : lp.images) {
    const HostTensor &t = feeds.at(leaf->name());
    std::vector<int> sizes(t.shape.rbegin(), t.shape.rend());
    Halide::Buffer<float> b(sizes);
    for (size_t i = 0; i < t.data.size(); ++i)
      b.data()[i] = static_cast<float>(t.data[i]);
    img.set(b);
    ins.push_back(b);
  }
  Halide::Pipeline pipe = lp.pipeline;
  std::vector<Halide::Buffer<>> outs;
  for (const Node *n : lp.outputNodes) {
    std::vector<int> sizes;
    for (auto it = n->shape().rbegin(); it != n->shape().rend(); ++it)
      sizes.push_back(*it == kBatch ? 64 : static_cast<int>(*it));
    outs.emplace_back(Halide::Float(32), sizes);
  }
  Halide::Realization r(outs);
  for (int i = 0; i < 20; ++i)
    pipe.realize(r, target);
  double wall = 1e30, cpu = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    int iters = 200;
    auto t0 = std::chrono::steady_clock::now();
    std::clock_t c0 = std::clock();
    for (int i = 0; i < iters; ++i)
      pipe.realize(r, target);
    std::clock_t c1 = std::clock();
    auto t1 = std::chrono::steady_clock::now();
    wall = std::min(wall,
                    std::chrono::duration<double, std::micro>(t1 - t0).count() /
                        iters);
    cpu = std::min(cpu,
                   1e6 * static_cast<double>(c1 - c0) / CLOCKS_PER_SEC / iters);
  }
  return {wall, cpu};
}

std::vector<double> randomValues(std::mt19937_64 &rng, int64_t count) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> v(static_cast<size_t>(count));
  for (double &x : v)
    x = u(rng);
  return v;
}

/// An f32 Input leaf of node shape `shape`, fed `data` laid out in `fed`.
Node *input(Graph &g, TensorMap &feeds, const std::string &name, Shape shape,
            Shape fed, std::vector<double> data) {
  Node *n = g.create(OpKind::Input, {}, TensorType{DType::F32, shape},
                     {{"role", std::string("input")}});
  n->setName(name);
  feeds[name] = HostTensor{DType::F32, std::move(fed), std::move(data)};
  return n;
}

Node *build(Graph &g, OpKind k, std::vector<Node *> in, Attrs attrs) {
  Expected<Node *> r =
      GraphBuilder(g, nullptr).tryBuild(k, std::move(in), std::move(attrs));
  if (!r)
    throw std::runtime_error(std::string(opName(k)) + ": " + r.errorMessage());
  return *r;
}

} // namespace

int main() {
  std::mt19937_64 rng(1);
  const char *what[] = {"copy of x (output cost)", "maxpool2d", "maxpool_grad",
                        "avgpool2d", "avgpool_grad"};
  for (Shape xs : {Shape{kBatch, 6, 28, 28}, Shape{kBatch, 16, 10, 10}}) {
    Shape fed = xs;
    fed[0] = 64;
    Shape ys{kBatch, xs[1], xs[2] / 2, xs[3] / 2}, fedY = ys;
    fedY[0] = 64;
    std::vector<double> x = randomValues(rng, numElements(fed));
    std::vector<double> dy = randomValues(rng, numElements(fedY));
    Attrs a{{"kernel", Ints{2, 2}}};
    Attrs ga = a;
    ga["input_shape"] = xs;
    for (int which = 0; which < 5; ++which) {
      Graph g("T");
      TensorMap feeds;
      Node *xn = input(g, feeds, "x", xs, fed, x);
      Node *dyn = input(g, feeds, "dy", ys, fedY, dy);
      Node *out = xn;
      if (which == 1)
        out = build(g, OpKind::MaxPool2d, {xn}, a);
      if (which == 2)
        out = build(g, OpKind::MaxPoolGrad, {xn, dyn}, a);
      if (which == 3)
        out = build(g, OpKind::AvgPool2d, {xn}, a);
      if (which == 4)
        out = build(g, OpKind::AvgPoolGrad, {dyn}, ga);
      g.addOutput("y", out);
      auto [wall, cpu] = microsPerCall(g, feeds);
      std::printf("%-24s x %-16s %8.1f us wall %8.1f us cpu\n", what[which],
                  shapeToString(fed).c_str(), wall, cpu);
    }
  }
  return 0;
}
