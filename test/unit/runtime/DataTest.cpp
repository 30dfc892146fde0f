//===- DataTest.cpp - IDX, CSV and NPY loading ----------------------------===//

#include "lamina/Data.h"

#include "TestUtil.h"

#include <cstring>

using namespace lamina;
using namespace lamina::test;

namespace {

/// An IDX file: magic 0 0 type rank, big-endian dims, then `data` as is.
std::vector<uint8_t> idx(uint8_t type, const std::vector<uint32_t> &dims,
                         const std::vector<uint8_t> &data) {
  std::vector<uint8_t> b = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8)
      b.push_back(static_cast<uint8_t>(d >> s));
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

/// An NPY file with the given header dict and raw data.
std::vector<uint8_t> npy(const std::string &dict,
                         const std::vector<uint8_t> &data, int major = 1) {
  std::vector<uint8_t> b = {
      0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  std::string header = dict;
  size_t pre = major == 1 ? 10 : 12;
  header.append((64 - (pre + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  size_t len = header.size();
  for (size_t i = 0; i < (major == 1 ? 2u : 4u); ++i)
    b.push_back(static_cast<uint8_t>(len >> (8 * i)));
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

template <typename T> std::vector<uint8_t> raw(const std::vector<T> &v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

TensorSpec spec(const std::string &name, DType t, Shape s) {
  TensorSpec ts;
  ts.name = name;
  ts.arg = "in_" + name;
  ts.dtype = t;
  ts.shape = std::move(s);
  return ts;
}

} // namespace

//===----------------------------------------------------------------------===//
// IDX
//===----------------------------------------------------------------------===//

TEST(Idx, ImagesAreScaledAndFlattened) {
  TempDir dir;
  std::vector<uint8_t> pixels = {0, 255, 51, 102, 0, 0, 0, 255};
  writeBytes(dir.file("img-idx3-ubyte"), idx(0x08, {2, 2, 2}, pixels));
  Tensor t =
      loadSamples(dir.file("img-idx3-ubyte"), spec("x", DType::F32, {-1, 4}));
  ASSERT_EQ(t.shape(), (Shape{2, 4}));
  EXPECT_FLOAT_EQ(t.data<float>()[1], 1.0f);
  EXPECT_FLOAT_EQ(t.data<float>()[2], 0.2f);
  EXPECT_FLOAT_EQ(t.data<float>()[3], 0.4f);
  EXPECT_FLOAT_EQ(t.data<float>()[7], 1.0f);
}

TEST(Idx, U8LabelsBecomeI32Unscaled) {
  TempDir dir;
  writeBytes(dir.file("lbl.idx"), idx(0x08, {3}, {7, 0, 9}));
  Tensor t = loadSamples(dir.file("lbl.idx"), spec("y", DType::I32, {-1}));
  ASSERT_EQ(t.shape(), (Shape{3}));
  EXPECT_EQ(t.data<int32_t>()[0], 7);
  EXPECT_EQ(t.data<int32_t>()[2], 9);
}

TEST(Idx, I32BigEndianLabels) {
  TempDir dir;
  writeBytes(dir.file("lbl.idx"),
             idx(0x0C, {2}, {0, 0, 1, 2, 0xff, 0xff, 0xff, 0xfe}));
  Tensor t = loadSamples(dir.file("lbl.idx"), spec("y", DType::I32, {-1}));
  EXPECT_EQ(t.data<int32_t>()[0], 258);
  EXPECT_EQ(t.data<int32_t>()[1], -2);
}

TEST(Idx, F64ModelGetsF64Inputs) {
  TempDir dir;
  writeBytes(dir.file("x.idx"), idx(0x08, {1, 2}, {255, 0}));
  Tensor t = loadSamples(dir.file("x.idx"), spec("x", DType::F64, {-1, 2}));
  EXPECT_EQ(t.dtype(), DType::F64);
  EXPECT_DOUBLE_EQ(t.data<double>()[0], 1.0);
}

TEST(Idx, Gzipped) {
  TempDir dir;
  std::vector<uint8_t> pixels(3 * 784);
  for (size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = static_cast<uint8_t>(i % 256);
  writeGzip(dir.file("train-images-idx3-ubyte.gz"),
            idx(0x08, {3, 28, 28}, pixels));
  Tensor t = loadSamples(dir.file("train-images-idx3-ubyte.gz"),
                         spec("x", DType::F32, {-1, 784}));
  ASSERT_EQ(t.shape(), (Shape{3, 784}));
  EXPECT_FLOAT_EQ(t.data<float>()[784 + 5], ((784 + 5) % 256) / 255.0f);
}

TEST(Idx, TruncatedGzip) {
  TempDir dir;
  std::vector<uint8_t> pixels(4000, 7);
  writeGzip(dir.file("a.idx.gz"), idx(0x08, {4, 1000}, pixels));
  std::vector<uint8_t> gz = readBytes(dir.file("a.idx.gz"));
  gz.resize(gz.size() / 2);
  writeBytes(dir.file("a.idx.gz"), gz);
  std::string msg = errorOf([&] {
    loadSamples(dir.file("a.idx.gz"), spec("x", DType::F32, {-1, 1000}));
  });
  EXPECT_NE(msg.find("a.idx.gz"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
}

TEST(Idx, CorruptGzip) {
  TempDir dir;
  writeGzip(dir.file("a.idx.gz"),
            idx(0x08, {4, 100}, std::vector<uint8_t>(400)));
  std::vector<uint8_t> gz = readBytes(dir.file("a.idx.gz"));
  // Flip bytes in the CRC trailer.
  gz[gz.size() - 6] ^= 0xff;
  writeBytes(dir.file("a.idx.gz"), gz);
  std::string msg = errorOf([&] {
    loadSamples(dir.file("a.idx.gz"), spec("x", DType::F32, {-1, 100}));
  });
  EXPECT_NE(msg.find("a.idx.gz"), std::string::npos) << msg;
}

TEST(Idx, TruncatedDataNamesTheRecord) {
  TempDir dir;
  std::vector<uint8_t> pixels(2 * 4 + 1);
  writeBytes(dir.file("x.idx"), idx(0x08, {3, 4}, pixels));
  std::string msg = errorOf([&] {
    loadSamples(dir.file("x.idx"), spec("x", DType::F32, {-1, 4}));
  });
  EXPECT_NE(msg.find("x.idx"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  EXPECT_NE(msg.find("record 2"), std::string::npos) << msg;
}

TEST(Idx, TruncatedHeader) {
  TempDir dir;
  writeBytes(dir.file("x.idx"), {0, 0, 8, 3, 0, 0});
  std::string msg = errorOf([&] { readArray(dir.file("x.idx")); });
  EXPECT_NE(msg.find("header"), std::string::npos) << msg;
  writeBytes(dir.file("y.idx"), {0, 0});
  msg = errorOf([&] { readArray(dir.file("y.idx")); });
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
}

TEST(Idx, WrongMagic) {
  TempDir dir;
  writeBytes(dir.file("x-ubyte"), {1, 2, 8, 1, 0, 0, 0, 1, 5});
  std::string msg = errorOf([&] { readArray(dir.file("x-ubyte")); });
  EXPECT_NE(msg.find("not an IDX file"), std::string::npos) << msg;
}

TEST(Idx, UnknownElementType) {
  TempDir dir;
  writeBytes(dir.file("x.idx"), idx(0x0A, {1}, {0}));
  std::string msg = errorOf([&] { readArray(dir.file("x.idx")); });
  EXPECT_NE(msg.find("element type 0x0a"), std::string::npos) << msg;
}

TEST(Idx, ZeroDimensionsAndTrailingBytes) {
  TempDir dir;
  writeBytes(dir.file("a.idx"), {0, 0, 8, 0});
  EXPECT_NE(errorOf([&] { readArray(dir.file("a.idx")); }).find("0 dimensions"),
            std::string::npos);
  writeBytes(dir.file("b.idx"), idx(0x08, {2}, {1, 2, 3}));
  EXPECT_NE(errorOf([&] { readArray(dir.file("b.idx")); }).find("unexpected"),
            std::string::npos);
}

TEST(Idx, RecordSizeMismatchSaysWhatItExpected) {
  TempDir dir;
  writeBytes(dir.file("x.idx"), idx(0x08, {2, 3}, std::vector<uint8_t>(6)));
  std::string msg = errorOf([&] {
    loadSamples(dir.file("x.idx"), spec("x", DType::F32, {-1, 784}));
  });
  EXPECT_NE(msg.find("x.idx"), std::string::npos) << msg;
  EXPECT_NE(msg.find("784"), std::string::npos) << msg;
  EXPECT_NE(msg.find("x f32[batch, 784]"), std::string::npos) << msg;
}

TEST(Idx, EmptyRecordsAndEmptyFile) {
  TempDir dir;
  writeBytes(dir.file("a.idx"), idx(0x08, {0, 4}, {}));
  EXPECT_NE(errorOf([&] {
              loadSamples(dir.file("a.idx"), spec("x", DType::F32, {-1, 4}));
            }).find("no records"),
            std::string::npos);
  writeBytes(dir.file("empty.idx"), {});
  EXPECT_NE(errorOf([&] { readArray(dir.file("empty.idx")); }).find("empty"),
            std::string::npos);
}

TEST(Data, MissingFileAndDirectory) {
  TempDir dir;
  std::string msg = errorOf([&] { readArray(dir.file("nope.csv")); });
  EXPECT_NE(msg.find("nope.csv"), std::string::npos) << msg;
  msg = errorOf([&] { readArray(dir.file("")); });
  EXPECT_NE(msg.find("directory"), std::string::npos) << msg;
}

TEST(Data, UnrecognizedBinary) {
  TempDir dir;
  writeBytes(dir.file("blob.bin"), {1, 0, 2, 0, 3});
  std::string msg = errorOf([&] { readArray(dir.file("blob.bin")); });
  EXPECT_NE(msg.find("unrecognized"), std::string::npos) << msg;
}

//===----------------------------------------------------------------------===//
// CSV
//===----------------------------------------------------------------------===//

TEST(Csv, RowsAreRecords) {
  TempDir dir;
  writeText(dir.file("x.csv"), "1, 2.5,-3\n\n# comment\n4,5e-1 ,+6\r\n");
  Tensor t = loadSamples(dir.file("x.csv"), spec("x", DType::F32, {-1, 3}));
  ASSERT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_FLOAT_EQ(t.data<float>()[1], 2.5f);
  EXPECT_FLOAT_EQ(t.data<float>()[2], -3.0f);
  EXPECT_FLOAT_EQ(t.data<float>()[4], 0.5f);
  EXPECT_FLOAT_EQ(t.data<float>()[5], 6.0f);
}

TEST(Csv, HeaderOnFirstLineIsSkipped) {
  TempDir dir;
  writeText(dir.file("y.csv"), "label\n3\n1\n");
  Tensor t = loadSamples(dir.file("y.csv"), spec("y", DType::I32, {-1}));
  ASSERT_EQ(t.shape(), (Shape{2}));
  EXPECT_EQ(t.data<int32_t>()[0], 3);
}

TEST(Csv, RaggedRowNamesLineAndColumn) {
  TempDir dir;
  writeText(dir.file("x.csv"), "1,2,3\n4,5\n");
  std::string msg = errorOf([&] { readArray(dir.file("x.csv")); });
  EXPECT_NE(msg.find("x.csv:2:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("2 fields"), std::string::npos) << msg;
}

TEST(Csv, NonNumericFieldNamesLineAndColumn) {
  TempDir dir;
  writeText(dir.file("x.csv"), "1,2\n3,abc\n");
  std::string msg = errorOf([&] { readArray(dir.file("x.csv")); });
  EXPECT_NE(msg.find("x.csv:2:3:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'abc'"), std::string::npos) << msg;
}

TEST(Csv, EmptyField) {
  TempDir dir;
  writeText(dir.file("x.csv"), "1,,3\n");
  std::string msg = errorOf([&] { readArray(dir.file("x.csv")); });
  EXPECT_NE(msg.find("x.csv:1:3:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
}

TEST(Csv, OnlyHeaderHasNoRecords) {
  TempDir dir;
  writeText(dir.file("x.csv"), "a,b\n");
  std::string msg = errorOf([&] { readArray(dir.file("x.csv")); });
  EXPECT_NE(msg.find("no records"), std::string::npos) << msg;
}

TEST(Csv, NonIntegerLabelNamesRecordAndLine) {
  TempDir dir;
  writeText(dir.file("y.csv"), "1\n2\n2.5\n");
  std::string msg = errorOf(
      [&] { loadSamples(dir.file("y.csv"), spec("y", DType::I32, {-1})); });
  EXPECT_NE(msg.find("record 2 (line 3)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("2.5"), std::string::npos) << msg;
}

TEST(Csv, WrongRecordSize) {
  TempDir dir;
  writeText(dir.file("x.csv"), "1,2\n");
  std::string msg = errorOf([&] {
    loadSamples(dir.file("x.csv"), spec("x", DType::F32, {-1, 3}));
  });
  EXPECT_NE(msg.find("2 values per row"), std::string::npos) << msg;
}

//===----------------------------------------------------------------------===//
// NPY
//===----------------------------------------------------------------------===//

TEST(Npy, F4TwoDimensional) {
  TempDir dir;
  writeBytes(dir.file("x.npy"),
             npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                 raw<float>({1, 2, 3, 4, 5, 6})));
  Tensor t = loadSamples(dir.file("x.npy"), spec("x", DType::F64, {-1, 3}));
  ASSERT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_DOUBLE_EQ(t.data<double>()[5], 6.0);
}

TEST(Npy, AllDtypes) {
  TempDir dir;
  struct Case {
    const char *descr;
    std::vector<uint8_t> data;
  } cases[] = {{"<f8", raw<double>({1.5, -2})},
               {"<i4", raw<int32_t>({1, -2})},
               {"<i8", raw<int64_t>({1, -2})},
               {"|i1", raw<int8_t>({1, -2})}};
  for (const Case &c : cases) {
    writeBytes(dir.file("a.npy"),
               npy(std::string("{'descr': '") + c.descr +
                       "', 'fortran_order': False, 'shape': (2,), }",
                   c.data));
    Tensor t = loadSamples(dir.file("a.npy"), spec("y", DType::F32, {-1}));
    EXPECT_FLOAT_EQ(t.data<float>()[1], -2.0f) << c.descr;
  }
  writeBytes(dir.file("u.npy"),
             npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }",
                 {255, 3}));
  Tensor f = loadSamples(dir.file("u.npy"), spec("x", DType::F32, {-1}));
  EXPECT_FLOAT_EQ(f.data<float>()[0], 1.0f);
  Tensor i = loadSamples(dir.file("u.npy"), spec("y", DType::I32, {-1}));
  EXPECT_EQ(i.data<int32_t>()[1], 3);
}

TEST(Npy, Version2Header) {
  TempDir dir;
  writeBytes(dir.file("x.npy"),
             npy("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }",
                 raw<int32_t>({4, 5, 6}), 2));
  Tensor t = loadSamples(dir.file("x.npy"), spec("y", DType::I32, {-1}));
  EXPECT_EQ(t.data<int32_t>()[2], 6);
}

TEST(Npy, I64OutOfRangeForI32) {
  TempDir dir;
  writeBytes(dir.file("y.npy"),
             npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
                 raw<int64_t>({1, int64_t(1) << 40})));
  std::string msg = errorOf(
      [&] { loadSamples(dir.file("y.npy"), spec("y", DType::I32, {-1})); });
  EXPECT_NE(msg.find("record 1"), std::string::npos) << msg;
}

TEST(Npy, Errors) {
  TempDir dir;
  auto check = [&](const std::vector<uint8_t> &bytes, const char *expect) {
    writeBytes(dir.file("e.npy"), bytes);
    std::string msg = errorOf([&] {
      loadSamples(dir.file("e.npy"), spec("x", DType::F32, {-1, 2}));
    });
    EXPECT_NE(msg.find("e.npy"), std::string::npos) << msg;
    EXPECT_NE(msg.find(expect), std::string::npos) << msg;
  };
  check(npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1, 2), }",
            raw<float>({1, 2})),
        "big-endian");
  check(npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1, 2), }",
            raw<float>({1, 2, 3, 4})),
        "unsupported NPY dtype");
  check(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
            raw<float>({1, 2, 3, 4})),
        "Fortran");
  check(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }",
            raw<float>({1, 2, 3, 4})),
        "record 2");
  check(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
            raw<float>({1})),
        "0-dimensional");
  check(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2 }",
            raw<float>({1, 2})),
        "bad NPY header");
  check(npy("{'descr': [('a', '<f4')], 'shape': (1,), }", raw<float>({1})),
        "structured");
  check({'x', 'y', 'z'}, "not an NPY file");
  check({0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 200, 0, '{'}, "truncated");
  check({0x93, 'N', 'U', 'M', 'P', 'Y', 9, 0, 0, 0}, "version 9");
}

TEST(Npy, WriteReadRoundTrip) {
  TempDir dir;
  Tensor t(DType::F32, {3, 2});
  for (int i = 0; i < 6; ++i)
    t.set(i, i * 0.25);
  writeNpy(dir.file("out.npy"), t);
  std::vector<uint8_t> bytes = readBytes(dir.file("out.npy"));
  ASSERT_GT(bytes.size(), 10u);
  size_t headerLen = bytes[8] | bytes[9] << 8;
  EXPECT_EQ((10 + headerLen) % 64, 0u);
  RawArray a = parseNpy("out.npy", bytes);
  EXPECT_EQ(a.type, ElemType::F32);
  EXPECT_EQ(a.shape, (Shape{3, 2}));
  Tensor back = toSamples(a, spec("o", DType::F32, {-1, 2}));
  EXPECT_EQ(std::memcmp(back.raw(), t.raw(), t.byteSize()), 0);

  Tensor v(DType::F64, {4});
  writeNpy(dir.file("v.npy"), v);
  RawArray b = readArray(dir.file("v.npy"));
  EXPECT_EQ(b.type, ElemType::F64);
  EXPECT_EQ(b.shape, (Shape{4}));
}

//===----------------------------------------------------------------------===//
// Data sets
//===----------------------------------------------------------------------===//

TEST(Dataset, SplitTailAndRecordCountMismatch) {
  TempDir dir;
  writeText(dir.file("x.csv"), "1,1\n2,2\n3,3\n4,4\n");
  writeText(dir.file("y.csv"), "1\n2\n3\n4\n");
  writeText(dir.file("y3.csv"), "1\n2\n3\n");
  ModelDesc m;
  m.inputs.push_back(spec("x", DType::F32, {-1, 2}));
  m.labels.push_back(spec("y", DType::I32, {-1}));
  Dataset d = loadDataset(m, {dir.file("x.csv")}, {dir.file("y.csv")});
  EXPECT_EQ(d.size, 4);
  Dataset tail = d.splitTail(1);
  EXPECT_EQ(d.size, 3);
  EXPECT_EQ(tail.size, 1);
  EXPECT_EQ(d.inputs[0].shape(), (Shape{3, 2}));
  EXPECT_FLOAT_EQ(tail.inputs[0].data<float>()[0], 4.0f);
  EXPECT_EQ(tail.labels[0].data<int32_t>()[0], 4);

  std::string msg = errorOf(
      [&] { loadDataset(m, {dir.file("x.csv")}, {dir.file("y3.csv")}); });
  EXPECT_NE(msg.find("3 records"), std::string::npos) << msg;
  EXPECT_NE(msg.find("x.csv has 4"), std::string::npos) << msg;
}

TEST(Data, EveryTruncationIsAnErrorNotACrash) {
  TempDir dir;
  std::vector<std::pair<std::string, std::vector<uint8_t>>> files = {
      {"a.idx", idx(0x08, {3, 2, 2}, std::vector<uint8_t>(12, 9))},
      {"b.npy",
       npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }",
           raw<float>(std::vector<float>(12, 1.5f)))},
      {"c.csv",
       {'1', ',', '2', ',', '3', ',', '4', '\n', '5', ',', '6', ',', '7', ',',
        '8', '\n'}}};
  for (const auto &[name, bytes] : files) {
    for (size_t n = 0; n < bytes.size(); ++n) {
      std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + n);
      writeBytes(dir.file(name), cut);
      try {
        Tensor t = loadSamples(dir.file(name), spec("x", DType::F32, {-1, 4}));
        // Only a CSV cut at a row boundary (or mid-number) still parses.
        EXPECT_EQ(name, "c.csv") << n;
      } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find(name), std::string::npos)
            << e.what();
      }
    }
  }
  writeGzip(dir.file("a.idx.gz"),
            idx(0x08, {3, 2, 2}, std::vector<uint8_t>(12, 9)));
  std::vector<uint8_t> gz = readBytes(dir.file("a.idx.gz"));
  for (size_t n = 0; n < gz.size(); ++n) {
    writeBytes(dir.file("d.idx.gz"),
               std::vector<uint8_t>(gz.begin(), gz.begin() + n));
    EXPECT_THROW(
        loadSamples(dir.file("d.idx.gz"), spec("x", DType::F32, {-1, 4})),
        Error)
        << n;
  }
}
