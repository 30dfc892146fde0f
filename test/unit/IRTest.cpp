//===- IRTest.cpp - Graph construction and shape helpers ------------------===//
#include "lamina/IR.h"
#include "lamina/OpInfo.h"

#include <gtest/gtest.h>

using namespace lamina;

TEST(Shape, PrintsBatchSymbolically) {
  EXPECT_EQ(shapeToString({kBatch, 784}), "[batch, 784]");
  EXPECT_EQ(typeToString({DType::F64, {}}), "f64[]");
}

TEST(Shape, Broadcasts) {
  EXPECT_EQ(*broadcastShapes({kBatch, 256}, {256}), (Shape{kBatch, 256}));
  EXPECT_EQ(*broadcastShapes({3, 1}, {1, 4}), (Shape{3, 4}));
  EXPECT_FALSE(broadcastShapes({3, 2}, {4}).has_value());
}

TEST(Graph, BuilderInfersAndRejects) {
  Graph g("M");
  GraphBuilder b(g, nullptr);
  Node *x = g.create(OpKind::Input, {}, {DType::F32, {kBatch, 4}});
  Node *c = b.scalar(1.0, DType::F32);
  Node *s = b.build(OpKind::Add, {x, c});
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->shape(), (Shape{kBatch, 4}));
  Node *y = g.create(OpKind::Input, {}, {DType::F32, {3}});
  unsigned before = g.size();
  Expected<Node *> bad = b.tryBuild(OpKind::Add, {x, y});
  EXPECT_FALSE(bad);
  EXPECT_NE(bad.errorMessage().find("[batch, 4]"), std::string::npos);
  EXPECT_EQ(g.size(), before);
}
