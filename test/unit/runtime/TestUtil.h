//===- TestUtil.h - Helpers for the runtime unit tests --------------------===//

#ifndef LAMINA_TEST_RUNTIME_TESTUTIL_H
#define LAMINA_TEST_RUNTIME_TESTUTIL_H

#include "lamina/Error.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace lamina::test {

/// A fresh directory under $TMPDIR, removed with its contents on scope exit.
class TempDir {
public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "lamina-rt-XXXXXX").string();
    if (!mkdtemp(tmpl.data()))
      ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  /// The path of `name` inside the directory.
  std::string file(const std::string &name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

/// Writes `bytes` to `path`.
inline void writeBytes(const std::string &path,
                       const std::vector<uint8_t> &bytes) {
  std::FILE *f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  if (!bytes.empty())
    std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

/// Writes `text` to `path`.
inline void writeText(const std::string &path, const std::string &text) {
  writeBytes(path, std::vector<uint8_t>(text.begin(), text.end()));
}

/// Writes `bytes` gzip-compressed to `path`.
inline void writeGzip(const std::string &path,
                      const std::vector<uint8_t> &bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

/// Reads `path` whole.
inline std::vector<uint8_t> readBytes(const std::string &path) {
  std::vector<uint8_t> bytes;
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return bytes;
  int c;
  while ((c = std::fgetc(f)) != EOF)
    bytes.push_back(static_cast<uint8_t>(c));
  std::fclose(f);
  return bytes;
}

/// Runs `f`, expects it to throw lamina::Error, and returns the message.
template <typename F> std::string errorOf(F &&f) {
  try {
    f();
  } catch (const Error &e) {
    return e.what();
  }
  ADD_FAILURE() << "expected lamina::Error";
  return "";
}

} // namespace lamina::test

#endif // LAMINA_TEST_RUNTIME_TESTUTIL_H
