#include "query/snapshot.h"

#include <otiose/error.h>

#include <algorithm>

namespace otiose::detail {

using nlohmann::json;

Snapshot::Snapshot(std::string generation)
    : generation_(std::move(generation)),
      db_path_(generation_ + "/" + kXapianDir),
      model_(generation_ + "/" + kModelFile),
      stamps_(verify_table_sums(generation_)) {
  auto db = open_db();
  std::string text, synonyms;
  try {
    text = db->get_metadata(kMetaFormat);
    synonyms = db->get_metadata(kMetaSynonyms);
  } catch (const Xapian::Error& e) {
    // A damaged table can open fine and fail on the first read.
    throw Error(ErrorKind::kIndex, db_path_ + ": cannot read the index (" + e.get_description() +
                                       "): rebuild it with otiose-index --rebuild");
  }
  if (text != std::to_string(kIndexFormat))
    throw Error(ErrorKind::kIndex, db_path_ + ": index format \"" + text + "\", this build reads " +
                                       std::to_string(kIndexFormat) +
                                       ": run otiose-index --rebuild");
  auto syn = json::parse(synonyms, nullptr, false);
  try {
    if (syn.is_array()) synonyms_ = syn.get<std::vector<std::vector<std::string>>>();
  } catch (const json::exception&) {
    throw Error(ErrorKind::kIndex, db_path_ + ": damaged synonyms (not lists of words): " +
                                       "rebuild it with otiose-index --rebuild");
  }
  pool_.push_back(std::move(db));
}

void Snapshot::check_tables() const {
  std::lock_guard<std::mutex> lock(stamps_mutex_);
  if (tables_changed(stamps_)) stamps_ = verify_table_sums(generation_);
}

Snapshot::Lease::Lease(const Snapshot& s) : s_(s) {
  std::lock_guard<std::mutex> lock(s_.mutex_);
  if (!s_.pool_.empty()) {
    db_ = std::move(s_.pool_.back());
    s_.pool_.pop_back();
  }
  if (!db_) db_ = s_.open_db();
}

Snapshot::Lease::~Lease() {
  if (!db_) return;
  std::lock_guard<std::mutex> lock(s_.mutex_);
  s_.pool_.push_back(std::move(db_));
}

std::optional<std::string> Snapshot::record_json(Xapian::Database& db,
                                                 std::string_view slug) const {
  std::string term = std::string(kIdPrefix) + std::string(slug);
  auto it = db.postlist_begin(term);
  if (it == db.postlist_end(term)) return std::nullopt;
  std::string data = db.get_document(*it).get_data();
  // The indexer writes the object with sorted keys and no spaces: the
  // record is the text between these two, read without parsing the whole
  // (parse_record reads and checks it, once).
  static constexpr std::string_view kHead = "{\"record\":", kTail = ",\"type\":\"role\"}";
  if (data.size() > kHead.size() + kTail.size() && data.compare(0, kHead.size(), kHead) == 0 &&
      data.compare(data.size() - kTail.size(), kTail.size(), kTail) == 0)
    return data.substr(kHead.size(), data.size() - kHead.size() - kTail.size());
  auto parsed = json::parse(data, nullptr, false);
  if (parsed.is_discarded() || !parsed.contains("record"))
    throw Error(ErrorKind::kIndex,
                db_path_ + ": damaged document for \"" + std::string(slug) + "\"");
  return parsed["record"].dump();
}

Card Snapshot::card(Xapian::Database& db, const std::string& slug) const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cards_.find(slug);
    if (it != cards_.end()) return it->second;
  }
  Card c;
  std::string term = std::string(kIdPrefix) + slug;
  if (auto it = db.postlist_begin(term); it != db.postlist_end(term)) {
    Xapian::Document doc = db.get_document(*it);
    c.title = doc.get_value(kSlotTitle);
    c.tagline = doc.get_value(kSlotTagline);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  cards_.emplace(slug, c);
  return c;
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

std::unique_ptr<Xapian::Database> Snapshot::open_db() const {
  try {
    return std::make_unique<Xapian::Database>(db_path_);
  } catch (const Xapian::Error& e) {
    throw Error(ErrorKind::kIndex, db_path_ + ": cannot open the index (" + e.get_msg() +
                                       "): rebuild it with otiose-index --rebuild");
  }
}

}  // namespace otiose::detail
