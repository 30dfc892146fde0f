//===- NanTest.cpp - NaN propagates through relu and maximum --------------===//
//
// max(x, 0) in Halide turns a NaN into 0; relu and maximum are lowered so
// that a NaN stays NaN, as in PyTorch, and is caught by the NaN checks.
//
//===----------------------------------------------------------------------===//
#include "OpTestUtil.h"

#include <cmath>
#include <limits>

using namespace lamina;
using namespace lamina::test;

TEST(Nan, PropagatesThroughReluAndMaximum) {
  for (DType dt : {DType::F32, DType::F64}) {
    TestGraph t(dt);
    double nan = std::numeric_limits<double>::quiet_NaN();
    Node *x = t.input("x", {4}, {nan, -1.0, 2.0, nan});
    Node *y = t.input("y", {4}, {0.0, nan, 1.0, 3.0});
    t.output("relu", t.op(OpKind::Relu, {x}));
    t.output("max", t.op(OpKind::Maximum, {x, y}));
    auto r = t.run();
    const std::vector<double> &relu = r["relu"].data;
    EXPECT_TRUE(std::isnan(relu[0]));
    EXPECT_EQ(relu[1], 0.0);
    EXPECT_EQ(relu[2], 2.0);
    const std::vector<double> &mx = r["max"].data;
    EXPECT_TRUE(std::isnan(mx[0]));
    EXPECT_TRUE(std::isnan(mx[1]));
    EXPECT_EQ(mx[2], 2.0);
    EXPECT_TRUE(std::isnan(mx[3]));
  }
}
