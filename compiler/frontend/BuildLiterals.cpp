//===- BuildLiterals.cpp - Number and array literals -> Constants ---------===//
//
// A literal folds to its shape and row-major values; it must be
// rectangular and, where an i32 tensor is needed, integral.
//
//===----------------------------------------------------------------------===//
#include "ModelBuilder.h"

#include "lamina/Support.h"

#include <cmath>

namespace lamina {
namespace frontend {

namespace {

/// Parameters may have at most this many elements.
constexpr int64_t kMaxElements = int64_t(1) << 40;

} // namespace

bool isConstantExpr(const ast::Expr &e) {
  switch (e.kind()) {
  case ast::Expr::Kind::Int:
  case ast::Expr::Kind::Float:
    return true;
  case ast::Expr::Kind::Name:
  case ast::Expr::Kind::Call:
    return false;
  case ast::Expr::Kind::Array:
    for (const ast::ExprPtr &el : e.as<ast::ArrayLit>()->elements)
      if (!el || !isConstantExpr(*el))
        return false;
    return true;
  case ast::Expr::Kind::Unary:
    return e.as<ast::UnaryExpr>()->operand &&
           isConstantExpr(*e.as<ast::UnaryExpr>()->operand);
  case ast::Expr::Kind::Binary: {
    const auto *b = e.as<ast::BinaryExpr>();
    return b->lhs && b->rhs && isConstantExpr(*b->lhs) &&
           isConstantExpr(*b->rhs);
  }
  }
  return false;
}

bool isLiteral(const ast::Expr &e) {
  if (numberValue(e) || e.as<ast::ArrayLit>())
    return true;
  const auto *u = e.as<ast::UnaryExpr>();
  return u && u->operand && u->operand->as<ast::ArrayLit>();
}

int64_t boundedElements(const Shape &s) {
  int64_t n = 1;
  for (int64_t d : s) {
    if (d == kBatch)
      continue;
    if (d <= 0 || d > kMaxElements / n)
      return -1;
    n *= d;
  }
  return n;
}

bool ModelBuilder::foldLiteral(const ast::Expr &e, DType dt, Shape &shape,
                               std::vector<double> &values) {
  double sign = 1;
  const ast::Expr *lit = &e;
  if (!numberValue(e)) {
    while (const auto *u = lit->as<ast::UnaryExpr>()) {
      sign = -sign;
      lit = u->operand.get();
    }
  }
  shape.clear();
  values.clear();
  for (const ast::Expr *cur = lit; const auto *a = cur->as<ast::ArrayLit>();) {
    shape.push_back(static_cast<int64_t>(a->elements.size()));
    if (a->elements.empty() || !a->elements[0])
      break;
    cur = a->elements[0].get();
  }
  for (int64_t d : shape)
    if (d == 0) {
      diag_.error(lit->loc(), "empty array literal");
      return false;
    }
  if (!collect(*lit, shape, 0, values))
    return false;
  for (double &v : values) {
    v *= sign;
    if (dt == DType::I32 && v != std::floor(v)) {
      diag_.error(e.loc(), "value " + formatDouble(v) +
                               " is not an integer, but an i32 tensor "
                               "is needed here");
      return false;
    }
  }
  return true;
}

bool ModelBuilder::collect(const ast::Expr &e, const Shape &shape, size_t level,
                           std::vector<double> &values) {
  if (level == shape.size()) {
    std::optional<double> v = numberValue(e);
    if (v) {
      values.push_back(*v);
      return true;
    }
    if (e.as<ast::ArrayLit>())
      diag_.error(e.loc(), "array literal is not rectangular");
    else
      diag_.error(e.loc(),
                  "array elements must be numbers, got " + describeExpr(e));
    return false;
  }
  const auto *a = e.as<ast::ArrayLit>();
  if (!a || static_cast<int64_t>(a->elements.size()) != shape[level]) {
    diag_.error(e.loc(), "array literal is not rectangular");
    return false;
  }
  for (const ast::ExprPtr &el : a->elements)
    if (!el || !collect(*el, shape, level + 1, values))
      return false;
  return true;
}

Node *ModelBuilder::emitLiteral(const ast::Expr &e, DType dt) {
  Shape shape;
  std::vector<double> values;
  if (!foldLiteral(e, dt, shape, values))
    return nullptr;
  if (boundedElements(shape) < 0) {
    diag_.error(e.loc(), "array literal is too large");
    return nullptr;
  }
  Node *n = g_.create(OpKind::Constant, {}, TensorType{dt, shape}, {}, e.loc());
  n->setData(std::move(values));
  return n;
}

} // namespace frontend
} // namespace lamina
