#include <otiose/error.h>

namespace otiose {

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::kIo: return "io";
    case ErrorKind::kIndex: return "index";
    case ErrorKind::kModel: return "model";
    case ErrorKind::kQuery: return "query";
    case ErrorKind::kNotFound: return "not found";
    case ErrorKind::kUsage: return "usage";
    case ErrorKind::kCorpus: return "corpus";
    case ErrorKind::kUnavailable: return "unavailable";
  }
  return "error";
}

}  // namespace otiose
