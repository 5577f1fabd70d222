// The Searcher: follows the index's current generation (a Snapshot each),
// and answers searches, related lists and look-ups from it.
#include <otiose/search.h>

#include <otiose/error.h>

#include <xapian.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "base/text.h"
#include "layout/layout.h"
#include "query/model_answers.h"
#include "query/query_text.h"
#include "query/ranking.h"
#include "query/snapshot.h"
#include "query/snippets.h"
#include "query/spelling.h"
#include "similarity/scoring.h"

namespace otiose {

using detail::Snapshot;
using nlohmann::json;

namespace {

// Values by a specimen's owner hash (never 0): open addressing in two flat
// arrays, since a broad query adds every match and a node-based map
// allocated for each new specimen.
template <typename T>
class OwnerTable {
 public:
  // h's value, value-initialised when h is new.
  T& operator[](std::uint64_t h) {
    if (2 * (size_ + 1) > keys_.size()) grow();
    const std::size_t i = slot(h);
    if (keys_[i] == 0) {
      keys_[i] = h;
      ++size_;
    }
    return values_[i];
  }
  // nullptr for a hash never added.
  const T* find(std::uint64_t h) const {
    if (keys_.empty()) return nullptr;
    const std::size_t i = slot(h);
    return keys_[i] == h ? &values_[i] : nullptr;
  }
  std::size_t size() const { return size_; }
  template <typename F>
  void for_each(F f) const {
    for (std::size_t i = 0; i < keys_.size(); ++i)
      if (keys_[i] != 0) f(values_[i]);
  }

 private:
  std::size_t slot(std::uint64_t h) const {
    const std::size_t mask = keys_.size() - 1;
    std::size_t i = static_cast<std::size_t>(h) & mask;
    while (keys_[i] != 0 && keys_[i] != h) i = (i + 1) & mask;
    return i;
  }
  void grow() {
    std::vector<std::uint64_t> keys = std::move(keys_);
    std::vector<T> values = std::move(values_);
    keys_.assign(keys.empty() ? 64 : 2 * keys.size(), 0);
    values_.assign(keys_.size(), T());
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i] != 0) {
        const std::size_t j = slot(keys[i]);
        keys_[j] = keys[i];
        values_[j] = std::move(values[i]);
      }
  }

  std::vector<std::uint64_t> keys_;  // 0: an empty slot; a power of two long
  std::vector<T> values_;
  std::size_t size_ = 0;
};

// Each specimen's matching documents and best one, by the facet table's
// owner number (FacetTable::owner), in as few fresh pages as the search
// needs: a fresh page costs a process a fault (about 10 us on a virtual
// machine), and the hash tables this replaced, doubling as they grew,
// touched about a hundred more of them in a broad grouped search at
// 10,000 specimens than the whole of a `quest` process does. The slots of
// the specimens seen, filled in order in memory reserved for every
// specimen (mapped as it is filled); each one's place among them in a
// little table of its own while there are few (most queries), then in an
// index of 4 bytes a specimen, which a hundred specimens of 10,000 already
// spread over every page of.
class OwnerSlots {
 public:
  using Doc = std::pair<double, Xapian::docid>;  // weight, docid (never 0)

  explicit OwnerSlots(std::uint32_t owners) : owners_(owners) { slots_.reserve(owners); }

  // One more matching document of owner `n` (1 to the table's owners).
  void count(std::uint32_t n) { ++at(n).count; }
  // Keeps document `id` of owner `n` if it is the owner's best so far, as
  // Xapian's collapse on kSlotOwner chooses on a database numbered in the
  // tie order (the highest weight, then the lowest docid); a document with
  // no owner (n = 0) is a group of its own.
  void offer(std::uint32_t n, Xapian::docid id, double weight) {
    if (n == 0) return loners_.push_back({weight, id});
    Slot& s = at(n);
    if (s.best == 0 || detail::better({id, weight}, {s.best, s.weight})) {
      s.best = id;
      s.weight = weight;
    }
  }

  std::size_t owners_seen() const { return slots_.size(); }
  std::size_t count_of(std::uint32_t n) const {
    const std::uint32_t i = place(n);
    return i ? slots_[i - 1].count : 0;
  }

  // The groups [first, first + count) in the collapse's order (TopK's:
  // the highest weight, then the lowest docid), holding no more than
  // first + count at a time (a broad query has thousands).
  std::vector<Doc> ranked(std::size_t first, std::size_t count) const {
    detail::TopK top(first + count);
    for (const auto& [weight, id] : loners_) top.offer({id, weight});
    for (const Slot& s : slots_)
      if (s.best != 0) top.offer({s.best, s.weight});
    const std::vector<detail::Scored> best = std::move(top).take();
    std::vector<Doc> out;
    for (std::size_t i = first; i < best.size(); ++i) out.push_back({best[i].score, best[i].index});
    return out;
  }

 private:
  struct Slot {
    double weight = 0;
    Xapian::docid best = 0;  // 0: none yet
    std::uint32_t count = 0;
  };
  struct Free {
    void operator()(std::uint32_t* p) const { std::free(p); }
  };
  // The little table while at most kFew owners are seen: open addressing,
  // owner number (0: empty) and place.
  static constexpr std::size_t kFew = 128, kFewSlots = 2 * kFew;
  static std::size_t few_slot(std::uint32_t n) { return (n * 2654435761u) % kFewSlots; }

  // Owner n's place among the slots + 1; 0 when it has none.
  std::uint32_t place(std::uint32_t n) const {
    if (index_) return index_.get()[n];
    std::size_t i = few_slot(n);
    while (few_owner_[i] != 0 && few_owner_[i] != n) i = (i + 1) % kFewSlots;
    return few_owner_[i] == n ? few_place_[i] : 0;
  }

  Slot& at(std::uint32_t n) {
    if (const std::uint32_t i = place(n)) return slots_[i - 1];
    slots_.emplace_back();
    const auto i = static_cast<std::uint32_t>(slots_.size());
    if (!index_ && slots_.size() <= kFew) {
      std::size_t j = few_slot(n);
      while (few_owner_[j] != 0) j = (j + 1) % kFewSlots;
      few_owner_[j] = n;
      few_place_[j] = i;
    } else {
      if (!index_) {
        index_.reset(static_cast<std::uint32_t*>(std::calloc(std::size_t{owners_} + 1, 4)));
        if (!index_) throw std::bad_alloc();
        for (std::size_t j = 0; j < kFewSlots; ++j)
          if (few_owner_[j] != 0) index_.get()[few_owner_[j]] = few_place_[j];
      }
      index_.get()[n] = i;
    }
    return slots_.back();
  }

  std::uint32_t owners_;
  std::uint32_t few_owner_[kFewSlots] = {};
  std::uint32_t few_place_[kFewSlots] = {};
  std::unique_ptr<std::uint32_t, Free> index_;  // by owner number, once past kFew: place + 1
  std::vector<Slot> slots_;                     // the owners seen, in the order first seen
  std::vector<Doc> loners_;
};

// What a search counts of its matching documents from their facet values
// (layout.h, kSlotFacets): one value a document serves the four facets and
// the grouped counts (each specimen's matches). The specimens are counted
// by the facet table's owner numbers when there is a table (one
// database), else by owner hash (shards).
class Counts {
 public:
  Counts(bool owners, bool facets, const detail::FacetTable* table)
      : count_owners_(owners), count_facets_(facets), table_(table) {
    if (owners && table) slots_.emplace(table->owners());
  }

  // `n` matching documents have the facet value `v` (no table).
  void add(std::string_view v, std::size_t n) {
    add_facets(v, n);
    if (count_owners_ && !slots_)
      if (std::uint64_t h = detail::facet_owner(v)) owners_[h] += n;
  }
  // Document `id`, of the table, matches: its owner, and its value when
  // the facets are counted, from there. Returns its owner number (0 for
  // none).
  std::uint32_t add_numbered(Xapian::docid id) {
    if (count_facets_) {
      const std::optional<std::string_view> v = table_->value(id);
      if (!v)
        throw Error(ErrorKind::kIndex,
                    std::string(detail::kFacetsFile) + ": damaged (no entry for document " +
                        std::to_string(id) + "): rebuild it with otiose-index --rebuild");
      add_facets(*v, 1);
    } else {
      ++total_;
    }
    const std::uint32_t n = table_->owner(id);
    if (slots_ && n) slots_->count(n);
    return n;
  }

  std::size_t total() const { return total_; }
  std::size_t specimens() const { return slots_ ? slots_->owners_seen() : owners_.size(); }
  // The matching documents of hit `id` of specimen `slug` (at least the hit
  // itself).
  std::size_t of(std::string_view slug, Xapian::docid id) const {
    std::size_t n = 0;
    if (slots_) {
      if (const std::uint32_t owner = table_->owner(id)) n = slots_->count_of(owner);
    } else if (const std::size_t* found = owners_.find(detail::owner_hash(slug))) {
      n = *found;
    }
    return std::max<std::size_t>(1, n);
  }
  // The slots, when counting by the table's numbers.
  OwnerSlots* slots() { return slots_ ? &*slots_ : nullptr; }

  // type, kind, salary, flight_risk; values by name, bands low to high,
  // only those some document has.
  std::vector<Facet> facets() const {
    auto band_name = [](const detail::Band& b) {
      return std::to_string(b.low) + "-" + (b.high == INT64_MAX ? "" : std::to_string(b.high));
    };
    std::vector<Facet> out(4);
    out[0].name = "type";
    if (quotes_) out[0].values.push_back({"quote", quotes_});
    if (roles_) out[0].values.push_back({"role", roles_});
    out[1].name = "kind";
    for (const auto& [kind, n] : kinds_) out[1].values.push_back({kind, n});
    out[2].name = "salary";
    for (std::size_t i = 0; i < std::size(salary_); ++i)
      if (salary_[i]) out[2].values.push_back({band_name(detail::kSalaryBands[i]), salary_[i]});
    out[3].name = "flight_risk";
    for (std::size_t i = 0; i < std::size(risk_); ++i)
      if (risk_[i]) out[3].values.push_back({band_name(detail::kRiskBands[i]), risk_[i]});
    return out;
  }

 private:
  // Everything but the owner.
  void add_facets(std::string_view v, std::size_t n) {
    total_ += n;
    if (v.size() < 3) return;
    (v[0] == 'r' ? roles_ : quotes_) += n;
    if (v[1] >= '0' && v[1] < '0' + static_cast<char>(std::size(salary_))) salary_[v[1] - '0'] += n;
    if (v[2] >= '0' && v[2] < '0' + static_cast<char>(std::size(risk_))) risk_[v[2] - '0'] += n;
    if (count_facets_ && v.size() > detail::kFacetKindAt) {
      std::string_view kind = v.substr(detail::kFacetKindAt);
      auto it = kinds_.find(kind);
      if (it == kinds_.end()) it = kinds_.emplace(std::string(kind), 0).first;
      it->second += n;
    }
  }

  bool count_owners_, count_facets_;
  const detail::FacetTable* table_;
  std::size_t total_ = 0, roles_ = 0, quotes_ = 0;
  std::size_t salary_[std::size(detail::kSalaryBands)] = {};
  std::size_t risk_[std::size(detail::kRiskBands)] = {};
  std::map<std::string, std::size_t, std::less<>> kinds_;
  OwnerTable<std::size_t> owners_;   // without a table
  std::optional<OwnerSlots> slots_;  // with one
};

// Counts each matching document in this process: cheaper than Xapian's
// ValueCountMatchSpy (no map of strings), which the remote backend needs
// instead (xapian-tcpsrv knows only Xapian's own spies). A document's value
// comes from the generation's facet table, an array entry, where it has one
// (a value read is a B-tree lookup and a chunk decoded: most of a grouped
// search's count).
// With `keep_best` (a table's counts), it also keeps each specimen's best
// document.
class CountingSpy : public Xapian::MatchSpy {
 public:
  CountingSpy(Counts& counts, bool numbered, bool keep_best)
      : counts_(counts), numbered_(numbered), best_(keep_best ? counts.slots() : nullptr) {}
  void operator()(const Xapian::Document& doc, double weight) override {
    if (!numbered_) {
      counts_.add(doc.get_value(detail::kSlotFacets), 1);
      return;
    }
    const Xapian::docid id = doc.get_docid();
    const std::uint32_t owner = counts_.add_numbered(id);
    if (best_) best_->offer(owner, id, weight);
  }

 private:
  Counts& counts_;
  bool numbered_;
  OwnerSlots* best_;
};

}  // namespace

struct Searcher::Impl {
  std::string dir;
  SearcherOptions options;
  mutable std::mutex mutex;
  mutable std::shared_ptr<const Snapshot> snapshot;
  // Set on a pinned Searcher (Searcher::pin): the only generation it reads.
  std::shared_ptr<const Snapshot> pinned;

  std::string current_generation() const { return detail::require_generation(dir); }

  // The snapshot of the generation current now; `stale` forces a fresh look.
  std::shared_ptr<const Snapshot> get(bool stale = false) const {
    if (pinned) return pinned;
    std::string generation = current_generation();
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (snapshot && snapshot->generation() == generation && !stale) return snapshot;
    }
    for (int attempt = 0;; ++attempt) {
      try {
        auto fresh = std::make_shared<const Snapshot>(generation, options);
        std::lock_guard<std::mutex> lock(mutex);
        snapshot = fresh;
        return fresh;
      } catch (const Error&) {
        // The writer may have swapped generations between our look and the
        // open; look again a few times before calling the index damaged.
        std::string again = current_generation();
        if (again == generation || attempt >= 3) throw;
        generation = again;
      }
    }
  }

  // Runs `f(snapshot, db)`; a Xapian error (a generation removed under a
  // slow reader) gets one retry on a fresh snapshot, a shard that stopped
  // answering one retry on fresh connections. Shards that do not answer
  // throw Error(kUnavailable) naming them, unless `partial` is given: then
  // `f` runs on the others and `partial` gets their names.
  template <typename F>
  auto with_index(F f, std::vector<std::string>* partial = nullptr) const {
    unsigned reconnect_ms = 0;  // set after a shard failed mid-call
    for (int attempt = 0;; ++attempt) {
      auto s = get(attempt > 0 && reconnect_ms == 0);
      try {
        s->check_tables();
      } catch (const Error&) {
        // A generation the writer removed under a slow reader is not a
        // damaged one: answer from the current generation.
        if (pinned || attempt >= 1 || current_generation() == s->generation()) throw;
        continue;
      }
      try {
        Snapshot::Lease lease(*s, reconnect_ms);
        const detail::Handles& h = lease.handles();
        if (!h.missing.empty()) {
          if (!partial) throw Error(ErrorKind::kUnavailable, s->unavailable(h));
          partial->clear();
          for (std::size_t k : h.missing) partial->push_back(s->shard_name(k));
        }
        try {
          return f(*s, lease.db());
        } catch (const Xapian::Error&) {
          lease.discard();
          throw;
        }
      } catch (const Xapian::NetworkError& e) {
        // A shard server went away or is too slow. Connect again, once, and
        // briefly (a quarter of the timeout): a restarted server is picked
        // up, and the one that does not answer is named.
        if (reconnect_ms || s->shards().empty())
          throw Error(ErrorKind::kUnavailable,
                      s->generation() + ": a shard did not answer (" + e.get_msg() + ")");
        reconnect_ms = std::max(100u, options.remote_timeout_ms / 4);
        s->forget_handles();
      } catch (const Xapian::Error& e) {
        if (pinned || attempt >= 1)
          throw Error(ErrorKind::kIndex, s->generation() + "/" + detail::kXapianDir +
                                             ": the index could not be read (" +
                                             e.get_description() +
                                             "): rebuild it with otiose-index --rebuild");
      } catch (const json::exception& e) {
        // A document's data that parses but holds other types than written.
        throw Error(ErrorKind::kIndex, s->generation() + "/" + detail::kXapianDir +
                                           ": a damaged document (" + e.what() +
                                           "): rebuild it with otiose-index --rebuild");
      }
    }
  }

  // A hit as its document's kSlotHit has it (layout.h), with its
  // specimen's card from `model` (a quote's without the tagline unless
  // `quote_tagline`); `body` gets the text its snippet is cut from, and
  // `specimen` the specimen's position in `model` (-1: not in it).
  Hit read_hit(const Xapian::Document& doc, Xapian::docid id, const SimilarityModel& model,
               bool quote_tagline, std::string& body, std::ptrdiff_t& specimen) const {
    const std::string value = doc.get_value(detail::kSlotHit);
    const std::optional<detail::HitValue> v = detail::read_hit_value(value);
    if (!v || v->id.empty() || (v->type == 'q' && v->owner.empty()))
      throw Error(ErrorKind::kIndex, dir + ": damaged document " + std::to_string(id));
    Hit hit;
    hit.id = std::string(v->id);
    body = std::string(v->text);
    if (v->type == 'r') {
      hit.type = "role";
      hit.slug = hit.id;
    } else {
      hit.type = "quote";
      hit.kind = std::string(v->kind);
      hit.slug = std::string(v->owner);
      hit.text = body;
      if (!v->source.empty()) hit.source = std::string(v->source);
    }
    specimen = model.find(hit.slug);
    if (specimen >= 0) {
      const auto i = static_cast<std::size_t>(specimen);
      hit.title = model.title(i);
      if (v->type == 'r' || quote_tagline) hit.tagline = model.tagline(i);
    }
    if (v->type == 'r') hit.text = hit.tagline;
    return hit;
  }

  // Counts the documents `query` matches, up to count_limit + 1 of them,
  // by their facet values: the facets, the total of a grouped search and
  // each specimen's matches (Xapian's collapsed counts are estimates that
  // can exceed the catalogue, and its remote backend loses them in the
  // merge). A match of its own, with no weights, no collapse and no hits to
  // keep: what the counts cost is reading each match's value once. With
  // `keep_best` (one database, with its facet table), it weighs the
  // matches too, and keeps each specimen's best document: a grouped
  // search's page without Xapian's collapse, which reads every candidate's
  // kSlotOwner value; only for a query that matches_at_most count_limit
  // documents, since a weighed match asked for no hits goes on through
  // every match (Xapian stops at check_at_least only when no document can
  // weigh anything). `mset` gets
  // the match's MSet (no hits: for snippets and estimates). Returns how
  // many documents it would look at: fewer counted is every match.
  static Xapian::doccount count_matches(const Snapshot& s, Xapian::Database& db,
                                        const Xapian::Query& query, std::size_t count_limit,
                                        Counts& counts, bool keep_best = false,
                                        Xapian::MSet* mset = nullptr) {
    Xapian::Enquire enquire(db);
    enquire.set_query(query);
    if (!keep_best) enquire.set_weighting_scheme(Xapian::BoolWeight());
    enquire.set_docid_order(Xapian::Enquire::DONT_CARE);
    CountingSpy local_spy(counts, s.facets() != nullptr, keep_best);
    Xapian::ValueCountMatchSpy remote_spy(detail::kSlotFacets);
    if (s.has_remote_shards())
      enquire.add_matchspy(&remote_spy);
    else
      enquire.add_matchspy(&local_spy);
    const auto check =
        static_cast<Xapian::doccount>(std::min<std::size_t>(db.get_doccount(), count_limit) + 1);
    Xapian::MSet matched = enquire.get_mset(0, 0, check);
    if (mset) *mset = std::move(matched);
    for (auto it = remote_spy.values_begin(); it != remote_spy.values_end(); ++it)
      counts.add(*it, it.get_termfreq());
    return check;
  }

  // Whether `query` matches at most `n` documents by the bounds Xapian
  // keeps: a match asked for nothing, not even to check one, stops once it
  // has opened the postings and knows their frequencies. No match at all
  // for a database of at most `n` documents (the bundled catalogue).
  static bool matches_at_most(Xapian::Database& db, const Xapian::Query& query, std::size_t n) {
    if (db.get_doccount() <= n) return true;
    Xapian::Enquire enquire(db);
    enquire.set_query(query);
    return enquire.get_mset(0, 0).get_matches_upper_bound() <= n;
  }

  // One search on one snapshot: the query as typed, no correction.
  SearchResults search_once(const Snapshot& s, Xapian::Database& db, std::string_view query_text,
                            const SearchOptions& o) const {
    SearchResults results;
    results.query = std::string(query_text);
    results.offset = o.offset;
    results.limit = o.limit;
    const Xapian::Stem stemmer(detail::kStemLanguage);
    Xapian::QueryParser parser =
        detail::make_query_parser(db, stemmer, o.match_any, &results.warnings);
    Xapian::Query query = detail::parse_user_query(parser, query_text, s.synonyms());
    // The user's words, before the filters add their boolean terms.
    const std::vector<std::string> words = detail::snippet_words(query);

    const Xapian::Query filtered = detail::apply_filters(query, o);
    detail::Ranking ranking;
    if (o.sort == SearchOptions::Sort::kSalary) ranking.sort_slot = detail::kSlotSalaryAverage;
    if (o.sort == SearchOptions::Sort::kFlightRisk) ranking.sort_slot = detail::kSlotFlightRisk;
    ranking.group = o.group;
    ranking.numbered = s.shards().empty();
    auto limit = static_cast<Xapian::doccount>(std::min<std::size_t>(o.limit, 10000));
    auto offset = static_cast<Xapian::doccount>(std::min<std::size_t>(o.offset, 1u << 30));
    results.grouped = o.group;
    const bool spied = o.group || o.facets;
    Counts counts(o.group, o.facets, spied ? s.facets() : nullptr);
    // A grouped search by relevance on one database in the tie order: the
    // counting match keeps each specimen's best document, and when it saw
    // every match, that is the page (the collapse, without its value reads).
    // A query that may match more than count_limit documents is counted
    // without weights and ranked by the collapse, as the weighed count
    // would go through all of them.
    Xapian::MSet counted;
    const bool spy_groups = o.group && !ranking.sort_slot && ranking.numbered && s.facets() &&
                            !s.has_remote_shards() && db.get_termfreq(detail::kEditedTerm) == 0 &&
                            matches_at_most(db, filtered, o.count_limit);
    const Xapian::doccount looked =
        spied ? count_matches(s, db, filtered, o.count_limit, counts, spy_groups, &counted) : 0;
    std::optional<detail::Page> page;
    if (!spy_groups || counts.total() >= looked) page.emplace(db, filtered, ranking, offset, limit);
    results.exact = spied ? counts.total() < looked : page->exact();
    if (o.group) {
      // Xapian's uncollapsed estimate can stop at the collapsed count: the
      // documents the spy saw before the collapse are the count. Past
      // count_limit, the count's own estimate (Xapian scales what it saw by
      // how far through the postings it got, where the collapse's stops
      // near the documents it ranked), and the specimens in the proportion
      // the count saw them.
      results.total = counts.total();
      results.specimens = counts.specimens();
      if (!results.exact) {
        const std::size_t seen = results.total;
        results.total = std::max<std::size_t>(
            {seen, counted.get_matches_estimated(), page->uncollapsed_matches_estimated()});
        const std::size_t scaled = seen ? results.specimens * results.total / seen : 0;
        results.specimens =
            std::max<std::size_t>({results.specimens, scaled, page->matches_estimated()});
        // No more than the catalogue has (the collapse's estimate can be).
        if (const std::size_t n = s.model().size(); n > 0)
          results.specimens = std::min(results.specimens, n);
      }
    } else if (spied && results.exact) {
      results.total = counts.total();
    } else {
      results.total = page->matches_estimated();
    }
    if (o.facets) results.facets = counts.facets();

    // "Did you mean": words the index does not have, when little was found.
    if (results.total < 3)
      results.suggestion = detail::suggest(
          db, [&s]() -> const detail::SpellingTable& { return s.spelling(); }, stemmer, query_text);

    // The hits shown: a document, its weight, and the MSet of the match
    // that found it (for its snippet).
    struct Shown {
      Xapian::Document doc;
      Xapian::docid id;
      double weight;
      const Xapian::MSet* mset;
    };
    std::vector<Shown> shown;
    if (page) {
      // Remote shards: ask for every hit's document at once, not one round
      // trip a hit.
      if (s.has_remote_shards()) page->fetch();
      for (std::size_t i = 0; i < page->size(); ++i) {
        const Xapian::MSetIterator m = page->hit(i);
        shown.push_back({m.get_document(), *m, m.get_weight(), &page->mset_of(i)});
      }
    } else {
      for (const auto& [weight, id] : counts.slots()->ranked(offset, limit))
        shown.push_back({db.get_document(id, Xapian::DOC_ASSUME_VALID), id, weight, &counted});
    }
    const Xapian::Stem snippet_stem = detail::snippet_stemmer(stemmer, filtered);
    std::size_t rank = o.offset;
    for (const Shown& m : shown) {
      std::string body;
      std::ptrdiff_t specimen = -1;
      Hit hit = read_hit(m.doc, m.id, s.model(), o.quote_taglines, body, specimen);
      hit.rank = ++rank;
      hit.score = o.sort == SearchOptions::Sort::kRelevance ? m.weight : 0.0;
      if (ranking.sort_slot) {
        std::string v = m.doc.get_value(*ranking.sort_slot);
        if (!v.empty()) hit.sort_value = Xapian::sortable_unserialise(v);
      }
      if (o.group) hit.more = counts.of(hit.slug, m.id) - 1;
      hit.snippet = detail::make_snippet(*m.mset, std::move(body), words, snippet_stem, o);
      if (o.related > 0 && specimen >= 0)
        hit.related = detail::with_cards(
            s.model(), s.model().related(static_cast<std::size_t>(specimen), o.related),
            o.related_taglines);
      results.hits.push_back(std::move(hit));
    }
    // A field processor runs again when Xapian retries a query.
    std::sort(results.warnings.begin(), results.warnings.end());
    results.warnings.erase(std::unique(results.warnings.begin(), results.warnings.end()),
                           results.warnings.end());
    return results;
  }
};

Searcher::Searcher(const std::string& index_dir, const SearcherOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->dir = index_dir;
  impl_->options = options;
  impl_->get();
}

Searcher::Searcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Searcher::~Searcher() = default;
Searcher::Searcher(Searcher&&) noexcept = default;
Searcher& Searcher::operator=(Searcher&&) noexcept = default;

Searcher Searcher::pin() const {
  auto impl = std::make_unique<Impl>();
  impl->dir = impl_->dir;
  impl->options = impl_->options;
  impl->pinned = impl_->get();
  return Searcher(std::move(impl));
}

SearchResults Searcher::search(std::string_view query_text, const SearchOptions& o) const {
  detail::check_query_text(query_text);
  std::vector<std::string> missing;
  SearchResults out = impl_->with_index(
      [&](const Snapshot& s, Xapian::Database& db) {
        SearchResults results = impl_->search_once(s, db, query_text, o);
        // Nothing found, but the suggestion finds something: show its hits, as
        // web search engines do (the results say so), unless asked not to.
        if (results.total == 0 && results.suggestion && !o.exact) {
          SearchResults corrected = impl_->search_once(s, db, *results.suggestion, o);
          if (corrected.total > 0) {
            corrected.query = results.query;
            corrected.suggestion = results.suggestion;
            corrected.corrected = true;
            return corrected;
          }
        }
        return results;
      },
      o.partial ? &missing : nullptr);
  out.missing_shards = std::move(missing);
  return out;
}

std::string Searcher::resolve(std::string_view name) const {
  return detail::resolve_name(impl_->get()->model(), name);
}

std::vector<std::string> Searcher::closest(std::string_view name, std::size_t k) const {
  return impl_->get()->model().closest(name, k);
}

// Related lists, pasted ads and names are the model's alone: these never
// open the Xapian side of the index.
std::vector<RelatedSpecimen> Searcher::related(std::string_view slug, std::size_t k) const {
  auto s = impl_->get();
  return detail::with_cards(s->model(), s->model().related(slug, k));
}

AdMatches Searcher::match_text(std::string_view text, std::size_t k) const {
  return detail::match_ad(impl_->get()->model(), text, k);
}

std::vector<RelatedSpecimen> Searcher::related_text(std::string_view text, std::size_t k) const {
  return match_text(text, k).related;
}

std::vector<TermShare> Searcher::explain(std::string_view a, std::string_view b,
                                         std::size_t n) const {
  return impl_->get()->model().explain(a, b, n);
}

std::vector<TermShare> Searcher::explain_text(std::string_view text, std::string_view slug,
                                              std::size_t n) const {
  return impl_->get()->model().explain_text(text, slug, n);
}

Record Searcher::get(std::string_view slug) const {
  return impl_->with_index([&](const Snapshot& s, Xapian::Database& db) {
    auto text = s.record_json(db, slug);
    if (!text) throw Error(ErrorKind::kNotFound, "no specimen \"" + std::string(slug) + "\"");
    auto parsed = parse_record(*text);
    if (!parsed.record)
      throw Error(ErrorKind::kIndex,
                  impl_->dir + ": damaged record for \"" + std::string(slug) + "\"");
    return *parsed.record;
  });
}

std::shared_ptr<const std::vector<SpecimenSummary>> Searcher::catalogue() const {
  return impl_->with_index(
      [&](const Snapshot& s, Xapian::Database& db) { return s.catalogue(db); });
}

std::string Searcher::title(std::string_view slug) const {
  return detail::title_of(impl_->get()->model(), slug);
}

std::size_t Searcher::size() const {
  return impl_->get()->model().size();
}

std::string Searcher::generation() const {
  return impl_->get()->generation();
}

}  // namespace otiose
