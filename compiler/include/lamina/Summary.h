//===- Summary.h - The layer table of --summary ---------------------------===//
#ifndef LAMINA_SUMMARY_H
#define LAMINA_SUMMARY_H

#include "lamina/IR.h"

#include <iosfwd>

namespace lamina {

/// Prints one row per named value of the forward graph (name, op, output
/// shape, parameters named after it) and the totals. Allocates no tensor, so
/// it works for models with billions of parameters.
void printSummary(const Graph &g, std::ostream &os);

/// Total number of trainable parameter elements.
int64_t countParameters(const Graph &g);

/// 6480242100 -> "6,480,242,100".
std::string withThousands(int64_t v);

} // namespace lamina

#endif // LAMINA_SUMMARY_H
