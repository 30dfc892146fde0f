//===- FrontendTest.cpp - Model files -> AST -> Graph ---------------------===//
//
// The examples build with the shapes and parameter counts of the lecture
// notes; every kind of user error is a diagnostic with its file:line:col and
// never a crash or an exception.
//
//===----------------------------------------------------------------------===//
#include "lamina/Frontend.h"
#include "lamina/AST.h"
#include "lamina/Diagnostics.h"
#include "lamina/IR.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

using namespace lamina;

namespace {

struct Compiled {
  std::unique_ptr<ast::ModelFile> file;
  std::unique_ptr<Graph> graph;
  /// The model's train block.
  std::optional<TrainConfig> defaults;
  /// Everything the DiagnosticEngine printed.
  std::string diags;
  unsigned errors = 0;
};

Compiled compile(const std::string &text, const std::string &model = "",
                 const std::string &name = "f.lam") {
  Compiled c;
  std::ostringstream os;
  DiagnosticEngine diag(os);
  c.file = parseModelFile(name, text, diag);
  if (c.file)
    c.graph = buildGraph(*c.file, diag, model, &c.defaults);
  c.diags = os.str();
  c.errors = diag.numErrors();
  return c;
}

std::string readExample(const std::string &name) {
  std::ifstream in(std::string(LAMINA_SOURCE_DIR) + "/examples/" + name);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

Compiled compileExample(const std::string &name) {
  std::string text = readExample(name);
  EXPECT_FALSE(text.empty()) << name;
  return compile(text, "", name);
}

/// The diagnostic lines ("f.lam:3:8: error: ..."), without the quoted
/// source lines and carets.
std::vector<std::string> messages(const std::string &diags) {
  std::vector<std::string> out;
  std::istringstream is(diags);
  std::string line;
  while (std::getline(is, line))
    if (line.find(": error: ") != std::string::npos ||
        line.find(": note: ") != std::string::npos)
      out.push_back(line);
  return out;
}

/// A diagnostic may name the file alone only to say that it holds nothing.
const char *const kNoModel = ": error: the file defines no model";

/// At most this many diagnostics for one input; more means the parser keeps
/// reporting after it lost its way.
constexpr size_t kMaxDiagnostics = 8;

/// What happened to one input of a robustness test.
struct Outcome {
  bool built = false;
  size_t diagnostics = 0;
};

/// Parses and builds `text` as file `name` and checks that the front end
/// either built a graph without any error, or reported at least one error;
/// that it threw nothing; that it said at most kMaxDiagnostics things; and
/// that each diagnostic names `name` and a line:col inside `text` (a column
/// may be one past the end of its line, a line one past the last newline).
Outcome expectBuiltOrReported(const std::string &name,
                              const std::string &text) {
  Outcome out;
  std::ostringstream os;
  DiagnosticEngine diag(os);
  try {
    std::unique_ptr<ast::ModelFile> m = parseModelFile(name, text, diag);
    if (m) {
      std::ostringstream ast;
      printAst(*m, ast);
      out.built = buildGraph(*m, diag) != nullptr;
    }
  } catch (const std::exception &e) {
    ADD_FAILURE() << "exception '" << e.what() << "' for:\n" << text;
    return out;
  }
  std::vector<std::string> said = messages(os.str());
  out.diagnostics = said.size();
  if (out.built)
    EXPECT_EQ(diag.numErrors(), 0u) << os.str() << "for:\n" << text;
  else
    EXPECT_GT(diag.numErrors(), 0u) << "no graph and no error for:\n" << text;
  EXPECT_LE(said.size(), kMaxDiagnostics) << os.str() << "for:\n" << text;

  std::vector<size_t> lineLength{0};
  for (char ch : text) {
    if (ch == '\n')
      lineLength.push_back(0);
    else
      ++lineLength.back();
  }
  for (const std::string &d : said) {
    if (d == name + kNoModel)
      continue;
    unsigned line = 0, col = 0;
    char colon = 0;
    std::istringstream is(d.substr(std::min(d.size(), name.size() + 1)));
    bool located = d.rfind(name + ":", 0) == 0 &&
                   (is >> line >> colon >> col) && colon == ':';
    EXPECT_TRUE(located) << "no " << name << ":line:col in '" << d << "' for:\n"
                         << text;
    if (!located)
      continue;
    EXPECT_GE(line, 1u) << d;
    EXPECT_LE(line, lineLength.size()) << d << " for:\n" << text;
    if (line < 1 || line > lineLength.size())
      continue;
    EXPECT_GE(col, 1u) << d;
    // Columns count characters, which are never more than the bytes.
    EXPECT_LE(col, lineLength[line - 1] + 1) << d << " for:\n" << text;
  }
  return out;
}

/// The first diagnostic line, "" if none.
std::string firstMessage(const std::string &text) {
  Compiled c = compile(text);
  EXPECT_EQ(c.graph, nullptr) << "expected an error for:\n" << text;
  std::vector<std::string> m = messages(c.diags);
  return m.empty() ? "" : m[0];
}

int64_t paramTotal(const Graph &g) {
  int64_t n = 0;
  for (Node *p : g.paramsWithRole("param"))
    n += numElements(p->shape());
  return n;
}

const Node *named(const Graph &g, const std::string &name) {
  for (const auto &n : g.nodes())
    if (n->name() == name)
      return n.get();
  return nullptr;
}

std::vector<std::string> paramNames(const Graph &g) {
  std::vector<std::string> out;
  for (Node *p : g.paramsWithRole("param"))
    out.push_back(p->name());
  return out;
}

const std::string kHeader = "model M {\n  input x: f32[batch, 4];\n";

//===----------------------------------------------------------------------===//
// The examples.
//===----------------------------------------------------------------------===//

TEST(FrontendExamples, AllBuildWithoutDiagnostics) {
  for (const char *name :
       {"linreg.lam", "xor.lam", "xor_train.lam", "mlp.lam", "mlp_notes.lam",
        "big_fc.lam", "lenet5.lam", "cnn_notes.lam"}) {
    Compiled c = compileExample(name);
    EXPECT_NE(c.graph, nullptr) << name << ":\n" << c.diags;
    EXPECT_EQ(c.diags, "") << name;
  }
}

TEST(FrontendExamples, Mlp) {
  Compiled c = compileExample("mlp.lam");
  ASSERT_NE(c.graph, nullptr) << c.diags;
  const Graph &g = *c.graph;
  EXPECT_EQ(g.name(), "Mlp");
  // 2 inputs, 6 params, 3 dense, 2 relu, cross_entropy, accuracy, softmax.
  EXPECT_EQ(g.size(), 16u);
  EXPECT_EQ(paramNames(g), (std::vector<std::string>{
                               "h1.weight", "h1.bias", "h2.weight", "h2.bias",
                               "logits.weight", "logits.bias"}));
  EXPECT_EQ(g.findLeaf("h1.weight")->shape(), (Shape{784, 256}));
  EXPECT_EQ(g.findLeaf("h1.bias")->shape(), (Shape{256}));
  EXPECT_EQ(g.findLeaf("h2.weight")->shape(), (Shape{256, 128}));
  EXPECT_EQ(g.findLeaf("logits.weight")->shape(), (Shape{128, 10}));
  EXPECT_EQ(paramTotal(g), 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);

  const Node *x = g.findLeaf("x");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->kind(), OpKind::Input);
  EXPECT_EQ(x->type(), (TensorType{DType::F32, {kBatch, 784}}));
  EXPECT_EQ(x->strAttr("role"), "input");
  const Node *y = g.findLeaf("y");
  ASSERT_NE(y, nullptr);
  EXPECT_EQ(y->type(), (TensorType{DType::I32, {kBatch}}));
  EXPECT_EQ(y->strAttr("role"), "label");

  const Node *w = g.findLeaf("h1.weight");
  EXPECT_EQ(w->strAttr("role"), "param");
  EXPECT_EQ(w->strAttr("init"), "uniform_fan_in");
  EXPECT_EQ(w->intAttr("fan_in"), 784);
  EXPECT_EQ(w->intAttr("fan_out"), 256);
  EXPECT_EQ(g.findLeaf("h1.bias")->intAttr("fan_in"), 784);
  // Parameters point at the dense call that made them.
  EXPECT_EQ(w->loc().line, 6u);
  EXPECT_EQ(w->loc().col, 13u);
  EXPECT_EQ(w->loc().file, "mlp.lam");

  const Node *h1 = named(g, "h1");
  ASSERT_NE(h1, nullptr);
  EXPECT_EQ(h1->kind(), OpKind::Relu);
  EXPECT_EQ(h1->shape(), (Shape{kBatch, 256}));
  EXPECT_EQ(h1->input(0).kind(), OpKind::Dense);
  EXPECT_EQ(h1->input(0).numInputs(), 3u);
  const Node *logits = named(g, "logits");
  ASSERT_NE(logits, nullptr);
  EXPECT_EQ(logits->kind(), OpKind::Dense);
  EXPECT_EQ(logits->shape(), (Shape{kBatch, 10}));

  ASSERT_NE(g.loss(), nullptr);
  EXPECT_EQ(g.loss()->kind(), OpKind::CrossEntropy);
  EXPECT_EQ(g.loss()->rank(), 0u);
  EXPECT_EQ(g.loss()->name(), "loss");
  EXPECT_EQ(g.metrics(), (std::vector<std::string>{"accuracy"}));
  ASSERT_EQ(g.outputs().size(), 2u);
  EXPECT_EQ(g.outputs()[0].first, "accuracy");
  EXPECT_EQ(g.outputs()[0].second->kind(), OpKind::Accuracy);
  EXPECT_EQ(g.outputs()[1].first, "probs");
  EXPECT_EQ(g.outputs()[1].second->kind(), OpKind::Softmax);
  EXPECT_EQ(g.outputs()[1].second->intAttr("axis"), -1);

  ASSERT_TRUE(c.defaults.has_value());
  const TrainConfig &t = *c.defaults;
  EXPECT_EQ(t.batch, 64);
  EXPECT_EQ(t.epochs, 5);
  EXPECT_DOUBLE_EQ(t.lr, 0.05);
  EXPECT_DOUBLE_EQ(t.momentum, 0.9);
  EXPECT_DOUBLE_EQ(t.weightDecay, 0.0);
  EXPECT_EQ(t.init, "uniform_fan_in");
  EXPECT_DOUBLE_EQ(t.validationSplit, 0.1);
  EXPECT_EQ(t.seed, 7u);
  EXPECT_EQ(t.loc.line, 14u);
}

TEST(FrontendExamples, XorTrainHas13Parameters) {
  Compiled c = compileExample("xor_train.lam");
  ASSERT_NE(c.graph, nullptr) << c.diags;
  EXPECT_EQ(paramTotal(*c.graph), 13);
  EXPECT_EQ(
      paramNames(*c.graph),
      (std::vector<std::string>{"h.weight", "h.bias", "y.weight", "y.bias"}));
  // The train block's init reaches every generated parameter.
  for (Node *p : c.graph->paramsWithRole("param"))
    EXPECT_EQ(p->strAttr("init"), "xavier") << p->name();
  EXPECT_EQ(c.graph->loss()->kind(), OpKind::BinaryCrossEntropy);
  EXPECT_EQ(c.defaults->epochs, 2000);
}

TEST(FrontendExamples, MlpNotesHas8154Parameters) {
  Compiled c = compileExample("mlp_notes.lam");
  ASSERT_NE(c.graph, nullptr) << c.diags;
  EXPECT_EQ(paramTotal(*c.graph), 8154);
  EXPECT_EQ(c.defaults->batch, 100);
}

TEST(FrontendExamples, BigFcHas6480242100Parameters) {
  Compiled c = compileExample("big_fc.lam");
  ASSERT_NE(c.graph, nullptr) << c.diags;
  EXPECT_EQ(paramTotal(*c.graph), int64_t(6480242100));
  EXPECT_EQ(c.graph->findLeaf("h1.weight")->shape(), (Shape{160000, 40000}));
  EXPECT_FALSE(c.defaults.has_value());
}

TEST(FrontendExamples, LinRegUsesTheNotesValues) {
  Compiled c = compileExample("linreg.lam");
  ASSERT_NE(c.graph, nullptr) << c.diags;
  const Graph &g = *c.graph;
  const Node *w = g.findLeaf("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->kind(), OpKind::Param);
  EXPECT_EQ(w->type(), (TensorType{DType::F64, {1, 1}}));
  EXPECT_EQ(w->data(), (std::vector<double>{0.8}));
  EXPECT_EQ(w->strAttr("init"), "data");
  EXPECT_EQ(w->strAttr("role"), "param");
  EXPECT_EQ(g.findLeaf("b")->data(), (std::vector<double>{0.2}));
  const Node *pred = named(g, "pred");
  ASSERT_NE(pred, nullptr);
  EXPECT_EQ(pred->kind(), OpKind::Add);
  EXPECT_EQ(pred->input(0).kind(), OpKind::MatMul);
  EXPECT_EQ(pred->dtype(), DType::F64);
  EXPECT_EQ(g.loss()->kind(), OpKind::HalfSquaredError);
  EXPECT_EQ(c.defaults->batch, 1);
  EXPECT_DOUBLE_EQ(c.defaults->lr, 0.1);
  // Explicit data is not overwritten by the train block's init.
  EXPECT_EQ(w->strAttr("init"), "data");
}

TEST(FrontendExamples, XorHandSetWeights) {
  Compiled c = compileExample("xor.lam");
  ASSERT_NE(c.graph, nullptr) << c.diags;
  const Graph &g = *c.graph;
  EXPECT_EQ(g.findLeaf("W")->data(), (std::vector<double>{1, 1, 1, 1}));
  EXPECT_EQ(g.findLeaf("c")->data(), (std::vector<double>{0, -1}));
  EXPECT_EQ(g.findLeaf("w")->shape(), (Shape{2, 1}));
  EXPECT_EQ(g.findLeaf("w")->data(), (std::vector<double>{1, -2}));
  ASSERT_EQ(g.outputs().size(), 1u);
  EXPECT_EQ(g.outputs()[0].first, "y");
  EXPECT_EQ(g.outputs()[0].second->shape(), (Shape{kBatch, 1}));
  EXPECT_EQ(g.loss(), nullptr);
  EXPECT_FALSE(c.defaults.has_value());
}

//===----------------------------------------------------------------------===//
// The AST.
//===----------------------------------------------------------------------===//

TEST(FrontendAst, PrintsAnIndentedTreeWithLocations) {
  Compiled c = compile("model M {\n"
                       "  input x: f32[batch, 2];\n"
                       "  param w: f32[2] = [0.5, -1];\n"
                       "  h = leaky_relu(x * w + 1, alpha = 0.2);\n"
                       "  output y = -h @ [[1], [2]];\n"
                       "}\n"
                       "train M { optimizer = sgd(lr = 0.1); }\n");
  ASSERT_NE(c.file, nullptr) << c.diags;
  std::ostringstream os;
  printAst(*c.file, os);
  EXPECT_EQ(os.str(), "ModelFile\n"
                      "  Model M <line:1:1>\n"
                      "    Input x : f32[batch, 2] <line:2:3>\n"
                      "    Param w : f32[2] <line:3:3>\n"
                      "      Array [0.5, -1] <line:3:21>\n"
                      "    Let h <line:4:3>\n"
                      "      Call leaky_relu <line:4:7>\n"
                      "        Binary + <line:4:24>\n"
                      "          Binary * <line:4:20>\n"
                      "            Name x <line:4:18>\n"
                      "            Name w <line:4:22>\n"
                      "          Int 1 <line:4:26>\n"
                      "        Keyword alpha <line:4:29>\n"
                      "          Float 0.2 <line:4:37>\n"
                      "    Output y <line:5:3>\n"
                      "      Binary @ <line:5:17>\n"
                      "        Neg <line:5:14>\n"
                      "          Name h <line:5:15>\n"
                      "        Array [[1], [2]] <line:5:19>\n"
                      "  Train M <line:7:1>\n"
                      "    Setting optimizer <line:7:11>\n"
                      "      Call sgd <line:7:23>\n"
                      "        Keyword lr <line:7:27>\n"
                      "          Float 0.1 <line:7:32>\n");
}

TEST(FrontendAst, Precedence) {
  Compiled c = compile(kHeader + "  y = 1 - 2 * x / 3 + 4;\n}\n");
  ASSERT_NE(c.file, nullptr) << c.diags;
  std::ostringstream os;
  printAst(*c.file, os);
  // ((1 - ((2 * x) / 3)) + 4)
  EXPECT_NE(os.str().find("    Let y <line:3:3>\n"
                          "      Binary + <line:3:21>\n"
                          "        Binary - <line:3:9>\n"
                          "          Int 1 <line:3:7>\n"
                          "          Binary / <line:3:17>\n"
                          "            Binary * <line:3:13>\n"),
            std::string::npos)
      << os.str();
}

TEST(FrontendAst, LiteralsAndComments) {
  Compiled c = compile("/* block\n comment */ model M { // line comment\n"
                       "  input x: f32[batch, 160_000];\n"
                       "  y = x * 2.5e-3 + .5 + 1. + 0;\n}\n");
  ASSERT_NE(c.file, nullptr) << c.diags;
  const ast::Model &m = c.file->models.at(0);
  EXPECT_EQ(m.loc.line, 2u);
  EXPECT_EQ(m.loc.col, 13u);
  EXPECT_EQ(m.decls.at(0).type.type.shape, (Shape{kBatch, 160000}));
  std::ostringstream os;
  printAst(*c.file, os);
  EXPECT_NE(os.str().find("Float 0.0025"), std::string::npos) << os.str();
  EXPECT_NE(os.str().find("Float 0.5"), std::string::npos);
  EXPECT_NE(os.str().find("Float 1.0"), std::string::npos);
  EXPECT_NE(os.str().find("Int 0"), std::string::npos);
}

//===----------------------------------------------------------------------===//
// Ops, attributes and frontend forms.
//===----------------------------------------------------------------------===//

TEST(FrontendOps, AttributesAndDefaults) {
  Compiled c = compile("model M {\n"
                       "  input x: f32[batch, 3, 4];\n"
                       "  label y: i32[batch];\n"
                       "  a = leaky_relu(x);\n"
                       "  b = leaky_relu(x, 0.2);\n"
                       "  e = elu(x, alpha = 2);\n"
                       "  s = swish(x);\n"
                       "  r1 = sum(x, axis = 1);\n"
                       "  r2 = mean(x, [1, 2], keepdims = true);\n"
                       "  r3 = reduce_max(x);\n"
                       "  sm = softmax(x, axis = 1);\n"
                       "  oh = one_hot(y, 10);\n"
                       "  t = transpose(x);\n"
                       "  t2 = transpose(x, perm = [2, 0, 1]);\n"
                       "  f = flatten(x);\n"
                       "  rs = reshape(x, [batch, 12]);\n"
                       "  am = argmax(x);\n"
                       "}\n");
  ASSERT_NE(c.graph, nullptr) << c.diags;
  const Graph &g = *c.graph;
  EXPECT_DOUBLE_EQ(named(g, "a")->floatAttr("alpha"), 0.01);
  EXPECT_DOUBLE_EQ(named(g, "b")->floatAttr("alpha"), 0.2);
  EXPECT_TRUE(
      std::holds_alternative<double>(named(g, "e")->attrs().at("alpha")));
  EXPECT_DOUBLE_EQ(named(g, "e")->floatAttr("alpha"), 2.0);
  EXPECT_DOUBLE_EQ(named(g, "s")->floatAttr("beta"), 1.0);
  EXPECT_EQ(named(g, "r1")->intsAttr("axes"), (std::vector<int64_t>{1}));
  EXPECT_EQ(named(g, "r1")->intAttr("keepdims"), 0);
  EXPECT_EQ(named(g, "r2")->kind(), OpKind::Mean);
  EXPECT_EQ(named(g, "r2")->intsAttr("axes"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(named(g, "r2")->intAttr("keepdims"), 1);
  EXPECT_EQ(named(g, "r3")->intsAttr("axes"), (std::vector<int64_t>{}));
  EXPECT_EQ(named(g, "sm")->intAttr("axis"), 1);
  EXPECT_EQ(named(g, "oh")->intAttr("classes"), 10);
  EXPECT_EQ(named(g, "oh")->strAttr("dtype"), "f32");
  EXPECT_EQ(named(g, "t")->intsAttr("perm"), (std::vector<int64_t>{0, 2, 1}));
  EXPECT_EQ(named(g, "t2")->intsAttr("perm"), (std::vector<int64_t>{2, 0, 1}));
  const Node *f = named(g, "f");
  EXPECT_EQ(f->kind(), OpKind::Reshape);
  EXPECT_EQ(f->intsAttr("shape"), (std::vector<int64_t>{kBatch, 12}));
  EXPECT_EQ(named(g, "rs")->intsAttr("shape"),
            (std::vector<int64_t>{kBatch, 12}));
  EXPECT_EQ(named(g, "am")->intAttr("axis"), -1);
}

TEST(FrontendOps, LiteralsTakeTheOtherOperandsDtype) {
  Compiled c = compile("model M {\n"
                       "  input x: f64[batch, 2];\n"
                       "  a = 2 * x;\n"
                       "  b = x - [1, 2];\n"
                       "  n = -x;\n"
                       "  m = x * -1;\n"
                       "}\n");
  ASSERT_NE(c.graph, nullptr) << c.diags;
  const Graph &g = *c.graph;
  const Node *a = named(g, "a");
  EXPECT_EQ(a->kind(), OpKind::Mul);
  EXPECT_EQ(a->input(0).kind(), OpKind::Constant);
  EXPECT_EQ(a->input(0).type(), (TensorType{DType::F64, {}}));
  EXPECT_EQ(a->input(0).data(), (std::vector<double>{2}));
  const Node *b = named(g, "b");
  EXPECT_EQ(b->kind(), OpKind::Sub);
  EXPECT_EQ(b->input(1).type(), (TensorType{DType::F64, {2}}));
  EXPECT_EQ(named(g, "n")->kind(), OpKind::Neg);
  // A negative literal is one constant, not a negation.
  EXPECT_EQ(named(g, "m")->input(1).data(), (std::vector<double>{-1}));
}

TEST(FrontendOps, DenseNamingAndForms) {
  Compiled c = compile("model M {\n"
                       "  input x: f32[batch, 4];\n"
                       "  y = dense(relu(dense(x, 8)), 2, bias = false);\n"
                       "  output z = dense(x, units = 3);\n"
                       "  loss mean(dense(x, 1));\n"
                       "}\n"
                       "train M { init = normal(0.02); }\n");
  ASSERT_NE(c.graph, nullptr) << c.diags;
  const Graph &g = *c.graph;
  EXPECT_EQ(paramNames(g), (std::vector<std::string>{
                               "y.weight", "y.bias", "y.1.weight", "z.weight",
                               "z.bias", "loss.weight", "loss.bias"}));
  EXPECT_EQ(g.findLeaf("y.weight")->shape(), (Shape{4, 8}));
  EXPECT_EQ(g.findLeaf("y.1.weight")->shape(), (Shape{8, 2}));
  EXPECT_EQ(named(g, "y")->numInputs(), 2u);
  for (Node *p : g.paramsWithRole("param")) {
    EXPECT_EQ(p->strAttr("init"), "normal") << p->name();
    EXPECT_DOUBLE_EQ(p->floatAttr("init_arg"), 0.02);
  }
  EXPECT_EQ(c.defaults->init, "normal");
}

TEST(FrontendOps, DenseWithExplicitTensors) {
  Compiled c = compile("model M {\n"
                       "  input x: f32[batch, 2];\n"
                       "  param w: f32[2, 3];\n"
                       "  param b: f32[3] = 0;\n"
                       "  y = dense(x, w, b);\n"
                       "}\n");
  ASSERT_NE(c.graph, nullptr) << c.diags;
  const Node *y = named(*c.graph, "y");
  EXPECT_EQ(y->kind(), OpKind::Dense);
  EXPECT_EQ(&y->input(1), c.graph->findLeaf("w"));
  // A single number fills the parameter.
  EXPECT_EQ(c.graph->findLeaf("b")->data(), (std::vector<double>{0, 0, 0}));
  const Node *w = c.graph->findLeaf("w");
  EXPECT_EQ(w->strAttr("init"), "uniform_fan_in");
  EXPECT_EQ(w->intAttr("fan_in"), 2);
  EXPECT_EQ(w->intAttr("fan_out"), 3);
}

TEST(FrontendOps, MetricsOutputsAndAliases) {
  Compiled c = compile("model M {\n"
                       "  input x: f32[batch, 1];\n"
                       "  label t: f32[batch, 1];\n"
                       "  p = x;\n"
                       "  metric err = mae(p, t);\n"
                       "  metric rmse(p, t);\n"
                       "  output q = p;\n"
                       "}\n");
  ASSERT_NE(c.graph, nullptr) << c.diags;
  const Graph &g = *c.graph;
  EXPECT_EQ(g.metrics(), (std::vector<std::string>{"err", "rmse"}));
  // `p = x;` names no new node: x keeps its name.
  EXPECT_EQ(g.findLeaf("x")->name(), "x");
  ASSERT_EQ(g.outputs().size(), 3u);
  EXPECT_EQ(g.outputs()[2].first, "q");
  EXPECT_EQ(g.outputs()[2].second, g.findLeaf("x"));
}

TEST(FrontendOps, ChoosesTheModelByName) {
  std::string text = "model A { input x: f32[1]; }\n"
                     "model B { input z: f32[2]; }\n"
                     "train B { batch = 3; }\n";
  Compiled a = compile(text);
  ASSERT_NE(a.graph, nullptr) << a.diags;
  EXPECT_EQ(a.graph->name(), "A");
  EXPECT_FALSE(a.defaults.has_value());
  Compiled b = compile(text, "B");
  ASSERT_NE(b.graph, nullptr) << b.diags;
  EXPECT_EQ(b.graph->name(), "B");
  EXPECT_EQ(b.defaults->batch, 3);
  Compiled c = compile(text, "C");
  EXPECT_EQ(c.graph, nullptr);
  EXPECT_EQ(messages(c.diags).at(0), "f.lam: error: no model named 'C'");
}

//===----------------------------------------------------------------------===//
// Convolution and pooling.
//===----------------------------------------------------------------------===//

using Ints = std::vector<int64_t>;

TEST(FrontendExamples, LeNet5HasTheNotesParameterCounts) {
  Compiled c = compileExample("lenet5.lam");
  ASSERT_NE(c.graph, nullptr) << c.diags;
  const Graph &g = *c.graph;
  EXPECT_EQ(g.findLeaf("x")->type(),
            (TensorType{DType::F32, {kBatch, 1, 28, 28}}));
  auto count = [&](const std::string &layer) {
    return numElements(g.findLeaf(layer + ".weight")->shape()) +
           numElements(g.findLeaf(layer + ".bias")->shape());
  };
  // Notes 000: CONV1 156, CONV2 2416, FC3 48120, FC4 10164, output 850.
  EXPECT_EQ(count("conv1"), 156);
  EXPECT_EQ(count("conv2"), 2416);
  EXPECT_EQ(count("fc3"), 48120);
  EXPECT_EQ(count("fc4"), 10164);
  EXPECT_EQ(count("logits"), 850);
  EXPECT_EQ(paramTotal(g), 61706);
  EXPECT_EQ(g.findLeaf("conv1.weight")->shape(), (Shape{6, 1, 5, 5}));
  EXPECT_EQ(g.findLeaf("conv2.weight")->shape(), (Shape{16, 6, 5, 5}));
  EXPECT_EQ(g.findLeaf("conv2.weight")->intAttr("fan_in"), 6 * 25);
  EXPECT_EQ(g.findLeaf("conv2.weight")->intAttr("fan_out"), 16 * 25);
  EXPECT_EQ(named(g, "s2")->shape(), (Shape{kBatch, 6, 14, 14}));
  EXPECT_EQ(named(g, "s4")->shape(), (Shape{kBatch, 16, 5, 5}));
  EXPECT_EQ(g.findLeaf("fc3.weight")->shape(), (Shape{400, 120}));
}

TEST(FrontendOps, ConvForms) {
  Compiled c = compile(
      "model M {\n"
      "  input x: f32[batch, 4, 9, 9];\n"
      "  input s: f32[batch, 4, 12];\n"
      "  y = conv2d(relu(conv2d(x, 8, kernel = 3)), 2, kernel = [3, 1],\n"
      "             stride = [2, 1], bias = false);\n"
      "  z = conv2d(x, 6, kernel = 3, padding = [1, 2], dilation = 2,\n"
      "             groups = 2);\n"
      "  q = conv2d(x, 4, kernel = 3, padding = [0, 1, 2, 3]);\n"
      "  v = conv1d(s, 3, kernel = 3, stride = 3);\n"
      "  w = conv1d(s, 3, kernel = 4, padding = [2, 1]);\n"
      "}\n"
      "train M { init = he; }\n");
  ASSERT_NE(c.graph, nullptr) << c.diags;
  const Graph &g = *c.graph;
  EXPECT_EQ(paramNames(g), (std::vector<std::string>{
                               "y.weight", "y.bias", "y.1.weight", "z.weight",
                               "z.bias", "q.weight", "q.bias", "v.weight",
                               "v.bias", "w.weight", "w.bias"}));
  // The inner conv is y.*, the outer (bias = false) y.1.weight.
  EXPECT_EQ(g.findLeaf("y.weight")->shape(), (Shape{8, 4, 3, 3}));
  EXPECT_EQ(g.findLeaf("y.1.weight")->shape(), (Shape{2, 8, 3, 1}));
  const Node *y = named(g, "y");
  EXPECT_EQ(y->kind(), OpKind::Conv2d);
  EXPECT_EQ(y->numInputs(), 2u);
  EXPECT_EQ(y->intsAttr("stride"), (Ints{2, 1}));
  EXPECT_EQ(y->intsAttr("padding"), (Ints{0, 0, 0, 0}));
  EXPECT_EQ(y->intsAttr("dilation"), (Ints{1, 1}));
  EXPECT_EQ(y->intAttr("groups"), 1);
  EXPECT_EQ(y->shape(), (Shape{kBatch, 2, 3, 7}));
  // fan_in = C/groups * kh * kw, fan_out = out * kh * kw; init from train.
  const Node *zw = g.findLeaf("z.weight");
  EXPECT_EQ(zw->shape(), (Shape{6, 2, 3, 3}));
  EXPECT_EQ(zw->intAttr("fan_in"), 2 * 9);
  EXPECT_EQ(zw->intAttr("fan_out"), 6 * 9);
  EXPECT_EQ(zw->strAttr("init"), "he");
  EXPECT_EQ(zw->strAttr("role"), "param");
  EXPECT_EQ(g.findLeaf("z.bias")->intAttr("fan_in"), 2 * 9);
  const Node *z = named(g, "z");
  EXPECT_EQ(z->intsAttr("padding"), (Ints{1, 2, 1, 2}));
  EXPECT_EQ(z->intsAttr("dilation"), (Ints{2, 2}));
  EXPECT_EQ(z->intAttr("groups"), 2);
  // (9 + 2 - 4 - 1) + 1 = 7 high, (9 + 4 - 4 - 1) + 1 = 9 wide.
  EXPECT_EQ(z->shape(), (Shape{kBatch, 6, 7, 9}));
  // Four values are [top, left, bottom, right].
  EXPECT_EQ(named(g, "q")->intsAttr("padding"), (Ints{0, 1, 2, 3}));
  EXPECT_EQ(named(g, "q")->shape(), (Shape{kBatch, 4, 9, 11}));
  const Node *v = named(g, "v");
  EXPECT_EQ(v->kind(), OpKind::Conv1d);
  EXPECT_EQ(v->intsAttr("stride"), (Ints{3}));
  EXPECT_EQ(v->intsAttr("padding"), (Ints{0, 0}));
  EXPECT_EQ(v->shape(), (Shape{kBatch, 3, 4}));
  EXPECT_EQ(g.findLeaf("v.weight")->shape(), (Shape{3, 4, 3}));
  // A pair is [left, right] in 1-D.
  EXPECT_EQ(named(g, "w")->intsAttr("padding"), (Ints{2, 1}));
  EXPECT_EQ(named(g, "w")->shape(), (Shape{kBatch, 3, 12}));
}

TEST(FrontendOps, ConvNamedPaddings) {
  Compiled c = compile("model M {\n"
                       "  input x: f32[batch, 1, 7, 7];\n"
                       "  a = conv2d(x, 1, kernel = 3, padding = valid);\n"
                       "  b = conv2d(x, 1, kernel = 3, padding = same);\n"
                       "  d = conv2d(x, 1, kernel = 4, padding = same);\n"
                       "  e = conv2d(x, 1, kernel = [2, 3], dilation = 2,\n"
                       "             padding = same);\n"
                       "  f = conv2d(x, 1, kernel = 3, padding = full);\n"
                       "  h = conv2d(x, 1, kernel = 3, stride = 2);\n"
                       "  i = conv2d(x, 1, kernel = 3, padding = 1);\n"
                       "}\n");
  ASSERT_NE(c.graph, nullptr) << c.diags;
  const Graph &g = *c.graph;
  auto check = [&](const char *name, Ints pad, Shape shape) {
    const Node *n = named(g, name);
    ASSERT_NE(n, nullptr) << name;
    EXPECT_EQ(n->intsAttr("padding"), pad) << name;
    EXPECT_EQ(n->shape(), shape) << name;
  };
  check("a", {0, 0, 0, 0}, {kBatch, 1, 5, 5});
  check("b", {1, 1, 1, 1}, {kBatch, 1, 7, 7});
  // As PyTorch: the odd one goes to the bottom/right.
  check("d", {1, 1, 2, 2}, {kBatch, 1, 7, 7});
  // Dilated spans 2*(2-1) = 2 and 2*(3-1) = 4.
  check("e", {1, 2, 1, 2}, {kBatch, 1, 7, 7});
  check("f", {2, 2, 2, 2}, {kBatch, 1, 9, 9});
  // The notes: 7x7, 3x3, stride 2 -> 3x3; padding 1 -> 7x7.
  check("h", {0, 0, 0, 0}, {kBatch, 1, 3, 3});
  check("i", {1, 1, 1, 1}, {kBatch, 1, 7, 7});
}

TEST(FrontendOps, ConvWithExplicitTensors) {
  Compiled c = compile("model M {\n"
                       "  input x: f32[batch, 2, 5, 5];\n"
                       "  param K: f32[3, 2, 3, 3];\n"
                       "  param kb: f32[3] = 0;\n"
                       "  y = conv2d(x, K, kb, stride = 2, padding = 1);\n"
                       "  z = conv2d(x, K, padding = same);\n"
                       "}\n");
  ASSERT_NE(c.graph, nullptr) << c.diags;
  const Graph &g = *c.graph;
  // No new parameters: the given tensors are the operands.
  EXPECT_EQ(paramNames(g), (std::vector<std::string>{"K", "kb"}));
  const Node *y = named(g, "y");
  ASSERT_EQ(y->numInputs(), 3u);
  EXPECT_EQ(&y->input(1), g.findLeaf("K"));
  EXPECT_EQ(&y->input(2), g.findLeaf("kb"));
  EXPECT_EQ(y->intsAttr("stride"), (Ints{2, 2}));
  EXPECT_EQ(y->shape(), (Shape{kBatch, 3, 3, 3}));
  // same takes the kernel size from K.
  const Node *z = named(g, "z");
  EXPECT_EQ(z->numInputs(), 2u);
  EXPECT_EQ(z->intsAttr("padding"), (Ints{1, 1, 1, 1}));
  EXPECT_EQ(z->shape(), (Shape{kBatch, 3, 5, 5}));
}

TEST(FrontendOps, PaddingModeBuildsAPad) {
  Compiled c = compile("model M {\n"
                       "  input x: f32[batch, 2, 6, 6];\n"
                       "  y = conv2d(x, 3, kernel = 3, padding = [1, 2],\n"
                       "             padding_mode = replicate);\n"
                       "  z = conv2d(x, 3, kernel = 3, padding = 1,\n"
                       "             padding_mode = zeros);\n"
                       "}\n");
  ASSERT_NE(c.graph, nullptr) << c.diags;
  const Node *y = named(*c.graph, "y");
  EXPECT_EQ(y->intsAttr("padding"), (Ints{0, 0, 0, 0}));
  const Node &pad = y->input(0);
  EXPECT_EQ(pad.kind(), OpKind::Pad);
  EXPECT_EQ(pad.strAttr("mode"), "replicate");
  EXPECT_EQ(pad.intsAttr("padding"), (Ints{1, 2, 1, 2}));
  EXPECT_EQ(pad.shape(), (Shape{kBatch, 2, 8, 10}));
  EXPECT_EQ(y->shape(), (Shape{kBatch, 3, 6, 8}));
  // zeros is the conv's own padding.
  const Node *z = named(*c.graph, "z");
  EXPECT_EQ(z->input(0).kind(), OpKind::Input);
  EXPECT_EQ(z->intsAttr("padding"), (Ints{1, 1, 1, 1}));
}

TEST(FrontendOps, PoolingForms) {
  Compiled c = compile(
      "model M {\n"
      "  input x: f32[batch, 3, 7, 7];\n"
      "  input s: f32[batch, 3, 10];\n"
      "  a = maxpool2d(x, 2);\n"
      "  b = maxpool2d(x, 3, stride = 2, padding = 1, ceil_mode = true);\n"
      "  d = avgpool2d(x, [3, 1], stride = [2, 1], padding = [1, 0],\n"
      "                count_include_pad = false);\n"
      "  e = maxpool1d(s, 2);\n"
      "  f = avgpool1d(s, kernel = 3, stride = 2, ceil_mode = true);\n"
      "  g = global_avgpool(x);\n"
      "  h = global_avgpool(s);\n"
      "}\n");
  ASSERT_NE(c.graph, nullptr) << c.diags;
  const Graph &g = *c.graph;
  EXPECT_TRUE(g.paramsWithRole("param").empty());
  const Node *a = named(g, "a");
  EXPECT_EQ(a->kind(), OpKind::MaxPool2d);
  EXPECT_EQ(a->intsAttr("kernel"), (Ints{2, 2}));
  EXPECT_EQ(a->intsAttr("stride"), (Ints{2, 2})); // stride = kernel
  EXPECT_EQ(a->intsAttr("padding"), (Ints{0, 0, 0, 0}));
  EXPECT_EQ(a->intAttr("ceil_mode"), 0);
  EXPECT_EQ(a->shape(), (Shape{kBatch, 3, 3, 3}));
  const Node *b = named(g, "b");
  EXPECT_EQ(b->intsAttr("padding"), (Ints{1, 1, 1, 1}));
  EXPECT_EQ(b->intAttr("ceil_mode"), 1);
  EXPECT_EQ(b->shape(), (Shape{kBatch, 3, 4, 4}));
  const Node *d = named(g, "d");
  EXPECT_EQ(d->kind(), OpKind::AvgPool2d);
  EXPECT_EQ(d->intsAttr("padding"), (Ints{1, 0, 1, 0}));
  EXPECT_EQ(d->intAttr("count_include_pad"), 0);
  EXPECT_EQ(d->shape(), (Shape{kBatch, 3, 4, 7}));
  EXPECT_EQ(named(g, "e")->kind(), OpKind::MaxPool1d);
  EXPECT_EQ(named(g, "e")->shape(), (Shape{kBatch, 3, 5}));
  const Node *f = named(g, "f");
  EXPECT_EQ(f->kind(), OpKind::AvgPool1d);
  EXPECT_EQ(f->intAttr("count_include_pad"), 1);
  // ceil((10 - 3)/2) + 1 = 5.
  EXPECT_EQ(f->shape(), (Shape{kBatch, 3, 5}));
  const Node *gp = named(g, "g");
  EXPECT_EQ(gp->kind(), OpKind::Mean);
  EXPECT_EQ(gp->intsAttr("axes"), (Ints{2, 3}));
  EXPECT_EQ(gp->shape(), (Shape{kBatch, 3}));
  EXPECT_EQ(named(g, "h")->intsAttr("axes"), (Ints{2}));
}

TEST(FrontendErrors, ConvSizesAreErrorsAtTheCall) {
  const std::string h = "model M {\n  input x: f32[batch, 1, 7, 7];\n";
  // The notes: a 3x3 kernel with stride 3 does not fit a 7x7 input. As in
  // PyTorch the output size is floored (2x2), with a warning that the last
  // row and column are never read.
  Compiled c = compile(h + "  y = conv2d(x, 4, kernel = 3, stride = 3);\n"
                           "  output o = y;\n}");
  ASSERT_NE(c.graph, nullptr) << c.diags;
  EXPECT_EQ(c.errors, 0u);
  EXPECT_EQ(named(*c.graph, "y")->shape(), (Shape{kBatch, 4, 2, 2}));
  EXPECT_NE(c.diags.find("f.lam:3:7: warning: 'conv2d' stride does not fit "
                         "the input [batch, 1, 7, 7]: the last 1 row of the "
                         "input is never read; the last 1 column of the "
                         "input is never read"),
            std::string::npos)
      << c.diags;
  // ResNet's kernel 3, stride 2, padding 1 on 12x12 reads every input
  // element: 6x6, silent.
  Compiled r = compile("model M {\n  input x: f32[batch, 1, 12, 12];\n"
                       "  y = conv2d(x, 4, kernel = 3, stride = 2, "
                       "padding = 1);\n  output o = y;\n}");
  ASSERT_NE(r.graph, nullptr) << r.diags;
  EXPECT_EQ(r.diags, "");
  EXPECT_EQ(named(*r.graph, "y")->shape(), (Shape{kBatch, 4, 6, 6}));
  EXPECT_NE(firstMessage(h + "  y = conv2d(x, 4, kernel = 9);\n}")
                .find("f.lam:3:7: error: 'conv2d' kernel (height) spans 9 "
                      "but the padded input is only 7"),
            std::string::npos);
  EXPECT_EQ(firstMessage(h + "  y = conv2d(x, 4, kernel = 3, stride = [1, 2],"
                             " padding = same);\n}"),
            "f.lam:3:59: error: 'same' padding keeps the size only with "
            "stride 1, but 'conv2d' has stride 2; give the padding as "
            "numbers");
  EXPECT_EQ(firstMessage(h + "  y = conv2d(x, 4, kernel = 3, groups = 2);\n}"),
            "f.lam:3:7: error: 'conv2d' groups 2 must divide the input "
            "channels of f32[batch, 1, 7, 7]");
  EXPECT_EQ(firstMessage(h + "  y = conv2d(x, 3, kernel = 1, groups = 1);\n"
                             "  z = conv2d(y, 4, kernel = 1, groups = 3);\n}"),
            "f.lam:4:7: error: 'conv2d' groups 3 must divide the 3 input and "
            "4 output channels");
}

TEST(FrontendErrors, ConvAndPoolArguments) {
  const std::string h = "model M {\n  input x: f32[batch, 3, 7, 7];\n"
                        "  param W: f32[4, 3, 3];\n";
  EXPECT_EQ(firstMessage(h + "  y = conv2d(x, W, padding = same);\n}"),
            "f.lam:4:17: error: 'conv2d' needs a weight of rank 4 ([out, "
            "in/groups, kh, kw]), got f32[4, 3, 3]");
  EXPECT_EQ(firstMessage(h + "  y = conv1d(x, W);\n}"),
            "f.lam:4:7: error: 'conv1d' needs an input of rank 3 ([batch, "
            "channels, length]), got f32[batch, 3, 7, 7]");
  EXPECT_EQ(firstMessage(h + "  y = conv2d(x, 4, kernel = 3, padding = "
                             "[1, 2, 3]);\n}"),
            "f.lam:4:42: error: argument 'padding' of 'conv2d' must be an "
            "integer, a list [h, w] or [top, left, bottom, right] (0 or "
            "more), valid, same or full, got an array");
  // The pooling ops word their own type errors; the frontend places them.
  std::string m = firstMessage(h + "  y = maxpool2d(x, 2, padding = 2);\n}");
  EXPECT_EQ(m.rfind("f.lam:4:7: error: 'maxpool2d' padding", 0), 0u) << m;
  EXPECT_NE(m.find("half the kernel"), std::string::npos) << m;
  EXPECT_EQ(firstMessage(h + "  y = avgpool2d(x);\n}"),
            "f.lam:4:7: error: 'avgpool2d' needs argument 'kernel'");
}

TEST(FrontendRobustness, ConvTokenSoup) {
  std::vector<std::string> pieces{" "};
  std::istringstream words(
      "conv2d( conv1d( maxpool2d( avgpool1d( global_avgpool( x W , ) [ ] 1 3 "
      "0 -1 kernel stride padding dilation groups = same full valid bias "
      "false reflect padding_mode ceil_mode");
  for (std::string w; words >> w;)
    pieces.push_back(w);
  std::mt19937 rng(99);
  unsigned built = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    std::string call;
    int n = static_cast<int>(rng() % 16);
    for (int i = 0; i < n; ++i)
      call += pieces[rng() % pieces.size()];
    std::string text = "model M { input x: f32[batch, 2, 6, 6]; "
                       "param W: f32[4, 2, 3, 3]; y = " +
                       call + "; }";
    if (expectBuiltOrReported("r.lam", text).built)
      ++built;
  }
  // Some soups are a valid call ("x", "conv2d(x,3)"); most are not (41 of
  // 2000 with this seed).
  EXPECT_GT(built, 10u);
  EXPECT_LT(built, 200u);
}

// Well-formed calls with random (often invalid) geometry: each either builds
// or reports an error, never crashes.
TEST(FrontendRobustness, RandomConvAndPoolGeometry) {
  const char *values[] = {"0",    "1",     "2",      "3",      "5",
                          "9",    "-1",    "[1, 2]", "[0, 3]", "[2, 1, 0, 1]",
                          "same", "valid", "full",   "[]",     "[1, 2, 3]"};
  const char *ops[] = {"conv2d(x, 4", "conv2d(x, W", "conv1d(s, 3",
                       "maxpool2d(x", "avgpool2d(x", "maxpool1d(s",
                       "avgpool1d(s"};
  const char *keys[] = {"kernel",   "stride", "padding",
                        "dilation", "groups", "ceil_mode"};
  std::mt19937 rng(7);
  unsigned built = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string call = ops[rng() % 7];
    bool conv = call.rfind("conv", 0) == 0;
    if (!conv || call.find('W') == std::string::npos)
      call += ", kernel = " + std::string(values[rng() % 7]);
    for (int k = 0, n = static_cast<int>(rng() % 4); k < n; ++k) {
      std::string key = keys[1 + rng() % 5];
      if (call.find(key) == std::string::npos)
        call += ", " + key + " = " + values[rng() % 15];
    }
    std::string text = "model M {\n  input x: f32[batch, 4, 7, 7];\n"
                       "  input s: f32[batch, 4, 9];\n"
                       "  param W: f32[4, 2, 3, 3];\n  y = " +
                       call + ");\n}\n";
    Compiled c = compile(text);
    if (c.graph)
      ++built;
    else
      EXPECT_GT(c.errors, 0u) << text;
  }
  EXPECT_GT(built, 100u);
}

//===----------------------------------------------------------------------===//
// Syntax errors.
//===----------------------------------------------------------------------===//

TEST(FrontendErrors, MissingSemicolon) {
  EXPECT_EQ(firstMessage(kHeader + "  h1 = relu(x)\n  h2 = relu(h1);\n}\n"),
            "f.lam:3:15: error: expected ';' after declaration");
}

TEST(FrontendErrors, SyntaxErrorsAreWorded) {
  EXPECT_EQ(firstMessage(kHeader + "  y = x +;\n}\n"),
            "f.lam:3:10: error: expected an expression, found ';'");
  EXPECT_EQ(firstMessage(kHeader + "  y = relu(x;\n}\n"),
            "f.lam:3:13: error: expected ')'");
  EXPECT_EQ(firstMessage(kHeader + "  y = relu(x));\n}\n"),
            "f.lam:3:14: error: unexpected ')'; expected ';'");
  EXPECT_EQ(firstMessage("modle M {}\n"),
            "f.lam:1:1: error: expected 'model' or 'train', found 'modle'");
  EXPECT_EQ(firstMessage(kHeader),
            "f.lam:3:1: error: unexpected end of file; expected a "
            "declaration or '}'");
  EXPECT_EQ(firstMessage(kHeader + "  /* never closed\n}\n"),
            "f.lam:3:3: error: unterminated '/*' comment");
}

TEST(FrontendErrors, UnknownCharacters) {
  EXPECT_EQ(firstMessage(kHeader + "  y = x \xE2\x82\xAC 2;\n}\n"),
            "f.lam:3:9: error: invalid character '\xE2\x82\xAC' (U+20AC)");
  EXPECT_EQ(firstMessage(kHeader + "  y = x # 2;\n}\n"),
            "f.lam:3:9: error: invalid character '#'");
  // Columns count characters, not bytes.
  EXPECT_EQ(firstMessage(kHeader +
                         "  // \xC3\xA9t\xC3\xA9\n  y = \xC3\xA9 @ \x01;\n}\n"),
            "f.lam:4:7: error: invalid character '\xC3\xA9' (U+00E9)");
  EXPECT_EQ(firstMessage("model M { \xFF }"),
            "f.lam:1:11: error: invalid UTF-8 byte 0xff");
  EXPECT_EQ(firstMessage(std::string("model M {\0}", 11)),
            "f.lam:1:10: error: invalid character U+0000");
}

TEST(FrontendErrors, DeepNestingIsRejectedBeforeParsing) {
  for (const char *open : {"(", "[", "-", "-("}) {
    std::string deep;
    for (int i = 0; i < 10000; ++i)
      deep += open;
    std::string text = kHeader + "  y = " + deep + "x;\n}\n";
    std::string msg = firstMessage(text);
    EXPECT_NE(msg.find("error: expression is nested too deeply (the limit "
                       "is 256 levels)"),
              std::string::npos)
        << open << ": " << msg;
  }
  std::string ok = kHeader + "  y = " + std::string(255, '(') + "x" +
                   std::string(255, ')') + ";\n}\n";
  EXPECT_NE(compile(ok).graph, nullptr);
}

TEST(FrontendErrors, LongChainsAreBoundedNotRecursive) {
  std::string sum = "x";
  for (int i = 0; i < 20000; ++i)
    sum += " + x";
  std::string msg = firstMessage(kHeader + "  y = " + sum + ";\n}\n");
  EXPECT_NE(msg.find("error: expression is too complex (its tree is more "
                     "than 1024 levels deep)"),
            std::string::npos)
      << msg;
  std::string shortSum = "x";
  for (int i = 0; i < 500; ++i)
    shortSum += " + x";
  EXPECT_NE(compile(kHeader + "  y = " + shortSum + ";\n}\n").graph, nullptr);
}

TEST(FrontendErrors, LiteralsAndShapes) {
  EXPECT_EQ(firstMessage(kHeader + "  y = x * 99999999999999999999;\n}\n"),
            "f.lam:3:11: error: integer literal '99999999999999999999' is too "
            "large (the maximum is 9223372036854775807)");
  EXPECT_EQ(firstMessage(kHeader + "  y = x * 1e999;\n}\n"),
            "f.lam:3:11: error: floating-point literal '1e999' is out of "
            "range");
  EXPECT_EQ(firstMessage("model M { input x: f32[batch, 1048576, 1048577]; }"),
            "f.lam:1:20: error: shape [batch, 1048576, 1048577] has more "
            "than 2^40 elements");
  EXPECT_EQ(firstMessage("model M { input x: f32[batch, 0]; }"),
            "f.lam:1:31: error: dimension must be positive, got 0");
  EXPECT_EQ(firstMessage("model M { input x: f32[-3]; }"),
            "f.lam:1:24: error: dimension must be positive, got -3");
  EXPECT_EQ(firstMessage("model M { input x: f32[4, batch]; }"),
            "f.lam:1:27: error: 'batch' must be the first dimension");
  EXPECT_EQ(firstMessage("model M { input x: f32[n]; }"),
            "f.lam:1:24: error: unknown dimension 'n'; a dimension is an "
            "integer or 'batch'");
  EXPECT_EQ(firstMessage("model M { input x: f16[4]; }"),
            "f.lam:1:20: error: unknown element type 'f16'; expected f32, "
            "f64 or i32");
  EXPECT_EQ(firstMessage("model M { input x: f32[4]; param w: f32[batch]; }"),
            "f.lam:1:41: error: a parameter cannot have a batch dimension");
  EXPECT_EQ(firstMessage(kHeader + "  y = dense(x, 1099511627776);\n}\n"),
            "f.lam:3:7: error: weight of 'dense' would be [4, "
            "1099511627776], more than 2^40 elements");
}

//===----------------------------------------------------------------------===//
// Semantic errors.
//===----------------------------------------------------------------------===//

TEST(FrontendErrors, UnknownOpSuggestsTheClosest) {
  EXPECT_EQ(firstMessage(kHeader + "  y = rleu(x);\n}\n"),
            "f.lam:3:7: error: unknown op 'rleu'; did you mean 'relu'?");
  EXPECT_EQ(firstMessage(kHeader + "  y = frobnicate(x);\n}\n"),
            "f.lam:3:7: error: unknown op 'frobnicate'");
  EXPECT_EQ(firstMessage(kHeader + "  y = x(2);\n}\n"),
            "f.lam:3:7: error: 'x' is a value, not an op");
  EXPECT_EQ(firstMessage(kHeader + "  y = relu;\n}\n"),
            "f.lam:3:7: error: 'relu' is an op, not a value; call it: "
            "relu(...)");
}

TEST(FrontendErrors, UnknownNames) {
  EXPECT_EQ(firstMessage(kHeader + "  h1 = relu(x);\n  y = h3 + 1;\n}\n"),
            "f.lam:4:7: error: unknown value 'h3'; did you mean 'h1'?");
  Compiled c = compile(kHeader + "  y = relu(z);\n  z = x;\n}\n");
  EXPECT_EQ(messages(c.diags),
            (std::vector<std::string>{
                "f.lam:3:12: error: 'z' is used before it is defined",
                "f.lam:4:3: note: 'z' is defined here"}));
}

TEST(FrontendErrors, Redefinition) {
  Compiled c = compile(kHeader + "  h1 = relu(x);\n  h1 = x;\n}\n");
  EXPECT_EQ(c.graph, nullptr);
  EXPECT_EQ(messages(c.diags),
            (std::vector<std::string>{
                "f.lam:4:3: error: 'h1' is already defined",
                "f.lam:3:3: note: previous definition is here"}));
}

TEST(FrontendErrors, ShapeMismatchNamesBothShapes) {
  std::string msg = firstMessage(kHeader + "  y = x + [1, 2, 3];\n}\n");
  EXPECT_EQ(msg.rfind("f.lam:3:9: error: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("[batch, 4]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[3]"), std::string::npos) << msg;
}

TEST(FrontendErrors, Arguments) {
  EXPECT_EQ(firstMessage(kHeader + "  y = leaky_relu(x, alpah = 0.2);\n}\n"),
            "f.lam:3:21: error: 'leaky_relu' has no argument 'alpah'; did "
            "you mean 'alpha'?");
  EXPECT_EQ(firstMessage(kHeader + "  y = relu(x, x);\n}\n"),
            "f.lam:3:15: error: 'relu' takes 1 argument, got 2");
  EXPECT_EQ(firstMessage(kHeader + "  y = leaky_relu(x, 1, 2);\n}\n"),
            "f.lam:3:24: error: 'leaky_relu' takes at most 2 arguments, got "
            "3");
  EXPECT_EQ(firstMessage(kHeader + "  y = leaky_relu(alpha = 1);\n}\n"),
            "f.lam:3:7: error: 'leaky_relu' needs 1 tensor argument, got 0");
  EXPECT_EQ(firstMessage(kHeader + "  y = leaky_relu(x, alpha = x);\n}\n"),
            "f.lam:3:29: error: argument 'alpha' of 'leaky_relu' must be a "
            "number, got 'x'");
  EXPECT_EQ(firstMessage(kHeader + "  y = sum(x, axis = 1, axes = 0);\n}\n"),
            "f.lam:3:24: error: argument 'axes' of 'sum' is given twice");
  EXPECT_EQ(firstMessage(kHeader + "  y = softmax(axis = 1, x);\n}\n"),
            "f.lam:3:25: error: positional argument after a keyword "
            "argument");
  EXPECT_EQ(firstMessage(kHeader + "  y = one_hot(x);\n}\n"),
            "f.lam:3:7: error: 'one_hot' needs argument 'classes'");
  EXPECT_EQ(firstMessage(kHeader + "  y = dense(x, 2.5);\n}\n"),
            "f.lam:3:16: error: argument 'units' of 'dense' must be a "
            "positive integer, got 2.5");
  EXPECT_EQ(firstMessage(kHeader + "  y = reshape(x, [batch, 0]);\n}\n"),
            "f.lam:3:18: error: argument 'shape' of 'reshape' must be a list "
            "of positive integers or 'batch', got an array");
}

TEST(FrontendErrors, LiteralsMustFit) {
  EXPECT_EQ(firstMessage(kHeader + "  y = x + [[1, 2], [3]];\n}\n"),
            "f.lam:3:20: error: array literal is not rectangular");
  EXPECT_EQ(firstMessage(kHeader + "  y = x + [1, x];\n}\n"),
            "f.lam:3:15: error: array elements must be numbers, got 'x'");
  EXPECT_EQ(firstMessage(kHeader + "  param w: f32[2, 2] = [1, 2];\n}\n"),
            "f.lam:3:24: error: initial value has shape [2], but parameter "
            "'w' is f32[2, 2]");
  EXPECT_EQ(firstMessage(kHeader + "  param w: f32[2] = x;\n}\n"),
            "f.lam:3:21: error: initial value of parameter 'w' must be a "
            "number or an array literal");
  EXPECT_EQ(firstMessage(kHeader + "  param w: i32[2];\n}\n"),
            "f.lam:3:12: error: parameter 'w' must have a float type, got "
            "i32[2]");
}

TEST(FrontendErrors, ModelLevel) {
  EXPECT_EQ(firstMessage("model M {\n  param w: f32[1];\n}\n"),
            "f.lam:1:1: error: model 'M' has no inputs");
  EXPECT_EQ(firstMessage(kHeader + "  loss relu(x);\n}\n"),
            "f.lam:3:8: error: loss must be a scalar, got f32[batch, 4]");
  EXPECT_EQ(firstMessage(kHeader + "  metric x + 1;\n}\n"),
            "f.lam:3:12: error: a metric that is not a call needs a name: "
            "'metric NAME = expr;'");
  EXPECT_EQ(firstMessage(""), "f.lam: error: the file defines no model");
}

TEST(FrontendErrors, BadTrainBlock) {
  Compiled c = compile(kHeader + "}\n"
                                 "train M {\n"
                                 "  batch = 0;\n"
                                 "  lr = 0.1;\n"
                                 "  optimizer = sgd(lr = -1, momentum = 1);\n"
                                 "  init = glorot;\n"
                                 "  validation = 1;\n"
                                 "  epochs = 2.5;\n"
                                 "  seed = 1;\n"
                                 "  seed = 2;\n"
                                 "  optimiser = sgd;\n"
                                 "}\n"
                                 "train Mm { batch = 1; }\n");
  EXPECT_EQ(c.graph, nullptr);
  EXPECT_EQ(
      messages(c.diags),
      (std::vector<std::string>{
          "f.lam:5:11: error: 'batch' must be a positive integer, got 0",
          "f.lam:6:3: error: unknown train setting 'lr'; it is an argument "
          "of the optimizer: optimizer = sgd(lr = ...)",
          "f.lam:7:24: error: 'lr' must be positive, got -1",
          "f.lam:7:39: error: 'momentum' must be in [0, 1), got 1",
          "f.lam:8:10: error: unknown init 'glorot' (expected "
          "uniform_fan_in, normal(std), xavier, he, zeros or constant(v))",
          "f.lam:9:16: error: 'validation' must be a fraction in [0, 1), got "
          "1",
          "f.lam:10:12: error: 'epochs' must be a positive integer, got 2.5",
          "f.lam:12:3: error: 'seed' is already set",
          "f.lam:11:3: note: previous setting is here",
          "f.lam:13:3: error: unknown train setting 'optimiser'; did you "
          "mean 'optimizer'?",
          "f.lam:15:7: error: train block for unknown model 'Mm'; did you "
          "mean 'M'?"}));
}

TEST(FrontendErrors, SeveralErrorsAtOnce) {
  Compiled c = compile(kHeader + "  a = rleu(x);\n"
                                 "  b = relu(a);\n" // quiet: a is poisoned
                                 "  c = x + [1, 2];\n"
                                 "  d = q;\n"
                                 "}\n");
  EXPECT_EQ(c.graph, nullptr);
  EXPECT_EQ(c.errors, 3u) << c.diags;
}

TEST(FrontendErrors, DiagnosticsQuoteTheLine) {
  Compiled c = compile(kHeader + "  y = rleu(x);\n}\n");
  EXPECT_EQ(c.diags, "f.lam:3:7: error: unknown op 'rleu'; did you mean "
                     "'relu'?\n"
                     "  y = rleu(x);\n"
                     "      ^\n");
}

//===----------------------------------------------------------------------===//
// Robustness: nothing the user writes crashes or throws.
//===----------------------------------------------------------------------===//

TEST(FrontendRobustness, EveryPrefixOfTheExamples) {
  for (const char *name :
       {"mlp.lam", "linreg.lam", "xor.lam", "lenet5.lam", "cnn_notes.lam"}) {
    std::string text = readExample(name);
    ASSERT_FALSE(text.empty()) << name;
    size_t reported = 0;
    for (size_t n = 0; n < text.size(); ++n)
      if (!expectBuiltOrReported(name, text.substr(0, n)).built)
        ++reported;
    // Nearly every prefix cuts a declaration or the model in two.
    EXPECT_GE(reported, text.size() * 9 / 10) << name;
    Outcome whole = expectBuiltOrReported(name, text);
    EXPECT_TRUE(whole.built) << name;
    EXPECT_EQ(whole.diagnostics, 0u) << name;
  }
}

TEST(FrontendRobustness, RandomTokenSoup) {
  static const char *pieces[] = {
      "model",  "train", "input", "label", "param", "loss",     "metric",
      "output", "M",     "x",     "y",     "f32",   "i32",      "batch",
      "[",      "]",     "(",     ")",     "{",     "}",        ",",
      ";",      ":",     "=",     "+",     "-",     "*",        "/",
      "@",      "1",     "2.5",   "dense", "relu",  "sum",      "axis",
      "\n",     " ",     "//",    "/*",    "*/",    "\xC3\xA9", "\x01"};
  std::mt19937 rng(1234);
  unsigned built = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    std::string text;
    int n = static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i)
      text += pieces[rng() % (sizeof pieces / sizeof *pieces)];
    if (iter % 2)
      text = "model M { input x: f32[batch, 2]; " + text + " }";
    if (expectBuiltOrReported("r.lam", text).built)
      ++built;
  }
  // The soup is mostly not a model, but an empty body or a comment is (21
  // of 2000 with this seed).
  EXPECT_GT(built, 5u);
  EXPECT_LT(built, 200u);
}

} // namespace
