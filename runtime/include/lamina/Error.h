//===- Error.h - Errors reported to the user of a generated model ---------===//
//
// The runtime reports every user-facing failure (bad data, corrupt checkpoint,
// mismatched pipeline, bad command line) by throwing one of these. The message
// is complete on its own: it names the file, record or tensor involved and,
// where it can, says what to do. Only the command line catches them.
//
//===----------------------------------------------------------------------===//

#ifndef LAMINA_RUNTIME_ERROR_H
#define LAMINA_RUNTIME_ERROR_H

#include <stdexcept>
#include <string>

namespace lamina {

/// A runtime failure; the executable prints it and exits with status 1.
class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A command-line mistake; the executable prints it and exits with status 2.
class UsageError : public Error {
public:
  using Error::Error;
};

} // namespace lamina

#endif // LAMINA_RUNTIME_ERROR_H
