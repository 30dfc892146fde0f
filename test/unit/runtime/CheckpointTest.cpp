//===- CheckpointTest.cpp - safetensors checkpoints and atomic writes -----===//

#include "lamina/Checkpoint.h"

#include "TestUtil.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>

using namespace lamina;
using namespace lamina::test;

namespace {

struct Fixture {
  Tensor w{DType::F32, {3, 2}};
  Tensor b{DType::F64, {2}};
  Tensor n{DType::I32, {}};

  Fixture() {
    for (int i = 0; i < 6; ++i)
      w.set(i, 0.5 * i - 1);
    b.set(0, 3.25);
    b.set(1, -7);
    n.set(0, 42);
  }

  std::vector<NamedTensor> named() const {
    return {{"h1.weight", &w}, {"h1.bias", &b}, {"count", &n}};
  }
};

CheckpointInfo info() { return {"Mlp", 3, 120, 42, {}}; }

/// Rewrites the JSON header of a checkpoint file, keeping its data.
void rewriteHeader(const std::string &path,
                   const std::function<void(nlohmann::json &)> &edit) {
  std::vector<uint8_t> bytes = readBytes(path);
  uint64_t len = 0;
  for (int i = 0; i < 8; ++i)
    len |= uint64_t(bytes[i]) << (8 * i);
  nlohmann::json h =
      nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + len);
  edit(h);
  std::string text = h.dump();
  std::vector<uint8_t> out(8);
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<uint8_t>(text.size() >> (8 * i));
  out.insert(out.end(), text.begin(), text.end());
  out.insert(out.end(), bytes.begin() + 8 + len, bytes.end());
  writeBytes(path, out);
}

} // namespace

TEST(Checkpoint, RoundTrip) {
  TempDir dir;
  Fixture f;
  saveCheckpoint(dir.file("ck.safetensors"), f.named(), info());
  Checkpoint ck(dir.file("ck.safetensors"));
  EXPECT_EQ(ck.info().model, "Mlp");
  EXPECT_EQ(ck.info().epoch, 3);
  EXPECT_EQ(ck.info().step, 120);
  EXPECT_EQ(ck.info().seed, 42u);
  EXPECT_EQ(ck.names(),
            (std::vector<std::string>{"count", "h1.bias", "h1.weight"}));
  Tensor w(DType::F32, {3, 2}), b(DType::F64, {2}), n(DType::I32, {});
  ck.read("h1.weight", w);
  ck.read("h1.bias", b);
  ck.read("count", n);
  EXPECT_EQ(std::memcmp(w.raw(), f.w.raw(), w.byteSize()), 0);
  EXPECT_EQ(std::memcmp(b.raw(), f.b.raw(), b.byteSize()), 0);
  EXPECT_EQ(n.data<int32_t>()[0], 42);
}

TEST(Checkpoint, ExactSafetensorsLayout) {
  TempDir dir;
  Fixture f;
  saveCheckpoint(dir.file("ck"), f.named(), info());
  std::vector<uint8_t> bytes = readBytes(dir.file("ck"));
  uint64_t len = 0;
  for (int i = 0; i < 8; ++i)
    len |= uint64_t(bytes[i]) << (8 * i);
  EXPECT_EQ(len % 8, 0u);
  ASSERT_EQ(bytes.size(), 8 + len + 24 + 16 + 4);
  nlohmann::json h =
      nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + len);
  EXPECT_EQ(h["__metadata__"]["model"], "Mlp");
  EXPECT_EQ(h["__metadata__"]["epoch"], "3");
  EXPECT_EQ(h["__metadata__"]["seed"], "42");
  EXPECT_EQ(h["h1.weight"]["dtype"], "F32");
  EXPECT_EQ(h["h1.weight"]["shape"], nlohmann::json({3, 2}));
  EXPECT_EQ(h["h1.weight"]["data_offsets"], nlohmann::json({0, 24}));
  EXPECT_EQ(h["h1.bias"]["dtype"], "F64");
  EXPECT_EQ(h["h1.bias"]["data_offsets"], nlohmann::json({24, 40}));
  EXPECT_EQ(h["count"]["dtype"], "I32");
  EXPECT_EQ(h["count"]["shape"], nlohmann::json::array());
  float first;
  std::memcpy(&first, &bytes[8 + len], 4);
  EXPECT_EQ(first, -1.0f);
}

TEST(Checkpoint, MissingTensorWrongShapeWrongDtype) {
  TempDir dir;
  Fixture f;
  saveCheckpoint(dir.file("ck"), f.named(), info());
  Checkpoint ck(dir.file("ck"));
  Tensor t(DType::F32, {3, 2});
  std::string msg = errorOf([&] { ck.read("h2.weight", t); });
  EXPECT_NE(msg.find("ck"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no tensor 'h2.weight'"), std::string::npos) << msg;
  Tensor wrongShape(DType::F32, {2, 3});
  msg = errorOf([&] { ck.read("h1.weight", wrongShape); });
  EXPECT_NE(msg.find("'h1.weight' has shape [3, 2]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[2, 3]"), std::string::npos) << msg;
  Tensor wrongType(DType::F64, {3, 2});
  msg = errorOf([&] { ck.read("h1.weight", wrongType); });
  EXPECT_NE(msg.find("is F32 but the model expects F64"), std::string::npos)
      << msg;
}

TEST(Checkpoint, TruncatedFile) {
  TempDir dir;
  Fixture f;
  saveCheckpoint(dir.file("ck"), f.named(), info());
  std::vector<uint8_t> bytes = readBytes(dir.file("ck"));
  // Cut inside the data: offsets now run past the end.
  std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 5);
  writeBytes(dir.file("cut"), cut);
  std::string msg = errorOf([&] { Checkpoint ck(dir.file("cut")); });
  EXPECT_NE(msg.find("cut"), std::string::npos) << msg;
  EXPECT_NE(msg.find("outside"), std::string::npos) << msg;
  // Cut inside the header.
  writeBytes(dir.file("cut2"),
             std::vector<uint8_t>(bytes.begin(), bytes.begin() + 20));
  msg = errorOf([&] { Checkpoint ck(dir.file("cut2")); });
  EXPECT_NE(msg.find("past the end"), std::string::npos) << msg;
  // Shorter than the length field.
  writeBytes(dir.file("cut3"), {1, 2, 3});
  msg = errorOf([&] { Checkpoint ck(dir.file("cut3")); });
  EXPECT_NE(msg.find("8-byte"), std::string::npos) << msg;
  // Empty file.
  writeBytes(dir.file("empty"), {});
  msg = errorOf([&] { Checkpoint ck(dir.file("empty")); });
  EXPECT_NE(msg.find("not a valid checkpoint"), std::string::npos) << msg;
}

TEST(Checkpoint, CorruptHeader) {
  TempDir dir;
  Fixture f;
  saveCheckpoint(dir.file("ck"), f.named(), info());
  std::vector<uint8_t> bytes = readBytes(dir.file("ck"));

  std::vector<uint8_t> badJson = bytes;
  badJson[8] = 'X';
  writeBytes(dir.file("a"), badJson);
  EXPECT_NE(errorOf([&] { Checkpoint ck(dir.file("a")); }).find("valid JSON"),
            std::string::npos);

  std::vector<uint8_t> hugeLen = bytes;
  hugeLen[7] = 0x7f;
  writeBytes(dir.file("b"), hugeLen);
  EXPECT_NE(errorOf([&] { Checkpoint ck(dir.file("b")); }).find("implausible"),
            std::string::npos);

  writeBytes(dir.file("c"), bytes);
  rewriteHeader(dir.file("c"), [](nlohmann::json &h) {
    h["h1.weight"]["data_offsets"] = {0, 20};
  });
  std::string msg = errorOf([&] { Checkpoint ck(dir.file("c")); });
  EXPECT_NE(msg.find("tensor 'h1.weight'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("does not match"), std::string::npos) << msg;

  writeBytes(dir.file("d"), bytes);
  rewriteHeader(dir.file("d"),
                [](nlohmann::json &h) { h["h1.bias"].erase("dtype"); });
  msg = errorOf([&] { Checkpoint ck(dir.file("d")); });
  EXPECT_NE(msg.find("'h1.bias': missing or non-string 'dtype'"),
            std::string::npos)
      << msg;

  writeBytes(dir.file("e"), bytes);
  rewriteHeader(dir.file("e"),
                [](nlohmann::json &h) { h["count"]["shape"] = {-1}; });
  EXPECT_NE(errorOf([&] { Checkpoint ck(dir.file("e")); }).find("negative"),
            std::string::npos);

  writeBytes(dir.file("f"), bytes);
  rewriteHeader(dir.file("f"), [](nlohmann::json &h) {
    h["__metadata__"]["epoch"] = "three";
  });
  EXPECT_NE(errorOf([&] { Checkpoint ck(dir.file("f")); }).find("epoch"),
            std::string::npos);

  writeBytes(dir.file("g"), bytes);
  rewriteHeader(dir.file("g"),
                [](nlohmann::json &h) { h = nlohmann::json::array({1}); });
  EXPECT_NE(errorOf([&] { Checkpoint ck(dir.file("g")); }).find("object"),
            std::string::npos);
}

TEST(Checkpoint, MissingFile) {
  TempDir dir;
  std::string msg = errorOf([&] { Checkpoint ck(dir.file("none")); });
  EXPECT_NE(msg.find("none"), std::string::npos) << msg;
}

TEST(AtomicFile, AbandonedWriteLeavesOldFileIntact) {
  TempDir dir;
  Fixture f;
  std::string path = dir.file("ck");
  saveCheckpoint(path, f.named(), info());
  std::vector<uint8_t> before = readBytes(path);

  // The writer fails after writing everything but before the rename.
  Fixture g;
  g.w.set(0, 99);
  EXPECT_THROW(saveCheckpoint(path, g.named(), {"Mlp", 4, 160, 42, {}},
                              [](AtomicFile &file) {
                                EXPECT_TRUE(
                                    std::filesystem::exists(file.tmpPath()));
                                EXPECT_GT(file.bytesWritten(), 40u);
                                throw Error("simulated crash");
                              }),
               Error);
  EXPECT_EQ(readBytes(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  EXPECT_EQ(Checkpoint(path).info().epoch, 3);

  // A writer that stops half-way through its data.
  {
    AtomicFile file(path);
    file.write(before.data(), before.size() / 2);
  }
  EXPECT_EQ(readBytes(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  // A completed save replaces the file.
  saveCheckpoint(path, g.named(), {"Mlp", 4, 160, 42, {}});
  EXPECT_EQ(Checkpoint(path).info().epoch, 4);
}

TEST(AtomicFile, UnwritableDirectory) {
  TempDir dir;
  Fixture f;
  std::string msg = errorOf(
      [&] { saveCheckpoint(dir.file("no/such/dir/ck"), f.named(), info()); });
  EXPECT_NE(msg.find("no/such/dir/ck"), std::string::npos) << msg;
}

TEST(Checkpoint, EveryTruncationIsAnErrorNotACrash) {
  TempDir dir;
  Fixture f;
  saveCheckpoint(dir.file("ck"), f.named(), info());
  std::vector<uint8_t> bytes = readBytes(dir.file("ck"));
  for (size_t n = 0; n < bytes.size(); ++n) {
    writeBytes(dir.file("cut"),
               std::vector<uint8_t>(bytes.begin(), bytes.begin() + n));
    try {
      Checkpoint ck(dir.file("cut"));
      // Only the header survived intact; reading the data must then fail.
      Tensor w(DType::F32, {3, 2});
      ck.read("h1.weight", w);
      Tensor b(DType::F64, {2});
      ck.read("h1.bias", b);
      Tensor c(DType::I32, {});
      ck.read("count", c);
      ADD_FAILURE() << "a checkpoint cut to " << n << " bytes loaded";
    } catch (const Error &e) {
      EXPECT_NE(std::string(e.what()).find("cut"), std::string::npos);
    }
  }
}
