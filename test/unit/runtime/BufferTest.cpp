//===- BufferTest.cpp - halide_buffer_t views of tensors ------------------===//

#include "lamina/Buffer.h"

#include "TestUtil.h"

using namespace lamina;

TEST(Tensor, AlignedZeroedAndShaped) {
  Tensor t(DType::F64, {3, 5});
  EXPECT_EQ(t.numel(), 15);
  EXPECT_EQ(t.byteSize(), 120u);
  EXPECT_EQ(t.rowBytes(), 40u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw()) % 64, 0u);
  for (int64_t i = 0; i < t.numel(); ++i)
    EXPECT_EQ(t.get(i), 0.0);
  EXPECT_EQ(t.row(2), static_cast<uint8_t *>(t.raw()) + 80);
  Tensor c = t.clone();
  c.set(0, 1);
  EXPECT_EQ(t.get(0), 0.0);
  EXPECT_EQ(formatType(DType::I32, {2, 3}), "i32[2, 3]");
}

TEST(Buffer, Rank0) {
  Tensor t(DType::F32, {});
  BufferView v(t);
  const halide_buffer_t *b = v.get();
  EXPECT_EQ(b->dimensions, 0);
  EXPECT_EQ(b->host, t.raw());
  EXPECT_EQ(b->type.code, halide_type_float);
  EXPECT_EQ(b->type.bits, 32);
  EXPECT_EQ(b->type.lanes, 1);
  EXPECT_EQ(b->device, 0u);
  EXPECT_EQ(b->device_interface, nullptr);
}

TEST(Buffer, Rank1To4InnermostFirst) {
  const Shape shapes[] = {{7}, {5, 784}, {2, 3, 4}, {2, 3, 4, 5}};
  for (const Shape &s : shapes) {
    Tensor t(DType::I32, s);
    BufferView v(t);
    const halide_buffer_t *b = v.get();
    int rank = static_cast<int>(s.size());
    ASSERT_EQ(b->dimensions, rank);
    EXPECT_EQ(b->type.code, halide_type_int);
    EXPECT_EQ(b->type.bits, 32);
    int32_t stride = 1;
    for (int d = 0; d < rank; ++d) {
      EXPECT_EQ(b->dim[d].min, 0);
      EXPECT_EQ(b->dim[d].extent, s[rank - 1 - d]) << "dim " << d;
      EXPECT_EQ(b->dim[d].stride, stride) << "dim " << d;
      stride *= static_cast<int32_t>(s[rank - 1 - d]);
    }
  }
}

TEST(Buffer, MnistBatchLayout) {
  Tensor t(DType::F32, {64, 784});
  BufferView v(t);
  EXPECT_EQ(v.get()->dim[0].extent, 784);
  EXPECT_EQ(v.get()->dim[0].stride, 1);
  EXPECT_EQ(v.get()->dim[1].extent, 64);
  EXPECT_EQ(v.get()->dim[1].stride, 784);
}

TEST(Buffer, ShortLastBatch) {
  Tensor t(DType::F64, {64, 10});
  BufferView v(t, 17);
  EXPECT_EQ(v.get()->dim[1].extent, 17);
  EXPECT_EQ(v.get()->dim[1].stride, 10);
  EXPECT_EQ(v.get()->type.bits, 64);
  EXPECT_THROW(BufferView(t, 65), Error);
}

TEST(Buffer, MoveKeepsDimsValid) {
  Tensor t(DType::F32, {3, 4});
  std::vector<BufferView> views;
  for (int i = 0; i < 10; ++i)
    views.emplace_back(t, i % 4);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(views[i].get()->dim[0].extent, 4);
    EXPECT_EQ(views[i].get()->dim[1].extent, i % 4);
  }
}

TEST(Buffer, ExtentTooLargeForHalide) {
  Tensor t(DType::F32, {0, 3000000000LL});
  EXPECT_THROW(BufferView v(t), Error);
}
