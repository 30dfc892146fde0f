//===- Npy.cpp - Reading and writing NPY files ----------------------------===//

#include "lamina/Data.h"

#include "DataCommon.h"

#include "lamina/Error.h"
#include "lamina/File.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

namespace {
/// What an NPY header says.
struct NpyHeader {
  ElemType type = ElemType::F32;
  Shape shape;
  size_t dataStart = 0;
};

/// Parses the preamble and header of an NPY file from its first `size`
/// bytes (at least the whole header). Throws Error naming `path`.
NpyHeader parseNpyHeader(const std::string &path, const uint8_t *bytes,
                         size_t size) {
  if (!isNpy(std::vector<uint8_t>(bytes, bytes + std::min<size_t>(size, 6))))
    throw Error(path + ": not an NPY file (it does not start with "
                       "\"\\x93NUMPY\"); is it a different format?");
  if (size < 10)
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
  if (size < 8 + lenBytes)
    throw Error(path + ": file is truncated inside the NPY preamble");
  size_t headerLen = 0;
  for (size_t i = 0; i < lenBytes; ++i)
    headerLen |= size_t(bytes[8 + i]) << (8 * i);
  NpyHeader h;
  h.dataStart = 8 + lenBytes + headerLen;
  if (h.dataStart > size)
    throw Error(path + ": file is truncated inside the NPY header (it " +
                "declares " + std::to_string(headerLen) + " header bytes, " +
                std::to_string(size - 8 - lenBytes) + " remain)");
  std::string_view text(reinterpret_cast<const char *>(&bytes[8 + lenBytes]),
                        headerLen);
  NpyHeaderParser hp(path, text);
  hp.parse();
  if (hp.descr.empty())
    throw Error(path + ": bad NPY header: no 'descr'");
  if (!hp.hasShape)
    throw Error(path + ": bad NPY header: no 'shape'");
  h.type = npyElemType(path, hp.descr);
  h.shape = hp.shape;
  if (h.shape.empty())
    throw Error(path + ": the NPY array is 0-dimensional, so it has no " +
                "records; save an array whose first dimension is the records");
  int nonUnit = 0;
  for (int64_t d : h.shape)
    nonUnit += d > 1;
  // Fortran order is only a different layout when two dims exceed 1.
  if (hp.fortranOrder && nonUnit > 1)
    throw Error(path + ": the NPY array is in Fortran order; save it with " +
                "np.save(path, np.ascontiguousarray(arr))");
  return h;
}

/// Checks that `have` bytes of data follow the header: exactly the shape's.
void checkNpyData(const std::string &path, const NpyHeader &h, uint64_t have) {
  uint64_t want = checkedBytes(path, h.shape, elemSize(h.type));
  if (have < want)
    truncated(path, h.shape, h.type, have);
  if (have > want)
    throw Error(path + ": " + std::to_string(have - want) +
                " unexpected bytes after the data declared by the NPY " +
                "header (shape " + shapeText(h.shape) +
                "); the file is corrupt");
}
} // namespace

RawArray parseNpy(const std::string &path, std::vector<uint8_t> bytes) {
  NpyHeader h = parseNpyHeader(path, bytes.data(), bytes.size());
  checkNpyData(path, h, bytes.size() - h.dataStart);
  RawArray a;
  a.path = path;
  a.format = DataFormat::Npy;
  a.type = h.type;
  a.shape = h.shape;
  a.bytes = std::move(bytes);
  a.offset = h.dataStart;
  return a;
}

//===----------------------------------------------------------------------===//
// NPY records read as they are needed
//===----------------------------------------------------------------------===//

std::unique_ptr<NpyRecords> NpyRecords::open(const std::string &path,
                                             const TensorSpec &spec) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return nullptr;
  std::unique_ptr<NpyRecords> r(new NpyRecords);
  r->fd_ = fd;
  r->path_ = path;
  r->spec_ = spec;
  struct stat st;
  uint8_t head[1 << 16];
  ssize_t got = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)
                    ? ::pread(fd, head, sizeof(head), 0)
                    : -1;
  // Not a plain NPY file (gzip, another format, a pipe): loaded whole.
  if (got < 6 || !isNpy(std::vector<uint8_t>(head, head + 6)))
    return nullptr;
  NpyHeader h = parseNpyHeader(path, head, static_cast<size_t>(got));
  checkNpyData(path, h, static_cast<uint64_t>(st.st_size) - h.dataStart);
  ElemType want = spec.dtype == DType::F32   ? ElemType::F32
                  : spec.dtype == DType::F64 ? ElemType::F64
                                             : ElemType::I32;
  RawArray shape;
  shape.shape = h.shape;
  // Another element type is converted by the whole-file reader, which also
  // reports a record size that does not fit.
  if (h.type != want || shape.recordNumel() != spec.sampleNumel() ||
      h.shape[0] == 0)
    return nullptr;
  r->dataStart_ = h.dataStart;
  r->records_ = h.shape[0];
  r->recordBytes_ =
      static_cast<uint64_t>(shape.recordNumel()) * elemSize(h.type);
  return r;
}

NpyRecords::~NpyRecords() {
  if (fd_ >= 0)
    ::close(fd_);
}

void NpyRecords::read(int64_t first, int64_t count, Tensor &dst) {
  uint8_t *p = dst.row(0);
  uint64_t left = static_cast<uint64_t>(count) * recordBytes_;
  uint64_t at = dataStart_ + static_cast<uint64_t>(first) * recordBytes_;
  while (left > 0) {
    ssize_t n = ::pread(fd_, p, left, static_cast<off_t>(at));
    if (n <= 0)
      throw Error(path_ + ": read error at record " +
                  std::to_string((at - dataStart_) / recordBytes_) +
                  (n < 0 ? ": " + std::string(std::strerror(errno))
                         : std::string(": the file was cut short")));
    p += n;
    at += static_cast<uint64_t>(n);
    left -= static_cast<uint64_t>(n);
  }
  checkRecords(path_, spec_, dst, first, count);
}

//===----------------------------------------------------------------------===//
// NPY output
//===----------------------------------------------------------------------===//

NpyWriter::NpyWriter(const std::string &path, DType dtype, const Shape &shape)
    : file_(path) {
  const char *descr = dtype == DType::F32   ? "<f4"
                      : dtype == DType::F64 ? "<f8"
                                            : "<i4";
  std::string dims = "(";
  for (int64_t d : shape)
    dims += std::to_string(d) + ", ";
  if (shape.size() > 1)
    dims.resize(dims.size() - 2);
  else if (shape.size() == 1)
    dims.resize(dims.size() - 1);
  dims += ")";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + dims + ", }";
  // Pad with spaces so the data starts on a 64-byte boundary.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 0xffff)
    throw Error(path + ": NPY header too long");
  file_.write(kNpyMagic, 6);
  uint8_t version[2] = {1, 0};
  file_.write(version, 2);
  uint8_t len[2] = {static_cast<uint8_t>(header.size() & 0xff),
                    static_cast<uint8_t>(header.size() >> 8)};
  file_.write(len, 2);
  file_.write(header);
}

void writeNpy(const std::string &path, const Tensor &t) {
  NpyWriter w(path, t.dtype(), t.shape());
  w.append(t.raw(), t.byteSize());
  w.commit();
}

} // namespace lamina
