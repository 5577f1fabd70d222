// otiose-index's engine: the Xapian documents, incremental updates,
// generations swapped atomically, one writer at a time.
#include <otiose/error.h>
#include <otiose/index.h>

#include <xapian.h>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>
#include <unordered_map>

#include "config_json.h"
#include "detail/layout.h"
#include "detail/text.h"

namespace otiose {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void io_error(const std::string& path, const std::string& what, int error) {
  throw Error(ErrorKind::kIo, path + ": " + what + ": " + std::strerror(error));
}

void fsync_path(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) io_error(path, "cannot open to flush", errno);
  int rc = ::fsync(fd);
  int e = errno;
  ::close(fd);
  if (rc != 0) io_error(path, "cannot flush", e);
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
void copy_database(const std::string& from, const std::string& to) {
  if (::mkdir(to.c_str(), 0755) != 0) io_error(to, "cannot create", errno);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(from, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    std::string source = entry.path().string();
    std::string target = to + "/" + entry.path().filename().string();
    int in = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) io_error(source, "cannot read the current database", errno);
    int out = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
      int e = errno;
      ::close(in);
      io_error(target, "cannot copy the current database", e);
    }
    char buffer[1 << 16];
    for (;;) {
      ssize_t n = ::read(in, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      int e = errno;
      if (n < 0) {
        ::close(in);
        ::close(out);
        io_error(source, "cannot read the current database", e);
      }
      if (n == 0) break;
      for (ssize_t done = 0; done < n;) {
        ssize_t w = ::write(out, buffer + done, static_cast<std::size_t>(n - done));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          e = errno;
          ::close(in);
          ::close(out);
          io_error(target, "cannot copy the current database", e);
        }
        done += w;
      }
    }
    ::close(in);
    if (::close(out) != 0) io_error(target, "cannot copy the current database", errno);
  }
  if (ec) io_error(from, "cannot read the current database", ec.value());
}

std::uint64_t generation_number(const std::string& path) {
  std::string name = fs::path(path).filename().string();
  return std::strtoull(name.c_str() + 4, nullptr, 10);
}

// Every text field of a record, for the spelling dictionary.
TfidfConfig all_text_fields() {
  TfidfConfig c;
  c.fields = {"title",
              "tagline",
              "aliases[]",
              "habitat[]",
              "org_chart.summary",
              "salary.note",
              "salary.quote",
              "flight_risk.diagnosis",
              "metrics[].name",
              "metrics[].description",
              "weaponry[].name",
              "weaponry[].description",
              "survival[].advice",
              "jd_autopsy[].illusion",
              "jd_autopsy[].translation",
              "day_log[].title",
              "day_log[].description",
              "burn_ward[].text"};
  return c;
}

// The spelling dictionary's changes over a run, applied once at the end:
// Xapian's spelling table is costly to touch per document.
class SpellingDelta {
 public:
  // Counts a record's words in (sign +1) or out (-1).
  void add(const Record& record, int sign) {
    static const TfidfConfig kAll = all_text_fields();
    Xapian::Document scratch;
    tg_.set_document(scratch);
    tg_.index_text_without_positions(specimen_text(record, kAll));
    for (auto t = scratch.termlist_begin(); t != scratch.termlist_end(); ++t) {
      const std::string& word = *t;
      if (word.size() < 3 || word.size() > 40) continue;
      delta_[word] += sign * static_cast<long long>(t.get_wdf());
    }
  }

  void apply(Xapian::WritableDatabase& db) const {
    for (const auto& [word, n] : delta_) {
      if (n > 0) db.add_spelling(word, static_cast<Xapian::termcount>(n));
      if (n < 0) db.remove_spelling(word, static_cast<Xapian::termcount>(-n));
    }
  }

 private:
  Xapian::TermGenerator tg_;
  std::unordered_map<std::string, long long> delta_;
};

void set_numbers(Xapian::Document& doc, const Record& r) {
  if (r.flight_risk && r.flight_risk->percent)
    doc.add_value(detail::kSlotFlightRisk, Xapian::sortable_serialise(*r.flight_risk->percent));
  if (r.salary) {
    if (r.salary->average)
      doc.add_value(detail::kSlotSalaryAverage,
                    Xapian::sortable_serialise(static_cast<double>(*r.salary->average)));
    if (r.salary->low)
      doc.add_value(detail::kSlotSalaryLow,
                    Xapian::sortable_serialise(static_cast<double>(*r.salary->low)));
    if (r.salary->high)
      doc.add_value(detail::kSlotSalaryHigh,
                    Xapian::sortable_serialise(static_cast<double>(*r.salary->high)));
  }
}

class DocumentMaker {
 public:
  DocumentMaker() {
    tg_.set_stemmer(Xapian::Stem("english"));
    tg_.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
  }

  Xapian::Document role(const Record& r, const std::string& json, const std::string& hash) {
    Xapian::Document doc;
    tg_.set_document(doc);
    auto field = [&](const std::string& text, const char* prefix, unsigned weight) {
      if (prefix[0] != '\0') tg_.index_text(text, weight, prefix);
      tg_.index_text(text, weight);
      tg_.increase_termpos();
    };
    field(r.title, detail::kTitlePrefix, detail::kTitleWeight);
    if (r.aliases)
      for (const auto& a : *r.aliases) field(a, detail::kAliasPrefix, detail::kAliasWeight);
    field(r.tagline, "", 1);
    if (r.habitat)
      for (const auto& h : *r.habitat) field(h, detail::kHabitatPrefix, 1);
    if (r.metrics)
      for (const auto& m : *r.metrics)
        field(m.name + "\n" + m.description, detail::kMetricPrefix, 1);
    if (r.weaponry)
      for (const auto& w : *r.weaponry)
        field(w.name + "\n" + w.description, detail::kWeaponPrefix, 1);
    static const TfidfConfig kRest = [] {
      TfidfConfig c;
      c.fields = {"org_chart.summary",        "salary.note",       "salary.quote",
                  "flight_risk.diagnosis",    "survival[].advice", "jd_autopsy[].illusion",
                  "jd_autopsy[].translation", "day_log[].title",   "day_log[].description",
                  "burn_ward[].text"};
      return c;
    }();
    field(specimen_text(r, kRest), "", 1);
    doc.add_boolean_term(std::string(detail::kIdPrefix) + r.slug);
    doc.add_boolean_term(std::string(detail::kTypePrefix) + "role");
    doc.add_boolean_term(std::string(detail::kRolePrefix) + r.slug);
    set_numbers(doc, r);
    doc.add_value(detail::kSlotContentHash, hash);
    doc.add_value(detail::kSlotSlug, r.slug);
    nlohmann::json data;
    data["type"] = "role";
    data["record"] = nlohmann::json::parse(json);
    // The text a hit's snippet is cut from, ready for the searcher.
    static const TfidfConfig kSnippetFields = [] {
      TfidfConfig c;
      c.fields = {"tagline",
                  "aliases[]",
                  "habitat[]",
                  "metrics[].name",
                  "metrics[].description",
                  "weaponry[].name",
                  "weaponry[].description",
                  "jd_autopsy[].illusion",
                  "jd_autopsy[].translation",
                  "day_log[].title",
                  "day_log[].description",
                  "burn_ward[].text",
                  "salary.quote",
                  "flight_risk.diagnosis",
                  "survival[].advice"};
      return c;
    }();
    doc.add_value(detail::kSlotTitle, r.title);
    doc.add_value(detail::kSlotTagline, r.tagline);
    doc.add_value(detail::kSlotBody, specimen_text(r, kSnippetFields));
    doc.set_data(data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return doc;
  }

  Xapian::Document quote(const Record& r, const Quote& q) {
    Xapian::Document doc;
    tg_.set_document(doc);
    tg_.index_text(q.text);
    doc.add_boolean_term(std::string(detail::kIdPrefix) + q.id);
    doc.add_boolean_term(std::string(detail::kTypePrefix) + "quote");
    doc.add_boolean_term(std::string(detail::kKindPrefix) + q.kind);
    doc.add_boolean_term(std::string(detail::kRolePrefix) + r.slug);
    if (q.source)
      doc.add_boolean_term(std::string(detail::kSourcePrefix) + detail::ascii_lower(*q.source));
    set_numbers(doc, r);
    nlohmann::json data;
    data["type"] = "quote";
    data["id"] = q.id;
    data["kind"] = q.kind;
    data["slug"] = r.slug;
    data["title"] = r.title;
    data["tagline"] = r.tagline;
    data["text"] = q.text;
    data["source"] = q.source ? nlohmann::json(*q.source) : nlohmann::json(nullptr);
    doc.set_data(data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return doc;
  }

 private:
  Xapian::TermGenerator tg_;
};

struct Existing {
  Xapian::docid docid;
  std::string hash;
};

std::string settings_hash(const IndexOptions& options) {
  nlohmann::json j;
  j["format"] = detail::kIndexFormat;
  j["synonyms"] = options.synonyms;
  j["tfidf"] = detail::config_json(options.tfidf);
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

}  // namespace

std::string resolve_index_path(std::string_view flag) {
  if (!flag.empty()) return std::string(flag);
  if (const char* env = std::getenv("OTIOSE_INDEX"); env && *env) return env;
  std::string base;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) {
    base = xdg;
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    base = std::string(home) + "/.local/share";
  } else {
    throw Error(ErrorKind::kUsage, "no index given: pass --index DIR or set OTIOSE_INDEX");
  }
  return base + "/otiose/index";
}

IndexReport write_index(const std::vector<LoadedRecord>& records, const std::string& index_dir,
                        const IndexOptions& options) {
  auto start = std::chrono::steady_clock::now();
  IndexReport report;
  // An empty corpus is a mistake (an empty file, the wrong directory), not a
  // request to replace the index with nothing.
  if (records.empty())
    throw Error(ErrorKind::kCorpus, "no records to index: nothing was written to " + index_dir +
                                        " (an index needs at least one specimen)");
  check_is_index_dir(index_dir);
  WriterLock lock(index_dir);

  // Leftovers of runs that were killed: never current, safe to remove.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(index_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.find(".tmp-") != std::string::npos) fs::remove_all(entry.path(), ec);
  }

  std::optional<std::string> current = detail::current_generation(index_dir);
  // A run killed between renaming its generation into place and switching
  // `current` leaves a generation newer than the current one: never seen by
  // a reader, and in the way of this run's number.
  std::uint64_t current_number = current ? generation_number(*current) : 0;
  for (const auto& entry : fs::directory_iterator(index_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("gen-", 0) == 0 && generation_number(entry.path().string()) > current_number)
      fs::remove_all(entry.path(), ec);
  }
  std::string settings = settings_hash(options);

  // What the current generation holds: slug -> (docid, content hash).
  std::unordered_map<std::string, Existing> existing;
  bool same_settings = false, same_format = false;
  if (current) {
    try {
      Xapian::Database old(*current + "/" + detail::kXapianDir);
      same_settings = old.get_metadata(detail::kMetaSettings) == settings;
      same_format = old.get_metadata(detail::kMetaFormat) == std::to_string(detail::kIndexFormat);
      for (auto it = old.valuestream_begin(detail::kSlotSlug);
           it != old.valuestream_end(detail::kSlotSlug); ++it) {
        Xapian::Document doc = old.get_document(it.get_docid());
        existing[*it] = {it.get_docid(), doc.get_value(detail::kSlotContentHash)};
      }
    } catch (const Xapian::Error& e) {
      if (!options.rebuild)
        throw Error(ErrorKind::kIndex, *current + ": cannot read the current index (" +
                                           e.get_msg() + "); run otiose-index --rebuild");
      existing.clear();
    }
  }
  // An index written in an older layout is rewritten whole.
  const bool rebuild = options.rebuild || !current || !same_format;
  report.rebuilt = rebuild;

  // The diff.
  std::vector<std::string> jsons(records.size()), hashes(records.size());
  std::vector<const Record*> added, updated;
  std::unordered_map<std::string, bool> wanted;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i].record;
    jsons[i] = to_json(r, -1);
    hashes[i] = detail::content_hash(jsons[i]);
    wanted[r.slug] = true;
    auto it = existing.find(r.slug);
    if (rebuild || it == existing.end())
      ++report.added;
    else if (it->second.hash != hashes[i])
      ++report.updated;
    else
      ++report.unchanged;
  }
  std::vector<std::string> removed;
  if (!rebuild)
    for (const auto& [slug, e] : existing)
      if (!wanted.count(slug)) removed.push_back(slug);
  report.removed = removed.size();
  report.specimens = records.size();
  for (const auto& r : records) report.quotes += quotes(r.record).size();

  if (!rebuild && report.added == 0 && report.updated == 0 && report.removed == 0 &&
      same_settings) {
    report.generation = *current;
    report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
  }

  // A new generation, beside the current one.
  std::uint64_t number = current_number + 1;
  std::string name = detail::generation_name(number);
  std::string tmp = index_dir + "/" + name + ".tmp-" + std::to_string(::getpid());
  std::string tmp_db = tmp + "/" + detail::kXapianDir;
  fs::create_directories(tmp, ec);
  if (ec) throw Error(ErrorKind::kIo, tmp + ": cannot create: " + ec.message());
  try {
    if (!rebuild) {
      copy_database(*current + "/" + detail::kXapianDir, tmp_db);
    }
    // Xapian keeps a run's postings in memory until this many documents
    // have been added; its maps slow down as they grow, so a rebuild flushes
    // more often than Xapian's default. Read by the WritableDatabase
    // constructor, and set before any thread starts.
    if (std::getenv("XAPIAN_FLUSH_THRESHOLD") == nullptr)
      ::setenv("XAPIAN_FLUSH_THRESHOLD", "1000", 0);
    unsigned threads =
        options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    std::atomic<std::size_t> done{0};
    const std::size_t total = report.added + report.updated + report.removed;
    auto metadata = [&](Xapian::WritableDatabase& db) {
      // Synonyms live in metadata: the searcher expands queries with them.
      db.set_metadata(detail::kMetaSynonyms, nlohmann::json(options.synonyms).dump());
      db.set_metadata(detail::kMetaFormat, std::to_string(detail::kIndexFormat));
      db.set_metadata(detail::kMetaSettings, settings);
    };
    try {
      // A rebuild of more than a few thousand documents is written as one
      // shard a thread, merged by Xapian's compactor: term generation and
      // Xapian's in-memory inversion are most of the cost and both scale.
      std::size_t shards = rebuild ? std::min<std::size_t>(threads, records.size() / 256) : 1;
      if (shards > 1) {
        std::vector<std::string> shard_dirs(shards);
        std::vector<std::exception_ptr> failures(shards);
        std::vector<std::thread> pool;
        std::atomic<std::size_t> workers_done{0};
        for (std::size_t k = 0; k < shards; ++k) {
          shard_dirs[k] = tmp + "/shard-" + std::to_string(k);
          pool.emplace_back([&, k] {
            try {
              Xapian::WritableDatabase db(shard_dirs[k], Xapian::DB_CREATE);
              DocumentMaker maker;
              SpellingDelta spelling;
              // Contiguous ranges: the merged docids follow the corpus order.
              std::size_t begin = records.size() * k / shards;
              std::size_t end = records.size() * (k + 1) / shards;
              for (std::size_t i = begin; i < end; ++i) {
                const Record& r = records[i].record;
                db.add_document(maker.role(r, jsons[i], hashes[i]));
                for (const auto& q : quotes(r)) db.add_document(maker.quote(r, q));
                spelling.add(r, +1);
                done.fetch_add(1, std::memory_order_relaxed);
              }
              spelling.apply(db);
              if (k == 0) metadata(db);
              db.commit();
              db.close();
            } catch (...) {
              failures[k] = std::current_exception();
            }
            workers_done.fetch_add(1);
          });
        }
        // Progress from this thread only: callers' callbacks need not be
        // thread-safe.
        while (workers_done.load() < shards) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          if (options.progress) options.progress("documents", done.load(), total);
        }
        for (auto& t : pool) t.join();
        for (auto& f : failures)
          if (f) std::rethrow_exception(f);
        if (options.progress) options.progress("merging", 0, 1);
        Xapian::Database sources;
        for (const auto& d : shard_dirs) sources.add_database(Xapian::Database(d));
        sources.compact(tmp_db);
        sources.close();
        for (const auto& d : shard_dirs) fs::remove_all(d, ec);
        if (options.progress) options.progress("merging", 1, 1);
      } else {
        Xapian::WritableDatabase db(tmp_db, Xapian::DB_CREATE_OR_OPEN);
        DocumentMaker maker;
        SpellingDelta spelling;
        auto tick = [&] {
          std::size_t n = ++done;
          if (options.progress && (n % 256 == 0 || n == total))
            options.progress("documents", n, total);
        };
        auto drop = [&](const std::string& slug) {
          Xapian::Document old = db.get_document(existing.at(slug).docid);
          auto data = nlohmann::json::parse(old.get_data(), nullptr, false);
          if (!data.is_discarded() && data.contains("record")) {
            auto parsed = parse_record(data["record"].dump());
            if (parsed.record) spelling.add(*parsed.record, -1);
          }
          db.delete_document(std::string(detail::kRolePrefix) + slug);
        };
        for (const auto& slug : removed) {
          drop(slug);
          tick();
        }
        for (std::size_t i = 0; i < records.size(); ++i) {
          const Record& r = records[i].record;
          auto it = existing.find(r.slug);
          bool is_new = rebuild || it == existing.end();
          if (!is_new && it->second.hash == hashes[i]) continue;
          if (!is_new) drop(r.slug);
          db.add_document(maker.role(r, jsons[i], hashes[i]));
          for (const auto& q : quotes(r)) db.add_document(maker.quote(r, q));
          spelling.add(r, +1);
          tick();
        }
        spelling.apply(db);
        metadata(db);
        db.commit();
        db.close();
      }
    } catch (const Xapian::Error& e) {
      throw Error(ErrorKind::kIo, tmp_db + ": " + e.get_description());
    }

    std::vector<const Record*> pointers;
    for (const auto& r : records) pointers.push_back(&r.record);
    report.model = build_model(pointers, options.tfidf, tmp + "/" + detail::kModelFile,
                               options.threads, [&](std::size_t n, std::size_t of) {
                                 if (options.progress) options.progress("similarity", n, of);
                               });

    // What readers check the tables against before Xapian reads them.
    detail::write_table_sums(tmp);

    // Durable before it becomes visible.
    for (const auto& entry : fs::directory_iterator(tmp_db))
      fsync_path(entry.path().string(), false);
    fsync_path(tmp_db, true);
    fsync_path(tmp, true);
    std::string final_dir = index_dir + "/" + name;
    if (::rename(tmp.c_str(), final_dir.c_str()) != 0)
      io_error(final_dir, "cannot rename into place", errno);
    fsync_path(index_dir, true);
    tmp.clear();

    // The switch: one rename of a symlink.
    std::string link_tmp = index_dir + "/current.tmp-" + std::to_string(::getpid());
    ::unlink(link_tmp.c_str());
    if (::symlink(name.c_str(), link_tmp.c_str()) != 0) io_error(link_tmp, "cannot create", errno);
    if (::rename(link_tmp.c_str(), (index_dir + "/" + detail::kCurrentLink).c_str()) != 0) {
      int e = errno;
      ::unlink(link_tmp.c_str());
      io_error(index_dir + "/" + detail::kCurrentLink, "cannot switch", e);
    }
    fsync_path(index_dir, true);
    report.generation = final_dir;
    report.written = true;

    // Keep the generation just replaced for readers that still have it open;
    // older ones go.
    std::string previous = current ? fs::path(*current).filename().string() : "";
    for (const auto& entry : fs::directory_iterator(index_dir, ec)) {
      std::string n = entry.path().filename().string();
      if (n.rfind("gen-", 0) == 0 && n != name && n != previous) fs::remove_all(entry.path(), ec);
    }
  } catch (...) {
    if (!tmp.empty()) fs::remove_all(tmp, ec);
    throw;
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace otiose
