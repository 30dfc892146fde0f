//===- GradCheckPool.cpp - Gradient-check cases of the pool ops -----------===//
#include "GradCheckCases.h"

namespace lamina::test {

std::vector<GradCase> poolCases() { return {}; }

} // namespace lamina::test
