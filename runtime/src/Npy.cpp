//===- Npy.cpp - Reading and writing NPY files ----------------------------===//

#include "lamina/Data.h"

#include "DataCommon.h"

#include "lamina/Error.h"
#include "lamina/File.h"

#include <cctype>
#include <charconv>
#include <cstring>

namespace lamina {

namespace {
/// Reads the Python dict literal of an NPY header:
/// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class NpyHeaderParser {
public:
  NpyHeaderParser(const std::string &path, std::string_view text)
      : path_(path), text_(text) {}

  std::string descr;
  bool fortranOrder = false;
  bool hasShape = false;
  Shape shape;

  void parse() {
    expect('{');
    while (!peekIs('}')) {
      std::string key = parseString();
      expect(':');
      if (key == "descr") {
        if (peekIs('['))
          fail("structured arrays (a list descr) are not supported; save a "
               "plain numeric array");
        descr = parseString();
      } else if (key == "fortran_order") {
        fortranOrder = parseBool();
      } else if (key == "shape") {
        parseShape();
        hasShape = true;
      } else {
        fail("unexpected key '" + key + "'");
      }
      if (!peekIs(','))
        break;
      ++pos_;
    }
    expect('}');
  }

private:
  [[noreturn]] void fail(const std::string &what) {
    throw Error(path_ + ": bad NPY header: " + what);
  }
  void skipSpace() {
    while (pos_ < text_.size() &&
           std::isspace(static_cast<unsigned char>(text_[pos_])))
      ++pos_;
  }
  bool peekIs(char c) {
    skipSpace();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  void expect(char c) {
    if (!peekIs(c))
      fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string parseString() {
    skipSpace();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"'))
      fail("expected a quoted string");
    char q = text_[pos_++];
    size_t end = text_.find(q, pos_);
    if (end == std::string_view::npos)
      fail("unterminated string");
    std::string s(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }
  bool parseBool() {
    skipSpace();
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail("expected True or False");
  }
  void parseShape() {
    expect('(');
    while (!peekIs(')')) {
      skipSpace();
      size_t start = pos_;
      while (pos_ < text_.size() &&
             std::isdigit(static_cast<unsigned char>(text_[pos_])))
        ++pos_;
      if (start == pos_)
        fail("expected a non-negative integer in 'shape'");
      int64_t v = 0;
      auto [ptr, ec] =
          std::from_chars(text_.data() + start, text_.data() + pos_, v);
      (void)ptr;
      if (ec != std::errc())
        fail("extent too large in 'shape'");
      // Python writes 3L for longs in old files.
      if (pos_ < text_.size() && text_[pos_] == 'L')
        ++pos_;
      shape.push_back(v);
      if (!peekIs(','))
        break;
      ++pos_;
    }
    expect(')');
  }

  const std::string &path_;
  std::string_view text_;
  size_t pos_ = 0;
};
} // namespace

static const char kNpyMagic[] = "\x93NUMPY";

bool isNpy(const std::vector<uint8_t> &b) {
  return b.size() >= 6 && std::memcmp(b.data(), kNpyMagic, 6) == 0;
}

static ElemType npyElemType(const std::string &path, const std::string &descr) {
  auto unsupported = [&](const std::string &why) {
    return Error(path + ": unsupported NPY dtype '" + descr + "'" + why +
                 "; save it with arr.astype('<f4') (or '<f8', '<i4', '<i8', "
                 "'|u1')");
  };
  if (descr.size() < 2)
    throw unsupported("");
  char order = descr[0];
  std::string code = descr.substr(1);
  bool oneByte = code == "u1" || code == "i1" || code == "b1";
  if (order == '>' && !oneByte)
    throw unsupported(" (big-endian)");
  if (order != '<' && order != '|' && order != '=' && order != '>')
    throw unsupported("");
  if (code == "f4")
    return ElemType::F32;
  if (code == "f8")
    return ElemType::F64;
  if (code == "i4")
    return ElemType::I32;
  if (code == "i8")
    return ElemType::I64;
  if (code == "i2")
    return ElemType::I16;
  if (code == "u2")
    return ElemType::U16;
  if (code == "u1" || code == "b1")
    return ElemType::U8;
  if (code == "i1")
    return ElemType::I8;
  throw unsupported("");
}

RawArray parseNpy(const std::string &path, std::vector<uint8_t> bytes) {
  RawArray a;
  a.path = path;
  a.format = DataFormat::Npy;
  if (!isNpy(bytes))
    throw Error(path + ": not an NPY file (it does not start with "
                       "\"\\x93NUMPY\"); is it a different format?");
  if (bytes.size() < 10)
    throw Error(path + ": file is truncated inside the NPY preamble");
  int major = bytes[6];
  size_t lenBytes;
  if (major == 1)
    lenBytes = 2;
  else if (major == 2 || major == 3)
    lenBytes = 4;
  else
    throw Error(path + ": unsupported NPY format version " +
                std::to_string(major) + "." + std::to_string(bytes[7]) +
                " (supported: 1.0, 2.0, 3.0)");
  if (bytes.size() < 8 + lenBytes)
    throw Error(path + ": file is truncated inside the NPY preamble");
  size_t headerLen = 0;
  for (size_t i = 0; i < lenBytes; ++i)
    headerLen |= size_t(bytes[8 + i]) << (8 * i);
  size_t dataStart = 8 + lenBytes + headerLen;
  if (dataStart > bytes.size())
    throw Error(path + ": file is truncated inside the NPY header (it " +
                "declares " + std::to_string(headerLen) + " header bytes, " +
                std::to_string(bytes.size() - 8 - lenBytes) + " remain)");
  std::string_view text(reinterpret_cast<const char *>(&bytes[8 + lenBytes]),
                        headerLen);
  NpyHeaderParser hp(path, text);
  hp.parse();
  if (hp.descr.empty())
    throw Error(path + ": bad NPY header: no 'descr'");
  if (!hp.hasShape)
    throw Error(path + ": bad NPY header: no 'shape'");
  a.type = npyElemType(path, hp.descr);
  a.shape = hp.shape;
  if (a.shape.empty())
    throw Error(path + ": the NPY array is 0-dimensional, so it has no " +
                "records; save an array whose first dimension is the records");
  int nonUnit = 0;
  for (int64_t d : a.shape)
    nonUnit += d > 1;
  // Fortran order is only a different layout when two dims exceed 1.
  if (hp.fortranOrder && nonUnit > 1)
    throw Error(path + ": the NPY array is in Fortran order; save it with " +
                "np.save(path, np.ascontiguousarray(arr))");
  uint64_t want = checkedBytes(path, a.shape, elemSize(a.type));
  uint64_t have = bytes.size() - dataStart;
  if (have < want)
    truncated(path, a.shape, a.type, have);
  if (have > want)
    throw Error(path + ": " + std::to_string(have - want) +
                " unexpected bytes after the data declared by the NPY " +
                "header (shape " + shapeText(a.shape) +
                "); the file is corrupt");
  a.bytes = std::move(bytes);
  a.offset = dataStart;
  return a;
}

//===----------------------------------------------------------------------===//
// NPY output
//===----------------------------------------------------------------------===//

void writeNpy(const std::string &path, const Tensor &t) {
  const char *descr = t.dtype() == DType::F32   ? "<f4"
                      : t.dtype() == DType::F64 ? "<f8"
                                                : "<i4";
  std::string shape = "(";
  for (int64_t d : t.shape())
    shape += std::to_string(d) + ", ";
  if (t.rank() > 1)
    shape.resize(shape.size() - 2);
  else if (t.rank() == 1)
    shape.resize(shape.size() - 1);
  shape += ")";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so the data starts on a 64-byte boundary.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 0xffff)
    throw Error(path + ": NPY header too long");
  AtomicFile f(path);
  f.write(kNpyMagic, 6);
  uint8_t version[2] = {1, 0};
  f.write(version, 2);
  uint8_t len[2] = {static_cast<uint8_t>(header.size() & 0xff),
                    static_cast<uint8_t>(header.size() >> 8)};
  f.write(len, 2);
  f.write(header);
  f.write(t.raw(), t.byteSize());
  f.commit();
}

} // namespace lamina
