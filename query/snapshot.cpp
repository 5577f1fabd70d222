#include "query/snapshot.h"

#include <otiose/error.h>

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

std::optional<json> Snapshot::role_data(Xapian::Database& db, std::string_view slug) const {
  std::string term = std::string(kIdPrefix) + std::string(slug);
  auto it = db.postlist_begin(term);
  if (it == db.postlist_end(term)) return std::nullopt;
  auto data = json::parse(db.get_document(*it).get_data(), nullptr, false);
  if (data.is_discarded() || !data.contains("record"))
    throw Error(ErrorKind::kIndex,
                db_path_ + ": damaged document for \"" + std::string(slug) + "\"");
  return data;
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

std::unique_ptr<Xapian::Database> Snapshot::open_db() const {
  try {
    return std::make_unique<Xapian::Database>(db_path_);
  } catch (const Xapian::Error& e) {
    throw Error(ErrorKind::kIndex, db_path_ + ": cannot open the index (" + e.get_msg() +
                                       "): rebuild it with otiose-index --rebuild");
  }
}

}  // namespace otiose::detail
