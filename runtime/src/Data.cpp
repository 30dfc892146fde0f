//===- Data.cpp - Element types, raw arrays, format detection -------------===//
//
// The readers of each format live in Gzip.cpp, Idx.cpp, Npy.cpp and Csv.cpp,
// the conversion into tensors and data sets in Dataset.cpp.
//
//===----------------------------------------------------------------------===//

#include "lamina/Data.h"

#include "DataCommon.h"

#include "lamina/Error.h"
#include "lamina/File.h"

#include <algorithm>
#include <cctype>

namespace lamina {

size_t elemSize(ElemType t) {
  switch (t) {
  case ElemType::U8:
  case ElemType::I8:
    return 1;
  case ElemType::I16:
  case ElemType::U16:
    return 2;
  case ElemType::I32:
  case ElemType::F32:
    return 4;
  case ElemType::I64:
  case ElemType::F64:
    return 8;
  }
  return 1;
}

const char *elemName(ElemType t) {
  switch (t) {
  case ElemType::U8:
    return "u8";
  case ElemType::I8:
    return "i8";
  case ElemType::I16:
    return "i16";
  case ElemType::U16:
    return "u16";
  case ElemType::I32:
    return "i32";
  case ElemType::I64:
    return "i64";
  case ElemType::F32:
    return "f32";
  case ElemType::F64:
    return "f64";
  }
  return "?";
}

int64_t RawArray::recordNumel() const {
  int64_t n = 1;
  for (size_t i = 1; i < shape.size(); ++i)
    n *= shape[i];
  return n;
}

std::string RawArray::recordName(int64_t i) const {
  std::string s = "record " + std::to_string(i);
  if (i >= 0 && static_cast<size_t>(i) < lines.size())
    s += " (line " + std::to_string(lines[i]) + ")";
  return s;
}

std::string shapeText(const Shape &s) {
  std::string t = "[";
  for (size_t i = 0; i < s.size(); ++i)
    t += (i ? ", " : "") + std::to_string(s[i]);
  return t + "]";
}

uint64_t checkedBytes(const std::string &path, const Shape &dims, size_t elem) {
  const uint64_t limit = uint64_t(1) << 62;
  uint64_t n = elem;
  for (int64_t d : dims) {
    if (d < 0 || (d && n > limit / static_cast<uint64_t>(d)))
      throw Error(path + ": the header declares an impossible shape " +
                  shapeText(dims) + "; the file is corrupt");
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

[[noreturn]] void truncated(const std::string &path, const Shape &shape,
                            ElemType type, uint64_t have) {
  uint64_t recordBytes =
      checkedBytes(path, Shape(shape.begin() + 1, shape.end()), elemSize(type));
  uint64_t want = checkedBytes(path, shape, elemSize(type));
  std::string which =
      recordBytes ? "record " + std::to_string(have / recordBytes) : "data";
  throw Error(path + ": file is truncated: the header declares shape " +
              shapeText(shape) + " of " + elemName(type) + " (" +
              std::to_string(want) + " bytes of data) but only " +
              std::to_string(have) + " bytes follow, so " + which +
              " is incomplete; re-download or re-export the file");
}

//===----------------------------------------------------------------------===//
// Format detection
//===----------------------------------------------------------------------===//

static bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

RawArray readArray(const std::string &path) {
  std::vector<uint8_t> bytes = readFile(path);
  if (bytes.empty())
    throw Error(path + ": file is empty; expected IDX, CSV or NPY data");
  std::string lower = path;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (isGzip(bytes)) {
    bytes = gunzipFile(path);
    if (bytes.empty())
      throw Error(path + ": gzip file decompresses to nothing; expected " +
                  "IDX, CSV or NPY data");
  }
  if (endsWith(lower, ".gz"))
    lower.resize(lower.size() - 3);
  std::string base = lower.substr(lower.rfind('/') + 1);

  if (endsWith(base, ".npy") || isNpy(bytes))
    return parseNpy(path, std::move(bytes));
  bool idxName =
      base.find("idx") != std::string::npos || endsWith(base, "ubyte");
  if (idxName || (bytes.size() >= 4 && bytes[0] == 0 && bytes[1] == 0))
    return parseIdx(path, std::move(bytes));
  // Text tables: numpy.savetxt writes .txt (blank-separated) by default.
  bool csvName = endsWith(base, ".csv") || endsWith(base, ".txt") ||
                 endsWith(base, ".tsv") || endsWith(base, ".dat");
  size_t probe = std::min<size_t>(bytes.size(), 4096);
  bool text = std::none_of(bytes.begin(), bytes.begin() + probe,
                           [](uint8_t c) { return c == 0; });
  if (csvName || text)
    return parseCsv(path, bytes);
  throw Error(path + ": unrecognized data format; expected IDX (name " +
              "containing 'idx' or ending in 'ubyte', optionally .gz), CSV " +
              "(.csv, .txt, .tsv, .dat: rows of numbers) or NPY (.npy)");
}

} // namespace lamina
