//===- AST.h - The syntax tree of a Lamina model file
//----------------------===//
//
// parseModelFile (Frontend.h) builds this tree from the ANTLR parse tree;
// buildGraph turns one of its models into a Graph. The tree is what the user
// wrote, checked only for what the parser alone can check (literal ranges,
// element types, shapes); names, ops and arguments are resolved later.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_AST_H
#define LAMINA_AST_H

#include "lamina/IR.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lamina {
namespace ast {

/// A node of an expression tree. Use `as<T>()` to get at a concrete kind.
class Expr {
public:
  /// One enumerator per concrete class below.
  enum class Kind { Int, Float, Name, Array, Unary, Binary, Call };

  virtual ~Expr() = default;
  Expr(const Expr &) = delete;
  Expr &operator=(const Expr &) = delete;

  Kind kind() const { return kind_; }
  /// Where the expression starts; for a binary expression, its operator.
  const SourceLoc &loc() const { return loc_; }

  /// This expression as a `T`, or nullptr if it is of another kind.
  template <typename T> const T *as() const {
    return kind_ == T::ClassKind ? static_cast<const T *>(this) : nullptr;
  }

protected:
  Expr(Kind k, SourceLoc loc) : kind_(k), loc_(std::move(loc)) {}

private:
  Kind kind_;
  SourceLoc loc_;
};

/// Expressions own their operands.
using ExprPtr = std::unique_ptr<Expr>;

/// An integer literal: `256`, `160_000`.
class IntLit : public Expr {
public:
  static constexpr Kind ClassKind = Kind::Int;
  IntLit(int64_t v, SourceLoc loc)
      : Expr(ClassKind, std::move(loc)), value(v) {}
  int64_t value;
};

/// A floating-point literal: `0.05`, `1e-3`.
class FloatLit : public Expr {
public:
  static constexpr Kind ClassKind = Kind::Float;
  FloatLit(double v, SourceLoc loc)
      : Expr(ClassKind, std::move(loc)), value(v) {}
  double value;
};

/// A reference to a named value, or a bare word such as `batch`, `true` or
/// `uniform_fan_in` where an argument expects one.
class NameRef : public Expr {
public:
  static constexpr Kind ClassKind = Kind::Name;
  NameRef(std::string n, SourceLoc loc)
      : Expr(ClassKind, std::move(loc)), name(std::move(n)) {}
  std::string name;
};

/// A bracketed list `[e, ...]`; nested lists make a tensor literal.
class ArrayLit : public Expr {
public:
  static constexpr Kind ClassKind = Kind::Array;
  ArrayLit(std::vector<ExprPtr> elems, SourceLoc loc)
      : Expr(ClassKind, std::move(loc)), elements(std::move(elems)) {}
  std::vector<ExprPtr> elements;
};

/// Unary minus.
class UnaryExpr : public Expr {
public:
  static constexpr Kind ClassKind = Kind::Unary;
  UnaryExpr(ExprPtr e, SourceLoc loc)
      : Expr(ClassKind, std::move(loc)), operand(std::move(e)) {}
  ExprPtr operand;
};

/// The infix operators: + - * / @.
enum class BinaryOp { Add, Sub, Mul, Div, MatMul };
/// "+", "-", "*", "/" or "@".
const char *binaryOpSpelling(BinaryOp op);

/// `lhs op rhs`; its location is the operator's.
class BinaryExpr : public Expr {
public:
  static constexpr Kind ClassKind = Kind::Binary;
  BinaryExpr(BinaryOp o, ExprPtr l, ExprPtr r, SourceLoc loc)
      : Expr(ClassKind, std::move(loc)), op(o), lhs(std::move(l)),
        rhs(std::move(r)) {}
  BinaryOp op;
  ExprPtr lhs, rhs;
};

/// One argument of a call: positional when `keyword` is empty.
struct Arg {
  std::string keyword;
  /// The keyword's location, or the value's for a positional argument.
  SourceLoc loc;
  ExprPtr value;
};

/// `callee(args)`; its location is the callee's name.
class CallExpr : public Expr {
public:
  static constexpr Kind ClassKind = Kind::Call;
  CallExpr(std::string c, std::vector<Arg> a, SourceLoc loc)
      : Expr(ClassKind, std::move(loc)), callee(std::move(c)),
        args(std::move(a)) {}
  std::string callee;
  std::vector<Arg> args;
};

/// An element type and a shape as written: `f32[batch, 784]`.
struct TypeSpec {
  TensorType type;
  /// The element type's location.
  SourceLoc loc;
};

/// The kinds of model-body statements.
enum class DeclKind { Input, Label, Param, Let, Split, Loss, Metric, Output };
/// "Input", "Label", ... (the names printAst uses).
const char *declKindName(DeclKind k);

/// One statement of a model body.
///   input NAME: TYPE;          label NAME: TYPE;
///   param NAME: TYPE [= literal];
///   NAME = expr;               output NAME = expr;
///   loss expr;                 metric expr;   metric NAME = expr;
///   NAME, NAME.. = split(..);
struct Decl {
  DeclKind kind = DeclKind::Let;
  /// Empty for `loss` and for a `metric` without `NAME =`; the first name
  /// of a split.
  std::string name;
  /// The keyword's location (the name's for `NAME = expr;`).
  SourceLoc loc;
  SourceLoc nameLoc;
  /// Every name of `a, b, c = split(..);` and its location.
  std::vector<std::string> names;
  std::vector<SourceLoc> nameLocs;
  /// For input, label and param.
  TypeSpec type;
  /// The expression; a param's initial value (null if it has none).
  ExprPtr value;
};

/// `model NAME { decl* }`.
struct Model {
  std::string name;
  /// The `model` keyword.
  SourceLoc loc;
  std::vector<Decl> decls;
};

/// `KEY = expr;` inside a train block.
struct Setting {
  std::string key;
  /// The key's location.
  SourceLoc loc;
  ExprPtr value;
};

/// `train MODEL { setting* }`.
struct TrainBlock {
  /// The name of the model it trains.
  std::string model;
  /// The `train` keyword and the model's name.
  SourceLoc loc;
  SourceLoc modelLoc;
  std::vector<Setting> settings;
};

/// A parsed .lam file: models and train blocks in file order.
struct ModelFile {
  /// The file name given to parseModelFile.
  std::string file;
  std::vector<Model> models;
  std::vector<TrainBlock> trains;
};

} // namespace ast
} // namespace lamina

#endif // LAMINA_AST_H
