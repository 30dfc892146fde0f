//===- LinalgReduceLossTest.cpp - Forward values of the non-elementwise ops
//===//
//
// matmul, dense, transpose, reshape, broadcast_to, the reductions, the
// classification ops, the losses and the metrics, run with the JIT in f64
// (f32 where the schedule is under test) against values computed here or
// given in the lecture notes; plus their shape-error messages and a check
// that the matmul schedule is vectorized.
//
//===----------------------------------------------------------------------===//
#include "OpTestUtil.h"

#include "lamina/Autodiff.h"
#include "lamina/Diagnostics.h"
#include "lamina/Lower.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

using namespace lamina;
using namespace lamina::test;

namespace {

/// Row-major [m, k] @ [k, n].
std::vector<double> refMatMul(const std::vector<double> &a,
                              const std::vector<double> &b, int64_t m,
                              int64_t k, int64_t n) {
  std::vector<double> c(m * n, 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t r = 0; r < k; ++r)
        c[i * n + j] += a[i * k + r] * b[r * n + j];
  return c;
}

std::vector<double> transposed(const std::vector<double> &a, int64_t m,
                               int64_t n) {
  std::vector<double> t(a.size());
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      t[j * m + i] = a[i * n + j];
  return t;
}

Attrs axesAttrs(std::vector<int64_t> axes, bool keepdims) {
  return {{"axes", std::move(axes)}, {"keepdims", int64_t(keepdims)}};
}

} // namespace

//===----------------------------------------------------------------------===//
// matmul, dense, transpose
//===----------------------------------------------------------------------===//

TEST(MatMul, SmallByHand) {
  TestGraph t;
  Node *a = t.input("a", {kBatch, 3}, {2, 3}, {1, 2, 3, 4, 5, 6});
  Node *b = t.input("b", {3, 2}, {7, 8, 9, 10, 11, 12});
  Node *y = t.op(OpKind::MatMul, {a, b});
  EXPECT_EQ(y->shape(), (Shape{kBatch, 2}));
  t.output("y", y);
  expectNear(t.run()["y"], {58, 64, 139, 154});
}

// Sizes that hit every edge of the register tiles: run-time rows (batch 1
// and odd), static rows below and above the tile, columns below, at and
// past the vector width, k of 1.
TEST(MatMul, MatchesReferenceAcrossTileEdges) {
  std::mt19937_64 rng(7);
  struct Case {
    bool batchRows;
    int64_t m, k, n;
  };
  for (DType dt : {DType::F64, DType::F32})
    for (Case c :
         {Case{true, 1, 37, 20}, Case{true, 5, 37, 20}, Case{true, 9, 3, 1},
          Case{false, 3, 5, 10}, Case{false, 7, 64, 33}, Case{false, 2, 1, 70},
          Case{true, 13, 16, 256}}) {
      TestGraph t(dt);
      std::vector<double> av = randomValues(rng, c.m * c.k);
      std::vector<double> bv = randomValues(rng, c.k * c.n);
      Node *a = c.batchRows ? t.input("a", {kBatch, c.k}, {c.m, c.k}, av)
                            : t.input("a", {c.m, c.k}, av);
      Node *b = t.input("b", {c.k, c.n}, bv);
      t.output("y", t.op(OpKind::MatMul, {a, b}));
      std::string what =
          std::string(dtypeName(dt)) + " m=" + std::to_string(c.m) +
          " k=" + std::to_string(c.k) + " n=" + std::to_string(c.n);
      expectNear(t.run()["y"], refMatMul(av, bv, c.m, c.k, c.n),
                 dt == DType::F64 ? 1e-12 : 1e-5, what);
    }
}

// The weight-gradient form x^T @ dy contracts over the batch, and x @ w^T
// with w of batch rows has run-time columns.
TEST(MatMul, BatchAsContractedOrColumnDim) {
  std::mt19937_64 rng(8);
  int64_t batch = 6, in = 5, out = 3;
  std::vector<double> xv = randomValues(rng, batch * in);
  std::vector<double> dv = randomValues(rng, batch * out);
  TestGraph t;
  Node *x = t.input("x", {kBatch, in}, {batch, in}, xv);
  Node *d = t.input("d", {kBatch, out}, {batch, out}, dv);
  Node *xt =
      t.op(OpKind::Transpose, {x}, {{"perm", std::vector<int64_t>{1, 0}}});
  Node *dw = t.op(OpKind::MatMul, {xt, d});
  EXPECT_EQ(dw->shape(), (Shape{in, out}));
  std::vector<double> pv = randomValues(rng, 4 * in);
  Node *p = t.input("p", {4, in}, pv);
  Node *pxt = t.op(OpKind::MatMul, {p, xt});
  EXPECT_EQ(pxt->shape(), (Shape{4, kBatch}));
  t.output("dw", dw);
  t.output("c", pxt);
  auto r = t.run();
  expectNear(r["dw"], refMatMul(transposed(xv, batch, in), dv, in, batch, out));
  EXPECT_EQ(r["c"].shape, (Shape{4, batch}));
  expectNear(r["c"], refMatMul(pv, transposed(xv, batch, in), 4, in, batch));
}

TEST(MatMul, LeadingDimsAndVectorLeft) {
  std::mt19937_64 rng(9);
  std::vector<double> av = randomValues(rng, 2 * 3 * 4);
  std::vector<double> bv = randomValues(rng, 4 * 5);
  TestGraph t;
  Node *a = t.input("a", {kBatch, 3, 4}, {2, 3, 4}, av);
  Node *b = t.input("b", {4, 5}, bv);
  Node *v = t.input("v", {4}, {1, 2, 3, 4});
  Node *y = t.op(OpKind::MatMul, {a, b});
  Node *u = t.op(OpKind::MatMul, {v, b});
  EXPECT_EQ(y->shape(), (Shape{kBatch, 3, 5}));
  EXPECT_EQ(u->shape(), (Shape{5}));
  t.output("y", y);
  t.output("u", u);
  auto r = t.run();
  expectNear(r["y"], refMatMul(av, bv, 6, 4, 5));
  expectNear(r["u"], refMatMul({1, 2, 3, 4}, bv, 1, 4, 5));
}

TEST(MatMul, ShapeErrorsNameBothShapes) {
  TestGraph t(DType::F32);
  Node *x = t.input("x", {kBatch, 784}, {1, 784}, std::vector<double>(784));
  Node *w = t.input("w", {785, 10}, std::vector<double>(7850));
  EXPECT_EQ(t.error(OpKind::MatMul, {x, w}),
            "'matmul' inner dimensions differ: [batch, 784] @ [785, 10]");
  EXPECT_EQ(t.error(OpKind::Dense, {x, w}),
            "'dense' inner dimensions differ: [batch, 784] @ [785, 10]");
  Node *w3 = t.input("w3", {784, 2, 2}, std::vector<double>(784 * 4));
  EXPECT_NE(t.error(OpKind::MatMul, {x, w3}).find("[784, 2, 2]"),
            std::string::npos);
  Node *w2 = t.input("w2", {784, 10}, std::vector<double>(7840));
  Node *b = t.input("b", {11}, std::vector<double>(11));
  EXPECT_EQ(t.error(OpKind::Dense, {x, w2, b}),
            "'dense' bias f32[11] does not match the weight f32[784, 10]: "
            "expected f32[10]");
}

// The notes' XOR network: h = relu(x W + c), y = h w + b gives XOR.
TEST(Dense, NotesXorByHandSetWeights) {
  TestGraph t;
  Node *x = t.input("x", {kBatch, 2}, {4, 2}, {0, 0, 0, 1, 1, 0, 1, 1});
  Node *w1 = t.input("w1", {2, 2}, {1, 1, 1, 1});
  Node *c = t.input("c", {2}, {0, -1});
  Node *w2 = t.input("w2", {2, 1}, {1, -2});
  Node *h = t.op(OpKind::Relu, {t.op(OpKind::Dense, {x, w1, c})});
  Node *y = t.op(OpKind::Dense, {h, w2});
  EXPECT_EQ(y->shape(), (Shape{kBatch, 1}));
  t.output("y", y);
  expectNear(t.run()["y"], {0, 1, 1, 0});
}

// The notes' CNN example ends in a dense layer with all weights 1 and bias 1
// on the pooled value 5: the output is 6.
TEST(Dense, NotesCnnExampleLastLayer) {
  TestGraph t;
  Node *x = t.input("x", {1}, {5});
  Node *w = t.input("w", {1, 1}, {1});
  Node *b = t.input("b", {1}, {1});
  t.output("y", t.op(OpKind::Dense, {x, w, b}));
  expectNear(t.run()["y"], {6});
}

TEST(Dense, BiasAcrossTileEdgesInF32) {
  std::mt19937_64 rng(10);
  int64_t batch = 7, in = 19, out = 40;
  std::vector<double> xv = randomValues(rng, batch * in);
  std::vector<double> wv = randomValues(rng, in * out);
  std::vector<double> bv = randomValues(rng, out);
  TestGraph t(DType::F32);
  Node *x = t.input("x", {kBatch, in}, {batch, in}, xv);
  Node *w = t.input("w", {in, out}, wv);
  Node *b = t.input("b", {out}, bv);
  t.output("y", t.op(OpKind::Dense, {x, w, b}));
  std::vector<double> want = refMatMul(xv, wv, batch, in, out);
  for (int64_t i = 0; i < batch; ++i)
    for (int64_t j = 0; j < out; ++j)
      want[i * out + j] += bv[j];
  expectNear(t.run()["y"], want, 1e-5);
}

// A 784x256 layer on a batch must run as vector code: look for the
// vectorized accumulator update in the lowered statement.
TEST(MatMul, ScheduleIsVectorized) {
  Graph g("M");
  Node *x = g.create(OpKind::Input, {}, {DType::F32, {kBatch, 784}},
                     {{"role", std::string("input")}});
  x->setName("x");
  Node *w = g.create(OpKind::Param, {}, {DType::F32, {784, 256}});
  w->setName("w");
  Node *b = g.create(OpKind::Param, {}, {DType::F32, {256}});
  b->setName("b");
  GraphBuilder gb(g, nullptr);
  Node *h = gb.build(OpKind::Dense, {x, w, b});
  ASSERT_NE(h, nullptr);
  g.addOutput("h", h);
  Halide::Target target = Halide::get_host_target();
  LoweredPipeline lp = lowerGraph(g, PipelineKind::Predict, target);
  std::string path = ::testing::TempDir() + "lamina_dense_stmt.txt";
  lp.pipeline.compile_to_lowered_stmt(path, lp.arguments, Halide::Text, target);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string stmt = ss.str();
  std::remove(path.c_str());
  LowerContext ctx(g, target);
  std::string width = std::to_string(ctx.vectorWidth(*h));
  // The update reads the weight as a contiguous vector and broadcasts x.
  bool vectorUpdate = false;
  std::istringstream lines(stmt);
  for (std::string line; std::getline(lines, line);)
    if (line.find("dense_") != std::string::npos &&
        line.find("p_w[ramp(") != std::string::npos &&
        line.find(", 1, " + width + ")") != std::string::npos &&
        line.find("x" + width + "(in_x[") != std::string::npos)
      vectorUpdate = true;
  EXPECT_TRUE(vectorUpdate) << stmt;
  EXPECT_NE(stmt.find("halide_do_par_for"), std::string::npos);
}

TEST(Transpose, PermAndDefault) {
  std::vector<double> v(24);
  for (int i = 0; i < 24; ++i)
    v[i] = i;
  TestGraph t;
  Node *x = t.input("x", {2, 3, 4}, v);
  Node *y =
      t.op(OpKind::Transpose, {x}, {{"perm", std::vector<int64_t>{2, 0, 1}}});
  Node *r = t.op(OpKind::Transpose, {x});
  EXPECT_EQ(y->shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(r->shape(), (Shape{4, 3, 2}));
  t.output("y", y);
  t.output("r", r);
  auto out = t.run();
  std::vector<double> wy, wr;
  for (int c = 0; c < 4; ++c)
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 3; ++b)
        wy.push_back(a * 12 + b * 4 + c);
  for (int c = 0; c < 4; ++c)
    for (int b = 0; b < 3; ++b)
      for (int a = 0; a < 2; ++a)
        wr.push_back(a * 12 + b * 4 + c);
  expectNear(out["y"], wy);
  expectNear(out["r"], wr);
  EXPECT_EQ(t.error(OpKind::Transpose, {x},
                    {{"perm", std::vector<int64_t>{0, 0, 1}}}),
            "'transpose' perm [0, 0, 1] is not a permutation of the dims of "
            "[2, 3, 4]");
}

// Matrices of at least a vector each way are transposed in blocks; the
// extents here are not multiples of the block.
TEST(Transpose, BlockedMatricesMatchReference) {
  std::mt19937_64 rng(11);
  for (DType dt : {DType::F32, DType::F64})
    for (auto [m, n] :
         {std::pair<int64_t, int64_t>{20, 37}, {16, 16}, {33, 17}, {5, 40}}) {
      TestGraph t(dt);
      std::vector<double> v = randomValues(rng, m * n);
      Node *x = t.input("x", {m, n}, v);
      t.output("y", t.op(OpKind::Transpose, {x}));
      expectNear(t.run()["y"], transposed(v, m, n), 1e-6,
                 std::string(dtypeName(dt)) + " " + std::to_string(m) + "x" +
                     std::to_string(n));
    }
}

//===----------------------------------------------------------------------===//
// reshape, broadcast_to
//===----------------------------------------------------------------------===//

TEST(Reshape, KeepsRowMajorOrder) {
  std::vector<double> v(12);
  for (int i = 0; i < 12; ++i)
    v[i] = i + 1;
  TestGraph t;
  Node *x = t.input("x", {kBatch, 6}, {2, 6}, v);
  Node *a = t.op(OpKind::Reshape, {x}, {{"shape", Shape{kBatch, 2, 3}}});
  Node *b = t.op(OpKind::Reshape, {x}, {{"shape", Shape{kBatch, 3, 1, 2}}});
  Node *c = t.op(OpKind::Reshape, {x}, {{"shape", Shape{3, kBatch, 2}}});
  Node *s = t.input("s", {2, 3}, {1, 2, 3, 4, 5, 6});
  Node *d = t.op(OpKind::Reshape, {s}, {{"shape", Shape{3, 2}}});
  Node *e = t.op(OpKind::Reshape, {s}, {{"shape", Shape{6}}});
  Node *one = t.input("one", {1, 1}, {42});
  Node *f = t.op(OpKind::Reshape, {one}, {{"shape", Shape{}}});
  Node *col = t.input("col", {kBatch}, {2}, {7, 8});
  Node *g = t.op(OpKind::Reshape, {col}, {{"shape", Shape{kBatch, 1}}});
  for (auto [name, n] : {std::pair<const char *, Node *>{"a", a},
                         {"b", b},
                         {"c", c},
                         {"d", d},
                         {"e", e},
                         {"f", f},
                         {"g", g}})
    t.output(name, n);
  auto r = t.run();
  expectNear(r["a"], v);
  expectNear(r["b"], v);
  expectNear(r["c"], v);
  EXPECT_EQ(r["c"].shape, (Shape{3, 2, 2}));
  expectNear(r["d"], {1, 2, 3, 4, 5, 6});
  expectNear(r["e"], {1, 2, 3, 4, 5, 6});
  expectNear(r["f"], {42});
  expectNear(r["g"], {7, 8});
  EXPECT_EQ(r["g"].shape, (Shape{2, 1}));
}

TEST(Reshape, Errors) {
  TestGraph t;
  Node *x = t.input("x", {kBatch, 6}, {1, 6}, std::vector<double>(6));
  EXPECT_EQ(t.error(OpKind::Reshape, {x}, {{"shape", Shape{kBatch, 4}}}),
            "'reshape' changes the number of elements per batch row: 6 vs 4 "
            "reshaping [batch, 6] to [batch, 4]");
  EXPECT_EQ(t.error(OpKind::Reshape, {x}, {{"shape", Shape{6}}}),
            "'reshape' must keep the batch dim: cannot reshape [batch, 6] to "
            "[6]");
  Node *s = t.input("s", {2, 3}, std::vector<double>(6));
  EXPECT_EQ(t.error(OpKind::Reshape, {s}, {{"shape", Shape{4, 2}}}),
            "'reshape' changes the number of elements: 6 vs 8 reshaping "
            "[2, 3] to [4, 2]");
}

TEST(BroadcastTo, NumpyRules) {
  TestGraph t;
  Node *c = t.input("c", {3, 1}, {1, 2, 3});
  Node *a = t.op(OpKind::BroadcastTo, {c}, {{"shape", Shape{2, 3, 4}}});
  Node *s = t.input("s", {}, {5});
  Node *b = t.op(OpKind::BroadcastTo, {s}, {{"shape", Shape{kBatch, 2}}});
  Node *x = t.input("x", {kBatch, 2}, {3, 2}, std::vector<double>(6));
  Node *row = t.input("row", {1, 2}, {8, 9});
  Node *r = t.op(OpKind::BroadcastTo, {row}, {{"shape", Shape{kBatch, 2}}});
  t.output("a", a);
  t.output("b", b);
  t.output("r", r);
  t.output("x", x);
  auto out = t.run();
  std::vector<double> wa;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        wa.push_back(j + 1);
  expectNear(out["a"], wa);
  expectNear(out["b"], {5, 5, 5, 5, 5, 5});
  expectNear(out["r"], {8, 9, 8, 9, 8, 9});
  EXPECT_EQ(t.error(OpKind::BroadcastTo, {c}, {{"shape", Shape{3, 2, 2}}}),
            "'broadcast_to' cannot broadcast [3, 1] to [3, 2, 2]");
  EXPECT_EQ(t.error(OpKind::BroadcastTo, {x}, {{"shape", Shape{2}}}),
            "'broadcast_to' cannot broadcast [batch, 2] to [2]");
}

//===----------------------------------------------------------------------===//
// sum, mean, reduce_max, count
//===----------------------------------------------------------------------===//

TEST(Reduce, OverAxesWithAndWithoutKeepdims) {
  // x[b, i, j] = 100 b + 10 i + j, batch 2, [batch, 3, 4].
  std::vector<double> v;
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 4; ++j)
        v.push_back(100 * b + 10 * i + j);
  TestGraph t;
  Node *x = t.input("x", {kBatch, 3, 4}, {2, 3, 4}, v);
  Node *all = t.op(OpKind::Sum, {x}, axesAttrs({}, false));
  Node *last = t.op(OpKind::Sum, {x}, axesAttrs({-1}, false));
  Node *batchK = t.op(OpKind::Sum, {x}, axesAttrs({0}, true));
  Node *mid = t.op(OpKind::Mean, {x}, axesAttrs({0, 2}, false));
  Node *meanAll = t.op(OpKind::Mean, {x}, axesAttrs({}, true));
  Node *mx = t.op(OpKind::ReduceMax, {x}, axesAttrs({1}, false));
  Node *mxAll = t.op(OpKind::ReduceMax, {x}, axesAttrs({}, false));
  Node *cnt = t.op(OpKind::Count, {x}, axesAttrs({0, 1}, false));
  EXPECT_EQ(all->shape(), (Shape{}));
  EXPECT_EQ(last->shape(), (Shape{kBatch, 3}));
  EXPECT_EQ(batchK->shape(), (Shape{1, 3, 4}));
  EXPECT_EQ(mid->shape(), (Shape{3}));
  EXPECT_EQ(meanAll->shape(), (Shape{1, 1, 1}));
  EXPECT_EQ(mx->shape(), (Shape{kBatch, 4}));
  EXPECT_EQ(cnt->shape(), (Shape{}));
  for (auto [name, n] : {std::pair<const char *, Node *>{"all", all},
                         {"last", last},
                         {"batchK", batchK},
                         {"mid", mid},
                         {"meanAll", meanAll},
                         {"mx", mx},
                         {"mxAll", mxAll},
                         {"cnt", cnt}})
    t.output(name, n);
  auto r = t.run();
  double total = 0;
  for (double e : v)
    total += e;
  expectNear(r["all"], {total});
  expectNear(r["last"], {6, 46, 86, 406, 446, 486});
  std::vector<double> wb;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j)
      wb.push_back(100 + 20 * i + 2 * j);
  expectNear(r["batchK"], wb);
  expectNear(r["mid"], {51.5, 61.5, 71.5});
  expectNear(r["meanAll"], {total / 24});
  expectNear(r["mx"], {20, 21, 22, 23, 120, 121, 122, 123});
  expectNear(r["mxAll"], {123});
  expectNear(r["cnt"], {6});
}

// Summing [batch, 256] over the batch (a bias gradient) vectorizes over 256.
TEST(Reduce, SumOverBatchIsVectorized) {
  Graph g("M");
  Node *x = g.create(OpKind::Input, {}, {DType::F32, {kBatch, 256}},
                     {{"role", std::string("input")}});
  x->setName("x");
  GraphBuilder gb(g, nullptr);
  Node *s = gb.build(OpKind::Sum, {x}, axesAttrs({0}, false));
  ASSERT_NE(s, nullptr);
  g.addOutput("s", s);
  Halide::Target target = Halide::get_host_target();
  LoweredPipeline lp = lowerGraph(g, PipelineKind::Predict, target);
  std::string path = ::testing::TempDir() + "lamina_sum_stmt.txt";
  lp.pipeline.compile_to_lowered_stmt(path, lp.arguments, Halide::Text, target);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::remove(path.c_str());
  LowerContext ctx(g, target);
  std::string width = std::to_string(ctx.vectorWidth(*s));
  bool vectorUpdate = false;
  std::istringstream lines(ss.str());
  for (std::string line; std::getline(lines, line);)
    if (line.find("sum_") != std::string::npos &&
        line.find("in_x[ramp(") != std::string::npos &&
        line.find(", 1, " + width + ")") != std::string::npos)
      vectorUpdate = true;
  EXPECT_TRUE(vectorUpdate) << ss.str();
}

TEST(Reduce, Errors) {
  TestGraph t;
  Node *x = t.input("x", {kBatch, 3}, {1, 3}, {1, 2, 3});
  EXPECT_EQ(t.error(OpKind::Sum, {x}, axesAttrs({2}, false)),
            "'sum' axes [2] out of range for [batch, 3]");
  EXPECT_EQ(t.error(OpKind::ReduceMax, {x}, axesAttrs({0, -3}, false)),
            "'reduce_max' axes [0, -3] out of range for [batch, 3]");
}

//===----------------------------------------------------------------------===//
// one_hot, argmax, softmax, log_softmax
//===----------------------------------------------------------------------===//

TEST(Classify, OneHotAndArgMax) {
  TestGraph t;
  Node *l = t.labels("l", {kBatch}, {4}, {2, 0, 3, 1});
  Node *oh = t.op(OpKind::OneHot, {l},
                  {{"classes", int64_t(3)}, {"dtype", std::string("f64")}});
  EXPECT_EQ(oh->type(), (TensorType{DType::F64, {kBatch, 3}}));
  Node *s = t.input("s", {2, 3}, {1, 5, 5, 9, 2, 9});
  Node *am = t.op(OpKind::ArgMax, {s});
  Node *am0 = t.op(OpKind::ArgMax, {s}, {{"axis", int64_t(0)}});
  EXPECT_EQ(am->type(), (TensorType{DType::I32, {2}}));
  EXPECT_EQ(am0->shape(), (Shape{3}));
  t.output("oh", oh);
  t.output("am", am);
  t.output("am0", am0);
  auto r = t.run();
  // Label 3 is out of range: its row is all zeros.
  expectNear(r["oh"], {0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0});
  // Ties go to the lowest index.
  expectNear(r["am"], {1, 0});
  expectNear(r["am0"], {1, 0, 1});
  EXPECT_EQ(t.error(OpKind::OneHot, {s}, {{"classes", int64_t(3)}}),
            "'one_hot' needs i32 class labels, got f64[2, 3]");
}

TEST(Classify, SoftmaxIsStableAndSumsToOne) {
  TestGraph t;
  Node *x = t.input("x", {kBatch, 3}, {2, 3}, {1, 2, 3, 1000, 1000, 990});
  Node *sm = t.op(OpKind::Softmax, {x});
  Node *ls = t.op(OpKind::LogSoftmax, {x});
  Node *sm0 = t.op(OpKind::Softmax, {x}, {{"axis", int64_t(0)}});
  t.output("sm", sm);
  t.output("ls", ls);
  t.output("sm0", sm0);
  auto r = t.run();
  double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  double z2 = 2 + std::exp(-10.0);
  expectNear(r["sm"], {std::exp(1.0) / z, std::exp(2.0) / z, std::exp(3.0) / z,
                       1 / z2, 1 / z2, std::exp(-10.0) / z2});
  expectNear(r["ls"], {1 - std::log(z), 2 - std::log(z), 3 - std::log(z),
                       -std::log(z2), -std::log(z2), -10 - std::log(z2)});
  expectNear(r["sm0"], {0, 0, 0, 1, 1, 1}, 1e-12);
  EXPECT_EQ(t.error(OpKind::Softmax, {x}, {{"axis", int64_t(2)}}),
            "'softmax' axis 2 out of range for [batch, 3]");
}

//===----------------------------------------------------------------------===//
// losses
//===----------------------------------------------------------------------===//

// The notes' linear regression: x = 1.5, y = 0.8, w0 = 0.8, b0 = 0.2 gives
// y_pred = 1.4 and L = 1/2 (1.4 - 0.8)^2 = 0.18, dL/dw = 0.9, dL/db = 0.6.
TEST(Loss, NotesLinearRegression) {
  TestGraph t;
  Node *x = t.input("x", {kBatch, 1}, {1, 1}, {1.5});
  Node *y = t.input("y", {kBatch, 1}, {1, 1}, {0.8});
  Node *w = t.input("w", {1, 1}, {0.8});
  Node *b = t.input("b", {1}, {0.2});
  Node *pred = t.op(OpKind::Dense, {x, w, b});
  Node *l = t.op(OpKind::HalfSquaredError, {pred, y});
  DiagnosticEngine diag;
  std::vector<Node *> grads = buildGradients(t.graph(), l, {w, b}, diag);
  ASSERT_EQ(grads.size(), 2u);
  t.output("pred", pred);
  t.output("l", l);
  t.output("dw", grads[0]);
  t.output("db", grads[1]);
  auto r = t.run();
  expectNear(r["pred"], {1.4});
  expectNear(r["l"], {0.18});
  expectNear(r["dw"], {0.9});
  expectNear(r["db"], {0.6});
  // The second step: w1 = 0.71, b1 = 0.14 gives 1.205 and L1 = 0.0820125.
  t.feeds()["w"].data = {0.71};
  t.feeds()["b"].data = {0.14};
  r = t.run();
  expectNear(r["pred"], {1.205});
  expectNear(r["l"], {0.0820125});
}

TEST(Loss, RegressionLossesAgainstFormulas) {
  std::vector<double> yv = {0.5, -1.0, 2.0, 0.25, 3.0, -0.5};
  std::vector<double> tv = {1.0, -1.5, 2.5, 0.0, 1.0, 0.5};
  TestGraph t;
  Node *y = t.input("y", {kBatch, 2}, {3, 2}, yv);
  Node *tt = t.input("t", {kBatch, 2}, {3, 2}, tv);
  Node *zero = t.scalar(0.0);
  for (auto [name, k] : {std::pair<const char *, OpKind>{"mse", OpKind::Mse},
                         {"mae", OpKind::Mae},
                         {"hse", OpKind::HalfSquaredError},
                         {"rmse", OpKind::Rmse},
                         {"r2", OpKind::R2}})
    t.output(name, t.op(k, {y, tt}));
  t.output("mse0", t.op(OpKind::Mse, {y, zero}));
  auto r = t.run();
  double se = 0, ae = 0, sq = 0, tm = 0, tot = 0;
  for (size_t i = 0; i < yv.size(); ++i) {
    se += (yv[i] - tv[i]) * (yv[i] - tv[i]);
    ae += std::abs(yv[i] - tv[i]);
    sq += yv[i] * yv[i];
    tm += tv[i] / 6;
  }
  for (double v : tv)
    tot += (v - tm) * (v - tm);
  expectNear(r["mse"], {se / 6});
  expectNear(r["mae"], {ae / 6});
  expectNear(r["hse"], {se / 12});
  expectNear(r["rmse"], {std::sqrt(se / 6)});
  expectNear(r["r2"], {1 - se / tot});
  expectNear(r["mse0"], {sq / 6});
}

TEST(Loss, BinaryCrossEntropyClampsProbabilities) {
  TestGraph t;
  Node *p = t.input("p", {kBatch}, {4}, {0.9, 0.2, 0.0, 1.0});
  Node *y = t.input("y", {kBatch}, {4}, {1, 0, 1, 1});
  t.output("l", t.op(OpKind::BinaryCrossEntropy, {p, y}));
  double want =
      -(std::log(0.9) + std::log(0.8) + std::log(1e-12) + std::log(1 - 1e-12)) /
      4;
  expectNear(t.run()["l"], {want}, 1e-9);
}

TEST(Loss, CrossEntropyWithLabelsAndProbabilities) {
  std::vector<double> z = {1, 2, 3, 1000, 0, -1000};
  TestGraph t;
  Node *logits = t.input("z", {kBatch, 3}, {2, 3}, z);
  Node *l = t.labels("l", {kBatch}, {2}, {2, 0});
  Node *bad = t.labels("bad", {kBatch}, {2}, {7, -3});
  Node *p = t.input("p", {kBatch, 3}, {2, 3}, {0, 0, 1, 0.5, 0.5, 0});
  t.output("ce", t.op(OpKind::CrossEntropy, {logits, l}));
  t.output("cp", t.op(OpKind::CrossEntropy, {logits, p}));
  t.output("clamped", t.op(OpKind::CrossEntropy, {logits, bad}));
  auto r = t.run();
  double lse0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  double lse1 = 1000 + std::log(1 + std::exp(-1000.0) + std::exp(-2000.0));
  expectNear(r["ce"], {((lse0 - 3) + (lse1 - 1000)) / 2});
  expectNear(r["cp"], {((lse0 - 3) + 0.5 * (lse1 - 1000) + 0.5 * lse1) / 2});
  // Labels 7 and -3 read classes 2 and 0.
  expectNear(r["clamped"], {((lse0 - 3) + (lse1 - 1000)) / 2});
}

TEST(Loss, ShapeErrorsNameBothShapes) {
  TestGraph t;
  Node *y = t.input("y", {kBatch, 1}, {1, 1}, {1});
  Node *v = t.input("v", {kBatch}, {1}, {1});
  Node *w = t.input("w", {kBatch, 3}, {1, 3}, {1, 2, 3});
  EXPECT_EQ(t.error(OpKind::Mse, {y, v}),
            "'mse' shapes differ: [batch, 1] and [batch] (broadcasting them "
            "would give [batch, batch])");
  EXPECT_EQ(t.error(OpKind::Mae, {w, y}), "");
  Node *u = t.input("u", {kBatch, 2}, {1, 2}, {1, 2});
  EXPECT_EQ(t.error(OpKind::HalfSquaredError, {w, u}),
            "'half_squared_error' shapes differ: [batch, 3] and [batch, 2]");
  Node *l = t.labels("l", {kBatch, 3}, {1, 3}, {0, 0, 0});
  EXPECT_EQ(t.error(OpKind::CrossEntropy, {w, l}),
            "'cross_entropy' class labels must have the logits' shape without "
            "the class dim: logits and labels are [batch, 3] and [batch, 3]");
  EXPECT_EQ(t.error(OpKind::CrossEntropy, {w, u}),
            "'cross_entropy' target probabilities must have the logits' "
            "shape: logits and target are [batch, 3] and [batch, 2]");
  // Float class indices: the message says to declare i32 labels.
  EXPECT_EQ(t.error(OpKind::CrossEntropy, {w, v}),
            "'cross_entropy' targets f64[batch] have the logits' shape "
            "without the class dim, as class labels do, but labels must be "
            "i32: declare them as 'label NAME: i32[batch];' (or give "
            "probabilities of the logits' shape [batch, 3])");
}

//===----------------------------------------------------------------------===//
// metrics
//===----------------------------------------------------------------------===//

TEST(Metric, AccuracyForms) {
  TestGraph t;
  // Row 1 ties classes 0 and 2: the lowest index, 0, is predicted.
  Node *s = t.input("s", {kBatch, 3}, {4, 3},
                    {0.1, 0.7, 0.2, 0.5, 0.1, 0.5, 0, 0, 1, 3, 2, 1});
  Node *l = t.labels("l", {kBatch}, {4}, {1, 0, 0, 0});
  Node *oh =
      t.input("oh", {kBatch, 3}, {4, 3}, {0, 1, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0});
  Node *p = t.input("p", {kBatch, 1}, {4, 1}, {0.9, 0.4, 0.6, 0.1});
  Node *pt = t.input("pt", {kBatch}, {4}, {1, 0, 0, 1});
  Node *pt1 = t.input("pt1", {kBatch, 1}, {4, 1}, {1, 0, 0, 1});
  t.output("labels", t.op(OpKind::Accuracy, {s, l}));
  t.output("onehot", t.op(OpKind::Accuracy, {s, oh}));
  t.output("binary", t.op(OpKind::Accuracy, {p, pt}));
  t.output("binary1", t.op(OpKind::Accuracy, {p, pt1}));
  auto r = t.run();
  expectNear(r["labels"], {0.75});
  expectNear(r["onehot"], {0.75});
  expectNear(r["binary"], {0.5});
  expectNear(r["binary1"], {0.5});
  Node *bad = t.labels("bad", {kBatch, 3}, {4, 3}, std::vector<double>(12));
  EXPECT_EQ(t.error(OpKind::Accuracy, {s, bad}),
            "'accuracy' needs scores [.., C] with i32 labels [..] or one-hot "
            "[.., C], or probabilities [.., 1] with targets [..] or [.., 1]; "
            "got f64[batch, 3] and i32[batch, 3]");
}

TEST(Metric, MacroAveragesAndTheirConfusionMatrix) {
  // 6 samples of 4 classes; class 3 is neither a label nor a prediction.
  //   sample     0  1  2  3  4  5
  //   predicted  0  0  1  1  2  0
  //   label      0  1  1  0  1  0
  TestGraph t;
  Node *s =
      t.input("s", {kBatch, 4}, {6, 4}, {9, 0, 0, 0, 9, 0, 0, 0, 0, 9, 0, 0,
                                         0, 9, 0, 0, 0, 0, 9, 0, 9, 0, 0, 0});
  Node *l = t.labels("l", {kBatch}, {6}, {0, 1, 1, 0, 1, 0});
  for (OpKind k :
       {OpKind::Accuracy, OpKind::Precision, OpKind::Recall, OpKind::F1}) {
    t.output(opName(k), t.op(k, {s, l}));
    t.output(std::string(opName(k)) + "_stats",
             t.op(OpKind::MetricStats, {s, l},
                  {{"metric", std::string(opName(k))}}));
  }
  auto r = t.run();
  // Class 0: TP 2 of 3 predicted, 3 labelled; class 1: TP 1 of 2 predicted,
  // 3 labelled; class 2: predicted once, never labelled.
  double precision = (2.0 / 3 + 1.0 / 2 + 0) / 3;
  double recall = (2.0 / 3 + 1.0 / 3 + 0) / 3;
  double f1 = (4.0 / 6 + 2.0 / 5 + 0) / 3;
  expectNear(r["accuracy"], {0.5});
  expectNear(r["precision"], {precision});
  expectNear(r["recall"], {recall});
  expectNear(r["f1"], {f1});
  // The stats are the confusion matrix (row: label, column: prediction),
  // and the runtime's finish of them is the value of one batch.
  std::vector<double> m = {2, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  for (auto [name, finish] :
       {std::pair<const char *, lamina::abi::MetricFinish>{
            "accuracy", lamina::abi::MetricFinish::Accuracy},
        {"precision", lamina::abi::MetricFinish::Precision},
        {"recall", lamina::abi::MetricFinish::Recall},
        {"f1", lamina::abi::MetricFinish::F1}}) {
    const HostTensor &stats = r[std::string(name) + "_stats"];
    EXPECT_EQ(stats.dtype, DType::F64);
    expectNear(stats, m);
    lamina::abi::MetricSums sums(finish, 4);
    sums.add(stats.data.data());
    expectNear(r[name], {sums.value()});
  }
}

TEST(Metric, RegressionStatsFinishToTheValue) {
  TestGraph t(DType::F32);
  Node *y = t.input("y", {kBatch, 2}, {3, 2}, {0.5, -1, 2, 0.25, 3, -0.5});
  Node *tt = t.input("t", {kBatch, 2}, {3, 2}, {1, -1.5, 2.5, 0, 1, 0.5});
  for (OpKind k : {OpKind::Rmse, OpKind::R2}) {
    t.output(opName(k), t.op(k, {y, tt}));
    t.output(std::string(opName(k)) + "_stats",
             t.op(OpKind::MetricStats, {y, tt},
                  {{"metric", std::string(opName(k))}}));
  }
  auto r = t.run();
  // Squared errors: 0.25 + 0.25 + 0.25 + 0.0625 + 4 + 1 = 5.8125; the
  // target sums to 3.5 and its squares to 10.75.
  expectNear(r["rmse_stats"], {5.8125, 6});
  expectNear(r["r2_stats"], {5.8125, 6, 3.5 / 6, 10.75 - 3.5 * 3.5 / 6}, 1e-6);
  for (auto [name, finish] :
       {std::pair<const char *, lamina::abi::MetricFinish>{
            "rmse", lamina::abi::MetricFinish::Rmse},
        {"r2", lamina::abi::MetricFinish::R2}}) {
    lamina::abi::MetricSums sums(finish, 0);
    sums.add(r[std::string(name) + "_stats"].data.data());
    expectNear(r[name], {sums.value()}, 1e-6);
  }
  EXPECT_EQ(
      t.error(OpKind::MetricStats, {y, tt}, {{"metric", std::string("mse")}}),
      "'metric_stats' needs the name of a metric with sums (r2, rmse, "
      "accuracy, precision, recall, f1) and its operands, got 'mse'");
}

TEST(Metric, HaveNoGradient) {
  for (OpKind k : {OpKind::Accuracy, OpKind::Rmse, OpKind::R2, OpKind::ArgMax,
                   OpKind::OneHot, OpKind::Precision, OpKind::Recall,
                   OpKind::F1, OpKind::MetricStats}) {
    EXPECT_EQ(getOpInfo(k).buildGradient, nullptr) << opName(k);
    EXPECT_NE(getOpInfo(k).noGradReason, nullptr) << opName(k);
  }
}
