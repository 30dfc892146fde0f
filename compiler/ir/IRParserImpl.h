//===- IRParserImpl.h - The textual IR parser's class -------*- C++ -*-===//
//
// Private to compiler/ir/: the recursive-descent parser behind parseGraph.
// Its members are defined in IRParser.cpp (the graph and its items) and
// IRParserValues.cpp (tokens, numbers, literals, attributes, types and
// locations).
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_IR_IRPARSERIMPL_H
#define LAMINA_IR_IRPARSERIMPL_H

#include "IRLexer.h"

#include "lamina/Diagnostics.h"
#include "lamina/IR.h"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace lamina {
namespace ir {

/// Deeper list literals are rejected rather than risking the stack.
inline constexpr unsigned kMaxListDepth = 64;

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

/// Parses one graph from IR text; see IRParser.cpp.
class Parser {
public:
  /// Starts lexing `text` (of `file`), which must outlive the parser.
  /// The train line goes to `*defaults`; it is an error if that is null.
  Parser(const std::string &file, const std::string &text,
         DiagnosticEngine &diag, std::optional<TrainConfig> *defaults)
      : file_(file), lex_(text), diag_(diag), defaults_(defaults) {
    tok_ = lex_.next();
  }

  /// graph ::= 'graph' graph-id '{' item* '}'
  std::unique_ptr<Graph> parse();

private:
  //===--- Helpers (IRParserValues.cpp) ---------------------------------===//

  /// Moves to the next token.
  void consume() { tok_ = lex_.next(); }

  /// True if the current token is the identifier `kw`.
  bool isKeyword(const char *kw) const;

  /// Where `t` starts in the file.
  SourceLoc locOf(const Token &t) const;

  /// Reports `msg` at `t`; returns false.
  bool error(const Token &t, const std::string &msg);

  /// A token for messages: "end of input", "a string", "'%x'".
  static std::string describe(const Token &t);

  /// Reports that the current token is not `expected` (or the lexer's
  /// message if the token is malformed).
  bool fail(const std::string &expected);

  /// Consumes a token of kind `k`, or reports that `what` was expected.
  bool expect(Tok k, const char *what);

  /// value-ref ::= value-id (defined above)
  bool parseValueRef(Node *&n);

  /// A string token; `what` names it in the error.
  bool parseString(std::string &s, const char *what);
  /// A quoted string that must be one of `known` (an optimizer's name).
  bool parseOneOf(std::string &s, const std::string &what,
                  const std::vector<std::string> &known);

  /// An integer token that fits int64.
  bool parseInt(int64_t &v);

  /// A non-negative integer token of at most `max`.
  bool parseUnsigned(uint64_t &v, uint64_t max);

  /// True if the current token starts a number.
  bool isNumber() const;

  /// number ::= int | float | 'nan' | 'inf' | '-inf'
  bool parseNumber(double &v);

  //===--- Grammar (both files) -----------------------------------------===//

  /// item ::= node | loss | output | metric | update | train
  bool parseItem();

  /// node ::= value-id '=' op-name body [attr-dict] ['=' literal]
  ///          ':' type ['name' string] [loc]
  /// body ::= string              (input, param)
  ///        | literal             (constant)
  ///        | [value-ref (',' value-ref)*]
  bool parseNode();

  /// Re-infers the type of a node with the op's rule; reports a mismatch
  /// with the type written in the file.
  void checkType(Node &n, const Token &opTok, const Token &typeTok);

  /// Checks that a literal's nesting matches `type` (the batch counts as 1);
  /// spreads a single number over the whole shape.
  bool checkLiteral(Literal &lit, const TensorType &type, const Token &where);

  /// literal ::= number | '[' [literal (',' literal)*] ']'
  /// (a single number for a tensor type fills it: the printed form of a
  /// uniform tensor of more than 16 elements)
  bool parseLiteral(Literal &lit);

  /// One level of a literal, `depth` lists deep.
  bool parseLiteralRec(std::vector<double> &data, Shape &shape, bool &regular,
                       unsigned depth);

  /// attr-dict ::= '{' [attr (',' attr)*] '}'
  /// attr ::= (identifier | string) '=' attr-value
  bool parseAttrDict(Attrs &attrs);

  /// attr-value ::= int | float | string | '[' [int (',' int)*] ']'
  bool parseAttrValue(Attr &value);

  /// type ::= dtype '[' [dim (',' dim)*] ']'    dim ::= int | 'batch'
  bool parseType(TensorType &type);

  /// loc ::= 'loc' '(' string ':' int ':' int ')'
  bool parseLoc(SourceLoc &loc);

  /// loss ::= 'loss' value-ref
  bool parseLoss();

  /// output ::= ('output' | 'metric') string '=' value-ref
  bool parseOutput();

  /// update ::= 'update' string '=' value-ref
  bool parseUpdate();

  /// Every update must name a param of the same type; params may be defined
  /// after the update line, so this runs once the graph is complete.
  void checkUpdates();

  /// train ::= 'train' '{' [field (',' field)*] '}' [loc]
  /// field ::= identifier '=' value
  bool parseTrain();

  /// The value of train field `key`.
  bool parseTrainField(TrainConfig &c, const Token &key);

  std::string file_;
  Lexer lex_;
  DiagnosticEngine &diag_;
  std::optional<TrainConfig> *defaults_;
  /// The train line read so far.
  std::optional<TrainConfig> train_;
  Token tok_;
  std::unique_ptr<Graph> g_;
  std::map<std::string, Node *> values_;
  std::set<std::string> leafNames_;
  std::set<std::string> outputNames_;
  std::set<std::string> updateNames_;
  std::vector<PendingUpdate> updates_;
};

} // namespace ir
} // namespace lamina

#endif // LAMINA_IR_IRPARSERIMPL_H
