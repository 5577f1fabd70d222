// error.h: the one exception type the library throws.
//
// The library never prints and never exits. Anything that stops an operation
// throws otiose::Error, whose what() is the message a user should see: it names
// the path, the query or the slug involved. A bad *record* is not an exception:
// it becomes a Diagnostic (record.h), so one run can list every problem.
#ifndef OTIOSE_ERROR_H_
#define OTIOSE_ERROR_H_

#include <otiose/export.h>

#include <stdexcept>
#include <string>

namespace otiose {

// What went wrong, coarse enough to pick an exit code from.
enum class ErrorKind {
  kIo,        // a file or directory could not be read or written
  kIndex,     // the index is missing, damaged, locked or of another version
  kModel,     // the similarity model file is missing, damaged or of another version
  kQuery,     // the query text could not be parsed
  kNotFound,  // a slug, title or alias names no specimen
  kUsage,     // the caller passed arguments that make no sense
  kCorpus,    // the corpus has bad records (the diagnostics say which)
  // A shard of a sharded index did not answer (a xapian-tcpsrv down or too
  // slow); the message names it. Worth retrying.
  kUnavailable,
};

class OTIOSE_EXPORT Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

// A short lower-case name for `kind`, e.g. "index" or "not found".
OTIOSE_EXPORT const char* to_string(ErrorKind kind) noexcept;

}  // namespace otiose

#endif  // OTIOSE_ERROR_H_
