#include "query/snapshot.h"

#include <otiose/error.h>

#include <algorithm>
#include <thread>

namespace otiose::detail {

using nlohmann::json;

Snapshot::Snapshot(std::string generation, const SearcherOptions& options)
    : generation_(std::move(generation)),
      options_(options),
      shards_(read_stub(generation_)),
      model_(generation_ + "/" + kModelFile) {
  local_path_ = generation_ + "/" + (shards_.empty() ? kXapianDir : kLocalDir);
  for (const auto& spec : shards_) has_remote_ |= spec.remote();
}

void Snapshot::open_xapian() const {
  std::call_once(xapian_once_, [this] { open_xapian_once(); });
}

void Snapshot::open_xapian_once() const {
  std::vector<TableStamp> stamps = verify_table_sums(generation_);
  Xapian::Database db = open_local(local_path_);
  std::string text, synonyms;
  try {
    text = db.get_metadata(kMetaFormat);
    synonyms = db.get_metadata(kMetaSynonyms);
    build_ = db.get_metadata(kMetaBuild);
  } catch (const Xapian::Error& e) {
    // A damaged table can open fine and fail on the first read.
    throw Error(ErrorKind::kIndex, local_path_ + ": cannot read the index (" + e.get_description() +
                                       "): rebuild it with otiose-index --rebuild");
  }
  if (text != std::to_string(kIndexFormat))
    throw Error(ErrorKind::kIndex, local_path_ + ": index format \"" + text +
                                       "\", this build reads " + std::to_string(kIndexFormat) +
                                       ": run otiose-index --rebuild");
  auto syn = json::parse(synonyms, nullptr, false);
  try {
    if (syn.is_array()) synonyms_ = syn.get<std::vector<std::vector<std::string>>>();
  } catch (const json::exception&) {
    throw Error(ErrorKind::kIndex, local_path_ + ": damaged synonyms (not lists of words): " +
                                       "rebuild it with otiose-index --rebuild");
  }
  {
    std::lock_guard<std::mutex> lock(stamps_mutex_);
    stamps_ = std::move(stamps);
  }
  if (shards_.empty()) {
    auto h = std::make_unique<Handles>();
    h->db = std::move(db);
    std::lock_guard<std::mutex> lock(mutex_);
    pool_.push_back(std::move(h));
  } else {
    std::lock_guard<std::mutex> lock(local_mutex_);
    local_db_ = std::move(db);  // the spelling table
  }
}

std::string Snapshot::shard_name(std::size_t k) const {
  return "shard " + std::to_string(k + 1) + " of " + std::to_string(shards_.size()) + " (" +
         shards_[k].name + ")";
}

std::string Snapshot::unavailable(const Handles& h) const {
  std::string out;
  for (std::size_t i = 0; i < h.missing.size(); ++i)
    out += (i ? "; " : "") + shard_name(h.missing[i]) + " did not answer: " + h.why[i];
  return generation_ + ": " + out;
}

const FacetTable* Snapshot::facets() const {
  std::call_once(facets_once_, [this] {
    if (!shards_.empty()) return;
    const std::string path = generation_ + "/" + kFacetsFile;
    facets_file_ = Env::Default()->map_file(path);
    if (!facets_file_) return;
    facets_ = FacetTable::view(std::string_view(reinterpret_cast<const char*>(facets_file_->data()),
                                                facets_file_->size()));
    if (!facets_)
      throw Error(ErrorKind::kIndex,
                  path + ": damaged (not a facet table): rebuild it with otiose-index --rebuild");
  });
  return facets_ ? &*facets_ : nullptr;
}

const SpellingTable& Snapshot::spelling() const {
  open_xapian();
  std::call_once(spelling_once_, [this] {
    std::lock_guard<std::mutex> lock(local_mutex_);
    if (!local_db_) local_db_ = open_local(local_path_);
    try {
      spelling_ = SpellingTable::read(*local_db_, local_path_);
    } catch (const Xapian::Error& e) {
      throw Error(ErrorKind::kIndex, local_path_ + ": cannot read the spelling table (" +
                                         e.get_description() +
                                         "): rebuild it with otiose-index --rebuild");
    }
  });
  return spelling_;
}

void Snapshot::check_tables() const {
  // Opening verified them a moment ago: no second look at each file.
  bool opened = false;
  std::call_once(xapian_once_, [this, &opened] {
    open_xapian_once();
    opened = true;
  });
  if (opened) return;
  std::lock_guard<std::mutex> lock(stamps_mutex_);
  if (tables_changed(stamps_)) stamps_ = verify_table_sums(generation_);
}

Snapshot::Lease::Lease(const Snapshot& s, unsigned timeout_ms) : s_(s) {
  s_.open_xapian();
  if (timeout_ms == 0) {
    std::lock_guard<std::mutex> lock(s_.mutex_);
    if (!s_.pool_.empty()) {
      h_ = std::move(s_.pool_.back());
      s_.pool_.pop_back();
    }
  }
  if (!h_) {
    h_ = s_.open_db(timeout_ms ? timeout_ms : s_.options_.remote_timeout_ms);
    // Handles with another timeout serve this call only.
    h_->poolable = timeout_ms == 0;
  }
}

void Snapshot::forget_handles() const {
  std::lock_guard<std::mutex> lock(mutex_);
  pool_.clear();
}

Snapshot::Lease::~Lease() {
  if (!h_ || !h_->missing.empty() || !h_->poolable) return;
  std::lock_guard<std::mutex> lock(s_.mutex_);
  s_.pool_.push_back(std::move(h_));
}

std::optional<std::string> Snapshot::record_json(Xapian::Database& db,
                                                 std::string_view slug) const {
  std::string term = std::string(kIdPrefix) + std::string(slug);
  auto it = db.postlist_begin(term);
  if (it == db.postlist_end(term)) return std::nullopt;
  std::string data = db.get_document(*it).get_data();
  // The record is the text between role_data()'s head and tail, read
  // without parsing the whole (parse_record reads and checks it, once).
  if (auto record = record_in_role_data(data)) return std::string(*record);
  auto parsed = json::parse(data, nullptr, false);
  if (parsed.is_discarded() || !parsed.contains("record"))
    throw Error(ErrorKind::kIndex,
                generation_ + ": damaged document for \"" + std::string(slug) + "\"");
  return parsed["record"].dump();
}

std::shared_ptr<const std::vector<SpecimenSummary>> Snapshot::catalogue(
    Xapian::Database& db) const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (catalogue_) return catalogue_;
  }
  auto number = [](const Xapian::Document& doc, unsigned slot) -> std::optional<std::int64_t> {
    std::string v = doc.get_value(slot);
    if (v.empty()) return std::nullopt;
    return static_cast<std::int64_t>(Xapian::sortable_unserialise(v));
  };
  auto all = std::make_shared<std::vector<SpecimenSummary>>();
  const std::string term = std::string(kTypePrefix) + "role";
  for (auto it = db.postlist_begin(term); it != db.postlist_end(term); ++it) {
    Xapian::Document doc = db.get_document(*it);
    SpecimenSummary s;
    s.slug = doc.get_value(kSlotSlug);
    s.title = doc.get_value(kSlotTitle);
    s.tagline = doc.get_value(kSlotTagline);
    s.salary_average = number(doc, kSlotSalaryAverage);
    s.salary_low = number(doc, kSlotSalaryLow);
    s.salary_high = number(doc, kSlotSalaryHigh);
    if (auto risk = number(doc, kSlotFlightRisk)) s.flight_risk = static_cast<int>(*risk);
    if (s.salary_average || s.salary_low) {
      // The currency is in the record only.
      auto data = json::parse(doc.get_data(), nullptr, false);
      const json* c = data.is_object() ? &data : nullptr;
      for (const char* key : {"record", "salary", "currency"})
        c = c && c->is_object() && c->contains(key) ? &(*c)[key] : nullptr;
      if (c && c->is_string()) s.currency = c->get<std::string>();
    }
    all->push_back(std::move(s));
  }
  std::sort(all->begin(), all->end(),
            [](const SpecimenSummary& a, const SpecimenSummary& b) { return a.slug < b.slug; });
  std::lock_guard<std::mutex> lock(mutex_);
  if (!catalogue_) catalogue_ = std::move(all);
  return catalogue_;
}

Xapian::Database Snapshot::open_local(const std::string& path) const {
  try {
    return Xapian::Database(path);
  } catch (const Xapian::Error& e) {
    throw Error(ErrorKind::kIndex, path + ": cannot open the index (" + e.get_msg() +
                                       "): rebuild it with otiose-index --rebuild");
  }
}

Xapian::Database Snapshot::open_shard(std::size_t k, unsigned timeout_ms) const {
  const ShardSpec& spec = shards_[k];
  Xapian::Database db = spec.remote()
                            ? Xapian::Remote::open(spec.host, spec.port, timeout_ms, timeout_ms)
                            : open_local(spec.path);
  // A shard of another build (a server not yet switched, a stub edited by
  // hand) would mix two catalogues: refuse it.
  std::string build = db.get_metadata(kMetaBuild);
  if (build != build_)
    throw Error(ErrorKind::kIndex,
                generation_ + ": " + shard_name(k) + " holds another build of the index (\"" +
                    build + "\", this generation is \"" + build_ + "\"): serve this generation's " +
                    kShardsDir + "/" + std::to_string(k));
  return db;
}

std::unique_ptr<Handles> Snapshot::open_db(unsigned timeout_ms) const {
  auto h = std::make_unique<Handles>();
  if (shards_.empty()) {
    h->db = open_local(local_path_);
    return h;
  }
  // Remote shards are contacted at once, so that a dead one costs one
  // timeout, not one a shard.
  const std::size_t n = shards_.size();
  std::vector<std::optional<Xapian::Database>> opened(n);
  std::vector<std::string> why(n);
  std::vector<std::exception_ptr> failure(n);
  auto open = [&](std::size_t k) {
    try {
      opened[k] = open_shard(k, timeout_ms);
    } catch (const Xapian::NetworkError& e) {
      why[k] = e.get_msg() + (e.get_error_string() ? std::string(" (") + e.get_error_string() + ")"
                                                   : std::string());
    } catch (const Xapian::Error& e) {
      failure[k] = std::make_exception_ptr(
          Error(ErrorKind::kIndex, generation_ + ": " + shard_name(k) + " cannot be read (" +
                                       e.get_description() +
                                       "): rebuild it with otiose-index --rebuild"));
    } catch (...) {
      failure[k] = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t k = 0; k < n; ++k)
    if (shards_[k].remote() && k + 1 < n)
      threads.emplace_back(open, k);
    else
      open(k);
  for (auto& t : threads) t.join();
  for (auto& f : failure)
    if (f) std::rethrow_exception(f);
  for (std::size_t k = 0; k < n; ++k) {
    if (opened[k]) {
      h->db.add_database(*opened[k]);
    } else {
      h->missing.push_back(k);
      h->why.push_back(why[k]);
    }
  }
  return h;
}

}  // namespace otiose::detail
