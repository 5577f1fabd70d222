// query/: one generation of the index, opened (private): its similarity
// model, its synonyms, a pool of Xapian handles and the specimen cards read
// so far. Immutable but for the pool and the caches, all behind mutexes:
// safe to share between threads.
#ifndef OTIOSE_QUERY_SNAPSHOT_H_
#define OTIOSE_QUERY_SNAPSHOT_H_

#include <otiose/search.h>
#include <otiose/similarity.h>

#include <xapian.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "layout/layout.h"

namespace otiose::detail {

// What a related-specimen card shows besides the match.
struct Card {
  std::string title;
  std::string tagline;
};

class Snapshot {
 public:
  // Opens `generation` (a directory of the index): verifies its table sums,
  // maps its model, reads its format and synonyms. Throws Error(kIndex) or
  // Error(kModel) naming what is missing or damaged.
  explicit Snapshot(std::string generation);

  const std::string& generation() const { return generation_; }
  const std::string& db_path() const { return db_path_; }
  const SimilarityModel& model() const { return model_; }
  const std::vector<std::vector<std::string>>& synonyms() const { return synonyms_; }

  // Throws Error(kIndex) naming a table changed on disk since it was
  // verified, before Xapian reads it (a stat a file when nothing changed).
  void check_tables() const;

  // A Xapian handle for this thread's call, back to the pool afterwards.
  class Lease {
   public:
    explicit Lease(const Snapshot& s);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Xapian::Database& db() { return *db_; }
    // Closes the handle instead of pooling it: Xapian 1.4 leaks when a
    // handle that threw in the middle of a read is used again.
    void discard() { db_.reset(); }

   private:
    const Snapshot& s_;
    std::unique_ptr<Xapian::Database> db_;
  };

  // The JSON text of the specimen's record, as stored in its document's
  // data ({"record": {...}, "type": "role"}), or nullopt for an unknown
  // slug. Throws Error(kIndex) for damaged data.
  std::optional<std::string> record_json(Xapian::Database& db, std::string_view slug) const;

  // The card of `slug`, cached.
  Card card(Xapian::Database& db, const std::string& slug) const;

  // Every specimen, by slug: read on the first call, then shared.
  std::shared_ptr<const std::vector<SpecimenSummary>> catalogue(Xapian::Database& db) const;

 private:
  std::unique_ptr<Xapian::Database> open_db() const;

  std::string generation_;
  std::string db_path_;
  SimilarityModel model_;
  mutable std::mutex stamps_mutex_;
  mutable std::vector<TableStamp> stamps_;
  std::vector<std::vector<std::string>> synonyms_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<Xapian::Database>> pool_;
  mutable std::unordered_map<std::string, Card> cards_;
  mutable std::shared_ptr<const std::vector<SpecimenSummary>> catalogue_;
};

}  // namespace otiose::detail

#endif  // OTIOSE_QUERY_SNAPSHOT_H_
