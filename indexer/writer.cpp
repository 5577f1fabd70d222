// write_index: incremental updates, generations swapped atomically, one
// writer at a time. Each step is a function below, in the order
// write_index runs them; the documents themselves are in documents.cpp.
#include <otiose/index.h>

#include <otiose/env.h>
#include <otiose/error.h>

#include <xapian.h>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <future>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "base/parallel.h"
#include "base/text.h"
#include "indexer/documents.h"
#include "layout/layout.h"
#include "similarity/config_json.h"

namespace otiose {
namespace {

namespace fs = std::filesystem;

// The writer decides that an index must be rewritten whole by kIndexFormat
// alone, so a new model format without a new index format would leave old
// indexes "already up to date" and unreadable. Bump both, then this pair.
static_assert(SimilarityModel::kFormatVersion == 13 && detail::kIndexFormat == 27,
              "a new model format needs a new kIndexFormat (layout/layout.h)");

[[noreturn]] void io_error(const std::string& path, const std::string& what, int error) {
  throw Error(ErrorKind::kIo, path + ": " + what + ": " + std::strerror(error));
}

// The one writer's lock: flock() on DIR/LOCK, released by the kernel when
// the process ends however it ends.
class WriterLock {
 public:
  explicit WriterLock(const std::string& dir) : path_(dir + "/" + detail::kLockFile) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) io_error(path_, "cannot open the lock file", errno);
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      int e = errno;
      char pid[32] = {};
      ssize_t n = ::pread(fd_, pid, sizeof pid - 1, 0);
      ::close(fd_);
      if (e == EWOULDBLOCK) {
        std::string who =
            n > 0 ? std::string(detail::trim(std::string(pid, static_cast<std::size_t>(n))))
                  : std::string("?");
        throw Error(ErrorKind::kIndex,
                    "index " + dir + " is locked by PID " + who +
                        " (another otiose-index is writing it); try again when it is done");
      }
      io_error(path_, "cannot lock", e);
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
      int e = errno;
      ::close(fd_);
      io_error(path_, "cannot write the lock file", e);
    }
  }
  ~WriterLock() {
    if (::ftruncate(fd_, 0) != 0) {
      // The lock is released either way; a stale PID in the file is harmless.
    }
    ::close(fd_);
  }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

// Copies the current database's files (a flat directory) for the new
// generation to edit. Not fs::copy: libstdc++ reports a full disk there as
// "Input/output error".
void copy_database(Env& env, const std::string& from, const std::string& to) {
  if (::mkdir(to.c_str(), 0755) != 0) io_error(to, "cannot create", errno);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(from, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    env.copy_file(entry.path().string(), to + "/" + entry.path().filename().string());
  }
  if (ec) io_error(from, "cannot read the current database", ec.value());
}

// Runs `work` on a thread of its own while the run goes on; joined by
// wait() or on unwinding. For work whose failure costs nothing but time.
class Background {
 public:
  explicit Background(std::function<void()> work) : thread_(std::move(work)) {}
  ~Background() { wait(); }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  void wait() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

// Starts the kernel writing `files` back, so that a flush of them later
// waits for less. Only a hint: the flush reports any error.
void start_write_back(const std::vector<std::string>& files) {
  for (const auto& f : files) {
    int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    ::close(fd);
  }
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file(ec)) out.push_back(entry.path().string());
  return out;
}

std::uint64_t generation_number(const std::string& path) {
  std::string name = fs::path(path).filename().string();
  return std::strtoull(name.c_str() + 4, nullptr, 10);
}

struct Existing {
  Xapian::docid docid;
  std::string hash;
};

// What the current generation holds.
struct CurrentIndex {
  std::optional<std::string> generation;
  std::uint64_t number = 0;                             // 0 when there is none
  std::unordered_map<std::string, Existing> specimens;  // by slug
  bool same_settings = false;
  bool same_format = false;
  bool sharded = false;  // written whole every run
  // Its documents, and those of them out of the tie order (kEditedTerm).
  Xapian::doccount documents = 0, edited = 0;
};

// Whether so many of the current generation's documents are out of the tie
// order that the next change rebuilds it (layout.h, kEditedShare).
bool too_far_from_tie_order(const CurrentIndex& c) {
  return c.edited > 0 && c.edited > c.documents / detail::kEditedShare;
}

std::string settings_hash(const IndexOptions& options) {
  nlohmann::json j;
  j["format"] = detail::kIndexFormat;
  j["synonyms"] = options.synonyms;
  j["tfidf"] = detail::config_json(options.tfidf);
  std::string occupations;
  for (const auto& o : options.occupations.reference)
    occupations += o.code + '\t' + o.title + '\t' + o.text + '\n';
  for (const auto& c : options.occupations.covered) occupations += c.slug + ' ' + c.code + '\n';
  if (!occupations.empty()) j["occupations"] = detail::content_hash(occupations);
  return detail::content_hash(j.dump());
}

void check_is_index_dir(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec)
      throw Error(ErrorKind::kIo, dir + ": cannot create the index directory: " + ec.message());
    return;
  }
  if (!fs::is_directory(dir, ec)) throw Error(ErrorKind::kIndex, dir + ": not a directory");
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name == detail::kLockFile || name == detail::kCurrentLink || name.rfind("gen-", 0) == 0 ||
        name.rfind("current.tmp-", 0) == 0)
      continue;
    throw Error(ErrorKind::kIndex,
                dir + " is not an otiose index (it holds \"" + name +
                    "\"): refusing to write into it; name an empty or new directory");
  }
  if (ec) throw Error(ErrorKind::kIo, dir + ": cannot read: " + ec.message());
}

// Step 1, under the lock: removes what killed runs left (never current, so
// safe), and reads what the current generation holds.
CurrentIndex read_current(const std::string& index_dir, const std::string& settings, bool rebuild) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(index_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.find(".tmp-") != std::string::npos) fs::remove_all(entry.path(), ec);
  }
  CurrentIndex c;
  c.generation = detail::current_generation(index_dir);
  // A run killed between renaming its generation into place and switching
  // `current` leaves a generation newer than the current one: never seen by
  // a reader, and in the way of this run's number.
  c.number = c.generation ? generation_number(*c.generation) : 0;
  for (const auto& entry : fs::directory_iterator(index_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("gen-", 0) == 0 && generation_number(entry.path().string()) > c.number)
      fs::remove_all(entry.path(), ec);
  }
  if (!c.generation) return c;
  try {
    c.sharded = !detail::read_stub(*c.generation).empty();
  } catch (const Error&) {
    c.sharded = true;  // a stub that does not parse: rebuilt whole as well
  }
  if (c.sharded) return c;
  try {
    Xapian::Database old(*c.generation + "/" + detail::kXapianDir);
    c.same_settings = old.get_metadata(detail::kMetaSettings) == settings;
    c.same_format = old.get_metadata(detail::kMetaFormat) == std::to_string(detail::kIndexFormat);
    c.documents = old.get_doccount();
    c.edited = old.get_termfreq(detail::kEditedTerm);
    // The slugs and the hashes, two value streams read side by side in
    // docid order: no document is opened.
    auto hash = old.valuestream_begin(detail::kSlotContentHash);
    const auto no_hash = old.valuestream_end(detail::kSlotContentHash);
    for (auto it = old.valuestream_begin(detail::kSlotSlug);
         it != old.valuestream_end(detail::kSlotSlug); ++it) {
      if (hash != no_hash && hash.get_docid() < it.get_docid()) hash.skip_to(it.get_docid());
      const bool found = hash != no_hash && hash.get_docid() == it.get_docid();
      c.specimens[*it] = {it.get_docid(), found ? *hash : std::string()};
    }
  } catch (const Xapian::Error& e) {
    if (!rebuild)
      throw Error(ErrorKind::kIndex, *c.generation + ": cannot read the current index (" +
                                         e.get_msg() + "); run otiose-index --rebuild");
    c.specimens.clear();
  }
  return c;
}

// What a run changes.
struct Plan {
  bool rebuild = false;
  std::vector<std::string> jsons, hashes;  // per record; jsons empty for the unchanged
  std::vector<std::string> removed;        // slugs
};

// Step 2: the diff of `records` against the current generation, counted in
// `report`.
Plan plan_changes(const std::vector<LoadedRecord>& records, const CurrentIndex& current,
                  bool rebuild, unsigned threads, IndexReport& report) {
  Plan plan;
  plan.rebuild = rebuild;
  plan.jsons.resize(records.size());
  plan.hashes.resize(records.size());
  // Only a written document keeps its JSON: at 10,000 specimens the others'
  // would be 80 MB of fresh memory, each page a fault on a virtual machine.
  detail::parallel_for(records.size(), threads, [&](std::size_t i) {
    std::string json = to_json(records[i].record, -1);
    plan.hashes[i] = detail::content_hash(json);
    auto it = current.specimens.find(records[i].record.slug);
    if (rebuild || it == current.specimens.end() || it->second.hash != plan.hashes[i])
      plan.jsons[i] = std::move(json);
  });
  std::unordered_map<std::string, bool> wanted;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i].record;
    wanted[r.slug] = true;
    auto it = current.specimens.find(r.slug);
    if (rebuild || it == current.specimens.end()) {
      ++report.added;
    } else if (it->second.hash != plan.hashes[i]) {
      ++report.updated;
    } else {
      ++report.unchanged;
    }
  }
  if (!rebuild)
    for (const auto& [slug, e] : current.specimens)
      if (!wanted.count(slug)) plan.removed.push_back(slug);
  report.removed = plan.removed.size();
  report.specimens = records.size();
  for (const auto& r : records) report.quotes += quotes(r.record).size();
  return plan;
}

// What a run writes into every database of its generation.
struct Metadata {
  std::string settings;  // settings_hash
  std::string build;     // the generation's identity (kMetaBuild)
};

// Every database written here is in a generation no reader can see yet,
// and is discarded whole if the run dies: Xapian need not sync each commit
// (publish() makes every file durable once, before the switch).
// DB_DANGEROUS would also skip keeping the old revision while writing, but
// a write that fails then cannot be cancelled, and the error that says the
// disk is full becomes "cancel() not supported" (fault_test).
constexpr int kUnpublished = Xapian::DB_NO_SYNC;

void set_metadata(Xapian::WritableDatabase& db, const IndexOptions& options, const Metadata& meta) {
  // Synonyms live in metadata: the searcher expands queries with them.
  db.set_metadata(detail::kMetaSynonyms, nlohmann::json(options.synonyms).dump());
  db.set_metadata(detail::kMetaFormat, std::to_string(detail::kIndexFormat));
  db.set_metadata(detail::kMetaSettings, meta.settings);
  db.set_metadata(detail::kMetaBuild, meta.build);
}

// Runs `work(k)` for k in [0, n) on `threads` threads, reporting `done`
// against `total` from this thread only (callers' callbacks need not be
// thread-safe). Rethrows the first failure.
template <typename Work>
void run_parallel(std::size_t n, unsigned threads, const IndexOptions& options,
                  const std::atomic<std::size_t>& done, std::size_t total, Work work) {
  std::vector<std::exception_ptr> failures(n);
  std::atomic<std::size_t> next{0}, workers_done{0};
  const std::size_t workers = std::max<std::size_t>(1, std::min<std::size_t>(threads, n));
  std::vector<std::thread> pool;
  for (std::size_t w = 0; w < workers; ++w) {
    pool.emplace_back([&] {
      for (std::size_t k; (k = next.fetch_add(1)) < n;) {
        try {
          work(k);
        } catch (...) {
          failures[k] = std::current_exception();
        }
      }
      workers_done.fetch_add(1);
    });
  }
  while (workers_done.load() < workers) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (options.progress) options.progress("specimens", done.load(), total);
  }
  for (auto& t : pool) t.join();
  for (auto& f : failures)
    if (f) std::rethrow_exception(f);
}

// One document of a record: its role (quote < 0) or its quote-th quote,
// and what writing it costs, in bytes of text: those it indexes, and a
// hundred more for any document (measured at 10,000 specimens: 0.6 us a
// byte, 50 us a document).
struct Placed {
  std::uint32_t record;
  std::int32_t quote;
  std::size_t cost;
};

// Every document of `records` in the tie order (layout.h, kEditedTerm): by
// the value each carries in kSlotOrder, compared as Xapian compares it.
std::vector<Placed> in_tie_order(const std::vector<LoadedRecord>& records, const Plan& plan) {
  struct Key {
    std::size_t at, size;  // in `keys`
    Placed doc;
  };
  std::string keys;  // the values end to end: one allocation, not one a document
  std::vector<Key> order;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i].record;
    auto add = [&](std::size_t length, std::string_view id, std::int32_t quote, std::size_t cost) {
      const std::string v = detail::order_value(length, id);
      order.push_back({keys.size(), v.size(), {static_cast<std::uint32_t>(i), quote, cost}});
      keys += v;
    };
    // A specimen's document indexes its whole record.
    constexpr std::size_t kDocumentBytes = 100;
    add(r.tagline.size(), r.slug, -1, kDocumentBytes + plan.jsons[i].size());
    std::int32_t n = 0;
    for (const Quote& q : quotes(r)) add(q.text.size(), q.id, n++, kDocumentBytes + q.text.size());
  }
  const std::string_view all(keys);
  std::sort(order.begin(), order.end(), [all](const Key& a, const Key& b) {
    return all.substr(a.at, a.size) < all.substr(b.at, b.size);
  });
  std::vector<Placed> out;
  out.reserve(order.size());
  for (const Key& k : order) out.push_back(k.doc);
  return out;
}

// Adds the document `p` names to `db`, and a role's words to `spelling`.
void add_placed(Xapian::WritableDatabase& db, detail::DocumentMaker& maker,
                const std::vector<LoadedRecord>& records, const Plan& plan, Placed p,
                detail::SpellingCounts& spelling) {
  const Record& r = records[p.record].record;
  if (p.quote < 0) {
    const Xapian::Document role = maker.role(r, plan.jsons[p.record], plan.hashes[p.record]);
    spelling.add(role, +1);
    db.add_document(role);
  } else {
    db.add_document(maker.quote(r, quotes(r).at(static_cast<std::size_t>(p.quote))));
  }
}

// Step 3a, a rebuild of more than a few thousand documents: one shard a
// thread, merged by Xapian's compactor into `db_dir` (term generation and
// Xapian's in-memory inversion are most of the cost, and both scale).
void write_shards(const std::vector<LoadedRecord>& records, const Plan& plan,
                  const IndexOptions& options, const Metadata& meta, std::size_t shards,
                  unsigned threads, const std::string& tmp, const std::string& db_dir) {
  std::vector<std::string> shard_dirs(shards);
  std::vector<detail::SpellingCounts> spelling(shards);
  std::atomic<std::size_t> done{0};
  const std::vector<Placed> order = in_tie_order(records, plan);
  // Contiguous ranges of the order, as the compactor numbers the shards'
  // documents one after another, so the merged docids follow it; of equal
  // cost, not of equal counts (the specimens' documents, many times a
  // quote's text, all come first by their taglines' lengths).
  std::vector<std::size_t> begin(shards + 1, order.size());
  begin[0] = 0;
  std::size_t total = 0, sum = 0;
  for (const Placed& p : order) total += p.cost;
  for (std::size_t i = 0, k = 1; i < order.size() && k < shards; ++i) {
    sum += order[i].cost;
    if (sum * shards >= total * k) begin[k++] = i + 1;
  }
  // Xapian holds a batch's postings in memory until it flushes, every
  // XAPIAN_FLUSH_THRESHOLD (1,000) documents; the specimens' documents,
  // together, would make those batches ten times larger (peak RSS 537
  // against 463 MB at 10,000 specimens), so a shard also flushes after the
  // cost of 3,000 average documents (1,000 spent 1.8 s more in the kernel).
  const std::size_t batch = total / std::max<std::size_t>(1, order.size()) * 3000;
  // Progress counts specimens: a role is one.
  run_parallel(shards, threads, options, done, records.size(), [&](std::size_t k) {
    shard_dirs[k] = tmp + "/shard-" + std::to_string(k);
    Xapian::WritableDatabase db(shard_dirs[k], Xapian::DB_CREATE | kUnpublished);
    detail::DocumentMaker maker;
    std::size_t pending = 0;
    for (std::size_t i = begin[k]; i < begin[k + 1]; ++i) {
      add_placed(db, maker, records, plan, order[i], spelling[k]);
      if (order[i].quote < 0) done.fetch_add(1, std::memory_order_relaxed);
      if ((pending += order[i].cost) >= batch) {
        db.commit();
        pending = 0;
      }
    }
    if (k == 0) set_metadata(db, options, meta);
    db.commit();
    db.close();
  });
  if (options.progress) options.progress("merging", 0, 1);
  Xapian::Database sources;
  for (const auto& d : shard_dirs) sources.add_database(Xapian::Database(d));
  sources.compact(db_dir);
  sources.close();
  std::error_code ec;
  for (const auto& d : shard_dirs) fs::remove_all(d, ec);
  // The spelling table is the shards' counts summed.
  for (std::size_t k = 1; k < shards; ++k) spelling[0].merge(spelling[k]);
  Xapian::WritableDatabase merged(db_dir, Xapian::DB_OPEN | kUnpublished);
  spelling[0].store(merged);
  merged.commit();
  merged.close();
  if (options.progress) options.progress("merging", 1, 1);
}

// Step 3a', otiose-index --shards N: N databases a generation, each the
// specimens whose slug hashes to it (detail::shard_of) with their quotes;
// a local part with the metadata and the whole spelling table (which
// Xapian's remote backend does not serve); the stub that lists the shards.
void write_sharded(const std::vector<LoadedRecord>& records, const Plan& plan,
                   const IndexOptions& options, const Metadata& meta, unsigned threads,
                   const std::string& tmp, Env& env) {
  const std::size_t shards = options.shards;
  std::vector<std::vector<std::size_t>> members(shards);
  for (std::size_t i = 0; i < records.size(); ++i)
    members[detail::shard_of(records[i].record.slug, shards)].push_back(i);
  const std::string shards_dir = tmp + "/" + detail::kShardsDir;
  if (::mkdir(shards_dir.c_str(), 0755) != 0) io_error(shards_dir, "cannot create", errno);
  std::atomic<std::size_t> done{0};
  std::vector<detail::SpellingCounts> spelling(shards);
  run_parallel(shards, threads, options, done, records.size(), [&](std::size_t k) {
    Xapian::WritableDatabase db(shards_dir + "/" + std::to_string(k),
                                Xapian::DB_CREATE | kUnpublished);
    detail::DocumentMaker maker;
    for (std::size_t i : members[k]) {
      const Record& r = records[i].record;
      const Xapian::Document role = maker.role(r, plan.jsons[i], plan.hashes[i]);
      spelling[k].add(role, +1);
      db.add_document(role);
      for (const auto& q : quotes(r)) db.add_document(maker.quote(r, q));
      done.fetch_add(1, std::memory_order_relaxed);
    }
    set_metadata(db, options, meta);
    db.commit();
    db.close();
  });
  Xapian::WritableDatabase local(tmp + "/" + detail::kLocalDir, Xapian::DB_CREATE | kUnpublished);
  for (std::size_t k = 1; k < shards; ++k) spelling[0].merge(spelling[k]);
  spelling[0].store(local);
  set_metadata(local, options, meta);
  local.commit();
  local.close();
  env.write_file(tmp + "/" + detail::kStubFile, detail::stub_text(shards, options.remote_shards));
}

// A document an edit writes: out of the tie order (layout.h, kEditedTerm).
Xapian::Document edited(Xapian::Document doc) {
  doc.add_boolean_term(detail::kEditedTerm);
  return doc;
}

// Step 3b: the edits (or a small rebuild, in the tie order) in one database
// at `db_dir`, a copy of the current one unless rebuilding.
void write_edits(const std::vector<LoadedRecord>& records, const Plan& plan,
                 const CurrentIndex& current, const IndexOptions& options, const Metadata& meta,
                 const std::string& db_dir, const IndexReport& report) {
  Xapian::WritableDatabase db(db_dir, Xapian::DB_CREATE_OR_OPEN | kUnpublished);
  detail::DocumentMaker maker;
  detail::SpellingCounts spelling;  // what the copy holds, then this run's changes
  spelling.load(db, db_dir);
  // The specimens written: every one in a rebuild.
  const std::size_t total =
      plan.rebuild ? records.size() : report.added + report.updated + report.removed;
  std::size_t done = 0;
  auto tick = [&] {
    ++done;
    if (options.progress && (done % 256 == 0 || done == total))
      options.progress("specimens", done, total);
  };
  auto drop = [&](const std::string& slug) {
    spelling.add(db.get_document(current.specimens.at(slug).docid), -1);
    db.delete_document(std::string(detail::kRolePrefix) + slug);
  };
  for (const auto& slug : plan.removed) {
    drop(slug);
    tick();
  }
  // An updated specimen: its document is replaced, and a quote's only where
  // the quote, or what its document holds of the record, changed (an edit
  // of a tagline rewrites one document, not twelve).
  auto update = [&](const Record& r, std::size_t i) {
    const Xapian::docid old_id = current.specimens.at(r.slug).docid;
    const Xapian::Document old_role = db.get_document(old_id);
    const std::optional<Record> old = detail::record_of(old_role);
    spelling.add(old_role, -1);
    std::unordered_map<std::string, Quote> before;  // its quotes' documents
    if (old) {
      for (auto& q : quotes(*old)) before.emplace(q.id, std::move(q));
      db.delete_document(old_id);
    } else {  // unreadable: every document of the specimen goes
      db.delete_document(std::string(detail::kRolePrefix) + r.slug);
    }
    const bool same_context = old && detail::same_quote_context(*old, r);
    for (const auto& q : quotes(r)) {
      auto was = before.find(q.id);
      const bool same = same_context && was != before.end() && was->second.text == q.text &&
                        was->second.source == q.source;
      if (was != before.end()) before.erase(was);
      if (!same)
        db.replace_document(std::string(detail::kIdPrefix) + q.id, edited(maker.quote(r, q)));
    }
    for (const auto& [id, q] : before) db.delete_document(std::string(detail::kIdPrefix) + id);
    Xapian::Document role = maker.role(r, plan.jsons[i], plan.hashes[i]);
    spelling.add(role, +1);
    db.add_document(edited(std::move(role)));
  };
  if (plan.rebuild) {
    for (Placed p : in_tie_order(records, plan)) {
      add_placed(db, maker, records, plan, p, spelling);
      if (p.quote < 0) tick();
    }
  }
  for (std::size_t i = 0; i < records.size() && !plan.rebuild; ++i) {
    const Record& r = records[i].record;
    auto it = current.specimens.find(r.slug);
    if (it != current.specimens.end() && it->second.hash == plan.hashes[i]) continue;
    if (it == current.specimens.end()) {
      Xapian::Document role = maker.role(r, plan.jsons[i], plan.hashes[i]);
      spelling.add(role, +1);
      db.add_document(edited(std::move(role)));
      for (const auto& q : quotes(r)) db.add_document(edited(maker.quote(r, q)));
    } else {
      update(r, i);
    }
    tick();
  }
  spelling.store(db);
  set_metadata(db, options, meta);
  db.commit();
  db.close();
}

// Step 3c: facets.bin from the finished database at `db_dir` (layout.h),
// at `path`; none when a value does not fit an entry (searches read the
// values instead).
void write_facet_table(const std::string& db_dir, const std::string& path, Env& env) {
  Xapian::Database db(db_dir);
  const Xapian::docid last = db.get_lastdocid();
  std::string out(detail::kFacetsMagic);
  auto put_u32 = [](char* at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) at[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  };
  out.resize(detail::kFacetsHeader + std::size_t{last} * (4 + detail::kFacetEntry), '\0');
  put_u32(out.data() + 8, last);
  char* owners = out.data() + detail::kFacetsHeader;
  char* entries = owners + std::size_t{last} * 4;
  // Owner numbers in docid order, from 1.
  std::unordered_map<std::uint64_t, std::uint32_t> numbers;
  for (auto v = db.valuestream_begin(detail::kSlotFacets);
       v != db.valuestream_end(detail::kSlotFacets); ++v) {
    const std::string value = *v;
    if (value.size() >= detail::kFacetEntry) return;
    const Xapian::docid id = v.get_docid();
    char* entry = entries + std::size_t{id - 1} * detail::kFacetEntry;
    entry[0] = static_cast<char>(value.size());
    std::memcpy(entry + 1, value.data(), value.size());
    if (const std::uint64_t h = detail::facet_owner(value)) {
      auto [it, added] = numbers.try_emplace(h, static_cast<std::uint32_t>(numbers.size() + 1));
      put_u32(owners + std::size_t{id - 1} * 4, it->second);
    }
  }
  put_u32(out.data() + 12, static_cast<std::uint32_t>(numbers.size()));
  env.write_file(path, out);
}

// Step 5: makes the finished generation at `tmp` durable, renames it into
// place as `name`, then switches `current` to it with one rename of a
// symlink, flushing the directory after each. Returns its path.
std::string publish(Env& env, const std::string& index_dir, const std::string& tmp,
                    const std::string& name) {
  for (const std::string& db : detail::written_databases(tmp)) {
    for (const auto& entry : fs::directory_iterator(db)) env.sync(entry.path().string());
    env.sync(db);
  }
  if (fs::exists(tmp + "/" + detail::kShardsDir)) env.sync(tmp + "/" + detail::kShardsDir);
  env.sync(tmp);
  std::string final_dir = index_dir + "/" + name;
  env.rename(tmp, final_dir);
  env.sync(index_dir);
  std::string link_tmp = index_dir + "/current.tmp-" + std::to_string(::getpid());
  ::unlink(link_tmp.c_str());
  env.symlink(name, link_tmp);
  try {
    env.rename(link_tmp, index_dir + "/" + detail::kCurrentLink);
  } catch (const Error&) {
    ::unlink(link_tmp.c_str());
    throw;
  }
  env.sync(index_dir);
  return final_dir;
}

// The generations older than the current one, which this run replaces
// with the current one and its own (a killed run's are gone already).
std::vector<std::string> older_generations(const std::string& index_dir,
                                           const std::optional<std::string>& current) {
  std::vector<std::string> out;
  const std::string keep = current ? fs::path(*current).filename().string() : "";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(index_dir, ec)) {
    std::string n = entry.path().filename().string();
    if (n.rfind("gen-", 0) == 0 && n != keep && n.find(".tmp-") == std::string::npos)
      out.push_back(entry.path().string());
  }
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

IndexReport write_index(const std::vector<LoadedRecord>& records, const std::string& index_dir,
                        const IndexOptions& options) {
  auto start = std::chrono::steady_clock::now();
  Env& env = options.env ? *options.env : *Env::Default();
  IndexReport report;
  // An empty corpus is a mistake (an empty file, the wrong directory), not a
  // request to replace the index with nothing.
  if (records.empty())
    throw Error(ErrorKind::kCorpus, "no records to index: nothing was written to " + index_dir +
                                        " (an index needs at least one specimen)");
  check_is_index_dir(index_dir);
  WriterLock lock(index_dir);
  const std::string settings = settings_hash(options);
  if (!options.remote_shards.empty() && options.remote_shards.size() != options.shards)
    throw Error(ErrorKind::kUsage,
                std::to_string(options.remote_shards.size()) + " remote shards named for " +
                    std::to_string(options.shards) + " shards: name one HOST:PORT a shard");
  const CurrentIndex current = read_current(index_dir, settings, options.rebuild);
  // An index written in an older layout, or sharded, is rewritten whole.
  bool rebuild = options.rebuild || !current.generation || !current.same_format ||
                 current.sharded || options.shards > 0;
  Plan plan = plan_changes(records, current, rebuild, options.threads, report);
  const bool changed = report.added > 0 || report.updated > 0 || report.removed > 0;
  if (!rebuild && !changed && current.same_settings) {
    report.generation = *current.generation;
    report.seconds = seconds_since(start);
    return report;
  }
  if (!rebuild && too_far_from_tie_order(current)) {
    // Written whole; the report keeps what changed since the current one.
    IndexReport whole;
    plan = plan_changes(records, current, true, options.threads, whole);
    rebuild = true;
    report.out_of_order = current.edited;
  }
  report.rebuilt = rebuild;

  // Step 6, from now on beside the rest: the generation this run replaces
  // is kept for readers that still have it open; older ones go.
  Background remove_older([dirs = older_generations(index_dir, current.generation)] {
    std::error_code ec;
    for (const auto& dir : dirs) fs::remove_all(dir, ec);
  });

  // A new generation, beside the current one.
  std::string name = detail::generation_name(current.number + 1);
  std::string tmp = index_dir + "/" + name + ".tmp-" + std::to_string(::getpid());
  std::string tmp_db = tmp + "/" + detail::kXapianDir;
  std::error_code ec;
  fs::create_directories(tmp, ec);
  if (ec) throw Error(ErrorKind::kIo, tmp + ": cannot create: " + ec.message());
  try {
    // The copy is most of what publish() will flush: its writing back
    // starts now, beside the edit and the model.
    std::optional<Background> write_back;
    if (!rebuild) {
      copy_database(env, *current.generation + "/" + detail::kXapianDir, tmp_db);
      write_back.emplace([files = files_in(tmp_db)] { start_write_back(files); });
    }
    // Xapian keeps a run's postings in memory until this many documents
    // have been added; its maps slow down as they grow, so a rebuild flushes
    // more often than Xapian's default. Read by the WritableDatabase
    // constructor, and set before any thread starts.
    if (std::getenv("XAPIAN_FLUSH_THRESHOLD") == nullptr)
      ::setenv("XAPIAN_FLUSH_THRESHOLD", "1000", 0);
    unsigned threads =
        options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    std::size_t parts = rebuild ? std::min<std::size_t>(threads, records.size() / 256) : 1;
    // Every database of the generation carries it: a shard served from
    // another machine is checked against it.
    const Metadata meta{
        settings, detail::content_hash(name + " " + settings + " " + std::to_string(::getpid()) +
                                       " " + std::to_string(::time(nullptr)))};
    try {
      if (options.shards > 0)
        write_sharded(records, plan, options, meta, threads, tmp, env);
      else if (parts > 1)
        write_shards(records, plan, options, meta, parts, threads, tmp, tmp_db);
      else
        write_edits(records, plan, current, options, meta, tmp_db, report);
      if (options.shards == 0) write_facet_table(tmp_db, tmp + "/" + detail::kFacetsFile, env);
    } catch (const Xapian::Error& e) {
      throw Error(ErrorKind::kIo, (options.shards ? tmp : tmp_db) + ": " + e.get_description());
    }

    // The records' JSON is in the documents now: what the model's build
    // would otherwise hold on top of its own peak.
    std::vector<std::string>().swap(plan.jsons);
#if defined(__GLIBC__)
    // And what a rebuild's Xapian step freed goes back to the system: glibc
    // keeps it in the heap, under the model's peak (463 -> 436 MB at
    // 10,000). Not after an edit, whose Xapian step frees little: there the
    // trim lowered no peak, and the model's build then took fresh pages
    // for what the heap had (a one-record edit at 10,000: 1.62 -> 1.48 s).
    if (rebuild) ::malloc_trim(0);
#endif

    // Step 4: the similarity model, and the sums readers check the tables
    // against before Xapian reads them.
    std::vector<const Record*> pointers;
    for (const auto& r : records) pointers.push_back(&r.record);
    // The tables are final: their sums (reading and hashing them, 0.2 s at
    // 10,000 specimens) are taken beside the model's build, and written
    // after it, through `env` on this thread as before.
    std::future<std::string> sums =
        std::async(std::launch::async, [&tmp] { return detail::table_sums(tmp); });
    // An edit keeps the related lists the current model proves unchanged;
    // one it cannot open is no reason not to build a new one.
    std::unique_ptr<SimilarityModel> previous;
    if (!rebuild) {
      const std::string path = *current.generation + "/" + detail::kModelFile;
      try {
        previous = std::make_unique<SimilarityModel>(path, &env);
      } catch (const Error&) {  // missing or damaged: every list is computed
      }
    }
    report.model = build_model(
        pointers, options.tfidf, tmp + "/" + detail::kModelFile, options.threads,
        [&](std::size_t n, std::size_t of) {
          if (options.progress) options.progress("similarity", n, of);
        },
        &env, &options.occupations, previous.get());
    env.write_file(tmp + "/" + detail::kSumsFile, sums.get());

    if (write_back) write_back->wait();
    std::string published = publish(env, index_dir, tmp, name);
    tmp.clear();
    report.generation = published;
    report.written = true;
  } catch (...) {
    if (!tmp.empty()) fs::remove_all(tmp, ec);
    throw;
  }
  remove_older.wait();
  report.seconds = seconds_since(start);
  return report;
}

}  // namespace otiose
