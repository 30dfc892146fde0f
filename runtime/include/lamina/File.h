//===- File.h - Whole-file reads and atomic writes ------------------------===//

#ifndef LAMINA_RUNTIME_FILE_H
#define LAMINA_RUNTIME_FILE_H

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace lamina {

/// Reads all of `path`. Throws Error naming the file if it cannot be opened
/// or read (missing, a directory, permission denied).
std::vector<uint8_t> readFile(const std::string &path);

/// Asks the kernel to back the pages of [p, p + bytes) with huge pages when
/// the block is large (4 MiB or more), so that touching it costs a page
/// fault per 2 MiB, not per 4 KiB (a data set of 200 MB: 50,000 faults,
/// the largest cost of loading it on a virtual machine). A hint: nothing
/// happens where the kernel does not offer them.
void adviseHugePages(void *p, size_t bytes);

/// Writes a file so that readers see either the old contents or the complete
/// new ones, never a mix: data goes to `path + ".tmp"`, which commit() fsyncs
/// and renames over `path`. If the AtomicFile is destroyed without commit()
/// (an exception, a failed write), the temporary file is removed and `path`
/// is left untouched.
class AtomicFile {
public:
  /// Creates `path + ".tmp"`. Throws Error if it cannot be created.
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile &) = delete;
  AtomicFile &operator=(const AtomicFile &) = delete;

  /// Appends `size` bytes. Throws Error naming the file on failure (disk
  /// full, I/O error).
  void write(const void *data, size_t size);
  /// Appends a string.
  void write(const std::string &s) { write(s.data(), s.size()); }
  /// Bytes written so far.
  size_t bytesWritten() const { return written_; }
  /// Hands the bytes written so far to the OS (they are not yet durable, nor
  /// visible at path()). Throws Error on failure.
  void flush();
  /// Flushes, fsyncs and renames the temporary file over the target, then
  /// fsyncs the directory. Throws Error on failure (the target is untouched).
  void commit();

  /// The final path.
  const std::string &path() const { return path_; }
  /// The temporary path being written.
  const std::string &tmpPath() const { return tmpPath_; }

private:
  void abandon();
  std::string path_;
  std::string tmpPath_;
  std::FILE *file_ = nullptr;
  size_t written_ = 0;
  bool committed_ = false;
};

} // namespace lamina

#endif // LAMINA_RUNTIME_FILE_H
