//===- GradCheckConv.cpp - Gradient-check cases of the conv ops -----------===//
#include "GradCheckCases.h"

namespace lamina::test {

std::vector<GradCase> convCases() { return {}; }

} // namespace lamina::test
