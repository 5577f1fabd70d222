// query/: one generation of the index, opened (private): its similarity
// model, and, from the first call that needs them, its synonyms and
// spelling, its shards (one database, or those a stub lists, local or
// served by xapian-tcpsrv) and a pool of Xapian handles. Immutable but for
// the pool and the caches, all behind mutexes: safe to share between
// threads.
#ifndef OTIOSE_QUERY_SNAPSHOT_H_
#define OTIOSE_QUERY_SNAPSHOT_H_

#include <otiose/env.h>
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
#include "query/spelling.h"

namespace otiose::detail {

// Xapian handles for one call: the database to search (every shard that
// answered, combined), and which shards did not.
struct Handles {
  Xapian::Database db;
  std::vector<std::size_t> missing;  // indexes into Snapshot::shards()
  std::vector<std::string> why;      // for each missing shard, Xapian's message
  bool poolable = true;              // false: opened with a call's own timeout
};

class Snapshot {
 public:
  // Opens `generation` (a directory of the index): maps its model and
  // reads its stub if it is sharded. The Xapian side (the table sums, the
  // format and synonyms, the handles) is opened by the first call that
  // needs it, so that a related list or a pasted ad never touches it.
  // Throws Error(kIndex) or Error(kModel) naming what is missing or damaged.
  Snapshot(std::string generation, const SearcherOptions& options);

  const std::string& generation() const { return generation_; }
  // The shards a stub lists; empty for a generation of one database.
  const std::vector<ShardSpec>& shards() const { return shards_; }
  bool has_remote_shards() const { return has_remote_; }
  // "shard 2 of 4 (10.0.0.7:33101)".
  std::string shard_name(std::size_t k) const;
  const SimilarityModel& model() const { return model_; }
  // The synonym groups (the Xapian side opened first).
  const std::vector<std::vector<std::string>>& synonyms() const {
    open_xapian();
    return synonyms_;
  }

  // Opens the Xapian side once: verifies the table sums, checks the index
  // format, reads the synonyms. Throws Error(kIndex) naming what is wrong
  // (and tries again on the next call).
  void open_xapian() const;

  // Throws Error(kIndex) naming a table changed on disk since it was
  // verified, before Xapian reads it (a stat a file when nothing changed).
  void check_tables() const;

  // Xapian handles for this thread's call, back to the pool afterwards
  // (unless a shard was missing: the next call tries it again). With
  // `timeout_ms`, fresh handles whose remote shards get that timeout.
  class Lease {
   public:
    explicit Lease(const Snapshot& s, unsigned timeout_ms = 0);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Xapian::Database& db() { return h_->db; }
    const Handles& handles() const { return *h_; }
    // Closes the handles instead of pooling them: Xapian 1.4 leaks when a
    // handle that threw in the middle of a read is used again, and a remote
    // one whose server went away stays dead.
    void discard() { h_.reset(); }

   private:
    const Snapshot& s_;
    std::unique_ptr<Handles> h_;
  };

  // Closes the pooled handles: after a shard server went away, every
  // connection to it is dead.
  void forget_handles() const;

  // The message of Error(kUnavailable) for the shards `h` is missing.
  std::string unavailable(const Handles& h) const;

  // The spelling table: read on the first call, then shared.
  const SpellingTable& spelling() const;

  // facets.bin, mapped on the first call; nullptr when the generation has
  // none (sharded). Throws Error(kIndex) for one that is not a table.
  const FacetTable* facets() const;

  // The JSON text of the specimen's record, as stored in its document's
  // data ({"record": {...}, "type": "role"}), or nullopt for an unknown
  // slug. Throws Error(kIndex) for damaged data.
  std::optional<std::string> record_json(Xapian::Database& db, std::string_view slug) const;

  // Every specimen, by slug: read on the first call, then shared.
  std::shared_ptr<const std::vector<SpecimenSummary>> catalogue(Xapian::Database& db) const;

 private:
  void open_xapian_once() const;
  std::unique_ptr<Handles> open_db(unsigned timeout_ms) const;
  Xapian::Database open_local(const std::string& path) const;
  Xapian::Database open_shard(std::size_t k, unsigned timeout_ms) const;

  std::string generation_;
  std::string local_path_;  // xapian/, or local/ of a sharded generation
  SearcherOptions options_;
  std::vector<ShardSpec> shards_;
  bool has_remote_ = false;
  SimilarityModel model_;
  // The Xapian side, set once by open_xapian().
  mutable std::once_flag xapian_once_;
  mutable std::string build_;  // kMetaBuild, which every shard must carry
  mutable std::vector<std::vector<std::string>> synonyms_;
  mutable std::mutex stamps_mutex_;
  mutable std::vector<TableStamp> stamps_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<Handles>> pool_;
  mutable std::shared_ptr<const std::vector<SpecimenSummary>> catalogue_;
  mutable std::mutex local_mutex_;
  mutable std::optional<Xapian::Database> local_db_;  // a sharded generation's local part
  mutable std::once_flag spelling_once_;
  mutable SpellingTable spelling_;
  mutable std::once_flag facets_once_;
  mutable std::unique_ptr<MappedFile> facets_file_;
  mutable std::optional<FacetTable> facets_;
};

}  // namespace otiose::detail

#endif  // OTIOSE_QUERY_SNAPSHOT_H_
