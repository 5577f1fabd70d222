// index.h: building the index every search, related list and frontend reads.
//
// An index is a directory holding generations of a Xapian database and the
// similarity model built with it (layout/layout.h in the source tree). Writing is
// incremental by default, atomic (readers see the old generation or the new
// one), crash-safe (kill -9 at any point leaves the previous generation
// answering), and exclusive (a second writer is refused).
#ifndef OTIOSE_INDEX_H_
#define OTIOSE_INDEX_H_

#include <otiose/export.h>
#include <otiose/record.h>
#include <otiose/similarity.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace otiose {

class Env;

// Where every tool finds the index: `flag` when not empty, else
// $OTIOSE_INDEX, else ${XDG_DATA_HOME:-$HOME/.local/share}/otiose/index.
OTIOSE_EXPORT std::string resolve_index_path(std::string_view flag = {});

// Synonym groups: each line of a synonyms file is "term = other, another",
// words or phrases that mean the same ("cx = customer experience").
// '#' starts a comment. Throws Error(kUsage) naming FILE:LINE for a bad line,
// Error(kIo) when the file cannot be read.
OTIOSE_EXPORT std::vector<std::vector<std::string>> load_synonyms(const std::string& path);

struct IndexOptions {
  // Build a new database from scratch instead of updating the current one.
  bool rebuild = false;
  // The similarity configuration (similarity/tfidf.json).
  TfidfConfig tfidf;
  // Synonym groups (load_synonyms), stored in the index for the searcher.
  std::vector<std::vector<std::string>> synonyms;
  // The reference occupations and which of them the specimens are
  // (load_occupations), stored in the model for the ad matcher.
  Occupations occupations;
  // Worker threads for the model; 0 uses every core.
  unsigned threads = 0;
  // Write the generation as this many Xapian databases (a specimen and its
  // quotes in the shard its slug hashes to) and a stub that lists them; 0
  // writes one database. A sharded generation is written whole every run.
  std::size_t shards = 0;
  // With `shards`: HOST:PORT for each shard, in order, when they are served
  // by xapian-tcpsrv (the stub names them; the shards are still written
  // here, for copying to those machines). Empty: the stub names the local
  // shards.
  std::vector<std::string> remote_shards;
  // Called now and then with the stage ("specimens", "merging",
  // "similarity"), the items done and the total. Called from the calling thread or a worker,
  // never two at once.
  std::function<void(std::string_view stage, std::size_t done, std::size_t total)> progress;
  // Every durable write, flush, rename and link of the run goes through it;
  // nullptr is Env::Default(). Not owned.
  Env* env = nullptr;
};

struct IndexReport {
  std::size_t specimens = 0;  // in the index after the run
  std::size_t quotes = 0;
  std::size_t added = 0;  // specimens
  std::size_t updated = 0;
  std::size_t removed = 0;
  std::size_t unchanged = 0;
  bool written = false;  // false: nothing changed, the current generation stays
  bool rebuilt = false;
  // When it was earlier edits that made this run a rebuild: the documents
  // they had left out of the order equal scores are shown in (README.md).
  std::size_t out_of_order = 0;
  double seconds = 0;
  std::string generation;  // the generation directory now current
  ModelBuildStats model;   // when the model was rebuilt
};

// Makes the index at `index_dir` hold exactly `records` (the corpus loader's
// good records). Creates the directory if needed. Throws Error(kIndex) when
// another writer holds the lock ("index ... is locked by PID n") or the
// directory is not an index, Error(kIo) when it cannot be written,
// Error(kCorpus) when `records` is empty; either way the previous generation
// is untouched.
OTIOSE_EXPORT IndexReport write_index(const std::vector<LoadedRecord>& records,
                                      const std::string& index_dir, const IndexOptions& options);

// The catalogue linter (otiose-index --check), beyond the schema checks:
// warnings for empty or missing sections, an alias two specimens share,
// near-duplicate specimens (cosine above `near_duplicate`), and a published
// related slug the catalogue does not have. Each names the file and field.
OTIOSE_EXPORT std::vector<Diagnostic> lint_catalogue(const std::vector<LoadedRecord>& records,
                                                     const TfidfConfig& config,
                                                     double near_duplicate = 0.9);

}  // namespace otiose

#endif  // OTIOSE_INDEX_H_
