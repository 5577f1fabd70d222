// What the fuzz targets share: invariant checks that abort (so libFuzzer
// keeps the input), the source tree's catalogue, and a scratch directory
// holding an index built once per process and removed when it exits.
#ifndef OTIOSE_FUZZ_FUZZ_UTIL_H_
#define OTIOSE_FUZZ_FUZZ_UTIL_H_

#include <otiose/error.h>
#include <otiose/index.h>
#include <otiose/record.h>
#include <otiose/search.h>
#include <otiose/similarity.h>

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace otiose::fuzz {

// An invariant the input broke: say which, then abort (a crash to libFuzzer).
[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "\nfuzz invariant broken: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

inline void check(bool ok, const std::string& what) {
  if (!ok) fail(what);
}

inline std::string source_path(const std::string& relative) {
  return std::string(OTIOSE_SOURCE_DIR) + "/" + relative;
}

// The bundled catalogue (data/), sorted by slug; its first `limit` records
// when `limit` is not 0.
inline std::vector<LoadedRecord> catalogue(std::size_t limit = 0) {
  Corpus corpus = load_corpus({source_path("data")});
  if (corpus.error_count() != 0) fail("the bundled catalogue has errors");
  if (limit != 0 && corpus.records.size() > limit) corpus.records.resize(limit);
  return corpus.records;
}

inline IndexOptions index_options() {
  IndexOptions o;
  o.tfidf = load_tfidf_config(source_path("similarity/tfidf.json"));
  o.synonyms = load_synonyms(source_path("data/synonyms.txt"));
  o.threads = 1;
  return o;
}

// A fresh directory under $TMPDIR (or /tmp), removed with the object. Make
// it a function-local static: libFuzzer ends with exit(), which runs its
// destructor; a crash leaves it behind (scripts/fuzz points TMPDIR at a
// directory of its own and removes that).
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/otiose-fuzz-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) fail("cannot create a scratch directory");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Builds an index of `records` at `dir` (write_index), or aborts.
inline void build_index(const std::vector<LoadedRecord>& records, const std::string& dir) {
  try {
    write_index(records, dir, index_options());
  } catch (const Error& e) {
    fail(std::string("cannot build the fuzz index: ") + e.what());
  }
}

// The index of the whole bundled catalogue, built on first use.
inline const std::string& catalogue_index() {
  static ScratchDir scratch;
  static const std::string dir = [] {
    std::string d = scratch.path() + "/index";
    build_index(catalogue(), d);
    return d;
  }();
  return dir;
}

// One Searcher over catalogue_index(), opened on first use and kept.
inline const Searcher& catalogue_searcher() {
  static const Searcher s(catalogue_index());
  return s;
}

}  // namespace otiose::fuzz

#endif  // OTIOSE_FUZZ_FUZZ_UTIL_H_
