//===- Checkpoint.cpp - safetensors checkpoints ---------------------------===//

#include "lamina/Checkpoint.h"

#include "lamina/Error.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace lamina {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian; tensors are copied as is");

// The reference implementation rejects larger headers too.
static constexpr uint64_t kMaxHeaderBytes = 100 * 1000 * 1000;

const char *safetensorsDType(DType t) {
  switch (t) {
  case DType::F32:
    return "F32";
  case DType::F64:
    return "F64";
  case DType::I32:
    return "I32";
  }
  return "?";
}

/// Element size of a safetensors dtype, or 0 if unknown.
static size_t safetensorsSize(const std::string &dtype) {
  static const std::pair<const char *, size_t> sizes[] = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1},
      {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},
      {"U32", 4},  {"F32", 4}, {"F64", 8}, {"I64", 8},     {"U64", 8}};
  for (const auto &[name, size] : sizes)
    if (dtype == name)
      return size;
  return 0;
}

void saveCheckpoint(const std::string &path,
                    const std::vector<NamedTensor> &tensors,
                    const CheckpointInfo &info,
                    const std::function<void(AtomicFile &)> &beforeCommit) {
  nlohmann::ordered_json header;
  header["__metadata__"] = {{"model", info.model},
                            {"epoch", std::to_string(info.epoch)},
                            {"step", std::to_string(info.step)},
                            {"seed", std::to_string(info.seed)}};
  for (const auto &[k, v] : info.extra)
    header["__metadata__"][k] = v;
  uint64_t offset = 0;
  for (const NamedTensor &nt : tensors) {
    const Tensor &t = *nt.tensor;
    header[nt.name] = {{"dtype", safetensorsDType(t.dtype())},
                       {"shape", t.shape()},
                       {"data_offsets", {offset, offset + t.byteSize()}}};
    offset += t.byteSize();
  }
  std::string text = header.dump();
  // Pad with spaces (allowed by the format) so the data is 8-byte aligned.
  text.append((8 - text.size() % 8) % 8, ' ');
  uint8_t len[8];
  for (int i = 0; i < 8; ++i)
    len[i] =
        static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));

  AtomicFile f(path);
  f.write(len, sizeof(len));
  f.write(text);
  for (const NamedTensor &nt : tensors)
    f.write(nt.tensor->raw(), nt.tensor->byteSize());
  if (beforeCommit)
    beforeCommit(f);
  f.commit();
}

static std::string shapeText(const Shape &s) {
  std::string t = "[";
  for (size_t i = 0; i < s.size(); ++i)
    t += (i ? ", " : "") + std::to_string(s[i]);
  return t + "]";
}

/// Reads a metadata value written as a string (or, leniently, a number).
static bool metadataInt(const nlohmann::json &md, const char *key,
                        uint64_t &out) {
  auto it = md.find(key);
  if (it == md.end())
    return true;
  if (it->is_number_unsigned()) {
    out = it->get<uint64_t>();
    return true;
  }
  if (it->is_number_integer()) {
    out = static_cast<uint64_t>(it->get<int64_t>());
    return it->get<int64_t>() >= 0;
  }
  if (!it->is_string())
    return false;
  const std::string &s = it->get_ref<const std::string &>();
  if (s.empty())
    return false;
  char *end = nullptr;
  errno = 0;
  out = std::strtoull(s.c_str(), &end, 10);
  return errno == 0 && *end == '\0' && s[0] != '-';
}

Checkpoint::Checkpoint(const std::string &path) : path_(path) {
  bytes_ = readFile(path);
  auto bad = [&](const std::string &what) {
    return Error(path + ": not a valid checkpoint: " + what);
  };
  if (bytes_.size() < 8)
    throw bad("the file has " + std::to_string(bytes_.size()) +
              " bytes, fewer than the 8-byte header length (truncated?)");
  uint64_t headerLen = 0;
  for (int i = 0; i < 8; ++i)
    headerLen |= uint64_t(bytes_[i]) << (8 * i);
  if (headerLen < 2 || headerLen > kMaxHeaderBytes)
    throw bad("implausible header length " + std::to_string(headerLen) +
              " (is it a safetensors file?)");
  if (headerLen > bytes_.size() - 8)
    throw bad("the header length " + std::to_string(headerLen) +
              " runs past the end of the " + std::to_string(bytes_.size()) +
              "-byte file (truncated?)");
  dataStart_ = 8 + headerLen;
  uint64_t dataSize = bytes_.size() - dataStart_;

  nlohmann::json header;
  try {
    header =
        nlohmann::json::parse(bytes_.begin() + 8, bytes_.begin() + dataStart_);
  } catch (const nlohmann::json::parse_error &e) {
    throw bad(std::string("the header is not valid JSON (") + e.what() + ")");
  }
  if (!header.is_object())
    throw bad("the header is not a JSON object");

  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string &name = it.key();
    const nlohmann::json &v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object())
        throw bad("__metadata__ is not an object");
      uint64_t epoch = 0, step = 0, seed = 0;
      if (!metadataInt(v, "epoch", epoch) || !metadataInt(v, "step", step) ||
          !metadataInt(v, "seed", seed))
        throw bad("__metadata__ has a malformed epoch, step or seed");
      info_.epoch = static_cast<int64_t>(epoch);
      info_.step = static_cast<int64_t>(step);
      info_.seed = seed;
      if (auto m = v.find("model"); m != v.end() && m->is_string())
        info_.model = m->get<std::string>();
      for (auto m = v.begin(); m != v.end(); ++m)
        if (m->is_string() && m.key() != "model" && m.key() != "epoch" &&
            m.key() != "step" && m.key() != "seed")
          info_.extra[m.key()] = m->get<std::string>();
      continue;
    }
    auto badTensor = [&](const std::string &what) {
      return bad("tensor '" + name + "': " + what);
    };
    if (!v.is_object())
      throw badTensor("entry is not an object");
    Entry e;
    auto dt = v.find("dtype");
    if (dt == v.end() || !dt->is_string())
      throw badTensor("missing or non-string 'dtype'");
    e.dtype = dt->get<std::string>();
    auto sh = v.find("shape");
    if (sh == v.end() || !sh->is_array())
      throw badTensor("missing or non-array 'shape'");
    for (const auto &d : *sh) {
      if (!d.is_number_unsigned())
        throw badTensor("'shape' holds a non-integer or negative extent");
      e.shape.push_back(d.get<int64_t>());
    }
    auto off = v.find("data_offsets");
    if (off == v.end() || !off->is_array() || off->size() != 2 ||
        !(*off)[0].is_number_unsigned() || !(*off)[1].is_number_unsigned())
      throw badTensor("'data_offsets' is not a pair of non-negative integers");
    e.begin = (*off)[0].get<uint64_t>();
    e.end = (*off)[1].get<uint64_t>();
    if (e.begin > e.end || e.end > dataSize)
      throw badTensor("data_offsets [" + std::to_string(e.begin) + ", " +
                      std::to_string(e.end) + "] lie outside the " +
                      std::to_string(dataSize) +
                      "-byte data section (truncated?)");
    if (size_t elem = safetensorsSize(e.dtype)) {
      uint64_t bytes = e.end - e.begin;
      uint64_t want = elem;
      bool overflow = false;
      for (int64_t d : e.shape)
        overflow |=
            __builtin_mul_overflow(want, static_cast<uint64_t>(d), &want);
      if (overflow || want != bytes)
        throw badTensor("shape " + shapeText(e.shape) + " of " + e.dtype +
                        " does not match its " + std::to_string(bytes) +
                        " data bytes");
    }
    entries_.emplace(name, std::move(e));
  }
}

bool Checkpoint::contains(const std::string &name) const {
  return entries_.count(name) != 0;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  for (const auto &kv : entries_)
    out.push_back(kv.first);
  return out;
}

std::vector<double> Checkpoint::readConverted(const std::string &name,
                                              Shape &shape) const {
  auto it = entries_.find(name);
  if (it == entries_.end())
    throw Error(path_ + ": no tensor '" + name + "'");
  const Entry &e = it->second;
  const uint8_t *p = bytes_.data() + dataStart_ + e.begin;
  size_t count = static_cast<size_t>(numElements(e.shape));
  std::vector<double> out(count);
  // Copied element by element: the data section need not be aligned.
  auto convert = [&](auto sample) {
    using T = decltype(sample);
    for (size_t i = 0; i < count; ++i) {
      T v;
      std::memcpy(&v, p + i * sizeof(T), sizeof(T));
      out[i] = static_cast<double>(v);
    }
  };
  if (e.dtype == "F32")
    convert(float());
  else if (e.dtype == "F64")
    convert(double());
  else if (e.dtype == "I32")
    convert(int32_t());
  else if (e.dtype == "I64")
    convert(int64_t());
  else
    throw Error(path_ + ": tensor '" + name + "' is " + e.dtype +
                "; expected F32, F64, I32 or I64");
  shape = e.shape;
  return out;
}

void Checkpoint::read(const std::string &name, Tensor &into) const {
  auto it = entries_.find(name);
  if (it == entries_.end())
    throw Error(
        path_ + ": checkpoint has no tensor '" + name +
        "'; was it written by a different model" +
        (info_.model.empty() ? "" : " (it is from '" + info_.model + "')") +
        "?");
  const Entry &e = it->second;
  const char *want = safetensorsDType(into.dtype());
  if (e.dtype != want)
    throw Error(path_ + ": tensor '" + name + "' is " + e.dtype +
                " but the model expects " + want);
  if (e.shape != into.shape())
    throw Error(path_ + ": tensor '" + name + "' has shape " +
                shapeText(e.shape) + " but the model expects " +
                shapeText(into.shape()) +
                "; was the checkpoint written by a different version of the "
                "model?");
  if (into.byteSize())
    std::memcpy(into.raw(), bytes_.data() + dataStart_ + e.begin,
                into.byteSize());
}

} // namespace lamina
