// similarity.h: SYSTEM MATCH %, the TF-IDF cosine between specimens and
// between any text and the specimens.
//
// The configuration (similarity/tfidf.json) mirrors scikit-learn's
// TfidfVectorizer, and a model built here agrees with scikit-learn
// configured the same way to 1e-6 in every cosine. otiose-index builds the
// model once and stores it in the index directory; SimilarityModel maps that
// file and answers without re-reading the corpus.
#ifndef OTIOSE_SIMILARITY_H_
#define OTIOSE_SIMILARITY_H_

#include <otiose/export.h>
#include <otiose/record.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace otiose {

class Env;
class SimilarityModel;
namespace detail {
struct ModelAccess;
}

// TfidfVectorizer's parameters, plus the record fields that make a
// specimen's text. See similarity/README.md for the chosen values.
struct TfidfConfig {
  bool lowercase = true;                           // str.lower() first
  std::string token_pattern = R"((?u)\b\w\w+\b)";  // the only pattern supported
  std::vector<std::string> stop_words;             // empty: none
  bool sublinear_tf = false;                       // tf = 1 + ln(count)
  bool smooth_idf = true;                          // idf = ln((1+n)/(1+df)) + 1
  std::string norm = "l2";                         // "l2" (rows unit length)
  double min_df = 1;  // as a count when min_df_is_count, else a proportion
  bool min_df_is_count = true;
  double max_df = 1.0;  // as a count when max_df_is_count, else a proportion
  bool max_df_is_count = false;
  std::vector<std::string> fields = {"title", "aliases[]"};  // record paths
  std::size_t top_k = 10;                                    // neighbours stored per specimen
  // The reference occupations (load_occupations), a file named beside the
  // configuration; empty: none. A build input, not stored in the model.
  std::string occupations;
};

// A reference occupation (similarity/occupations.tsv, from O*NET): a pasted
// ad that reads more like one no specimen is than like any a specimen is
// is "no close specimen" (similarity/README.md).
struct Occupation {
  std::string code;   // "13-2011.00"
  std::string title;  // "Accountants and Auditors"
  std::string text;   // its description, tasks and other titles
};

// The reference occupations, and which of them each specimen is (a
// catalogue's occupations.tsv). Empty: ads are judged on the specimens alone.
struct Occupations {
  std::vector<Occupation> reference;
  struct Covered {
    std::string slug;
    std::string code;
    std::string where;  // FILE:LINE, for messages
  };
  std::vector<Covered> covered;
};

// Reads a reference list (lines "CODE<TAB>TITLE<TAB>TEXT", '#' comments)
// and a catalogue's map (lines "SLUG CODE [CODE...]", '#' starts a comment). Throws
// Error(kUsage) naming FILE:LINE for a bad line or a code the reference
// does not have, Error(kIo) when a file cannot be read.
OTIOSE_EXPORT Occupations load_occupations(const std::string& reference_path,
                                           const std::string& map_path);

// Reads a tfidf.json; a relative stop_words file is found beside it.
// Throws Error(kUsage) naming the file and key for a bad value, Error(kIo)
// when it cannot be read.
OTIOSE_EXPORT TfidfConfig load_tfidf_config(const std::string& path);

// The tokens scikit-learn's default analyzer gives for `text`: Python's
// str.lower() (when `lowercase`), then every run of two or more word
// characters (\w as Python's re module has it). Ill-formed UTF-8 bytes
// separate tokens. Stop words are not removed here.
OTIOSE_EXPORT std::vector<std::string> tokenize(std::string_view text, bool lowercase = true);

// The text of `record` the model sees: each configured field path's values
// joined by '\n'. Throws Error(kUsage) for a path SCHEMA.md does not have.
OTIOSE_EXPORT std::string specimen_text(const Record& record, const TfidfConfig& config);

// One related specimen.
struct Neighbour {
  std::string slug;
  double cosine = 0;  // 0..1
  // SYSTEM MATCH %, 0..100: the percentile of `cosine` among every
  // specimen's stored nearest-neighbour cosines (README.md, "SYSTEM MATCH %").
  int match = 0;
  std::size_t index = 0;  // its position in the model: slug(index) == slug
};

// One specimen a pasted job ad matches (SimilarityModel::match_text).
struct TextMatch {
  std::string slug;
  // The ad's TF-IDF vector (sqrt tf, with word pairs: similarity/README.md)
  // against the specimen's, 0..1.
  double cosine = 0;
  double score = 0;  // what the list is ranked by: cosine, plus the bonus for being named
  // SYSTEM MATCH % for an ad: a confidence calibrated on real postings,
  // 0..100, monotonic in `score`; below 50 the specimen is no close match.
  int match = 0;
  int named = 0;          // times the ad names this specimen as its own role
  std::string name;       // the title or alias it named (folded, e.g. "technical writer"), or empty
  std::size_t index = 0;  // its position in the model: slug(index) == slug
};

struct TextMatches {
  std::vector<TextMatch> matches;  // best first
  // False when even the best match is weak: no specimen is this job (the
  // closest are listed all the same).
  bool confident = false;
  // The reference occupation the ad reads most like, when no specimen is
  // that occupation (e.g. "Accountants and Auditors"); else empty.
  std::string reads_like;
  // How much more the ad is like that occupation than like any occupation
  // a specimen is (cosines, 0..1); 0 when reads_like is empty.
  double reference_gap = 0;
};

// A shared term's part in a cosine (explain).
struct TermShare {
  std::string term;
  double contribution = 0;  // weight_a * weight_b
  double share = 0;         // contribution / cosine, 0..1
};

struct ModelBuildStats {
  std::size_t specimens = 0;
  std::size_t terms = 0;
  std::size_t nonzeros = 0;
  double vectorize_seconds = 0;
  double all_pairs_seconds = 0;
  std::size_t all_pairs_bytes = 0;  // working memory of the all-pairs step
  std::size_t dense_terms = 0;      // terms handled by the dense product
  std::size_t lists_kept = 0;       // related lists kept from `previous`
  std::size_t counts_kept = 0;      // specimens counted by `previous`, not tokenized
};

// Builds the model over `records` (the model orders them by slug) and
// writes it to `path` whole or not at all (a temporary file beside it,
// flushed and renamed, through `env`; nullptr is Env::Default()). `threads`
// 0 uses every core. `progress`, if set, is called with (specimens done,
// total) during the all-pairs step, never going back and last with (total,
// total); in a full build "done" is the share of the pairs computed.
// `occupations`, if given, is stored for the ad matcher (a covered row
// naming a slug not in `records` is ignored). `previous`, if given, is the
// model this one replaces (an edit): the term counts of the specimens whose
// text it counted, and the related lists it proves unchanged, are kept
// instead of computed again, and the file is the same, byte for byte, as
// without it (similarity/README.md, "Edits"). Throws Error(kIo) when the
// file cannot be written.
OTIOSE_EXPORT ModelBuildStats
build_model(const std::vector<const Record*>& records, const TfidfConfig& config,
            const std::string& path, unsigned threads = 0,
            const std::function<void(std::size_t, std::size_t)>& progress = {}, Env* env = nullptr,
            const Occupations* occupations = nullptr, const SimilarityModel* previous = nullptr);

// A model file opened read-only (memory-mapped). Opening checks the magic,
// version, size, checksum and structure; any damage throws Error(kModel)
// naming the file. Every const member is safe to call from many threads.
class OTIOSE_EXPORT SimilarityModel {
 public:
  static constexpr std::uint32_t kFormatVersion = 13;

  // Maps `path` through `env` (nullptr: Env::Default()).
  explicit SimilarityModel(const std::string& path, Env* env = nullptr);
  ~SimilarityModel();
  SimilarityModel(SimilarityModel&&) noexcept;
  SimilarityModel& operator=(SimilarityModel&&) noexcept;

  std::size_t size() const;         // specimens
  std::size_t vocabulary() const;   // terms
  std::size_t stored_k() const;     // neighbours stored per specimen
  std::size_t occupations() const;  // reference occupations stored (0: none)
  const std::string& path() const;

  // The specimen's position, or -1 when the model does not have it.
  std::ptrdiff_t find(std::string_view slug) const;
  std::string slug(std::size_t index) const;
  // What its card shows: the record's title and tagline.
  std::string title(std::size_t index) const;
  std::string tagline(std::size_t index) const;

  // The specimen `name` names, or -1: a slug in any case, a name that
  // slugifies to one ("Enterprise Architect"), or a title or alias as
  // name_key folds it ("Sr. Scrum Master") that one specimen has (of
  // several, the one whose title it is).
  std::ptrdiff_t resolve(std::string_view name) const;

  // The k specimens most like `slug`, best first (ties by slug ascending),
  // never itself, never one with cosine 0. k <= stored_k() reads the stored
  // list; a larger k computes. Throws Error(kNotFound) for an unknown slug.
  std::vector<Neighbour> related(std::string_view slug, std::size_t k) const;
  // The same for the specimen at `index` (find(slug)), without looking its
  // slug up again. Throws Error(kUsage) for an index out of range.
  std::vector<Neighbour> related(std::size_t index, std::size_t k) const;

  // The k specimens whose TF-IDF vectors are most like `text`'s, with the
  // catalogue's vocabulary and IDF: the plain cosine scikit-learn computes.
  std::vector<Neighbour> related_text(std::string_view text, std::size_t k) const;

  // Which specimen is this job ad? The k best by the ad matcher (README.md):
  // the cosine with the ad's term counts dampened (sqrt), the word pairs a
  // specimen says twice counted as terms, plus a bonus for a specimen the
  // ad names as its own role ("As a Technical Writer you will..."), with a
  // calibrated match and the "no close specimen" signal.
  TextMatches match_text(std::string_view text, std::size_t k) const;

  // The cosine between two specimens. Throws Error(kNotFound).
  double cosine(std::string_view a, std::string_view b) const;

  // Why `a` and `b` match: their shared terms by contribution, at most `n`.
  std::vector<TermShare> explain(std::string_view a, std::string_view b, std::size_t n) const;
  // Why `text` matches `slug`: the shared terms (word pairs among them,
  // "customer service") of match_text's cosine.
  std::vector<TermShare> explain_text(std::string_view text, std::string_view slug,
                                      std::size_t n) const;

  // At most k specimens whose slug, title or alias is closest to `name`,
  // a name that matched none exactly: an acronym of a title or alias first
  // ("CSM"), then names that contain it, then by edit distance, up to a
  // third of the name's length (at least 2) to the whole name or one of its
  // words plus one; ties by slug. Empty for a name with no letter or digit,
  // or none within reach.
  std::vector<std::string> closest(std::string_view name, std::size_t k) const;

  // The configuration the model was built with.
  const TfidfConfig& config() const;

  // Opening checks the header and the section table; every other part of
  // the file is checked the first time it is read, so a damaged byte is an
  // Error(kModel) naming the file before it is used. This reads and checks
  // the whole file now.
  void verify() const;

 private:
  friend struct detail::ModelAccess;  // an edit's rebuild reads the stored lists
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace otiose

#endif  // OTIOSE_SIMILARITY_H_
