//===- File.cpp - Whole-file reads and atomic writes ----------------------===//

#include "lamina/File.h"

#include "lamina/Error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lamina {

static std::string errnoText() { return std::strerror(errno); }

void adviseHugePages(void *p, size_t bytes) {
  constexpr size_t kLarge = size_t(4) << 20;
  if (!p || bytes < kLarge)
    return;
  size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
  uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) / page * page;
  if (end > begin)
    (void)::madvise(reinterpret_cast<void *>(begin), end - begin,
                    MADV_HUGEPAGE);
}

std::vector<uint8_t> readFile(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    throw Error(path + ": cannot open: " + errnoText());
  if (S_ISDIR(st.st_mode))
    throw Error(path + ": is a directory, expected a file");
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    throw Error(path + ": cannot open: " + errnoText());
  std::vector<uint8_t> bytes;
  // One allocation for a regular file: growing the vector chunk by chunk
  // copies and page-faults it again at every doubling.
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    bytes.reserve(static_cast<size_t>(st.st_size));
    adviseHugePages(bytes.data(), bytes.capacity());
  }
  uint8_t chunk[1 << 16];
  size_t n;
  // Read in chunks rather than trusting st_size, which is 0 for pipes.
  while ((n = std::fread(chunk, 1, sizeof(chunk), f)) > 0)
    bytes.insert(bytes.end(), chunk, chunk + n);
  bool failed = std::ferror(f);
  std::fclose(f);
  if (failed)
    throw Error(path + ": read error");
  return bytes;
}

AtomicFile::AtomicFile(std::string path)
    : path_(std::move(path)), tmpPath_(path_ + ".tmp") {
  file_ = std::fopen(tmpPath_.c_str(), "wb");
  if (!file_)
    throw Error(path_ + ": cannot write '" + tmpPath_ + "': " + errnoText());
}

AtomicFile::~AtomicFile() {
  if (!committed_)
    abandon();
}

void AtomicFile::abandon() {
  if (file_) {
    std::fclose(file_);
    file_ = nullptr;
  }
  std::remove(tmpPath_.c_str());
}

void AtomicFile::write(const void *data, size_t size) {
  if (!file_)
    throw Error(path_ + ": write after the file was closed");
  if (size && std::fwrite(data, 1, size, file_) != size)
    throw Error(path_ + ": cannot write '" + tmpPath_ + "': " + errnoText() +
                " (is the disk full?)");
  written_ += size;
}

void AtomicFile::flush() {
  if (!file_)
    throw Error(path_ + ": flush after the file was closed");
  if (std::fflush(file_) != 0)
    throw Error(path_ + ": cannot write '" + tmpPath_ + "': " + errnoText());
}

void AtomicFile::commit() {
  if (!file_)
    throw Error(path_ + ": commit after the file was closed");
  bool ok = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  std::string why = ok ? "" : errnoText();
  ok = std::fclose(file_) == 0 && ok;
  file_ = nullptr;
  if (!ok)
    throw Error(path_ + ": cannot write '" + tmpPath_ +
                "': " + (why.empty() ? errnoText() : why));
  if (std::rename(tmpPath_.c_str(), path_.c_str()) != 0)
    throw Error(path_ + ": cannot rename '" + tmpPath_ +
                "' over it: " + errnoText());
  committed_ = true;
  // Make the rename itself durable. Failure here is not worth reporting:
  // the data is complete either way.
  std::string dir = ".";
  if (size_t slash = path_.rfind('/'); slash != std::string::npos)
    dir = slash == 0 ? "/" : path_.substr(0, slash);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

} // namespace lamina
