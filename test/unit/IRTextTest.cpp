//===- IRTextTest.cpp - Textual IR, verifier and passes
//--------------------===//
#include "lamina/IRText.h"
#include "lamina/Diagnostics.h"
#include "lamina/OpInfo.h"
#include "lamina/Passes.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

using namespace lamina;

namespace {

std::string print(const Graph &g, bool locs = false,
                  const std::optional<TrainConfig> &defaults = std::nullopt) {
  std::ostringstream os;
  PrintOptions opts;
  opts.printLocs = locs;
  printGraph(g, os, opts, defaults);
  return os.str();
}

/// Parses `text`; the diagnostics land in `errs`, the train line in
/// `defaults`.
std::unique_ptr<Graph> parse(const std::string &text,
                             std::string *errs = nullptr,
                             const std::string &file = "t.lir",
                             std::optional<TrainConfig> *defaults = nullptr) {
  std::ostringstream os;
  DiagnosticEngine diag(os);
  std::optional<TrainConfig> unused;
  std::unique_ptr<Graph> g =
      parseGraph(file, text, diag, defaults ? defaults : &unused);
  if (errs)
    *errs = os.str();
  EXPECT_EQ(g == nullptr, diag.hasErrors()) << os.str();
  return g;
}

/// The first line of the diagnostics for `text`, which must fail to parse.
std::string firstError(const std::string &text) {
  std::string errs;
  std::unique_ptr<Graph> g = parse(text, &errs);
  EXPECT_EQ(g, nullptr) << text;
  return errs.substr(0, errs.find('\n'));
}

std::string verifyErrors(const Graph &g) {
  std::ostringstream os;
  DiagnosticEngine diag(os);
  bool ok = verifyGraph(g, diag);
  EXPECT_EQ(ok, !diag.hasErrors());
  return os.str();
}

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

Node *input(Graph &g, const std::string &name, TensorType t,
            const std::string &role = "input") {
  Node *n = g.create(OpKind::Input, {}, std::move(t), {{"role", role}});
  n->setName(name);
  return n;
}

Node *param(Graph &g, const std::string &name, TensorType t) {
  Node *n = g.create(OpKind::Param, {}, std::move(t), {{"role", "param"}});
  n->setName(name);
  return n;
}

Node *constant(Graph &g, std::vector<double> data, Shape shape,
               DType dt = DType::F32) {
  Node *n = g.create(OpKind::Constant, {}, TensorType{dt, std::move(shape)});
  n->setData(std::move(data));
  return n;
}

/// A graph with every kind of thing the text has to carry.
std::unique_ptr<Graph> buildSample() {
  auto g = std::make_unique<Graph>("Sample");
  GraphBuilder b(*g, nullptr);
  Node *x = input(*g, "x", {DType::F32, {kBatch, 3}});
  input(*g, "y", {DType::I32, {kBatch}}, "label");
  Node *w = param(*g, "h1.weight", {DType::F32, {3, 2}});
  w->setAttr("fan_in", int64_t(3));
  w->setAttr("init_arg", 0.0);
  w->setAttr("init", std::string("uniform_fan_in"));
  w->setLoc({"sample.lam", 4, 7});
  Node *v = param(*g, "w \"odd\"\n\xc3\xa9", {DType::F64, {1, 1}});
  v->setData({0.8});
  param(*g, "0dup", {DType::F32, {2}});
  param(*g, "x_1", {DType::F32, {2}});
  Node *m = b.build(OpKind::MatMul, {x, w}, {}, {"sample.lam", 5, 3});
  m->setName("h1");
  Node *r = b.build(OpKind::Relu, {m});
  Node *c = b.scalar(-0.0, DType::F32);
  c->setName("zero");
  Node *c2 = constant(*g, {1.5, -2.25e-300, 1e300, 4}, {2, 2}, DType::F64);
  c2->setAttr("note", std::string("tab\there"));
  Node *s = b.build(OpKind::Add, {r, c});
  Node *t =
      b.build(OpKind::Transpose, {s}, {{"perm", std::vector<int64_t>{1, 0}}});
  Node *sum =
      b.build(OpKind::Sum, {t},
              {{"axes", std::vector<int64_t>{}}, {"keepdims", int64_t(0)}});
  Node *nan = constant(*g, {NAN, INFINITY, -INFINITY}, {3});
  (void)c2;
  (void)nan;
  g->setLoss(sum);
  g->addOutput("probs", r);
  g->addMetric("total", sum);
  g->addUpdate("h1.weight", w);
  return g;
}

/// Run defaults for buildSample's graph, every field set.
TrainConfig sampleDefaults() {
  TrainConfig tc;
  tc.batch = 64;
  tc.epochs = 5;
  tc.lr = 0.05;
  tc.momentum = 0.9;
  tc.init = "normal";
  tc.initArg = 0.01;
  tc.validationSplit = 0.1;
  tc.seed = 18446744073709551615ull;
  tc.loc = {"sample.lam", 9, 1};
  return tc;
}

} // namespace

//===----------------------------------------------------------------------===//
// Printing and parsing
//===----------------------------------------------------------------------===//

TEST(IRText, PrintsTheDocumentedForm) {
  Graph g("Mlp");
  GraphBuilder b(g, nullptr);
  Node *x = input(g, "x", {DType::F32, {kBatch, 784}});
  Node *w = param(g, "h1.weight", {DType::F32, {784, 256}});
  w->setAttr("fan_in", int64_t(784));
  w->setAttr("init_arg", 0.0);
  Node *h = b.build(OpKind::MatMul, {x, w});
  h->setName("h1");
  Node *r = b.build(OpKind::Relu, {h});
  constant(g, {1, 2, 3, 4}, {2, 2});
  g.addOutput("probs", r);
  EXPECT_EQ(print(g),
            "graph @Mlp {\n"
            "  %x = input \"x\" {role = \"input\"} : f32[batch, 784]\n"
            "  %h1.weight = param \"h1.weight\" {fan_in = 784, init_arg = 0.0, "
            "role = \"param\"} : f32[784, 256]\n"
            "  %0 = matmul %x, %h1.weight : f32[batch, 256] name \"h1\"\n"
            "  %1 = relu %0 : f32[batch, 256]\n"
            "  %2 = constant [[1.0, 2.0], [3.0, 4.0]] : f32[2, 2]\n"
            "  output \"probs\" = %1\n"
            "}\n");
}

TEST(IRText, RoundTripsEverything) {
  std::unique_ptr<Graph> g = buildSample();
  ASSERT_EQ(verifyErrors(*g), "");
  for (bool locs : {false, true}) {
    std::string text = print(*g, locs, sampleDefaults());
    std::optional<TrainConfig> defaults;
    std::unique_ptr<Graph> back = parse(text, nullptr, "t.lir", &defaults);
    ASSERT_NE(back, nullptr) << text;
    EXPECT_EQ(print(*back, locs, defaults), text);
    EXPECT_EQ(verifyErrors(*back), "");
  }
  // Field by field, with locations.
  std::optional<TrainConfig> defaults;
  std::unique_ptr<Graph> back =
      parse(print(*g, true, sampleDefaults()), nullptr, "t.lir", &defaults);
  ASSERT_NE(back, nullptr);
  ASSERT_EQ(back->size(), g->size());
  EXPECT_EQ(back->name(), "Sample");
  for (unsigned i = 0; i < g->size(); ++i) {
    const Node &a = *g->nodes()[i], &b = *back->nodes()[i];
    EXPECT_EQ(a.kind(), b.kind());
    EXPECT_EQ(a.type(), b.type());
    EXPECT_EQ(a.attrs(), b.attrs());
    EXPECT_EQ(a.name(), b.name());
    EXPECT_EQ(a.loc().file, b.loc().file);
    EXPECT_EQ(a.loc().line, b.loc().line);
    EXPECT_EQ(a.loc().col, b.loc().col);
    ASSERT_EQ(a.data().size(), b.data().size());
    for (size_t k = 0; k < a.data().size(); ++k) {
      double u = a.data()[k], v = b.data()[k];
      EXPECT_TRUE(u == v || (std::isnan(u) && std::isnan(v))) << u << " " << v;
      EXPECT_EQ(std::signbit(u), std::signbit(v));
    }
    ASSERT_EQ(a.numInputs(), b.numInputs());
    for (unsigned k = 0; k < a.numInputs(); ++k)
      EXPECT_EQ(a.inputs()[k]->id(), b.inputs()[k]->id());
  }
  EXPECT_EQ(back->loss()->id(), g->loss()->id());
  EXPECT_EQ(back->metrics(), g->metrics());
  ASSERT_EQ(back->outputs().size(), 2u);
  EXPECT_EQ(back->outputs()[0].first, "probs");
  EXPECT_EQ(back->updates()[0].first, "h1.weight");
  ASSERT_TRUE(defaults);
  const TrainConfig &t = *defaults;
  EXPECT_EQ(t.batch, 64);
  EXPECT_EQ(t.epochs, 5);
  EXPECT_EQ(t.lr, 0.05);
  EXPECT_EQ(t.momentum, 0.9);
  EXPECT_EQ(t.init, "normal");
  EXPECT_EQ(t.initArg, 0.01);
  EXPECT_EQ(t.validationSplit, 0.1);
  EXPECT_EQ(t.seed, 18446744073709551615ull);
  EXPECT_EQ(t.loc.line, 9u);
}

TEST(IRText, NamesLeavesUniquelyAndSafely) {
  std::unique_ptr<Graph> g = buildSample();
  std::vector<std::string> names = valueNames(*g);
  EXPECT_EQ(names[0], "%x");
  EXPECT_EQ(names[2], "%h1.weight");
  // Not an identifier: sanitized. Starts with a digit: prefixed. "x_1" is
  // a real leaf name, so nothing else may take it.
  EXPECT_EQ(names[3], "%w__odd____");
  EXPECT_EQ(names[4], "%v0dup");
  EXPECT_EQ(names[5], "%x_1");
  EXPECT_EQ(names[6], "%0");
  std::string text = print(*g);
  EXPECT_TRUE(contains(text, "param \"w \\\"odd\\\"\\n\\xc3\\xa9\"")) << text;
  EXPECT_TRUE(contains(text, "= [[0.8]] : f64[1, 1]")) << text;
  EXPECT_TRUE(contains(text, "constant -0.0 : f32[] name \"zero\"")) << text;
  EXPECT_TRUE(contains(text, "constant [nan, inf, -inf] : f32[3]")) << text;
  EXPECT_TRUE(contains(text, "{note = \"tab\\there\"}")) << text;
}

TEST(IRText, ParsesHandWrittenIR) {
  std::unique_ptr<Graph> g = parse(R"(
// Comments and any SSA names are fine.
graph @"my model" {
  %in = input "in" : f32[2, 2]
  %k = constant [[1, 2], [3, 4]] {"odd key" = [-1, 2], f = 1e3} : f32[2, 2]
  %sum = add %in, %k : f32[2, 2]   // trailing comment
  output "o" = %sum
})");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->name(), "my model");
  const Node &k = *g->nodes()[1];
  EXPECT_EQ(k.data(), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(k.intsAttr("odd key"), (std::vector<int64_t>{-1, 2}));
  EXPECT_EQ(k.floatAttr("f"), 1000.0);
  EXPECT_TRUE(std::holds_alternative<double>(k.attrs().at("f")));
  std::string expected = "graph @\"my model\" {\n"
                         "  %in = input \"in\" : f32[2, 2]\n"
                         "  %0 = constant [[1.0, 2.0], [3.0, 4.0]] {f = " +
                         formatDouble(1000.0) +
                         ", \"odd key\" = [-1, 2]} : f32[2, 2]\n"
                         "  %1 = add %in, %0 : f32[2, 2]\n"
                         "  output \"o\" = %1\n"
                         "}\n";
  EXPECT_EQ(print(*g), expected);
}

TEST(IRText, ReportsSyntaxErrorsWithLineAndColumn) {
  EXPECT_EQ(firstError(""),
            "t.lir:1:1: error: expected 'graph', found end of input");
  EXPECT_EQ(
      firstError("graph M {}"),
      "t.lir:1:7: error: expected a graph name such as '@Model', found 'M'");
  EXPECT_EQ(firstError("graph @M {\n  %x = input \"x\" : f32[2]\n  %0 = rleu "
                       "%x : f32[2]\n}"),
            "t.lir:3:8: error: unknown op 'rleu'");
  EXPECT_EQ(firstError("graph @M {\n  %0 = relu %y : f32[2]\n}"),
            "t.lir:2:13: error: use of undefined value '%y'");
  EXPECT_EQ(
      firstError(
          "graph @M {\n %x = input \"x\" : f32[2]\n %x = relu %x : f32[2]\n}"),
      "t.lir:3:2: error: redefinition of value '%x'");
  EXPECT_EQ(firstError("graph @M {\n %x = input \"x\" : f16[2]\n}"),
            "t.lir:2:19: error: unknown element type 'f16'");
  EXPECT_EQ(firstError("graph @M {\n %x = input \"x\" : f32[2, -3]\n}"),
            "t.lir:2:26: error: dimension -3 is negative");
  EXPECT_EQ(
      firstError(
          "graph @M {\n %x = input \"x\" : f32[99999999999999999999]\n}"),
      "t.lir:2:23: error: integer '99999999999999999999' is out of range");
  EXPECT_EQ(
      firstError(
          "graph @M {\n %x = input \"x\" : f32[4294967296, 4294967296]\n}"),
      "t.lir:2:19: error: type has too many elements");
  EXPECT_EQ(firstError("graph @M {\n %0 = constant 1e999 : f64[]\n}"),
            "t.lir:2:16: error: number '1e999' is out of range");
  EXPECT_EQ(
      firstError("graph @M {\n %0 = constant [1.0, 2.0] : f32[3]\n}"),
      "t.lir:2:16: error: literal of shape [2] does not match type f32[3]");
  EXPECT_EQ(
      firstError(
          "graph @M {\n %0 = constant [[1.0], [2.0, 3.0]] : f32[2, 1]\n}"),
      "t.lir:2:16: error: literal has rows of different lengths");
  EXPECT_EQ(firstError("graph @M {\n %x = input \"x\" {a = [1.5]} : f32[2]\n}"),
            "t.lir:2:23: error: attribute lists hold integers only");
  EXPECT_EQ(
      firstError("graph @M {\n %x = input \"x\" {a = 1, a = 2} : f32[2]\n}"),
      "t.lir:2:25: error: duplicate attribute 'a'");
  EXPECT_EQ(firstError("graph @M {\n %x = input \"x\\q\" : f32[2]\n}"),
            "t.lir:2:15: error: invalid escape sequence in string");
  EXPECT_EQ(firstError("graph @M {\n %x = input \"x : f32[2]\n}"),
            "t.lir:2:13: error: unterminated string");
  EXPECT_EQ(firstError("graph @M {\n %x = input \"x\" : f32[2] \xc3\xa9\n}"),
            "t.lir:2:26: error: unexpected character '\\xc3'");
  EXPECT_EQ(firstError("graph @M {\n %x = input \"x\" : f32[2]\n"),
            "t.lir:3:1: error: expected a value definition, 'loss', 'output', "
            "'metric', 'update', 'train' or '}', found end of input");
  EXPECT_EQ(
      firstError("graph @M {\n}\ngraph @N {\n}"),
      "t.lir:3:1: error: expected end of input after the graph, found 'graph'");
  EXPECT_EQ(firstError("graph @M {\n train {batch = 1, speed = 2}\n}"),
            "t.lir:2:20: error: unknown train field 'speed'");
  EXPECT_EQ(firstError("graph @M {\n %0 = constant 12abc : f32[]\n}"),
            "t.lir:2:16: error: invalid number '12abc'");
}

TEST(IRText, ReportsTypeErrorsAtTheirLine) {
  std::string errs;
  EXPECT_EQ(parse("graph @M {\n"
                  "  %x = input \"x\" : f32[2]\n"
                  "  %0 = relu %x : f32[3]\n"
                  "  %1 = relu %x, %x : f32[2]\n"
                  "  %2 = sum %x {axes = \"a\"} : f32[]\n"
                  "  %3 = add %0, %x : f32[3]\n"
                  "}\n",
                  &errs),
            nullptr);
  // One run reports every semantic error.
  EXPECT_TRUE(contains(errs, "t.lir:3:18: error: type f32[3] does not match "
                             "the type f32[2] inferred for 'relu'\n"
                             "  %0 = relu %x : f32[3]\n"
                             "                 ^\n"))
      << errs;
  EXPECT_TRUE(
      contains(errs, "t.lir:4:8: error: 'relu' takes 1 operand(s), got 2"))
      << errs;
  EXPECT_TRUE(contains(
      errs, "t.lir:5:8: error: 'sum' attribute 'axes' must be a list of "
            "integers, got a string"))
      << errs;
  EXPECT_TRUE(
      contains(errs, "t.lir:6:8: error: 'add' cannot broadcast [3] and [2]"))
      << errs;
}

TEST(IRText, ChecksResultsAgainstTheGraph) {
  std::string errs;
  EXPECT_EQ(parse("graph @M {\n"
                  "  %x = input \"x\" : f32[2]\n"
                  "  %w = param \"w\" : f32[3]\n"
                  "  %v = input \"w\" : f32[3]\n"
                  "  loss %x\n"
                  "  update \"w\" = %x\n"
                  "  update \"q\" = %x\n"
                  "  output \"o\" = %x\n"
                  "  metric \"o\" = %x\n"
                  "}\n",
                  &errs),
            nullptr);
  EXPECT_TRUE(
      contains(errs, "t.lir:4:14: error: another input or param is named 'w'"))
      << errs;
  EXPECT_TRUE(contains(errs,
                       "t.lir:5:8: error: the loss must be a float scalar, "
                       "but '%x' has type f32[2]"))
      << errs;
  EXPECT_TRUE(contains(errs,
                       "t.lir:6:10: error: update of 'w' has type f32[2], "
                       "but the param has type f32[3]"))
      << errs;
  EXPECT_TRUE(
      contains(errs, "t.lir:7:10: error: update of 'q', which is not a param"))
      << errs;
  EXPECT_TRUE(contains(
      errs, "t.lir:9:10: error: another output or metric is named 'o'"))
      << errs;
}

TEST(IRText, CapsListNesting) {
  std::string deep = "graph @M {\n %0 = constant " + std::string(100, '[') +
                     "1.0" + std::string(100, ']') + " : f32[]\n}";
  EXPECT_EQ(
      firstError(deep),
      "t.lir:2:80: error: list literal is nested more than 64 levels deep");
  // 64 levels are fine when the type agrees.
  std::string ok = "graph @M {\n %0 = constant " + std::string(64, '[') +
                   "1.0" + std::string(64, ']') + " : f32[";
  for (int i = 0; i < 64; ++i)
    ok += i ? ", 1" : "1";
  ok += "]\n}";
  EXPECT_NE(parse(ok), nullptr);
}

TEST(IRText, PrintsLargeUniformTensorsAsOneNumber) {
  // A 4096 x 4096 parameter filled from one number once printed 16M numbers
  // (the front-end fuzzer timed out parsing them back).
  Graph g("M");
  GraphBuilder b(g, nullptr);
  Node *x = input(g, "x", {DType::F32, {kBatch, 4096}});
  Node *w = param(g, "w", {DType::F32, {4096, 4096}});
  w->setData(std::vector<double>(4096 * 4096, -1.0));
  param(g, "small", {DType::F32, {2, 8}})
      ->setData(std::vector<double>(16, 0.5));
  g.addOutput("y", b.build(OpKind::MatMul, {x, w}));
  std::string text = print(g);
  EXPECT_TRUE(contains(
      text, "%w = param \"w\" {role = \"param\"} = -1.0 : f32[4096, 4096]"))
      << text.substr(0, 400);
  // Up to 16 elements the list is printed.
  EXPECT_TRUE(contains(text, "= [[0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], "))
      << text.substr(0, 400);
  std::unique_ptr<Graph> again = parse(text);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(print(*again), text);
  const Node *w2 = nullptr;
  for (const auto &n : again->nodes())
    if (n->name() == "w")
      w2 = n.get();
  ASSERT_NE(w2, nullptr);
  ASSERT_EQ(w2->data().size(), size_t(4096) * 4096);
  EXPECT_EQ(w2->data().back(), -1.0);
  // A fill larger than the front end's limit is an error, not 8 TB.
  EXPECT_EQ(firstError("graph @M {\n %0 = constant 0.5 : f32[1000000, "
                       "1000000]\n}"),
            "t.lir:2:16: error: type f32[1000000, 1000000] is too large to "
            "fill from one number (the limit is 2^24 elements)");
}

TEST(IRText, SurvivesTruncatedAndCorruptedInput) {
  std::string text = print(*buildSample(), true, sampleDefaults());
  // Every prefix fails cleanly (except the whole text).
  for (size_t n = 0; n < text.rfind('}'); ++n) {
    std::string errs;
    std::unique_ptr<Graph> g = parse(text.substr(0, n), &errs);
    EXPECT_EQ(g, nullptr) << n;
    EXPECT_TRUE(contains(errs, "t.lir:")) << errs;
  }
  // Each byte replaced by a few troublesome ones: any outcome but a crash.
  for (size_t i = 0; i < text.size(); i += 3)
    for (char c : {'\0', '[', '"', '%', '\xff', '9', '-'}) {
      std::string bad = text;
      bad[i] = c;
      std::ostringstream os;
      DiagnosticEngine diag(os);
      std::optional<TrainConfig> defaults;
      std::unique_ptr<Graph> g = parseGraph("t.lir", bad, diag, &defaults);
      if (g) {
        EXPECT_EQ(verifyErrors(*g), "");
      }
    }
}

//===----------------------------------------------------------------------===//
// Verifier
//===----------------------------------------------------------------------===//

TEST(Verifier, AcceptsAValidGraph) {
  EXPECT_EQ(verifyErrors(*buildSample()), "");
}

TEST(Verifier, CatchesBrokenGraphs) {
  Graph g("Bad");
  GraphBuilder b(g, nullptr);
  Node *x = input(g, "x", {DType::F32, {2}});
  Node *r = b.build(OpKind::Relu, {x});
  Node *y = input(g, "y", {DType::F32, {2}});
  Node *s = b.build(OpKind::Add, {r, y});
  Node *p = param(g, "p", {DType::F32, {3}});
  // An operand defined after its user.
  r->setInput(0, s);
  // A type that is not the op's.
  s->setType({DType::F32, {5}});
  s->setLoc({"bad.lam", 7, 2});
  g.setLoss(x);
  g.addUpdate("p", y);
  g.addUpdate("nope", y);
  Graph other("Other");
  Node *foreign = input(other, "f", {DType::F32, {}});
  g.addOutput("o", foreign);
  (void)p;
  std::string errs = verifyErrors(g);
  EXPECT_TRUE(contains(errs,
                       "lamina: error: in %0 = relu: operand 0 (%1) is not "
                       "defined before its use\n"))
      << errs;
  EXPECT_TRUE(contains(errs,
                       "bad.lam:7:2: error: in %1 = add: type f32[5] does "
                       "not match the inferred type f32[2]\n"))
      << errs;
  EXPECT_TRUE(
      contains(errs, "the loss %x must be a float scalar, but has type f32[2]"))
      << errs;
  EXPECT_TRUE(contains(errs, "update %y of 'p' has type f32[2], but the param "
                             "has type f32[3]"))
      << errs;
  EXPECT_TRUE(contains(errs, "update %y of 'nope', which is not a param"))
      << errs;
  EXPECT_TRUE(contains(errs, "output 'o' is not a node of graph 'Bad'"))
      << errs;
}

TEST(Verifier, CatchesWrongArity) {
  Graph g("Arity");
  Node *x = input(g, "x", {DType::F32, {2}});
  g.create(OpKind::Relu, {x, x}, {DType::F32, {2}});
  EXPECT_TRUE(contains(verifyErrors(g),
                       "in %0 = relu: 'relu' takes 1 operand(s), got 2"));
}

//===----------------------------------------------------------------------===//
// Passes
//===----------------------------------------------------------------------===//

namespace {

/// Parses `text`, runs `passes` and returns the printed result.
std::string runOn(const std::string &text, std::vector<std::string> passes) {
  std::unique_ptr<Graph> g = parse(text);
  if (!g)
    return "<parse error>";
  std::ostringstream errs;
  DiagnosticEngine diag(errs);
  if (!runPasses(*g, passes, PassInstrumentation{}, diag))
    return "<pass error> " + errs.str();
  return print(*g);
}

} // namespace

TEST(Passes, DeadCodeElimKeepsLeavesAndResults) {
  EXPECT_EQ(runOn("graph @M {\n"
                  "  %x = input \"x\" : f32[2]\n"
                  "  %u = input \"unused\" : f32[2]\n"
                  "  %0 = relu %x : f32[2]\n"
                  "  %1 = add %0, %x : f32[2]\n"
                  "  %2 = relu %1 : f32[2]\n"
                  "  output \"o\" = %1\n"
                  "}\n",
                  {"dead-code-elim"}),
            "graph @M {\n"
            "  %x = input \"x\" : f32[2]\n"
            "  %unused = input \"unused\" : f32[2]\n"
            "  %0 = relu %x : f32[2]\n"
            "  %1 = add %0, %x : f32[2]\n"
            "  output \"o\" = %1\n"
            "}\n");
}

TEST(Passes, FoldConstantsEvaluates) {
  std::unique_ptr<Graph> g =
      parse("graph @M {\n"
            "  %x = input \"x\" : f32[2]\n"
            "  %0 = constant [[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]] : f32[2, 3]\n"
            "  %1 = transpose %0 {perm = [1, 0]} : f32[3, 2]\n"
            "  %2 = relu %1 : f32[3, 2]\n"
            "  %3 = sum %2 {axes = [0]} : f32[2]\n"
            "  %4 = constant 0.1 : f32[]\n"
            "  %5 = add %3, %4 : f32[2]\n"
            "  %6 = add %5, %x : f32[2]\n"
            "  %7 = matmul %0, %1 : f32[2, 2]\n"
            "  %8 = reshape %7 {shape = [4]} : f32[4]\n"
            "  %9 = mean %0 {axes = [1], keepdims = 1} : f32[2, 1]\n"
            "  %10 = broadcast_to %4 {shape = [2, 2]} : f32[2, 2]\n"
            "  output \"a\" = %6\n"
            "  output \"b\" = %8\n"
            "  output \"c\" = %9\n"
            "  output \"d\" = %10\n"
            "}\n");
  ASSERT_NE(g, nullptr);
  foldConstants(*g);
  eliminateDeadCode(*g);
  std::ostringstream os;
  DiagnosticEngine diag(os);
  EXPECT_TRUE(verifyGraph(*g, diag)) << os.str();
  // Left: x, the folded constants, and the add of x.
  const Node *a = &g->outputs()[0].second->input(0);
  ASSERT_EQ(a->kind(), OpKind::Constant) << print(*g);
  ASSERT_EQ(a->data().size(), 2u);
  // relu(transpose) summed over rows: [1 + 3, 4 + 5] + 0.1, rounded to f32.
  EXPECT_EQ(a->data()[0], static_cast<double>(static_cast<float>(4.1)));
  EXPECT_NEAR(a->data()[1], 9.1, 1e-6);
  const Node *b = g->outputs()[1].second;
  ASSERT_EQ(b->kind(), OpKind::Constant);
  // [[1,-2,3],[4,5,-6]] @ its transpose.
  std::vector<double> mm = {14, -24, -24, 77};
  EXPECT_EQ(b->data(), mm);
  const Node *c = g->outputs()[2].second;
  ASSERT_EQ(c->kind(), OpKind::Constant);
  EXPECT_NEAR(c->data()[0], 2.0 / 3, 1e-6);
  EXPECT_NEAR(c->data()[1], 1.0, 1e-6);
  const Node *d = g->outputs()[3].second;
  ASSERT_EQ(d->kind(), OpKind::Constant);
  EXPECT_EQ(d->data().size(), 4u);
  EXPECT_EQ(g->size(), 6u) << print(*g);
}

TEST(Passes, FoldConstantsLeavesHugeAndInexactResults) {
  std::string big = runOn("graph @M {\n"
                          "  %0 = constant 1.0 : f32[]\n"
                          "  %1 = broadcast_to %0 {shape = [1025, 1024]} : "
                          "f32[1025, 1024]\n"
                          "  output \"o\" = %1\n"
                          "}\n",
                          {"fold-constants"});
  EXPECT_TRUE(contains(big, "broadcast_to")) << big;
  std::string div = runOn("graph @M {\n"
                          "  %0 = constant 7.0 : i32[]\n"
                          "  %1 = constant 2.0 : i32[]\n"
                          "  %2 = div %0, %1 : i32[]\n"
                          "  output \"o\" = %2\n"
                          "}\n",
                          {"fold-constants"});
  EXPECT_TRUE(contains(div, "div")) << div;
}

TEST(Passes, CseMergesEqualNodesOnly) {
  EXPECT_EQ(runOn("graph @M {\n"
                  "  %x = input \"x\" : f32[2]\n"
                  "  %y = input \"y\" : f32[2]\n"
                  "  %0 = constant 1.0 : f32[]\n"
                  "  %1 = constant 1.0 : f32[]\n"
                  "  %2 = constant 1.0 : f64[]\n"
                  "  %3 = add %x, %0 : f32[2]\n"
                  "  %4 = add %x, %1 : f32[2]\n"
                  "  %5 = add %y, %1 : f32[2]\n"
                  "  %6 = transpose %x {perm = [0]} : f32[2]\n"
                  "  %7 = transpose %x : f32[2]\n"
                  "  %8 = add %3, %4 : f32[2]\n"
                  "  output \"a\" = %8\n"
                  "  output \"b\" = %5\n"
                  "  output \"c\" = %6\n"
                  "  output \"d\" = %7\n"
                  "  output \"e\" = %2\n"
                  "}\n",
                  {"cse"}),
            "graph @M {\n"
            "  %x = input \"x\" : f32[2]\n"
            "  %y = input \"y\" : f32[2]\n"
            "  %0 = constant 1.0 : f32[]\n"
            "  %1 = constant 1.0 : f64[]\n"
            "  %2 = add %x, %0 : f32[2]\n"
            "  %3 = add %y, %0 : f32[2]\n"
            "  %4 = transpose %x {perm = [0]} : f32[2]\n"
            "  %5 = transpose %x : f32[2]\n"
            "  %6 = add %2, %2 : f32[2]\n"
            "  output \"a\" = %6\n"
            "  output \"b\" = %3\n"
            "  output \"c\" = %4\n"
            "  output \"d\" = %5\n"
            "  output \"e\" = %1\n"
            "}\n");
}

TEST(Passes, SimplifyAlgebraRemovesIdentities) {
  std::string out =
      runOn("graph @M {\n"
            "  %x = input \"x\" : f32[2, 3]\n"
            "  %one = input \"one\" : f32[]\n"
            "  %0 = constant 1.0 : f32[]\n"
            "  %1 = mul %0, %x : f32[2, 3]\n"
            "  %2 = constant [0.0, 0.0, 0.0] : f32[3]\n"
            "  %3 = add %1, %2 : f32[2, 3]\n"
            "  %4 = sub %3, %2 : f32[2, 3]\n"
            "  %5 = div %4, %0 : f32[2, 3]\n"
            "  %6 = neg %5 : f32[2, 3]\n"
            "  %7 = neg %6 : f32[2, 3]\n"
            "  %8 = transpose %7 {perm = [1, 0]} : f32[3, 2]\n"
            "  %9 = transpose %8 : f32[2, 3]\n"
            "  %10 = reshape %9 {shape = [2, 3]} : f32[2, 3]\n"
            "  %11 = reshape %10 {shape = [6]} : f32[6]\n"
            "  %12 = reshape %11 {shape = [3, 2]} : f32[3, 2]\n"
            "  %13 = constant [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]] : f32[2, 3]\n"
            "  %14 = add %one, %13 : f32[2, 3]\n"
            "  %15 = mul %x, %one : f32[2, 3]\n"
            "  output \"a\" = %12\n"
            "  output \"b\" = %14\n"
            "  output \"c\" = %15\n"
            "}\n",
            {"simplify-algebra", "dead-code-elim"});
  EXPECT_EQ(out,
            "graph @M {\n"
            "  %x = input \"x\" : f32[2, 3]\n"
            "  %one = input \"one\" : f32[]\n"
            "  %0 = reshape %x {shape = [3, 2]} : f32[3, 2]\n"
            "  %1 = constant [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]] : f32[2, 3]\n"
            "  %2 = add %one, %1 : f32[2, 3]\n"
            "  %3 = mul %x, %one : f32[2, 3]\n"
            "  output \"a\" = %0\n"
            "  output \"b\" = %2\n"
            "  output \"c\" = %3\n"
            "}\n");
}

TEST(Passes, ReplaceAllUsesUpdatesResults) {
  Graph g("R");
  GraphBuilder b(g, nullptr);
  Node *x = input(g, "x", {DType::F32, {}});
  Node *w = param(g, "w", {DType::F32, {}});
  Node *r = b.build(OpKind::Relu, {x});
  Node *s = b.build(OpKind::Add, {r, r});
  g.setLoss(r);
  g.addOutput("o", r);
  g.addUpdate("w", r);
  replaceAllUses(g, r, w);
  EXPECT_EQ(g.loss(), w);
  EXPECT_EQ(g.outputs()[0].second, w);
  EXPECT_EQ(g.updates()[0].second, w);
  EXPECT_EQ(s->inputs(), (std::vector<Node *>{w, w}));
}

TEST(Passes, DefaultPipelineAndDumps) {
  EXPECT_EQ(defaultPassPipeline(),
            (std::vector<std::string>{"simplify-algebra", "fold-constants",
                                      "cse", "dead-code-elim"}));
  for (const std::string &p : defaultPassPipeline())
    EXPECT_NE(lookupPass(p), nullptr) << p;
  std::unique_ptr<Graph> g = parse("graph @M {\n"
                                   "  %x = input \"x\" : f32[2]\n"
                                   "  %0 = relu %x : f32[2]\n"
                                   "  %1 = relu %x : f32[2]\n"
                                   "  %2 = add %0, %1 : f32[2]\n"
                                   "  output \"o\" = %2\n"
                                   "}\n");
  ASSERT_NE(g, nullptr);
  std::ostringstream dumps, errs;
  DiagnosticEngine diag(errs);
  PassInstrumentation instr;
  instr.dumpBefore = {"cse"};
  instr.dumpAfter = {"all"};
  instr.os = &dumps;
  ASSERT_TRUE(runPasses(*g, defaultPassPipeline(), instr, diag)) << errs.str();
  std::string d = dumps.str();
  size_t before =
      d.find("// -----// IR Dump Before cse //----- //\ngraph @M {\n");
  size_t after =
      d.find("// -----// IR Dump After cse //----- //\ngraph @M {\n");
  ASSERT_NE(before, std::string::npos) << d;
  ASSERT_NE(after, std::string::npos) << d;
  EXPECT_LT(before, after);
  EXPECT_TRUE(contains(d, "IR Dump After simplify-algebra"));
  EXPECT_TRUE(contains(d, "IR Dump After dead-code-elim"));
  EXPECT_FALSE(contains(d, "IR Dump Before fold-constants"));
  EXPECT_EQ(print(*g), "graph @M {\n"
                       "  %x = input \"x\" : f32[2]\n"
                       "  %0 = relu %x : f32[2]\n"
                       "  %1 = add %0, %0 : f32[2]\n"
                       "  output \"o\" = %1\n"
                       "}\n");
}

TEST(Passes, RejectsUnknownPassesAndBrokenInput) {
  Graph g("M");
  std::ostringstream errs;
  DiagnosticEngine diag(errs);
  EXPECT_FALSE(runPasses(g, {"cse", "nope"}, PassInstrumentation{}, diag));
  EXPECT_EQ(errs.str(), "lamina: error: unknown pass 'nope'\n");
  Node *x = input(g, "x", {DType::F32, {2}});
  g.create(OpKind::Relu, {x}, {DType::F32, {3}});
  std::ostringstream errs2;
  DiagnosticEngine diag2(errs2);
  EXPECT_FALSE(runPasses(g, {"cse"}, PassInstrumentation{}, diag2));
  EXPECT_TRUE(contains(errs2.str(), "is invalid before the passes run"))
      << errs2.str();
}
