//===- ElementwiseCommon.h - Helpers shared by elementwise ops ------------===//
//
// The elementwise ops (add, sub, ..., select, the unary math ops and the
// activations) share their type rules and the shape of their lowering: one
// output element from the elements of the operands at the same logical
// index, with numpy broadcasting. The helpers here do that once.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_OPS_ELEMENTWISECOMMON_H
#define LAMINA_OPS_ELEMENTWISECOMMON_H

#include "lamina/Lower.h"
#include "lamina/OpInfo.h"

#include <functional>
#include <vector>

namespace lamina {

/// Type rule of a unary op on floats: the operand's type. An i32 operand is
/// an error naming the op and the type ("'exp' needs a float tensor, got
/// i32[batch, 4]").
Expected<TensorType> inferUnaryFloat(const Node &n);

/// Type rule of a unary op on any element type: the operand's type.
Expected<TensorType> inferUnaryAny(const Node &n);

/// Type rule of a binary op with numpy broadcasting: both operands must have
/// the same element type; the result has the broadcast shape. Errors name
/// the op and both operands ("'mul' cannot broadcast [batch, 3] and [4]").
Expected<TensorType> inferBinaryBroadcast(const Node &n);

/// A Halide expression of the operands' elements at one index.
using ElementwiseFn =
    std::function<Halide::Expr(const std::vector<Halide::Expr> &)>;

/// Lowers n to f(i) = fn(input_0(i), input_1(i), ...), each input read with
/// numpy broadcasting at n's logical indices.
Halide::Func lowerElementwise(const Node &n, LowerContext &ctx,
                              const ElementwiseFn &fn);

/// lowerElementwise for one operand: f(i) = fn(x(i)).
Halide::Func lowerUnary(const Node &n, LowerContext &ctx,
                        const std::function<Halide::Expr(Halide::Expr)> &fn);

/// lowerElementwise for two operands: f(i) = fn(a(i), b(i)).
Halide::Func
lowerBinary(const Node &n, LowerContext &ctx,
            const std::function<Halide::Expr(Halide::Expr, Halide::Expr)> &fn);

/// e^x with IEEE semantics at the edges. Halide 14's f32 exp is a
/// polynomial that gives 0 for NaN, +inf and every x whose e^x overflows;
/// this keeps NaN, and gives +inf above the largest finite result. f64 is
/// Halide's own (it already does).
Halide::Expr ieeeExp(const Halide::Expr &x);

/// ln x with IEEE semantics at the edges. Halide 14's f32 log gives about
/// 89 for NaN and +inf and about -88 for every subnormal; this keeps NaN
/// and +inf and scales subnormals into the normal range first.
Halide::Expr ieeeLog(const Halide::Expr &x);

/// 1 / (1 + e^-x) without overflow for large |x|: with e = e^-|x| (never
/// above 1), it is 1 / (1 + e) for x >= 0 and e / (1 + e) below.
Halide::Expr stableSigmoid(const Halide::Expr &x);

/// min(max(x + 3, 0), 6) / 6 in x's type: hard_sigmoid, and hard_swish's
/// gate.
Halide::Expr hardSigmoidOf(const Halide::Expr &x);

/// erf x for an f64 x, to a few ulp (Halide 14's erf is f32 only):
///   |x| < 2.5:  2/sqrt(pi) e^-x^2 sum_n 2^n x^(2n+1) / (1 3 5 .. (2n+1)),
///               a series of positive terms (no cancellation), 40 of them;
///   |x| >= 2.5: 1 - erfc x, erfc from its continued fraction, 40 levels;
///   |x| >= 6:   +-1 (erfc 6 is below half an ulp of 1).
/// NaN stays NaN.
Halide::Expr erfF64(const Halide::Expr &x);

} // namespace lamina

#endif // LAMINA_OPS_ELEMENTWISECOMMON_H
