//===- Data.cpp - Reading data sets (IDX, CSV, NPY) and writing NPY -------===//

#include "lamina/Data.h"

#include "lamina/Error.h"
#include "lamina/File.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

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

static std::string shapeText(const Shape &s) {
  std::string t = "[";
  for (size_t i = 0; i < s.size(); ++i)
    t += (i ? ", " : "") + std::to_string(s[i]);
  return t + "]";
}

/// The product of `dims` times `elem`, or throws if it overflows what a file
/// could hold.
static uint64_t checkedBytes(const std::string &path, const Shape &dims,
                             size_t elem) {
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

/// Explains that data ends early, naming the first incomplete record.
[[noreturn]] static void truncated(const std::string &path, const Shape &shape,
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
// gzip
//===----------------------------------------------------------------------===//

static bool isGzip(const std::vector<uint8_t> &b) {
  return b.size() >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}

static std::vector<uint8_t> gunzipFile(const std::string &path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f)
    throw Error(path + ": cannot open: " + std::strerror(errno));
  gzbuffer(f, 1 << 17);
  std::vector<uint8_t> out;
  std::vector<uint8_t> chunk(1 << 20);
  for (;;) {
    int n = gzread(f, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n <= 0)
      break;
    out.insert(out.end(), chunk.begin(), chunk.begin() + n);
  }
  int err = Z_OK;
  std::string msg = gzerror(f, &err);
  gzclose(f);
  if (err == Z_BUF_ERROR)
    throw Error(path + ": gzip data is truncated (unexpected end of file " +
                "after " + std::to_string(out.size()) +
                " decompressed bytes); re-download the file");
  if (err != Z_OK)
    throw Error(path + ": gzip data is corrupt (" + msg +
                "); re-download the file");
  return out;
}

//===----------------------------------------------------------------------===//
// IDX
//===----------------------------------------------------------------------===//

static uint32_t readBigEndian32(const uint8_t *p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 |
         uint32_t(p[3]);
}

RawArray parseIdx(const std::string &path, std::vector<uint8_t> bytes) {
  RawArray a;
  a.path = path;
  a.format = DataFormat::Idx;
  a.bigEndian = true;
  if (bytes.size() < 4)
    throw Error(path + ": file is truncated: an IDX file starts with a " +
                "4-byte magic number but the file has " +
                std::to_string(bytes.size()) + " bytes");
  if (bytes[0] != 0 || bytes[1] != 0) {
    char magic[16];
    std::snprintf(magic, sizeof(magic), "0x%02x%02x%02x%02x", bytes[0],
                  bytes[1], bytes[2], bytes[3]);
    throw Error(path + ": not an IDX file (magic " + magic +
                ", expected 0x0000TTNN); is it a different format?");
  }
  switch (bytes[2]) {
  case 0x08:
    a.type = ElemType::U8;
    break;
  case 0x09:
    a.type = ElemType::I8;
    break;
  case 0x0B:
    a.type = ElemType::I16;
    break;
  case 0x0C:
    a.type = ElemType::I32;
    break;
  case 0x0D:
    a.type = ElemType::F32;
    break;
  case 0x0E:
    a.type = ElemType::F64;
    break;
  default: {
    char code[8];
    std::snprintf(code, sizeof(code), "0x%02x", bytes[2]);
    throw Error(path + ": unknown IDX element type " + code +
                " (expected 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32 " +
                "or 0x0E f64)");
  }
  }
  size_t rank = bytes[3];
  if (rank == 0)
    throw Error(path + ": IDX file has 0 dimensions, so it has no records");
  size_t header = 4 + 4 * rank;
  if (bytes.size() < header)
    throw Error(path + ": file is truncated inside the IDX header (" +
                std::to_string(rank) + " dimensions need " +
                std::to_string(header) + " bytes, the file has " +
                std::to_string(bytes.size()) + ")");
  for (size_t i = 0; i < rank; ++i)
    a.shape.push_back(readBigEndian32(&bytes[4 + 4 * i]));
  uint64_t want = checkedBytes(path, a.shape, elemSize(a.type));
  uint64_t have = bytes.size() - header;
  if (have < want)
    truncated(path, a.shape, a.type, have);
  if (have > want)
    throw Error(path + ": " + std::to_string(have - want) +
                " unexpected bytes after the data declared by the IDX " +
                "header (shape " + shapeText(a.shape) +
                "); the file is corrupt");
  a.bytes = std::move(bytes);
  a.offset = header;
  return a;
}

//===----------------------------------------------------------------------===//
// NPY
//===----------------------------------------------------------------------===//

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

static bool isNpy(const std::vector<uint8_t> &b) {
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
// CSV
//===----------------------------------------------------------------------===//

static bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/// Parses a whole field as a number (optional leading '+').
static bool parseNumber(std::string_view s, double &v) {
  if (!s.empty() && s[0] == '+')
    s.remove_prefix(1);
  if (s.empty())
    return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && ptr == s.data() + s.size();
}

RawArray parseCsv(const std::string &path, const std::vector<uint8_t> &bytes) {
  RawArray a;
  a.path = path;
  a.format = DataFormat::Csv;
  a.type = ElemType::F64;
  std::string_view text(reinterpret_cast<const char *>(bytes.data()),
                        bytes.size());
  std::vector<double> values;
  int64_t columns = -1;
  int64_t firstDataLine = 0;
  bool sawRow = false;
  size_t pos = 0;
  int64_t line = 0;
  struct Field {
    std::string_view text;
    size_t column; // 1-based
  };
  std::vector<Field> fields;
  while (pos < text.size()) {
    ++line;
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos)
      end = text.size();
    std::string_view row = text.substr(pos, end - pos);
    pos = end + 1;
    size_t first = 0;
    while (first < row.size() && isBlank(row[first]))
      ++first;
    if (first == row.size() || row[first] == '#')
      continue;
    if (row.find('\0') != std::string_view::npos)
      throw Error(path + ":" + std::to_string(line) +
                  ": binary data in a CSV file; is it IDX or NPY?");

    fields.clear();
    size_t start = 0;
    for (;;) {
      size_t comma = row.find(',', start);
      size_t stop = comma == std::string_view::npos ? row.size() : comma;
      size_t b = start, e = stop;
      while (b < e && isBlank(row[b]))
        ++b;
      while (e > b && isBlank(row[e - 1]))
        --e;
      fields.push_back({row.substr(b, e - b), (b < e ? b : start) + 1});
      if (comma == std::string_view::npos)
        break;
      start = comma + 1;
    }

    if (!sawRow) {
      sawRow = true;
      // A first row with no number at all is a header.
      double ignored;
      if (std::none_of(fields.begin(), fields.end(), [&](const Field &f) {
            return parseNumber(f.text, ignored);
          }))
        continue;
    }
    auto where = [&](const Field &f) {
      return path + ":" + std::to_string(line) + ":" +
             std::to_string(f.column) + ": ";
    };
    if (columns < 0) {
      columns = static_cast<int64_t>(fields.size());
      firstDataLine = line;
    } else if (static_cast<int64_t>(fields.size()) != columns) {
      const Field &f = fields[std::min<size_t>(fields.size(), columns) - 1];
      throw Error(where(f) + "this row has " + std::to_string(fields.size()) +
                  " fields but line " + std::to_string(firstDataLine) +
                  " has " + std::to_string(columns) +
                  "; every record must have the same number of values");
    }
    for (size_t i = 0; i < fields.size(); ++i) {
      double v;
      if (!parseNumber(fields[i].text, v)) {
        if (fields[i].text.empty())
          throw Error(where(fields[i]) + "field " + std::to_string(i + 1) +
                      " is empty; expected a number");
        throw Error(where(fields[i]) + "field " + std::to_string(i + 1) +
                    " is '" + std::string(fields[i].text) +
                    "', not a number; CSV data must be numeric (a header is "
                    "only allowed on the first line)");
      }
      values.push_back(v);
    }
    a.lines.push_back(line);
  }
  int64_t records = static_cast<int64_t>(a.lines.size());
  if (records == 0)
    throw Error(path + ": no records (the file is empty or has only a " +
                "header); expected one row of numbers per record");
  a.shape = {records, columns};
  a.bytes.resize(values.size() * sizeof(double));
  std::memcpy(a.bytes.data(), values.data(), a.bytes.size());
  return a;
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
  bool csvName = endsWith(base, ".csv") || endsWith(base, ".txt");
  size_t probe = std::min<size_t>(bytes.size(), 4096);
  bool text = std::none_of(bytes.begin(), bytes.begin() + probe,
                           [](uint8_t c) { return c == 0; });
  if (csvName || text)
    return parseCsv(path, bytes);
  throw Error(path + ": unrecognized data format; expected IDX (name " +
              "containing 'idx' or ending in 'ubyte', optionally .gz), CSV " +
              "(.csv) or NPY (.npy)");
}

//===----------------------------------------------------------------------===//
// Conversion
//===----------------------------------------------------------------------===//

template <typename S> static S loadElem(const uint8_t *p, bool bigEndian) {
  uint8_t tmp[sizeof(S)];
  if (bigEndian)
    std::reverse_copy(p, p + sizeof(S), tmp);
  else
    std::memcpy(tmp, p, sizeof(S));
  S v;
  std::memcpy(&v, tmp, sizeof(S));
  return v;
}

template <typename S, typename D>
static void convertAll(const RawArray &a, D *out, int64_t n, double scale,
                       const TensorSpec &spec) {
  const uint8_t *src = a.bytes.data() + a.offset;
  int64_t perRecord = a.recordNumel();
  for (int64_t i = 0; i < n; ++i) {
    S s = loadElem<S>(src + i * sizeof(S), a.bigEndian && sizeof(S) > 1);
    if constexpr (std::is_integral_v<D>) {
      double v = static_cast<double>(s);
      if (!std::isfinite(v) || v != std::floor(v) ||
          v < std::numeric_limits<D>::min() ||
          v > std::numeric_limits<D>::max()) {
        char text[64];
        std::snprintf(text, sizeof(text), "%.17g", v);
        throw Error(a.path + ": " + a.recordName(i / perRecord) + ", value " +
                    std::to_string(i % perRecord) + ": " + text +
                    " is not a 32-bit integer, but " + spec.describe() +
                    " holds integers (class indices)");
      }
      if (spec.classes > 0 && (v < 0 || v >= spec.classes))
        throw Error(a.path + ": " + a.recordName(i / perRecord) + ": class " +
                    std::to_string(static_cast<int64_t>(v)) +
                    " is out of range; " + spec.describe() + " holds " +
                    std::to_string(spec.classes) + " classes, 0 to " +
                    std::to_string(spec.classes - 1));
      out[i] = static_cast<D>(s);
    } else {
      double v = static_cast<double>(s);
      // A NaN or infinity would flow silently through relu and pooling.
      if (!std::isfinite(v))
        throw Error(a.path + ": " + a.recordName(i / perRecord) + ", value " +
                    std::to_string(i % perRecord) + " is " +
                    (std::isnan(v) ? "nan" : "infinite") + "; " +
                    spec.describe() + " needs finite numbers");
      out[i] = static_cast<D>(v * scale);
    }
  }
}

template <typename D>
static void convertTo(const RawArray &a, D *out, int64_t n,
                      const TensorSpec &spec) {
  // Bytes in a float tensor are pixels: scale them to [0, 1].
  double scale =
      std::is_floating_point_v<D> && a.type == ElemType::U8 ? 1.0 / 255.0 : 1.0;
  switch (a.type) {
  case ElemType::U8:
    return convertAll<uint8_t>(a, out, n, scale, spec);
  case ElemType::I8:
    return convertAll<int8_t>(a, out, n, scale, spec);
  case ElemType::I16:
    return convertAll<int16_t>(a, out, n, scale, spec);
  case ElemType::U16:
    return convertAll<uint16_t>(a, out, n, scale, spec);
  case ElemType::I32:
    return convertAll<int32_t>(a, out, n, scale, spec);
  case ElemType::I64:
    return convertAll<int64_t>(a, out, n, scale, spec);
  case ElemType::F32:
    return convertAll<float>(a, out, n, scale, spec);
  case ElemType::F64:
    return convertAll<double>(a, out, n, scale, spec);
  }
}

Tensor toSamples(const RawArray &a, const TensorSpec &spec) {
  int64_t records = a.records();
  if (records == 0)
    throw Error(a.path + ": no records (shape " + shapeText(a.shape) + "); " +
                spec.describe() + " needs at least one");
  int64_t perRecord = a.recordNumel();
  int64_t perSample = spec.sampleNumel();
  if (perRecord != perSample) {
    std::string recordShape =
        a.format == DataFormat::Csv
            ? std::to_string(perRecord) + " values per row"
            : "records of shape " +
                  shapeText(Shape(a.shape.begin() + 1, a.shape.end())) + " (" +
                  std::to_string(perRecord) + " values)";
    throw Error(a.path + ": has " + recordShape + ", but " + spec.describe() +
                " takes " + std::to_string(perSample) +
                " values per sample; is this the file for '" + spec.name +
                "'? (data files go in declaration order: inputs, then labels)");
  }
  Shape shape = spec.sampleShape();
  shape.insert(shape.begin(), records);
  Tensor t(spec.dtype, shape);
  int64_t n = t.numel();
  switch (spec.dtype) {
  case DType::F32:
    convertTo(a, t.data<float>(), n, spec);
    break;
  case DType::F64:
    convertTo(a, t.data<double>(), n, spec);
    break;
  case DType::I32:
    convertTo(a, t.data<int32_t>(), n, spec);
    break;
  }
  return t;
}

Tensor loadSamples(const std::string &path, const TensorSpec &spec) {
  return toSamples(readArray(path), spec);
}

//===----------------------------------------------------------------------===//
// Data sets
//===----------------------------------------------------------------------===//

static Tensor takeRows(Tensor &t, int64_t begin, int64_t end) {
  Shape s = t.shape();
  s[0] = end - begin;
  Tensor out(t.dtype(), s);
  if (out.byteSize())
    std::memcpy(out.raw(), t.row(begin), out.byteSize());
  return out;
}

Dataset Dataset::splitTail(int64_t count) {
  assert(count >= 0 && count <= size && "split larger than the data set");
  Dataset tail;
  tail.size = count;
  int64_t keep = size - count;
  for (auto *list : {&inputs, &labels}) {
    auto &dst = list == &inputs ? tail.inputs : tail.labels;
    for (Tensor &t : *list) {
      dst.push_back(takeRows(t, keep, size));
      t = takeRows(t, 0, keep);
    }
  }
  size = keep;
  return tail;
}

Dataset loadDataset(const ModelDesc &model,
                    const std::vector<std::string> &inputPaths,
                    const std::vector<std::string> &labelPaths) {
  assert(inputPaths.size() == model.inputs.size() &&
         (labelPaths.empty() || labelPaths.size() == model.labels.size()) &&
         "one path per tensor");
  Dataset d;
  std::string firstPath;
  auto add = [&](const TensorSpec &spec, const std::string &path,
                 std::vector<Tensor> &dst) {
    Tensor t = loadSamples(path, spec);
    int64_t n = t.shape()[0];
    if (firstPath.empty()) {
      firstPath = path;
      d.size = n;
    } else if (n != d.size) {
      throw Error(path + ": has " + std::to_string(n) + " records but " +
                  firstPath + " has " + std::to_string(d.size) +
                  "; inputs and labels must have one record per sample");
    }
    dst.push_back(std::move(t));
  };
  for (size_t i = 0; i < inputPaths.size(); ++i)
    add(model.inputs[i], inputPaths[i], d.inputs);
  for (size_t i = 0; i < labelPaths.size(); ++i)
    add(model.labels[i], labelPaths[i], d.labels);
  return d;
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
