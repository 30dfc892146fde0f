//===- FoldCommon.h - Helpers for the ops' constant folding hooks ---------===//
//
// An op's `fold` hook computes its values from constant operands in double,
// row-major. FoldConstants rounds them to the node's element type once. The
// helpers here do the indexing (numpy broadcasting, strides, reductions) so
// each op's hook is its scalar math.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_OPS_FOLDCOMMON_H
#define LAMINA_OPS_FOLDCOMMON_H

#include "lamina/OpInfo.h"

#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

namespace lamina {

/// Folded values, row-major.
using FoldValues = std::vector<double>;

/// Row-major strides of `s` (batch-free).
std::vector<size_t> stridesOf(const Shape &s);

/// For each element of `out`, row-major, the sum of its index times
/// `stride`: the flat position it reads in some other tensor.
std::vector<size_t> gatherIndices(const Shape &out,
                                  const std::vector<size_t> &stride);

/// Where each element of `out` reads `in` under numpy broadcasting; nullopt
/// if `in` does not broadcast to `out`.
std::optional<std::vector<size_t>> broadcastIndices(const Shape &in,
                                                    const Shape &out);

/// Applies `f` elementwise over n's operands broadcast to n's shape.
std::optional<FoldValues>
foldElements(const Node &n, const std::function<double(const double *)> &f);

/// foldElements for one operand of n's own shape.
std::optional<FoldValues> foldUnary(const Node &n,
                                    const std::function<double(double)> &f);

/// foldElements for two operands.
std::optional<FoldValues>
foldBinary(const Node &n, const std::function<double(double, double)> &f);

/// How a reduction combines its elements.
enum class FoldReduce { Sum, Mean, Max };

/// Folds sum, mean or reduce_max over n's `axes` (`keepdims`). Max keeps a
/// NaN, as the lowering does.
std::optional<FoldValues> foldReduce(const Node &n, FoldReduce how);

/// True if n is a constant holding only `v` (in every element).
bool isSplat(const Node &n, double v);

/// 1 / (1 + e^-x), the way the lowering computes it (stableSigmoid).
double sigmoidOf(double x);

} // namespace lamina

#endif // LAMINA_OPS_FOLDCOMMON_H
