// indexer/: the Xapian documents a record becomes (see layout/layout.h for
// the terms and values), and the spelling dictionary.
#include "indexer/documents.h"

#include <otiose/error.h>
#include <otiose/similarity.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "base/text.h"
#include "indexer/fast_record.h"
#include "layout/layout.h"

namespace otiose::detail {
namespace {

// The values every document of a specimen carries: its owner, and the
// numbers filters and sorts read.
void set_numbers(Xapian::Document& doc, const Record& r) {
  doc.add_value(kSlotOwner, r.slug);
  if (r.flight_risk && r.flight_risk->percent)
    doc.add_value(kSlotFlightRisk, Xapian::sortable_serialise(*r.flight_risk->percent));
  if (r.salary) {
    if (r.salary->average)
      doc.add_value(kSlotSalaryAverage,
                    Xapian::sortable_serialise(static_cast<double>(*r.salary->average)));
    if (r.salary->low)
      doc.add_value(kSlotSalaryLow,
                    Xapian::sortable_serialise(static_cast<double>(*r.salary->low)));
    if (r.salary->high)
      doc.add_value(kSlotSalaryHigh,
                    Xapian::sortable_serialise(static_cast<double>(*r.salary->high)));
  }
}

// What the facets count of a document of `r` (layout.h, kSlotFacets).
std::string facets(const Record& r, char type, std::string_view kind) {
  int salary = r.salary && r.salary->average ? band_of(kSalaryBands, *r.salary->average) : -1;
  int risk =
      r.flight_risk && r.flight_risk->percent ? band_of(kRiskBands, *r.flight_risk->percent) : -1;
  return facet_value(type, salary, risk, r.slug, kind);
}

}  // namespace

void SpellingCounts::add(const Xapian::Document& role, int sign) {
  // A word's count is its unprefixed wdf less what the title's and the
  // aliases' weights added: (weight - 1) / weight of its prefixed wdf.
  // Prefixes are upper case, words (folded by the term generator) never
  // start with an upper-case letter.
  auto is_word = [](std::string_view t) { return !t.empty() && !(t[0] >= 'A' && t[0] <= 'Z'); };
  std::unordered_map<std::string, long long> weighted;  // word -> its title and alias excess
  std::vector<std::pair<std::string, long long>> words;
  for (auto t = role.termlist_begin(); t != role.termlist_end(); ++t) {
    const std::string& term = *t;
    const auto wdf = static_cast<long long>(t.get_wdf());
    std::string_view name(term);
    if (is_word(name)) {
      words.emplace_back(term, wdf);
    } else if (name.substr(0, std::size(kTitlePrefix) - 1) == kTitlePrefix &&
               is_word(name.substr(std::size(kTitlePrefix) - 1))) {
      weighted[term.substr(std::size(kTitlePrefix) - 1)] += wdf / kTitleWeight * (kTitleWeight - 1);
    } else if (name.substr(0, std::size(kAliasPrefix) - 1) == kAliasPrefix &&
               is_word(name.substr(std::size(kAliasPrefix) - 1))) {
      weighted[term.substr(std::size(kAliasPrefix) - 1)] += wdf / kAliasWeight * (kAliasWeight - 1);
    }
  }
  for (auto& [word, wdf] : words) {
    auto it = weighted.find(word);
    add_word(word, sign * (wdf - (it == weighted.end() ? 0 : it->second)));
  }
}

void SpellingCounts::add_word(const std::string& word, long long n) {
  if (word.size() < kSpellingShortest || word.size() > kSpellingLongest) return;
  counts_[word] += n;
}

void SpellingCounts::merge(const SpellingCounts& other) {
  for (const auto& [word, n] : other.counts_) counts_[word] += n;
}

void SpellingCounts::load(const Xapian::Database& db, const std::string& where) {
  for (std::size_t n = kSpellingShortest; n <= kSpellingLongest; ++n) {
    const std::string key = kMetaSpelling + std::to_string(n);
    auto words = spelling_words(n, db.get_metadata(key));
    if (!words)
      throw Error(ErrorKind::kIndex, where + ": damaged spelling table (" + key +
                                         "): rebuild it with otiose-index --rebuild");
    for (auto& [word, count] : *words) counts_[word] += count;
  }
}

void SpellingCounts::store(Xapian::WritableDatabase& db) const {
  std::vector<std::vector<std::pair<std::string, std::uint32_t>>> by_length(kSpellingLongest + 1);
  for (const auto& [word, n] : counts_)
    if (n > 0)
      by_length[word.size()].emplace_back(
          word, static_cast<std::uint32_t>(std::min<long long>(n, 0xffffffff)));
  for (std::size_t n = kSpellingShortest; n <= kSpellingLongest; ++n) {
    std::sort(by_length[n].begin(), by_length[n].end());
    db.set_metadata(kMetaSpelling + std::to_string(n), spelling_bucket(n, by_length[n]));
  }
}

namespace {

// The stemmer, remembering what it gave: a record's words recur (each field
// is indexed twice, unprefixed and under its prefix), and across a corpus
// most occurrences are of a few thousand words, while Xapian stems every
// occurrence afresh (a tenth of a build's instructions). At most
// kMaxEntries words are kept. One a DocumentMaker, so one a thread.
class RememberingStem : public Xapian::StemImplementation {
 public:
  std::string operator()(const std::string& word) override {
    if (auto it = known_.find(word); it != known_.end()) return it->second;
    std::string stem = stemmer_(word);
    if (known_.size() < kMaxEntries) known_.emplace(word, stem);
    return stem;
  }

  std::string get_description() const override {
    return "otiose::RememberingStem(" + stemmer_.get_description() + ")";
  }

 private:
  static constexpr std::size_t kMaxEntries = 1 << 18;
  Xapian::Stem stemmer_{kStemLanguage};
  std::unordered_map<std::string, std::string> known_;
};

}  // namespace

DocumentMaker::DocumentMaker() {
  tg_.set_stemmer(Xapian::Stem(new RememberingStem));
  tg_.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
}

Xapian::Document DocumentMaker::role(const Record& r, const std::string& json,
                                     const std::string& hash) {
  Xapian::Document doc;
  tg_.set_document(doc);
  auto field = [&](const std::string& text, const char* prefix, unsigned weight) {
    if (prefix[0] != '\0') tg_.index_text(text, weight, prefix);
    tg_.index_text(text, weight);
    tg_.increase_termpos();
  };
  field(r.title, kTitlePrefix, kTitleWeight);
  if (r.aliases)
    for (const auto& a : *r.aliases) field(a, kAliasPrefix, kAliasWeight);
  field(r.tagline, "", 1);
  if (r.habitat)
    for (const auto& h : *r.habitat) field(h, kHabitatPrefix, 1);
  if (r.metrics)
    for (const auto& m : *r.metrics) field(m.name + "\n" + m.description, kMetricPrefix, 1);
  if (r.weaponry)
    for (const auto& w : *r.weaponry) field(w.name + "\n" + w.description, kWeaponPrefix, 1);
  static const TfidfConfig kRest = [] {
    TfidfConfig c;
    c.fields = {"org_chart.summary",        "salary.note",       "salary.quote",
                "flight_risk.diagnosis",    "survival[].advice", "jd_autopsy[].illusion",
                "jd_autopsy[].translation", "day_log[].title",   "day_log[].description",
                "burn_ward[].text"};
    return c;
  }();
  field(specimen_text(r, kRest), "", 1);
  doc.add_boolean_term(std::string(kIdPrefix) + r.slug);
  doc.add_boolean_term(std::string(kTypePrefix) + "role");
  doc.add_boolean_term(std::string(kRolePrefix) + r.slug);
  doc.add_value(kSlotFacets, facets(r, 'r', {}));
  set_numbers(doc, r);
  doc.add_value(kSlotContentHash, hash);
  doc.add_value(kSlotSlug, r.slug);
  // The text a hit's snippet is cut from, ready for the searcher: one item
  // a line (the searcher shows the breaks as separators), without the
  // tagline a hit prints above it.
  static const TfidfConfig kSnippetFields = [] {
    TfidfConfig c;
    c.fields = {"aliases[]",
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
  doc.add_value(kSlotTitle, r.title);
  doc.add_value(kSlotTagline, r.tagline);
  doc.add_value(kSlotOrder, order_value(r.tagline.size(), r.slug));
  const std::string body = specimen_text(r, kSnippetFields);
  doc.add_value(
      kSlotHit,
      hit_value({.type = 'r', .id = r.slug, .kind = {}, .owner = {}, .source = {}, .text = body}));
  doc.set_data(role_data(json));
  return doc;
}

bool same_quote_context(const Record& a, const Record& b) {
  auto risk = [](const Record& r) {
    return r.flight_risk ? r.flight_risk->percent : std::optional<int>();
  };
  auto salary = [](const Record& r) {
    return r.salary ? std::make_tuple(r.salary->average, r.salary->low, r.salary->high)
                    : std::make_tuple(std::optional<std::int64_t>(), std::optional<std::int64_t>(),
                                      std::optional<std::int64_t>());
  };
  return a.slug == b.slug && risk(a) == risk(b) && salary(a) == salary(b);
}

std::optional<Record> record_of(const Xapian::Document& role) {
  const std::string data = role.get_data();
  const std::optional<std::string_view> json = record_in_role_data(data);
  if (!json) return std::nullopt;
  return parse_corpus_record(*json, "", 0).record;
}

Xapian::Document DocumentMaker::quote(const Record& r, const Quote& q) {
  Xapian::Document doc;
  tg_.set_document(doc);
  tg_.index_text(q.text);
  doc.add_boolean_term(std::string(kIdPrefix) + q.id);
  doc.add_boolean_term(std::string(kTypePrefix) + "quote");
  doc.add_boolean_term(std::string(kKindPrefix) + q.kind);
  doc.add_boolean_term(std::string(kRolePrefix) + r.slug);
  doc.add_value(kSlotFacets, facets(r, 'q', q.kind));
  if (q.source) doc.add_boolean_term(std::string(kSourcePrefix) + ascii_lower(*q.source));
  set_numbers(doc, r);
  doc.add_value(kSlotOrder, order_value(q.text.size(), q.id));
  doc.add_value(kSlotHit, hit_value({.type = 'q',
                                     .id = q.id,
                                     .kind = q.kind,
                                     .owner = r.slug,
                                     .source = q.source ? std::string_view(*q.source) : "",
                                     .text = q.text}));
  return doc;
}

}  // namespace otiose::detail
