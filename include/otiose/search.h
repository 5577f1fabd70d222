// search.h: the read side of an index. Start here.
//
//   otiose::Searcher searcher(otiose::resolve_index_path());
//   auto results = searcher.search("strategic oversight");
//   for (const auto& hit : results.hits) ... hit.title, hit.snippet, hit.related
//
// A Searcher opens an index read-only, is safe to share between threads, and
// follows the index when otiose-index replaces it underneath (the next call
// sees the new generation; a call never sees a mix of two).
#ifndef OTIOSE_SEARCH_H_
#define OTIOSE_SEARCH_H_

#include <otiose/export.h>
#include <otiose/record.h>
#include <otiose/similarity.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otiose {

struct SearchOptions {
  std::size_t limit = 10;          // hits to return
  std::size_t offset = 0;          // hits to skip (paging)
  std::string type;                // "specimen" (or "role"), "quote", or empty for both
  std::vector<std::string> kinds;  // quote kinds to keep (complaint, illusion, ...); empty: all
  enum class Sort { kRelevance, kSalary, kFlightRisk };
  Sort sort = Sort::kRelevance;            // salary and flight risk sort highest first
  std::optional<int> min_flight_risk;      // percent
  std::optional<int> max_flight_risk;      // percent
  std::optional<std::int64_t> salary_min;  // on the average salary
  std::optional<std::int64_t> salary_max;
  std::size_t related = 3;  // related specimens per hit; 0: none
  // Their taglines too (RelatedSpecimen::tagline): a frontend that shows
  // only the titles can leave them out, a read of the model each spared.
  bool related_taglines = true;
  // A quote hit's specimen's tagline too (Hit::tagline; a specimen hit's is
  // also its text, and always read): a frontend that shows it for specimen
  // hits alone can leave it out, a read of the model each quote hit spared.
  bool quote_taglines = true;
  bool match_any = false;  // words are ANDed unless this is set (then ORed)
  // Snippets: HTML-escaped with the matched words between these marks, or,
  // with html = false, plain text between them.
  bool html = true;
  std::string highlight_start = "<b>";
  std::string highlight_end = "</b>";
  std::size_t snippet_length = 200;  // bytes of context, roughly
  // When the query finds nothing and its "did you mean" finds something,
  // search() returns the suggestion's hits (SearchResults::corrected);
  // exact keeps to the query as typed.
  bool exact = false;
  // One hit a specimen: its best document (the specimen or one of its
  // quotes), with Hit::more counting the others that matched.
  bool group = false;
  // Count the matching documents by type, quote kind, salary band and
  // flight-risk band (SearchResults::facets).
  bool facets = false;
  // A sharded index: answer from the shards that answer when some do not
  // (SearchResults::missing_shards names them) instead of throwing
  // Error(kUnavailable).
  bool partial = false;
  // Grouped or faceted: the matching documents examined for the counts.
  // Past it the totals are Xapian's estimates (SearchResults::exact false).
  std::size_t count_limit = 20000;
};

// How many matching documents have one value of a facet.
struct FacetCount {
  // type: "role", "quote"; kind: "complaint", ...; salary: the average's
  // band, "100000-149999" (the last "200000-"); flight_risk: "50-74".
  std::string value;
  std::size_t count = 0;
};

struct Facet {
  std::string name;                // "type", "kind", "salary", "flight_risk"
  std::vector<FacetCount> values;  // types and kinds by name; bands low to high
};

// A specimen as the catalogue lists it (Searcher::catalogue).
struct SpecimenSummary {
  std::string slug;
  std::string title;
  std::string tagline;
  std::optional<std::int64_t> salary_average;
  std::optional<std::int64_t> salary_low;
  std::optional<std::int64_t> salary_high;
  std::optional<std::string> currency;
  std::optional<int> flight_risk;  // percent
};

struct RelatedSpecimen {
  std::string slug;
  std::string title;
  std::string tagline;
  // SYSTEM MATCH %, 0..100. Between specimens: the percentile of `cosine`
  // among every specimen's nearest-neighbour cosines. For a pasted ad: the
  // matcher's calibrated confidence (50 and up: a close match).
  int match = 0;
  double cosine = 0;  // 0..1
  // For a pasted ad: the title or alias by which it names this specimen as
  // its own role (folded: "technical writer"), or empty.
  std::string recognised;
};

// What a pasted job ad matches (Searcher::match_text).
struct AdMatches {
  std::vector<RelatedSpecimen> related;  // best first
  bool confident = false;                // false: no close specimen (the closest are listed anyway)
  // The reference occupation (O*NET's) the ad reads most like, when no
  // specimen is that occupation ("Accountants and Auditors"); else empty.
  std::string reads_like;
};

struct Hit {
  std::size_t rank = 0;                  // 1-based, counting the offset
  std::string id;                        // slug, or <slug>#<kind>-<n> for a quote
  std::string type;                      // "role" or "quote"
  std::optional<std::string> kind;       // a quote's kind
  std::string slug;                      // the specimen (a quote's owner)
  std::string title;                     // the specimen's title
  std::string tagline;                   // the specimen's tagline
  std::string text;                      // a quote's text; a specimen's tagline
  std::optional<std::string> source;     // a quote's source, when it has one
  std::string snippet;                   // text around the matched words, highlighted
  double score = 0;                      // BM25 weight (0 when sorted by a value)
  std::optional<double> sort_value;      // sorted by salary or flight risk: the value
  std::size_t more = 0;                  // grouped: the specimen's other matching documents
  std::vector<RelatedSpecimen> related;  // the specimen's nearest, best first
};

struct SearchResults {
  std::string query;
  std::size_t total = 0;  // matching documents
  // Grouped: the specimens they belong to (one hit each); else 0.
  std::size_t specimens = 0;
  // False when the index has more matches than were examined (for a
  // grouped or faceted search, SearchOptions::count_limit): `total` is then
  // Xapian's estimate, `specimens` one in the proportion the examined
  // matches had (at most the catalogue), and the facets and each hit's
  // `more` count the examined matches only.
  bool exact = true;
  bool grouped = false;
  std::size_t offset = 0;
  std::size_t limit = 0;
  std::optional<std::string> suggestion;  // "did you mean", when little was found
  // True when the query found nothing and these are the hits of
  // `suggestion` instead (never with SearchOptions::exact).
  bool corrected = false;
  // What the query said that matches nothing by its nature (an unknown
  // type: or kind: value), for the caller to show.
  std::vector<std::string> warnings;
  std::vector<Hit> hits;
  // With SearchOptions::facets: type, kind, salary, flight_risk, each
  // counting every matching document (when `exact`).
  std::vector<Facet> facets;
  // With SearchOptions::partial: the shards that did not answer ("shard 2
  // of 4 (10.0.0.7:33101)"); the hits and counts are the others'. Empty:
  // the answer is whole.
  std::vector<std::string> missing_shards;
};

// How a Searcher opens its index.
struct SearcherOptions {
  // A sharded index's remote shards (xapian-tcpsrv): how long connecting,
  // and each step of a call, may take before the shard is given up on
  // (Error(kUnavailable), or SearchOptions::partial).
  unsigned remote_timeout_ms = 10000;
};

// An open index. Thread-safe: every const member may be called from many
// threads at once.
class OTIOSE_EXPORT Searcher {
 public:
  // Opens the index at `index_dir` (see resolve_index_path in index.h).
  // Throws Error(kIndex) when there is none ("build one with otiose-index")
  // or it is damaged, Error(kModel) when its similarity model is. A sharded
  // index's shards are contacted by the first call (Error(kUnavailable)
  // names one that does not answer); one that comes back is used again.
  explicit Searcher(const std::string& index_dir, const SearcherOptions& options = {});
  ~Searcher();
  Searcher(const Searcher&) = delete;
  Searcher& operator=(const Searcher&) = delete;
  Searcher(Searcher&&) noexcept;
  Searcher& operator=(Searcher&&) noexcept;

  // A Searcher that answers every call from the generation answering now,
  // even after otiose-index replaces it: for a caller that makes several
  // calls and must not mix two generations (a web page). Cheap: it shares
  // this one's open generation. Throws Error(kIndex) as a call would if
  // that generation goes away under it (the writer keeps the one before).
  Searcher pin() const;

  // Ranked hits over specimens and quotes. Query syntax: Xapian's
  // QueryParser (AND OR NOT, "phrases", word*, +word -word, and the fields
  // title: alias: habitat: metric: weapon: source: kind: role: type:), with
  // the index's synonyms. Throws Error(kQuery) for a query it cannot parse,
  // that is not UTF-8, or that is too big to answer quickly: over 64 KiB,
  // 1,000 words or terms (synonyms included), or 100 wildcards (a whole text
  // goes to related_text). Throws Error(kIndex) naming a damaged index file.
  SearchResults search(std::string_view query, const SearchOptions& options = {}) const;

  // The specimen a user means: a slug, a title or an alias, any case.
  // Throws Error(kNotFound) whose message lists the closest slugs, if any
  // is near.
  std::string resolve(std::string_view name) const;
  // At most k slugs closest to a name no specimen has (by slug, title,
  // alias, acronym and edits; none further than a third of the name away),
  // for a "did you mean" list (SimilarityModel::closest).
  std::vector<std::string> closest(std::string_view name, std::size_t k) const;

  // The k specimens most like `slug` (stored lists; k beyond them computes).
  std::vector<RelatedSpecimen> related(std::string_view slug, std::size_t k) const;
  // Which specimen is this job ad? The k best matches of a pasted text by
  // the ad matcher (similarity.h, SimilarityModel::match_text), and whether
  // the best is a close one.
  AdMatches match_text(std::string_view text, std::size_t k) const;
  // match_text(text, k).related.
  std::vector<RelatedSpecimen> related_text(std::string_view text, std::size_t k) const;
  // Why two specimens (or a text and a specimen) match.
  std::vector<TermShare> explain(std::string_view a, std::string_view b, std::size_t n) const;
  std::vector<TermShare> explain_text(std::string_view text, std::string_view slug,
                                      std::size_t n) const;

  // The record, as indexed. Throws Error(kNotFound).
  Record get(std::string_view slug) const;
  // The specimen's title alone, without reading its record. Throws
  // Error(kNotFound).
  std::string title(std::string_view slug) const;

  // Every specimen of the index, by slug; read once a generation.
  std::shared_ptr<const std::vector<SpecimenSummary>> catalogue() const;

  // Specimens in the index.
  std::size_t size() const;
  // The generation directory answering now.
  std::string generation() const;

 private:
  struct Impl;
  explicit Searcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The similarity side of an index alone: names, related specimens and
// pasted ads, read from the generation's model and nothing else. For a
// frontend that needs only these (otiose-related): it opens in the time it
// takes to map one file, and a program that uses Matcher but not Searcher
// links no Xapian. Answers from the generation current when it was opened
// (open another to follow the index); the answers are Searcher's.
// Thread-safe.
class OTIOSE_EXPORT Matcher {
 public:
  // Opens the model of the index at `index_dir`'s current generation.
  // Throws Error(kIndex) when there is no index, Error(kModel) when its
  // model is missing or damaged.
  explicit Matcher(const std::string& index_dir);
  ~Matcher();
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;
  Matcher(Matcher&&) noexcept;
  Matcher& operator=(Matcher&&) noexcept;

  // As Searcher's.
  std::string resolve(std::string_view name) const;
  std::vector<std::string> closest(std::string_view name, std::size_t k) const;
  std::string title(std::string_view slug) const;
  std::vector<RelatedSpecimen> related(std::string_view slug, std::size_t k) const;
  AdMatches match_text(std::string_view text, std::size_t k) const;
  std::vector<TermShare> explain(std::string_view a, std::string_view b, std::size_t n) const;
  std::vector<TermShare> explain_text(std::string_view text, std::string_view slug,
                                      std::size_t n) const;

  const SimilarityModel& model() const;
  std::size_t size() const;               // specimens
  const std::string& generation() const;  // the generation directory it reads

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace otiose

#endif  // OTIOSE_SEARCH_H_
