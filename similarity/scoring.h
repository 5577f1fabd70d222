// similarity/: the arithmetic the model builder and the model reader share
// (private): term counts, tf weights, top-k selection and the inverted-list
// accumulator.
#ifndef OTIOSE_SIMILARITY_SCORING_H_
#define OTIOSE_SIMILARITY_SCORING_H_

#include <otiose/similarity.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace otiose::detail {

// A sparse vector: (term index, weight), term indices ascending.
using SparseVector = std::vector<std::pair<std::uint32_t, double>>;

// SYSTEM MATCH % between specimens: the percentile of the pair's cosine
// among the cosines of every specimen's stored nearest neighbours (its
// top_k list), so that a specimen's closest reads like the published page
// (98, 91, 84) and a pair that is nobody's neighbour reads near 0. The scale
// is a table of kScaleBins + 1 cumulative shares, built with the model.
inline constexpr std::size_t kScaleBins = 10000;

// The table: cdf[b] is the share of `cosines` below b / kScaleBins.
std::vector<double> match_scale(const std::vector<double>& cosines);

// The one entry of the table match_on_scale reads for `cosine`.
std::size_t scale_entry(double cosine);

// The percentage of `cosine` on the table: the share of stored neighbour
// cosines at or below it (to a bin of 1 / kScaleBins), 0..100.
int match_on_scale(const double* cdf, double cosine);

// The pasted-ad matcher's settings (similarity/README.md, "A pasted job
// ad"), chosen on the development set of real postings as a whole.
struct AdMatching {
  // Added to the cosine for a specimen the ad names as its own role:
  // name_bonus * ln(1 + times named).
  double name_bonus = 0.1;
  // Taken from every score, times the ad's reference gap: how much more the
  // ad is like a reference occupation no specimen is than like any one a
  // specimen is (cosines over the occupations' own vectors).
  double reference_weight = 2.0;
  // The calibrated SYSTEM MATCH % of an ad's score: 100 / (1 + exp(-slope *
  // (score - reference_weight * gap - confident))). A best below
  // `confident` (50 %) is "no close specimen".
  double confident = 0.108;
  double slope = 15.0;
};

// A specimen's score. Best first; equal scores by position, which is slug
// order.
struct Scored {
  std::uint32_t index;
  double score;
};
bool better(const Scored& a, const Scored& b);

// Keeps the k best of `candidates`, sorted best first.
void keep_best(std::vector<Scored>& candidates, std::size_t k);

// The k best of a stream of candidates, as keep_best() would leave them,
// holding no more than k at a time.
class TopK {
 public:
  explicit TopK(std::size_t k) : k_(k) {}
  void offer(Scored s);
  // Best first.
  std::vector<Scored> take() &&;

 private:
  std::size_t k_;
  std::vector<Scored> heap_;  // its front the worst kept
};

// A word pair a specimen's text says this often or more is a term of its
// vector for the ad matcher (model_format.h, kPairKeys).
inline constexpr std::uint32_t kPairMinCount = 2;

// Two terms' indices, in the order the text has them, as one key.
inline std::uint64_t pair_key(std::uint32_t first, std::uint32_t second) {
  return (std::uint64_t{first} << 32) | second;
}

// Term counts of a text, stop words removed.
std::unordered_map<std::string, std::uint32_t> count_terms(
    std::string_view text, const TfidfConfig& config,
    const std::unordered_set<std::string>& stop_words);

// The tf part of a weight: the raw count, or 1 + ln(count) when sublinear.
inline double tf_weight(std::uint32_t count, bool sublinear) {
  return sublinear ? 1.0 + std::log(static_cast<double>(count)) : static_cast<double>(count);
}

// An entry of a specimen's l2-normalised vector from its term's `count` in
// the text, the term's `idf` and the row's `scale` (1 / its l2 norm before
// normalising, 0 for an empty row): the one expression the build and every
// reader use, so that a value computed from the stored counts is the
// build's, bit for bit.
inline double row_value(std::uint32_t count, double idf, double scale, bool sublinear) {
  return tf_weight(count, sublinear) * idf * scale;
}

// Scores one query vector against every specimen through CSC arrays, with a
// dense accumulator the caller owns (all zero on entry and on exit); `out`
// gets every specimen but `skip` with a positive score, unsorted.
template <typename Ptr, typename Idx, typename Val>
void accumulate(const SparseVector& query, const Ptr* col_ptr, const Idx* col_idx,
                const Val* col_val, std::uint32_t skip, std::vector<double>& acc,
                std::vector<std::uint32_t>& touched, std::vector<Scored>& out, std::size_t n_docs) {
  for (const auto& [term, weight] : query) {
    for (auto p = col_ptr[term]; p < col_ptr[term + 1]; ++p) {
      auto doc = static_cast<std::uint32_t>(col_idx[p]);
      if (doc >= n_docs) continue;  // never trust an index blindly
      if (acc[doc] == 0.0) touched.push_back(doc);
      acc[doc] += weight * col_val[p];
    }
  }
  out.clear();
  for (std::uint32_t doc : touched) {
    if (doc != skip && acc[doc] > 0.0) out.push_back({doc, acc[doc]});
    acc[doc] = 0.0;
  }
  touched.clear();
}

// Adds one query vector's products with every specimen into the dense
// `acc` (n_docs entries) through CSC arrays; an index out of range is
// skipped.
template <typename Ptr, typename Idx, typename Val>
void add_columns(const SparseVector& query, const Ptr* col_ptr, const Idx* col_idx,
                 const Val* col_val, std::vector<double>& acc) {
  const std::size_t n_docs = acc.size();
  for (const auto& [term, weight] : query) {
    for (auto p = col_ptr[term]; p < col_ptr[term + 1]; ++p) {
      auto doc = static_cast<std::size_t>(col_idx[p]);
      if (doc < n_docs) acc[doc] += weight * col_val[p];
    }
  }
}

}  // namespace otiose::detail

#endif  // OTIOSE_SIMILARITY_SCORING_H_
