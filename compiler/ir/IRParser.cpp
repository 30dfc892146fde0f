//===- IRParser.cpp - Textual IR -> Graph --------------------------------===//
//
// A recursive-descent parser (over IRLexer.h's tokens) for the form printed by
// IRPrinter.cpp. A syntax error stops the parse; a semantic error (a type
// that differs from the op's rule, an update of a missing parameter) is
// reported and the parse goes on, so one run shows all of them. Every error
// is `file:line:col: error: ...`; no input makes the parser crash or loop.
//
//===----------------------------------------------------------------------===//
#include "IRLexer.h"

#include "lamina/Diagnostics.h"
#include "lamina/IRText.h"
#include "lamina/OpInfo.h"

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <limits>
#include <map>
#include <set>

namespace lamina {

namespace {

/// Deeper list literals are rejected rather than risking the stack.
constexpr unsigned kMaxListDepth = 64;

using ir::Lexer;
using ir::Tok;
using ir::Token;

/// A parsed list literal: its values row-major and the shape of its
/// nesting (regular is false if sibling lists differ).
struct Literal {
  std::vector<double> data;
  Shape shape;
  bool regular = true;
};

/// An update, checked against its parameter once the graph is complete.
struct PendingUpdate {
  std::string name;
  Node *value;
  Token where;
};

class Parser {
public:
  Parser(const std::string &file, const std::string &text,
         DiagnosticEngine &diag)
      : file_(file), lex_(text), diag_(diag) {
    tok_ = lex_.next();
  }

  /// graph ::= 'graph' graph-id '{' item* '}'
  std::unique_ptr<Graph> parse() {
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
    return std::move(g_);
  }

private:
  //===--- Helpers
  //---------------------------------------------------------===//

  void consume() { tok_ = lex_.next(); }

  bool isKeyword(const char *kw) const {
    return tok_.kind == Tok::Ident && tok_.text == kw;
  }

  SourceLoc locOf(const Token &t) const {
    return SourceLoc{file_, t.line, t.col};
  }

  bool error(const Token &t, const std::string &msg) {
    diag_.error(locOf(t), msg);
    return false;
  }

  static std::string describe(const Token &t) {
    std::string text =
        t.text.size() > 40 ? t.text.substr(0, 40) + "..." : t.text;
    switch (t.kind) {
    case Tok::Eof:
      return "end of input";
    case Tok::String:
      return "a string";
    case Tok::ValueId:
      return "'%" + text + "'";
    case Tok::GraphId:
      return "'@" + text + "'";
    default:
      return "'" + text + "'";
    }
  }

  /// Reports that the current token is not `expected` (or the lexer's
  /// message if the token is malformed).
  bool fail(const std::string &expected) {
    if (tok_.kind == Tok::Error)
      return error(tok_, tok_.text);
    return error(tok_, "expected " + expected + ", found " + describe(tok_));
  }

  bool expect(Tok k, const char *what) {
    if (tok_.kind != k)
      return fail(what);
    consume();
    return true;
  }

  /// value-ref ::= value-id (defined above)
  bool parseValueRef(Node *&n) {
    if (tok_.kind != Tok::ValueId)
      return fail("a value name such as '%0'");
    auto it = values_.find(tok_.text);
    if (it == values_.end())
      return error(tok_, "use of undefined value '%" + tok_.text + "'");
    n = it->second;
    consume();
    return true;
  }

  bool parseString(std::string &s, const char *what) {
    if (tok_.kind != Tok::String)
      return fail(what);
    s = tok_.text;
    consume();
    return true;
  }

  bool parseInt(int64_t &v) {
    if (tok_.kind != Tok::Int)
      return fail("an integer");
    errno = 0;
    long long x = std::strtoll(tok_.text.c_str(), nullptr, 10);
    if (errno == ERANGE)
      return error(tok_, "integer '" + tok_.text + "' is out of range");
    v = x;
    consume();
    return true;
  }

  bool parseUnsigned(uint64_t &v, uint64_t max) {
    if (tok_.kind != Tok::Int || tok_.text[0] == '-')
      return fail("a non-negative integer");
    errno = 0;
    unsigned long long x = std::strtoull(tok_.text.c_str(), nullptr, 10);
    if (errno == ERANGE || x > max)
      return error(tok_, "integer '" + tok_.text + "' is out of range");
    v = x;
    consume();
    return true;
  }

  bool isNumber() const {
    return tok_.kind == Tok::Int || tok_.kind == Tok::Float ||
           isKeyword("nan") || isKeyword("inf");
  }

  /// number ::= int | float | 'nan' | 'inf' | '-inf'
  bool parseNumber(double &v) {
    if (!isNumber())
      return fail("a number");
    if (tok_.kind == Tok::Ident) {
      v = tok_.text == "nan" ? std::numeric_limits<double>::quiet_NaN()
                             : std::numeric_limits<double>::infinity();
      consume();
      return true;
    }
    if (tok_.text == "-inf") {
      v = -std::numeric_limits<double>::infinity();
      consume();
      return true;
    }
    errno = 0;
    v = std::strtod(tok_.text.c_str(), nullptr);
    if (errno == ERANGE && std::isinf(v))
      return error(tok_, "number '" + tok_.text + "' is out of range");
    consume();
    return true;
  }

  //===--- Grammar
  //---------------------------------------------------------===//

  /// item ::= node | loss | output | metric | update | train
  bool parseItem() {
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

  /// node ::= value-id '=' op-name body [attr-dict] ['=' literal]
  ///          ':' type ['name' string] [loc]
  /// body ::= string              (input, param)
  ///        | literal             (constant)
  ///        | [value-ref (',' value-ref)*]
  bool parseNode() {
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

  /// Re-infers the type of a node with the op's rule; reports a mismatch
  /// with the type written in the file.
  void checkType(Node &n, const Token &opTok, const Token &typeTok) {
    const OpInfo &info = getOpInfo(n.kind());
    if (info.arity >= 0 && static_cast<unsigned>(info.arity) != n.numInputs()) {
      error(opTok, std::string("'") + opName(n.kind()) + "' takes " +
                       std::to_string(info.arity) + " operand(s), got " +
                       std::to_string(n.numInputs()));
      return;
    }
    // An op rule reads attributes with std::get and map::at; a hand-written
    // file may lack one or give it the wrong type.
    try {
      Expected<TensorType> t = info.inferType(n);
      if (!t) {
        error(opTok, t.errorMessage());
        return;
      }
      if (*t != n.type())
        error(typeTok, "type " + typeToString(n.type()) +
                           " does not match the type " + typeToString(*t) +
                           " inferred for '" + opName(n.kind()) + "'");
    } catch (const std::exception &e) {
      error(opTok, std::string("invalid operands or attributes for '") +
                       opName(n.kind()) + "' (" + e.what() + ")");
    }
  }

  /// Checks that a literal's nesting matches `type` (the batch counts as 1).
  bool checkLiteral(const Literal &lit, const TensorType &type,
                    const Token &where) {
    Shape expected = type.shape;
    for (int64_t &d : expected)
      if (d == kBatch)
        d = 1;
    if (lit.regular && lit.shape == expected)
      return true;
    if (!lit.regular)
      return error(where, "literal has rows of different lengths");
    return error(where, "literal of shape " + shapeToString(lit.shape) +
                            " does not match type " + typeToString(type));
  }

  /// literal ::= number | '[' [literal (',' literal)*] ']'
  bool parseLiteral(Literal &lit) {
    return parseLiteralRec(lit.data, lit.shape, lit.regular, 0);
  }

  bool parseLiteralRec(std::vector<double> &data, Shape &shape, bool &regular,
                       unsigned depth) {
    if (tok_.kind != Tok::LBracket) {
      double v = 0;
      if (!isNumber())
        return fail("a number or '['");
      if (!parseNumber(v))
        return false;
      data.push_back(v);
      shape.clear();
      return true;
    }
    if (depth >= kMaxListDepth)
      return error(tok_, "list literal is nested more than " +
                             std::to_string(kMaxListDepth) + " levels deep");
    consume();
    int64_t count = 0;
    Shape first;
    if (tok_.kind != Tok::RBracket) {
      while (true) {
        Shape elem;
        if (!parseLiteralRec(data, elem, regular, depth + 1))
          return false;
        if (count == 0)
          first = elem;
        else if (elem != first)
          regular = false;
        ++count;
        if (tok_.kind == Tok::Comma) {
          consume();
          continue;
        }
        if (tok_.kind != Tok::RBracket)
          return fail("',' or ']'");
        break;
      }
    }
    consume();
    shape.assign(1, count);
    shape.insert(shape.end(), first.begin(), first.end());
    return true;
  }

  /// attr-dict ::= '{' [attr (',' attr)*] '}'
  /// attr ::= (identifier | string) '=' attr-value
  bool parseAttrDict(Attrs &attrs) {
    consume();
    if (tok_.kind == Tok::RBrace) {
      consume();
      return true;
    }
    while (true) {
      if (tok_.kind != Tok::Ident && tok_.kind != Tok::String)
        return fail("an attribute name");
      Token keyTok = tok_;
      consume();
      if (attrs.count(keyTok.text))
        return error(keyTok, "duplicate attribute '" + keyTok.text + "'");
      if (!expect(Tok::Equal, "'='"))
        return false;
      Attr value;
      if (!parseAttrValue(value))
        return false;
      attrs[keyTok.text] = std::move(value);
      if (tok_.kind == Tok::Comma) {
        consume();
        continue;
      }
      if (tok_.kind != Tok::RBrace)
        return fail("',' or '}'");
      consume();
      return true;
    }
  }

  /// attr-value ::= int | float | string | '[' [int (',' int)*] ']'
  bool parseAttrValue(Attr &value) {
    if (tok_.kind == Tok::Int) {
      int64_t v = 0;
      if (!parseInt(v))
        return false;
      value = v;
      return true;
    }
    if (isNumber()) {
      double v = 0;
      if (!parseNumber(v))
        return false;
      value = v;
      return true;
    }
    if (tok_.kind == Tok::String) {
      value = tok_.text;
      consume();
      return true;
    }
    if (tok_.kind != Tok::LBracket)
      return fail("an attribute value");
    consume();
    std::vector<int64_t> list;
    if (tok_.kind != Tok::RBracket) {
      while (true) {
        if (tok_.kind == Tok::Float || tok_.kind == Tok::LBracket)
          return error(tok_, "attribute lists hold integers only");
        int64_t v = 0;
        if (!parseInt(v))
          return false;
        list.push_back(v);
        if (tok_.kind == Tok::Comma) {
          consume();
          continue;
        }
        if (tok_.kind != Tok::RBracket)
          return fail("',' or ']'");
        break;
      }
    }
    consume();
    value = std::move(list);
    return true;
  }

  /// type ::= dtype '[' [dim (',' dim)*] ']'    dim ::= int | 'batch'
  bool parseType(TensorType &type) {
    if (tok_.kind != Tok::Ident)
      return fail("a type such as 'f32[2, 3]'");
    std::optional<DType> dt = parseDType(tok_.text);
    if (!dt)
      return error(tok_, "unknown element type '" + tok_.text + "'");
    Token typeTok = tok_;
    consume();
    if (!expect(Tok::LBracket, "'['"))
      return false;
    Shape shape;
    int64_t elements = 1;
    if (tok_.kind != Tok::RBracket) {
      while (true) {
        int64_t d = 0;
        if (isKeyword("batch")) {
          d = kBatch;
          consume();
        } else {
          if (tok_.kind != Tok::Int)
            return fail("a dimension (an integer or 'batch')");
          Token dimTok = tok_;
          if (!parseInt(d))
            return false;
          if (d < 0)
            return error(dimTok, "dimension " + dimTok.text + " is negative");
        }
        shape.push_back(d);
        if (__builtin_mul_overflow(elements, d == kBatch ? 1 : d, &elements))
          return error(typeTok, "type has too many elements");
        if (tok_.kind == Tok::Comma) {
          consume();
          continue;
        }
        if (tok_.kind != Tok::RBracket)
          return fail("',' or ']'");
        break;
      }
    }
    consume();
    type = TensorType{*dt, std::move(shape)};
    return true;
  }

  /// loc ::= 'loc' '(' string ':' int ':' int ')'
  bool parseLoc(SourceLoc &loc) {
    consume();
    uint64_t line = 0, col = 0;
    if (!expect(Tok::LParen, "'('") ||
        !parseString(loc.file, "a quoted file name") ||
        !expect(Tok::Colon, "':'") || !parseUnsigned(line, UINT_MAX) ||
        !expect(Tok::Colon, "':'") || !parseUnsigned(col, UINT_MAX) ||
        !expect(Tok::RParen, "')'"))
      return false;
    loc.line = static_cast<unsigned>(line);
    loc.col = static_cast<unsigned>(col);
    return true;
  }

  /// loss ::= 'loss' value-ref
  bool parseLoss() {
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
      error(valueTok, "the loss must be a float scalar, but '%" +
                          valueTok.text + "' has type " +
                          typeToString(n->type()));
    return true;
  }

  /// output ::= ('output' | 'metric') string '=' value-ref
  bool parseOutput() {
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

  /// update ::= 'update' string '=' value-ref
  bool parseUpdate() {
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

  /// Every update must name a param of the same type; params may be defined
  /// after the update line, so this runs once the graph is complete.
  void checkUpdates() {
    for (const PendingUpdate &u : updates_) {
      Node *p = g_->findLeaf(u.name);
      if (!p || p->kind() != OpKind::Param) {
        error(u.where, "update of '" + u.name + "', which is not a param");
        continue;
      }
      if (p->type() != u.value->type())
        error(u.where, "update of '" + u.name + "' has type " +
                           typeToString(u.value->type()) +
                           ", but the param has type " +
                           typeToString(p->type()));
    }
  }

  /// train ::= 'train' '{' [field (',' field)*] '}' [loc]
  /// field ::= identifier '=' value
  bool parseTrain() {
    Token kw = tok_;
    consume();
    if (g_->trainConfig())
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
    g_->setTrainConfig(std::move(c));
    return true;
  }

  bool parseTrainField(TrainConfig &c, const Token &key) {
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

  std::string file_;
  Lexer lex_;
  DiagnosticEngine &diag_;
  Token tok_;
  std::unique_ptr<Graph> g_;
  std::map<std::string, Node *> values_;
  std::set<std::string> leafNames_;
  std::set<std::string> outputNames_;
  std::set<std::string> updateNames_;
  std::vector<PendingUpdate> updates_;
};

} // namespace

std::unique_ptr<Graph> parseGraph(const std::string &file,
                                  const std::string &text,
                                  DiagnosticEngine &diag) {
  diag.addSource(file, text);
  Parser p(file, text, diag);
  return p.parse();
}

} // namespace lamina
