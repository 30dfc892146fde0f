//===- BuildGraph.cpp - AST -> Graph: the model walk ----------------------===//
//
// buildGraph picks the model and applies its train block; ModelBuilder
// (ModelBuilder.h) walks the model's declarations in order, binding names
// and collecting the loss, outputs and metrics. Errors are reported where
// they happen and building goes on, so one run shows several of them; a
// name whose definition failed is "poisoned" so its uses do not report
// again.
//
//===----------------------------------------------------------------------===//
#include "ModelBuilder.h"

#include "lamina/Frontend.h"
#include "lamina/Support.h"

namespace lamina {
namespace frontend {

/// Warns of graphs that compile but are probably not what was meant.
static void warnOfLikelyMistakes(const Graph &g, DiagnosticEngine &diag) {
  for (const auto &np : g.nodes()) {
    const Node &n = *np;
    if (n.kind() != OpKind::BinaryCrossEntropy)
      continue;
    // Probabilities come from a sigmoid (or softmax), or are given.
    OpKind p = n.input(0).kind();
    if (p == OpKind::Sigmoid || p == OpKind::HardSigmoid ||
        p == OpKind::Softmax || p == OpKind::Input || p == OpKind::Param ||
        p == OpKind::Constant)
      continue;
    diag.warning(n.loc(),
                 "binary_cross_entropy takes probabilities, and its first "
                 "operand is not a sigmoid's; if it is a logit, use "
                 "binary_cross_entropy_with_logits(logit, target), which "
                 "applies the sigmoid itself and stays accurate where it "
                 "saturates");
  }
}

void ModelBuilder::run() {
  for (const ast::Decl &d : model_.decls)
    if (!d.name.empty())
      declared_.emplace(d.name, d.nameLoc);
  for (const ast::Decl &d : model_.decls)
    declare(d);
  if (g_.inputsWithRole("input").empty())
    diag_.error(model_.loc, "model '" + model_.name + "' has no inputs");
}

void ModelBuilder::declare(const ast::Decl &d) {
  switch (d.kind) {
  case ast::DeclKind::Input:
  case ast::DeclKind::Label:
    declareInput(d);
    return;
  case ast::DeclKind::Param:
    declareParam(d);
    return;
  case ast::DeclKind::Let:
  case ast::DeclKind::Output:
    declareValue(d);
    return;
  case ast::DeclKind::Split:
    declareSplit(d);
    return;
  case ast::DeclKind::Loss:
    declareLoss(d);
    return;
  case ast::DeclKind::Metric:
    declareMetric(d);
    return;
  }
}

bool ModelBuilder::bind(const std::string &name, const SourceLoc &loc,
                        Node *n) {
  auto [it, fresh] = values_.emplace(name, Binding{n, loc});
  if (fresh)
    return true;
  diag_.error(loc, "'" + name + "' is already defined");
  diag_.note(it->second.loc, "previous definition is here");
  return false;
}

bool ModelBuilder::reserveResult(const std::string &name,
                                 const SourceLoc &loc) {
  auto [it, fresh] = results_.emplace(name, loc);
  if (fresh)
    return true;
  diag_.error(loc, "result '" + name + "' is already defined");
  diag_.note(it->second, "previous definition is here");
  return false;
}

void ModelBuilder::declareInput(const ast::Decl &d) {
  bool label = d.kind == ast::DeclKind::Label;
  Node *n =
      g_.create(OpKind::Input, {}, d.type.type,
                {{"role", std::string(label ? "label" : "input")}}, d.nameLoc);
  n->setName(d.name);
  bind(d.name, d.nameLoc, n);
}

void ModelBuilder::declareParam(const ast::Decl &d) {
  const TensorType &t = d.type.type;
  if (t.dtype == DType::I32) {
    diag_.error(d.type.loc, "parameter '" + d.name +
                                "' must have a float type, got " +
                                typeToString(t));
    bind(d.name, d.nameLoc, nullptr);
    return;
  }
  if (!d.value) {
    int64_t fanIn = 1, fanOut = 1;
    if (t.rank() >= 1) {
      fanOut = t.shape.back();
      fanIn = t.rank() == 1 ? fanOut : numElements(t.shape) / fanOut;
    }
    bind(d.name, d.nameLoc,
         makeParam(d.name, t, initAttrs(fanIn, fanOut), d.nameLoc));
    return;
  }
  const ast::Expr &v = *d.value;
  std::vector<double> data;
  Shape shape;
  if (!isLiteral(v)) {
    diag_.error(v.loc(), "initial value of parameter '" + d.name +
                             "' must be a number or an array literal");
    bind(d.name, d.nameLoc, nullptr);
    return;
  }
  if (!foldLiteral(v, t.dtype, shape, data)) {
    bind(d.name, d.nameLoc, nullptr);
    return;
  }
  if (shape.empty()) {
    // A single number fills the whole parameter.
    int64_t n = boundedElements(t.shape);
    if (n < 0 || n > kMaxFilledElements) {
      diag_.error(v.loc(),
                  "parameter '" + d.name + "' of type " + typeToString(t) +
                      " is too large to fill from a number (the limit is "
                      "2^24 elements); leave out the value to use the "
                      "train block's init");
      bind(d.name, d.nameLoc, nullptr);
      return;
    }
    data.assign(static_cast<size_t>(numElements(t.shape)), data[0]);
  } else if (shape != t.shape) {
    diag_.error(v.loc(), "initial value has shape " + shapeToString(shape) +
                             ", but parameter '" + d.name + "' is " +
                             typeToString(t));
    bind(d.name, d.nameLoc, nullptr);
    return;
  }
  Node *n =
      makeParam(d.name, t,
                {{"role", std::string("param")}, {"init", std::string("data")}},
                d.nameLoc);
  n->setData(std::move(data));
  bind(d.name, d.nameLoc, n);
}

void ModelBuilder::beginStatement(const std::string &name) {
  stmtName_ = name;
  stmtDenseCount_ = 0;
  stmtFirstNode_ = g_.size();
}

void ModelBuilder::nameResult(Node *n, const std::string &name) {
  if (n && n->id() >= stmtFirstNode_ && n->kind() != OpKind::Input &&
      n->kind() != OpKind::Param)
    n->setName(name);
}

void ModelBuilder::declareValue(const ast::Decl &d) {
  beginStatement(d.name);
  Node *n = d.value ? emit(*d.value) : nullptr;
  nameResult(n, d.name);
  if (!bind(d.name, d.nameLoc, n))
    return;
  if (d.kind == ast::DeclKind::Output && reserveResult(d.name, d.nameLoc) && n)
    g_.addOutput(d.name, n);
}

void ModelBuilder::declareSplit(const ast::Decl &d) {
  beginStatement(d.name);
  const auto *call = d.value ? d.value->as<ast::CallExpr>() : nullptr;
  std::optional<std::vector<Node *>> pieces;
  if (call && call->callee == "split")
    pieces = emitSplit(*call, d.names.size());
  else if (d.value)
    diag_.error(d.value->loc(),
                "a statement that names " + std::to_string(d.names.size()) +
                    " values takes them from 'split(x, " +
                    std::to_string(d.names.size()) + ", axis = k)', got " +
                    describeExpr(*d.value));
  for (size_t i = 0; i < d.names.size(); ++i) {
    Node *n = pieces ? (*pieces)[i] : nullptr;
    nameResult(n, d.names[i]);
    bind(d.names[i], d.nameLocs[i], n);
  }
}

void ModelBuilder::declareLoss(const ast::Decl &d) {
  beginStatement("loss");
  Node *n = d.value ? emit(*d.value) : nullptr;
  if (!n)
    return;
  if (n->rank() != 0) {
    diag_.error(d.value->loc(),
                "loss must be a scalar, got " + typeToString(n->type()));
    return;
  }
  if (g_.loss()) {
    diag_.error(d.loc, "model '" + model_.name + "' already has a loss");
    diag_.note(lossLoc_, "previous loss is here");
    return;
  }
  nameResult(n, "loss");
  g_.setLoss(n);
  lossLoc_ = d.loc;
}

void ModelBuilder::declareMetric(const ast::Decl &d) {
  std::string name = d.name;
  SourceLoc nameLoc = d.nameLoc;
  if (name.empty() && d.value) {
    const auto *call = d.value->as<ast::CallExpr>();
    if (!call) {
      diag_.error(d.value->loc(), "a metric that is not a call needs a name: "
                                  "'metric NAME = expr;'");
      return;
    }
    name = call->callee;
    nameLoc = call->loc();
  }
  beginStatement(name);
  Node *n = d.value ? emit(*d.value) : nullptr;
  nameResult(n, name);
  if (!d.name.empty() && !bind(d.name, d.nameLoc, n))
    return;
  if (!n)
    return;
  if (n->rank() != 0) {
    diag_.error(d.value->loc(), "metric '" + name + "' must be a scalar, got " +
                                    typeToString(n->type()));
    return;
  }
  if (reserveResult(name, nameLoc))
    g_.addMetric(name, n);
}

} // namespace frontend

using namespace frontend;

std::unique_ptr<Graph> buildGraph(const ast::ModelFile &m,
                                  DiagnosticEngine &diag,
                                  const std::string &modelName,
                                  std::optional<TrainConfig> *defaults) {
  unsigned before = diag.numErrors();
  std::map<std::string, const ast::Model *> models;
  std::vector<std::string> modelNames;
  for (const ast::Model &model : m.models) {
    auto [it, fresh] = models.emplace(model.name, &model);
    if (!fresh) {
      diag.error(model.loc, "model '" + model.name + "' is already defined");
      diag.note(it->second->loc, "previous definition is here");
    }
    modelNames.push_back(model.name);
  }
  const ast::Model *chosen = nullptr;
  if (modelName.empty()) {
    if (m.models.empty()) {
      diag.error(SourceLoc{m.file, 0, 0}, "the file defines no model");
      return nullptr;
    }
    chosen = &m.models.front();
  } else {
    auto it = models.find(modelName);
    if (it == models.end()) {
      diag.error(SourceLoc{m.file, 0, 0},
                 "no model named '" + modelName + "'" +
                     didYouMean(modelName, modelNames));
      return nullptr;
    }
    chosen = it->second;
  }

  // The model first, so errors come in file order when the train block
  // follows the model, as it usually does.
  auto g = std::make_unique<Graph>(chosen->name);
  ModelBuilder(*chosen, *g, diag).run();

  std::optional<TrainConfig> cfg;
  std::map<std::string, const ast::TrainBlock *> trains;
  for (const ast::TrainBlock &t : m.trains) {
    if (!models.count(t.model)) {
      diag.error(t.modelLoc, "train block for unknown model '" + t.model + "'" +
                                 didYouMean(t.model, modelNames));
      continue;
    }
    auto [it, fresh] = trains.emplace(t.model, &t);
    if (!fresh) {
      diag.error(t.loc, "model '" + t.model + "' already has a train block");
      diag.note(it->second->loc, "previous train block is here");
      continue;
    }
    std::optional<TrainConfig> c = buildTrainConfig(t, diag);
    if (t.model == chosen->name)
      cfg = c;
    // Nothing trains a model without a loss: settings of training would
    // be silently ignored. init, seed (the initial parameters) and batch
    // (eval's and predict's default) still apply.
    if (c && t.model == chosen->name && !g->loss())
      for (const ast::Setting &s : t.settings)
        if (s.key != "init" && s.key != "seed" && s.key != "batch")
          diag.error(s.loc, "model '" + t.model +
                                "' has no loss, so nothing trains it and '" +
                                s.key +
                                "' would have no effect; add a `loss` "
                                "declaration to the model, or remove the "
                                "setting (without a loss, a train block may "
                                "set init, seed and batch)");
  }

  if (cfg) {
    // Parameters with the default init start as the train block says;
    // explicit data and the fixed values of prelu, layer_norm, ... stay.
    for (Node *p : g->paramsWithRole("param")) {
      if (p->hasAttr("init") && p->strAttr("init") != "uniform_fan_in")
        continue;
      p->setAttr("init", cfg->init);
      p->setAttr("init_arg", cfg->initArg);
    }
  }
  if (diag.numErrors() != before)
    return nullptr;
  warnOfLikelyMistakes(*g, diag);
  if (defaults)
    *defaults = std::move(cfg);
  return g;
}

} // namespace lamina
