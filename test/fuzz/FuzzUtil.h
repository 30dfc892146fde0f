//===- FuzzUtil.h - Shared pieces of the libFuzzer targets ----------------===//
#ifndef LAMINA_TEST_FUZZ_FUZZUTIL_H
#define LAMINA_TEST_FUZZ_FUZZUTIL_H

#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <streambuf>

namespace lamina::fuzz {

/// A stream buffer that drops everything: the fuzzers check that the front
/// end survives and keeps its contracts, not what the diagnostics say.
class NullBuffer : public std::streambuf {
protected:
  int overflow(int c) override { return traits_type::not_eof(c); }
  std::streamsize xsputn(const char *, std::streamsize n) override { return n; }
};

/// An ostream over a NullBuffer, shared by all runs.
inline std::ostream &nullStream() {
  static NullBuffer buffer;
  static std::ostream os(&buffer);
  return os;
}

/// Stops the run with a message; libFuzzer records the input as a crash.
[[noreturn]] inline void violated(const char *contract) {
  std::fprintf(stderr, "lamina fuzz: contract violated: %s\n", contract);
  std::abort();
}

} // namespace lamina::fuzz

#endif // LAMINA_TEST_FUZZ_FUZZUTIL_H
