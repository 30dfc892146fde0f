//===- IRParser.cpp - Textual IR -> Graph --------------------------------===//
//
// A recursive-descent parser (over IRLexer.h's tokens) for the form printed by
// IRPrinter.cpp. A syntax error stops the parse; a semantic error (a type
// that differs from the op's rule, an update of a missing parameter) is
// reported and the parse goes on, so one run shows all of them. Every error
// is `file:line:col: error: ...`; no input makes the parser crash or loop.
//
//===----------------------------------------------------------------------===//
#include "IRParserImpl.h"

#include "lamina/IRText.h"
#include "lamina/OpInfo.h"

#include <algorithm>
#include <exception>
#include <limits>

namespace lamina {
namespace ir {

std::unique_ptr<Graph> Parser::parse() {
  unsigned errorsBefore = diag_.numErrors();
  if (!isKeyword("graph")) {
    fail("'graph'");
    return nullptr;
  }
  consume();
  if (tok_.kind != Tok::GraphId) {
    fail("a graph name such as '@Model'");
    return nullptr;
  }
  g_ = std::make_unique<Graph>(tok_.text);
  consume();
  if (!expect(Tok::LBrace, "'{'"))
    return nullptr;
  while (tok_.kind != Tok::RBrace)
    if (!parseItem())
      return nullptr;
  consume();
  if (tok_.kind != Tok::Eof) {
    fail("end of input after the graph");
    return nullptr;
  }
  checkUpdates();
  if (diag_.numErrors() != errorsBefore)
    return nullptr;
  if (defaults_)
    *defaults_ = std::move(train_);
  return std::move(g_);
}

bool Parser::parseItem() {
  if (tok_.kind == Tok::ValueId)
    return parseNode();
  if (isKeyword("loss"))
    return parseLoss();
  if (isKeyword("output") || isKeyword("metric"))
    return parseOutput();
  if (isKeyword("update"))
    return parseUpdate();
  if (isKeyword("train"))
    return parseTrain();
  return fail("a value definition, 'loss', 'output', 'metric', 'update', "
              "'train' or '}'");
}

bool Parser::parseNode() {
  Token def = tok_;
  if (values_.count(def.text))
    return error(def, "redefinition of value '%" + def.text + "'");
  consume();
  if (!expect(Tok::Equal, "'='"))
    return false;
  if (tok_.kind != Tok::Ident)
    return fail("an op name");
  Token opTok = tok_;
  std::optional<OpKind> kind = lookupOp(opTok.text);
  if (!kind)
    return error(opTok, "unknown op '" + opTok.text + "'");
  consume();
  bool leaf = *kind == OpKind::Input || *kind == OpKind::Param;

  std::string name;
  Token nameTok = tok_;
  std::vector<Node *> inputs;
  Literal lit;
  bool hasData = false;
  Token dataTok = tok_;
  if (leaf) {
    if (!parseString(name, "the quoted name of the leaf"))
      return false;
  } else if (*kind == OpKind::Constant) {
    if (!parseLiteral(lit))
      return false;
    hasData = true;
  } else if (tok_.kind == Tok::ValueId) {
    while (true) {
      Node *in = nullptr;
      if (!parseValueRef(in))
        return false;
      inputs.push_back(in);
      if (tok_.kind != Tok::Comma)
        break;
      consume();
    }
  }
  Attrs attrs;
  if (tok_.kind == Tok::LBrace && !parseAttrDict(attrs))
    return false;
  if (*kind != OpKind::Constant && tok_.kind == Tok::Equal) {
    consume();
    dataTok = tok_;
    if (!parseLiteral(lit))
      return false;
    hasData = true;
  }
  if (!expect(Tok::Colon, "':'"))
    return false;
  Token typeTok = tok_;
  TensorType type;
  if (!parseType(type))
    return false;
  if (isKeyword("name")) {
    if (leaf)
      return error(tok_, "the name of an input or param is the string after "
                         "its op, not a 'name' clause");
    consume();
    if (!parseString(name, "a quoted name"))
      return false;
  }
  SourceLoc loc;
  if (isKeyword("loc") && !parseLoc(loc))
    return false;

  Node *n = g_->create(*kind, std::move(inputs), type, std::move(attrs), loc);
  n->setName(name);
  values_[def.text] = n;
  bool dataOk = !hasData || checkLiteral(lit, type, dataTok);
  if (hasData && dataOk)
    n->setData(std::move(lit.data));
  if (leaf && !leafNames_.insert(name).second)
    error(nameTok, "another input or param is named '" + name + "'");
  if (dataOk)
    checkType(*n, opTok, typeTok);
  return true;
}

void Parser::checkType(Node &n, const Token &opTok, const Token &typeTok) {
  Expected<TensorType> t = checkNode(n);
  if (!t) {
    error(opTok, t.errorMessage());
    return;
  }
  if (*t != n.type())
    error(typeTok, "type " + typeToString(n.type()) +
                       " does not match the type " + typeToString(*t) +
                       " inferred for '" + opName(n.kind()) + "'");
}

bool Parser::parseLoss() {
  Token kw = tok_;
  consume();
  Token valueTok = tok_;
  Node *n = nullptr;
  if (!parseValueRef(n))
    return false;
  if (g_->loss())
    error(kw, "the loss is given twice");
  g_->setLoss(n);
  if (n->rank() != 0 || n->dtype() == DType::I32)
    error(valueTok, "the loss must be a float scalar, but '%" + valueTok.text +
                        "' has type " + typeToString(n->type()));
  return true;
}

bool Parser::parseOutput() {
  bool metric = tok_.text == "metric";
  consume();
  Token nameTok = tok_;
  std::string name;
  Node *n = nullptr;
  if (!parseString(name, "a quoted output name") ||
      !expect(Tok::Equal, "'='") || !parseValueRef(n))
    return false;
  if (!outputNames_.insert(name).second)
    error(nameTok, "another output or metric is named '" + name + "'");
  if (metric)
    g_->addMetric(name, n);
  else
    g_->addOutput(name, n);
  return true;
}

bool Parser::parseUpdate() {
  consume();
  Token nameTok = tok_;
  std::string name;
  Node *n = nullptr;
  if (!parseString(name, "a quoted parameter name") ||
      !expect(Tok::Equal, "'='") || !parseValueRef(n))
    return false;
  if (!updateNames_.insert(name).second)
    error(nameTok, "parameter '" + name + "' is updated twice");
  g_->addUpdate(name, n);
  updates_.push_back({name, n, nameTok});
  return true;
}

void Parser::checkUpdates() {
  for (const PendingUpdate &u : updates_) {
    Node *p = g_->findLeaf(u.name);
    if (!p || p->kind() != OpKind::Param) {
      error(u.where, "update of '" + u.name + "', which is not a param");
      continue;
    }
    if (p->type() != u.value->type())
      error(u.where, "update of '" + u.name + "' has type " +
                         typeToString(u.value->type()) +
                         ", but the param has type " + typeToString(p->type()));
  }
}

bool Parser::parseTrain() {
  Token kw = tok_;
  consume();
  if (!defaults_)
    return error(kw, "a train line is not allowed here");
  if (train_)
    error(kw, "the train block is given twice");
  TrainConfig c;
  if (tok_.kind != Tok::LBrace)
    return fail("'{'");
  consume();
  std::set<std::string> seen;
  while (tok_.kind != Tok::RBrace) {
    if (tok_.kind != Tok::Ident)
      return fail("a train field name");
    Token key = tok_;
    consume();
    if (!seen.insert(key.text).second)
      return error(key, "duplicate train field '" + key.text + "'");
    if (!expect(Tok::Equal, "'='") || !parseTrainField(c, key))
      return false;
    if (tok_.kind == Tok::Comma) {
      consume();
      continue;
    }
    if (tok_.kind != Tok::RBrace)
      return fail("',' or '}'");
  }
  consume();
  if (isKeyword("loc") && !parseLoc(c.loc))
    return false;
  train_ = std::move(c);
  return true;
}

bool Parser::parseOneOf(std::string &s, const std::string &what,
                        const std::vector<std::string> &known) {
  Token at = tok_;
  if (!parseString(s, ("a quoted " + what + " name").c_str()))
    return false;
  if (std::find(known.begin(), known.end(), s) != known.end())
    return true;
  std::string list;
  for (size_t i = 0; i < known.size(); ++i)
    list += (i == 0 ? "" : i + 1 == known.size() ? " or " : ", ") + known[i];
  return error(at,
               "unknown " + what + " \"" + s + "\" (expected " + list + ")");
}

bool Parser::parseTrainField(TrainConfig &c, const Token &key) {
  const std::string &k = key.text;
  if (k == "batch")
    return parseInt(c.batch);
  if (k == "epochs")
    return parseInt(c.epochs);
  if (k == "lr")
    return parseNumber(c.lr);
  if (k == "momentum")
    return parseNumber(c.momentum);
  if (k == "weight_decay")
    return parseNumber(c.weightDecay);
  if (k == "optimizer")
    return parseOneOf(c.optimizer, "optimizer",
                      {"sgd", "adam", "adamw", "rmsprop"});
  if (k == "nesterov") {
    if (!isKeyword("true") && !isKeyword("false"))
      return fail("true or false");
    c.nesterov = isKeyword("true");
    consume();
    return true;
  }
  if (k == "schedule")
    return parseOneOf(c.schedule, "schedule",
                      {"step_decay", "exponential", "cosine", "plateau"});
  if (k == "early_stopping")
    return parseString(c.stopMonitor, "a quoted loss or metric name");
  if (k == "stop_patience")
    return parseInt(c.stopPatience);
  if (k == "stop_min_delta")
    return parseNumber(c.stopMinDelta);
  if (k == "every")
    return parseInt(c.every);
  if (k == "gamma")
    return parseNumber(c.gamma);
  if (k == "schedule_epochs")
    return parseInt(c.scheduleEpochs);
  if (k == "min_lr")
    return parseNumber(c.minLr);
  if (k == "patience")
    return parseInt(c.patience);
  if (k == "factor")
    return parseNumber(c.factor);
  if (k == "warmup")
    return parseInt(c.warmup);
  if (k == "beta1")
    return parseNumber(c.beta1);
  if (k == "beta2")
    return parseNumber(c.beta2);
  if (k == "eps")
    return parseNumber(c.eps);
  if (k == "alpha")
    return parseNumber(c.alpha);
  if (k == "clip_norm")
    return parseNumber(c.clipNorm);
  if (k == "init")
    return parseString(c.init, "a quoted init kind");
  if (k == "init_arg")
    return parseNumber(c.initArg);
  if (k == "validation")
    return parseNumber(c.validationSplit);
  if (k == "seed")
    return parseUnsigned(c.seed, std::numeric_limits<uint64_t>::max());
  return error(key, "unknown train field '" + k + "'");
}

} // namespace ir

std::unique_ptr<Graph> parseGraph(const std::string &file,
                                  const std::string &text,
                                  DiagnosticEngine &diag,
                                  std::optional<TrainConfig> *defaults) {
  diag.addSource(file, text);
  ir::Parser p(file, text, diag, defaults);
  return p.parse();
}

} // namespace lamina
