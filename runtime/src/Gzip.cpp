//===- Gzip.cpp - Reading gzip-compressed data files ----------------------===//

#include "DataCommon.h"

#include "lamina/Error.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace lamina {

bool isGzip(const std::vector<uint8_t> &b) {
  return b.size() >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}

std::vector<uint8_t> gunzipFile(const std::string &path) {
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

} // namespace lamina
