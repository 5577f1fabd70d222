// build_model: vectorize the catalogue, find every specimen's nearest
// neighbours, write the model file. Each step is a function below, in the
// order build_model runs them.
#include <otiose/similarity.h>

#include <otiose/env.h>
#include <otiose/error.h>

#include <Eigen/Dense>
#include <Eigen/SparseCore>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "base/checksum.h"
#include "base/parallel.h"
#include "similarity/config_json.h"
#include "similarity/model_access.h"
#include "similarity/model_file.h"
#include "similarity/names.h"
#include "similarity/scoring.h"

namespace otiose {
namespace {

using detail::Scored;
using RowMatrix = Eigen::SparseMatrix<double, Eigen::RowMajor, std::int64_t>;
using ColMatrix = Eigen::SparseMatrix<double, Eigen::ColMajor, std::int64_t>;
using Single = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs `work` on `threads` threads, this one included, and waits.
template <typename F>
void run_on(unsigned threads, F work) {
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

// Term counts per document, each term numbered once: a document holds
// (id, count) pairs, so the steps after counting look no string up; and
// its word pairs said at least kPairMinCount times, as (pair_key() of the
// two ids, count).
struct Counted {
  std::vector<std::string> terms;  // by id
  std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> docs;
  std::vector<std::vector<std::pair<std::uint64_t, std::uint32_t>>> pairs;
};

// Numbers terms in the order it first meets them.
class TermIds {
 public:
  std::uint32_t id(const std::string& term) {
    auto [it, fresh] = ids_.try_emplace(term, static_cast<std::uint32_t>(terms_.size()));
    if (fresh) terms_.push_back(&it->first);
    return it->second;
  }
  // The document's counts as (id, count), in the order of `counts`.
  void add(const std::unordered_map<std::string, std::uint32_t>& counts,
           std::vector<std::pair<std::uint32_t, std::uint32_t>>& out) {
    out.reserve(counts.size());
    for (const auto& [term, count] : counts) out.emplace_back(id(term), count);
  }
  std::size_t size() const { return terms_.size(); }
  const std::string& term(std::uint32_t id) const { return *terms_[id]; }

 private:
  std::unordered_map<std::string, std::uint32_t> ids_;
  std::vector<const std::string*> terms_;  // by id; the map's nodes do not move
};

// Appends each value of `sorted` found `least` times or more, with its
// count.
template <typename T>
void run_lengths(const std::vector<T>& sorted, std::uint32_t least,
                 std::vector<std::pair<T, std::uint32_t>>& out) {
  for (std::size_t i = 0, j; i < sorted.size(); i = j) {
    for (j = i + 1; j < sorted.size() && sorted[j] == sorted[i];) ++j;
    if (j - i >= least) out.emplace_back(sorted[i], static_cast<std::uint32_t>(j - i));
  }
}

// A text's term counts, its terms numbered by `ids`, and its word pairs
// (stop words removed first) said at least kPairMinCount times.
void count_text(const std::string& text, const TfidfConfig& config,
                const std::unordered_set<std::string>& stop_words, TermIds& ids,
                std::vector<std::pair<std::uint32_t, std::uint32_t>>& terms,
                std::vector<std::pair<std::uint64_t, std::uint32_t>>& pairs) {
  std::vector<std::uint32_t> sequence;
  for (const auto& token : tokenize(text, config.lowercase))
    if (!stop_words.count(token)) sequence.push_back(ids.id(token));
  std::vector<std::uint64_t> keys;
  keys.reserve(sequence.size());
  for (std::size_t i = 1; i < sequence.size(); ++i)
    keys.push_back(detail::pair_key(sequence[i - 1], sequence[i]));
  std::sort(sequence.begin(), sequence.end());
  run_lengths(sequence, 1, terms);
  std::sort(keys.begin(), keys.end());
  run_lengths(keys, detail::kPairMinCount, pairs);
}

// What an edit takes from the model it replaces: the counts of every
// specimen whose text is the one that model counted (the same checksum of
// specimen_text() under the same configuration), so that only the edited
// specimens are tokenized again. Only when the configuration keeps every
// term it counts: the model stores counts of its vocabulary's terms alone.
struct Reuse {
  const detail::ModelView* old = nullptr;
  std::vector<std::int64_t> row;  // per record: its row in `old`, or -1
};

// A config whose min_df and max_df drop no term of a catalogue of n.
bool keeps_every_term(const TfidfConfig& config, std::size_t n) {
  const double dn = static_cast<double>(n);
  return (config.min_df_is_count ? config.min_df : config.min_df * dn) <= 1.0 &&
         (config.max_df_is_count ? config.max_df : config.max_df * dn) >= dn;
}

// The rows of `old` that `records` can reuse, matched by slug (both are in
// slug order); `row` is empty when none can, or when anything about the
// stored counts is out of bounds (a checksummed file, but never trust an
// index).
Reuse reuse_from(const detail::ModelView* old, const std::vector<const Record*>& records,
                 const TfidfConfig& config) {
  Reuse r;
  if (!old || old->config != detail::config_json(config).dump() ||
      !keeps_every_term(config, old->n) || old->row_ptr[0] != 0 || old->row_ptr[old->n] != old->nnz)
    return r;
  for (std::size_t i = 0; i < old->n; ++i)
    if (old->row_ptr[i + 1] < old->row_ptr[i]) return r;
  for (std::size_t p = 0; p < old->nnz; ++p)
    if (old->row_idx[p] >= old->terms || old->row_count[p] == 0) return r;
  if (old->pair_row_ptr[0] != 0 || old->pair_row_ptr[old->n] != old->pair_nnz) return r;
  for (std::size_t i = 0; i < old->n; ++i)
    if (old->pair_row_ptr[i + 1] < old->pair_row_ptr[i]) return r;
  for (std::size_t p = 0; p < old->pair_nnz; ++p)
    if (old->pair_row_idx[p] >= old->pairs || old->pair_row_count[p] < detail::kPairMinCount)
      return r;
  for (std::size_t q = 0; q < old->pairs; ++q)
    if ((old->pair_keys[q] >> 32) >= old->terms || (old->pair_keys[q] & 0xFFFFFFFFu) >= old->terms)
      return r;
  r.old = old;
  r.row.assign(records.size(), -1);
  for (std::size_t i = 0, j = 0; i < records.size() && j < old->n;) {
    int c = std::string_view(records[i]->slug).compare(old->slug(j));
    if (c == 0)
      r.row[i++] = static_cast<std::int64_t>(j++);
    else if (c < 0)
      ++i;
    else
      ++j;
  }
  return r;
}

// Step 1: term counts per specimen, in parallel: each thread numbers the
// terms of the specimens it counts, and the numbers are made one after.
// A specimen `reuse` holds unchanged takes its stored counts, numbered by
// the old vocabulary, which then comes first in `terms`. Fills `sums` with
// each specimen's checksum of its text.
Counted count_documents(const std::vector<const Record*>& records, const TfidfConfig& config,
                        unsigned threads, const Reuse& reuse, std::vector<std::uint64_t>& sums,
                        ModelBuildStats& stats) {
  std::unordered_set<std::string> stop_words(config.stop_words.begin(), config.stop_words.end());
  const detail::ModelView* old = reuse.old;
  Counted out;
  out.docs.resize(records.size());
  out.pairs.resize(records.size());
  sums.resize(records.size());
  std::vector<TermIds> local(threads);
  std::vector<std::uint32_t> counted_by(records.size(), 0);
  std::atomic<std::size_t> next{0};
  std::atomic<unsigned> slot{0};
  run_on(threads, [&] {
    const unsigned me = slot.fetch_add(1);
    for (std::size_t i; (i = next.fetch_add(1)) < records.size();) {
      const std::string text = specimen_text(*records[i], config);
      sums[i] = detail::checksum(reinterpret_cast<const unsigned char*>(text.data()), text.size());
      if (old && reuse.row[i] >= 0 && old->text_sums[reuse.row[i]] == sums[i]) {
        const auto r = static_cast<std::size_t>(reuse.row[i]);
        auto& doc = out.docs[i];
        doc.reserve(old->row_ptr[r + 1] - old->row_ptr[r]);
        for (std::uint64_t p = old->row_ptr[r]; p < old->row_ptr[r + 1]; ++p)
          doc.emplace_back(old->row_idx[p], old->row_count[p]);
        for (std::uint64_t p = old->pair_row_ptr[r]; p < old->pair_row_ptr[r + 1]; ++p)
          out.pairs[i].emplace_back(old->pair_keys[old->pair_row_idx[p]], old->pair_row_count[p]);
        counted_by[i] = threads;  // numbered already
        continue;
      }
      count_text(text, config, stop_words, local[me], out.docs[i], out.pairs[i]);
      counted_by[i] = me;
    }
  });
  std::vector<std::vector<std::uint32_t>> to_global(threads);
  if (old) {
    // The old vocabulary is sorted: a counted term is found in it by
    // binary search, and a term it lacks is numbered after it.
    std::vector<std::string_view> sorted(old->terms);  // into the mapped model
    for (std::size_t t = 0; t < old->terms; ++t) sorted[t] = old->term(t);
    out.terms.assign(sorted.begin(), sorted.end());
    std::unordered_map<std::string_view, std::uint32_t> fresh;
    for (unsigned t = 0; t < threads; ++t) {
      to_global[t].resize(local[t].size());
      for (std::uint32_t id = 0; id < local[t].size(); ++id) {
        const std::string& term = local[t].term(id);
        auto it = std::lower_bound(sorted.begin(), sorted.end(), std::string_view(term));
        if (it != sorted.end() && *it == term) {
          to_global[t][id] = static_cast<std::uint32_t>(it - sorted.begin());
          continue;
        }
        auto [f, inserted] = fresh.try_emplace(term, static_cast<std::uint32_t>(out.terms.size()));
        if (inserted) out.terms.push_back(term);
        to_global[t][id] = f->second;
      }
    }
  } else {
    TermIds global;
    for (unsigned t = 0; t < threads; ++t) {
      to_global[t].resize(local[t].size());
      for (std::uint32_t id = 0; id < local[t].size(); ++id)
        to_global[t][id] = global.id(local[t].term(id));
    }
    out.terms.reserve(global.size());
    for (std::uint32_t id = 0; id < global.size(); ++id) out.terms.push_back(global.term(id));
  }
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (counted_by[i] == threads) {
      ++stats.counts_kept;
      continue;
    }
    const std::vector<std::uint32_t>& global = to_global[counted_by[i]];
    for (auto& [id, count] : out.docs[i]) id = global[id];
    for (auto& [key, count] : out.pairs[i])
      key = detail::pair_key(global[key >> 32], global[key & 0xFFFFFFFFu]);
  }
  return out;
}

// A term's IDF among n documents, df of which have it.
double idf_of(double df, double n, bool smooth) {
  return smooth ? std::log((n + 1.0) / (df + 1.0)) + 1.0 : std::log(n / df) + 1.0;
}

struct Vocabulary {
  std::vector<std::string> terms;  // sorted
  std::vector<double> idf;
  std::vector<std::int64_t> of_id;  // a counted term's index in `terms`, or -1
};

// Step 2: document frequencies, min_df / max_df, sorted terms and their IDF.
Vocabulary build_vocabulary(const Counted& counted, const TfidfConfig& config) {
  std::vector<std::uint32_t> df(counted.terms.size(), 0);
  for (const auto& doc : counted.docs)
    for (const auto& [id, count] : doc) ++df[id];
  double dn = static_cast<double>(counted.docs.size());
  double max_count = config.max_df_is_count ? config.max_df : config.max_df * dn;
  double min_count = config.min_df_is_count ? config.min_df : config.min_df * dn;
  if (max_count < min_count)
    throw Error(ErrorKind::kUsage,
                "tfidf config: max_df corresponds to fewer documents than min_df");
  std::vector<std::uint32_t> kept;
  for (std::uint32_t id = 0; id < df.size(); ++id)
    if (df[id] > 0 && static_cast<double>(df[id]) <= max_count &&
        static_cast<double>(df[id]) >= min_count)
      kept.push_back(id);
  std::sort(kept.begin(), kept.end(),
            [&](std::uint32_t a, std::uint32_t b) { return counted.terms[a] < counted.terms[b]; });
  Vocabulary v;
  v.of_id.assign(counted.terms.size(), -1);
  v.terms.reserve(kept.size());
  v.idf.resize(kept.size());
  for (std::size_t t = 0; t < kept.size(); ++t) {
    v.terms.push_back(counted.terms[kept[t]]);
    v.of_id[kept[t]] = static_cast<std::int64_t>(t);
    v.idf[t] = idf_of(df[kept[t]], dn, config.smooth_idf);
  }
  return v;
}

// Step 3: the l2-normalised TF-IDF matrix, rows = specimens, each entry's
// term count (`counts`, the order of the matrix's entries) and, when asked,
// each row's sum of squares before it was normalised (`squares`). Frees the
// counts as it goes. Rows are filled in place, blocks of them on each of
// `threads` threads: first how many entries each has, then the entries.
RowMatrix tfidf_rows(Counted& counted, const Vocabulary& v, const TfidfConfig& config,
                     std::vector<std::uint32_t>& counts, unsigned threads,
                     std::vector<double>* squares = nullptr) {
  const std::size_t n = counted.docs.size();
  constexpr std::size_t kBlock = 256;
  const std::size_t blocks = (n + kBlock - 1) / kBlock;
  RowMatrix rows(static_cast<std::int64_t>(n), static_cast<std::int64_t>(v.terms.size()));
  std::int64_t* outer = rows.outerIndexPtr();
  detail::parallel_for(blocks, threads, [&](std::size_t b) {
    for (std::size_t i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i)
      outer[i + 1] = std::count_if(counted.docs[i].begin(), counted.docs[i].end(),
                                   [&](const auto& entry) { return v.of_id[entry.first] >= 0; });
  });
  for (std::size_t i = 0; i < n; ++i) outer[i + 1] += outer[i];
  rows.resizeNonZeros(outer[n]);
  counts.assign(static_cast<std::size_t>(outer[n]), 0);
  if (squares) squares->assign(n, 0.0);
  detail::parallel_for(blocks, threads, [&](std::size_t b) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> row;  // (term, count)
    for (std::size_t i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i) {
      row.clear();
      for (const auto& [id, count] : counted.docs[i])
        if (const std::int64_t t = v.of_id[id]; t >= 0)
          row.emplace_back(static_cast<std::uint32_t>(t), count);
      std::vector<std::pair<std::uint32_t, std::uint32_t>>().swap(counted.docs[i]);
      std::sort(row.begin(), row.end());
      const auto at = static_cast<std::size_t>(outer[i]);
      std::int64_t* inner = rows.innerIndexPtr() + at;
      double* values = rows.valuePtr() + at;
      double norm = 0;
      for (std::size_t e = 0; e < row.size(); ++e) {
        const double w =
            detail::tf_weight(row[e].second, config.sublinear_tf) * v.idf[row[e].first];
        norm += w * w;
      }
      if (squares) (*squares)[i] = norm;
      norm = std::sqrt(norm);
      // As a reader computes an entry from the stored counts (kRowScale).
      const double scale = norm > 0 ? 1.0 / norm : 0.0;
      for (std::size_t e = 0; e < row.size(); ++e) {
        inner[e] = static_cast<std::int64_t>(row[e].first);
        values[e] =
            detail::row_value(row[e].second, v.idf[row[e].first], scale, config.sublinear_tf);
        counts[at + e] = row[e].second;
      }
    }
  });
  return rows;
}

// Step 3b: the ad matcher's word pairs (model_format.h, kPairKeys): the
// pairs of vocabulary terms, their IDF over the specimens that keep them,
// and each specimen's pairs weighted as its terms are and l2-normalised
// together with them (`squares`: tfidf_rows()'s sums of squares). Frees
// the counted pairs.
struct PairPart {
  std::vector<std::uint64_t> keys;  // sorted
  std::vector<double> idf;
  std::vector<double> uni_scale;  // per specimen: its stored vector's norm in the joint one
  // By specimen: pair indices, ascending, and counts.
  std::vector<std::uint64_t> row_ptr;
  std::vector<std::uint32_t> row_idx, row_count;
  // By pair: specimen indices, ascending, and weights in the joint vector.
  std::vector<std::uint64_t> col_ptr;
  std::vector<std::uint32_t> col_idx;
  std::vector<double> col_val;
};

PairPart pair_part(Counted& counted, const Vocabulary& v, const std::vector<double>& squares,
                   const TfidfConfig& config) {
  const std::size_t n = counted.pairs.size();
  PairPart part;
  for (auto& doc : counted.pairs) {
    std::size_t kept = 0;
    for (const auto& [key, count] : doc) {
      const std::int64_t a = v.of_id[key >> 32], b = v.of_id[key & 0xFFFFFFFFu];
      if (a >= 0 && b >= 0)
        doc[kept++] = {
            detail::pair_key(static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(b)), count};
    }
    doc.resize(kept);
    std::sort(doc.begin(), doc.end());
    for (const auto& entry : doc) part.keys.push_back(entry.first);
  }
  std::sort(part.keys.begin(), part.keys.end());
  std::vector<std::pair<std::uint64_t, std::uint32_t>> df;
  run_lengths(part.keys, 1, df);
  part.keys.clear();
  for (const auto& [key, d] : df) {
    part.keys.push_back(key);
    part.idf.push_back(idf_of(d, static_cast<double>(n), config.smooth_idf));
  }
  part.row_ptr.assign(1, 0);
  part.uni_scale.resize(n);
  std::vector<double> row_val;
  std::vector<std::uint64_t> col_count(part.keys.size() + 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const double norm = squares[i];
    double joint = norm;
    const std::size_t first = row_val.size();
    for (const auto& [key, count] : counted.pairs[i]) {
      auto q = static_cast<std::size_t>(std::lower_bound(part.keys.begin(), part.keys.end(), key) -
                                        part.keys.begin());
      const double w = detail::tf_weight(count, config.sublinear_tf) * part.idf[q];
      joint += w * w;
      part.row_idx.push_back(static_cast<std::uint32_t>(q));
      part.row_count.push_back(count);
      row_val.push_back(w);
      ++col_count[q + 1];
    }
    std::vector<std::pair<std::uint64_t, std::uint32_t>>().swap(counted.pairs[i]);
    joint = std::sqrt(joint);
    part.uni_scale[i] = joint > 0 ? std::sqrt(norm) / joint : 0.0;
    for (std::size_t e = first; e < row_val.size(); ++e) row_val[e] /= joint;
    part.row_ptr.push_back(row_val.size());
  }
  // The same entries by pair: rows in order, so each column ascends.
  for (std::size_t q = 0; q < part.keys.size(); ++q) col_count[q + 1] += col_count[q];
  part.col_ptr = col_count;
  part.col_idx.resize(row_val.size());
  part.col_val.resize(row_val.size());
  for (std::size_t i = 0; i < n; ++i)
    for (auto e = part.row_ptr[i]; e < part.row_ptr[i + 1]; ++e) {
      const auto at = col_count[part.row_idx[e]]++;
      part.col_idx[at] = static_cast<std::uint32_t>(i);
      part.col_val[at] = row_val[e];
    }
  return part;
}

// The terms in a large share of the specimens, which the all-pairs step
// handles with a dense product: the inverted lists' cost grows with the sum
// of df^2. The product is in single precision, twice the lanes of a vector
// register: all_pairs() computes its candidates' cosines again in double.
struct DenseTerms {
  std::vector<std::int32_t> slot;  // per term: its dense column, or -1
  Single matrix;                   // specimens x dense terms, rounded to float
  ColMatrix lists;                 // the inverted lists of the other terms
};

DenseTerms split_dense_terms(const RowMatrix& rows, const ColMatrix& cols) {
  constexpr std::size_t kDenseMinSpecimens = 2000;  // below this the lists win outright
  constexpr double kDenseShare = 0.15;              // df / n from which a term goes dense
  constexpr std::size_t kMaxDenseTerms = 512;
  const auto n = static_cast<std::size_t>(rows.rows());
  const auto n_terms = static_cast<std::size_t>(cols.cols());
  DenseTerms d;
  d.slot.assign(n_terms, -1);
  auto df_of = [&](std::size_t t) { return cols.outerIndexPtr()[t + 1] - cols.outerIndexPtr()[t]; };
  std::vector<std::uint32_t> dense;
  if (n >= kDenseMinSpecimens)
    for (std::size_t t = 0; t < n_terms; ++t)
      if (static_cast<double>(df_of(t)) >= kDenseShare * static_cast<double>(n))
        dense.push_back(static_cast<std::uint32_t>(t));
  std::sort(dense.begin(), dense.end(),
            [&](std::uint32_t a, std::uint32_t b) { return df_of(a) > df_of(b); });
  if (dense.size() > kMaxDenseTerms) dense.resize(kMaxDenseTerms);
  for (std::size_t s = 0; s < dense.size(); ++s) d.slot[dense[s]] = static_cast<std::int32_t>(s);
  const auto h = static_cast<Eigen::Index>(dense.size());
  d.matrix = Single::Zero(h > 0 ? static_cast<Eigen::Index>(n) : 0, h);
  d.lists = cols;
  if (h > 0) {
    for (std::size_t i = 0; i < n; ++i)
      for (RowMatrix::InnerIterator it(rows, static_cast<std::int64_t>(i)); it; ++it)
        if (auto s = d.slot[static_cast<std::size_t>(it.col())]; s >= 0)
          d.matrix(static_cast<Eigen::Index>(i), s) = static_cast<float>(it.value());
    d.lists.prune([&](const std::int64_t&, const std::int64_t& col, const double&) {
      return d.slot[static_cast<std::size_t>(col)] < 0;
    });
  }
  return d;
}

struct Neighbours {
  std::vector<std::uint32_t> index;  // n x k, kNoNeighbour pads a short list
  std::vector<double> cosine;        // n x k
};

// The error of a row's single-precision dense product, at most: rounding
// each weight to float, then h products and sums of unit vectors' parts
// (|x.y| <= 1), each within 2^-24 of exact (gamma_h, Higham 3.1), doubled
// for margin.
double single_error(Eigen::Index dense_terms) {
  return static_cast<double>(dense_terms + 4) * std::ldexp(1.0, -23);
}

// Keeps of `out` what may still be among a row's k best, given scores
// within `error` of exact: those within twice the error of the k-th best
// approximation. `floor`, that bound so far, only ever rises.
void prune_candidates(std::vector<Scored>& out, double& floor, std::size_t k, double error) {
  if (k == 0) out.clear();
  if (out.size() <= k) return;
  auto kth = out.begin() + static_cast<std::ptrdiff_t>(k - 1);
  std::nth_element(out.begin(), kth, out.end(),
                   [](const Scored& a, const Scored& b) { return a.score > b.score; });
  floor = std::max(floor, kth->score - 2 * error);
  out.erase(
      std::remove_if(out.begin(), out.end(), [&](const Scored& s) { return s.score < floor; }),
      out.end());
}

// How many candidates a row collects before prune_candidates() runs.
std::size_t prune_at(std::size_t k) {
  return 4 * k + 64;
}

// Of a row's approximate scores (`dense`, within `error` of exact, plus the
// exact `sparse`), every specimen but `self` that may be among the k best.
// A score of 0 is exact (no weight is negative) and never a neighbour.
void candidates_of_row(const float* dense, const std::vector<double>& sparse, std::size_t n,
                       std::size_t self, std::size_t k, double error, std::vector<Scored>& out) {
  out.clear();
  if (k == 0) return;
  double floor = 0.0;  // the k-th best so far less twice the error, once there are k
  for (std::size_t j = 0; j < n; ++j) {
    double score = static_cast<double>(dense[j]) + sparse[j];
    if (score <= 0.0 || score < floor || j == self) continue;
    out.push_back({static_cast<std::uint32_t>(j), score});
    if (out.size() >= prune_at(k)) prune_candidates(out, floor, k, error);
  }
  prune_candidates(out, floor, k, error);
}

// The cosine of rows a and b, in double: their sparse dot product.
double row_dot(const RowMatrix& rows, std::size_t a, std::size_t b) {
  RowMatrix::InnerIterator x(rows, static_cast<std::int64_t>(a));
  RowMatrix::InnerIterator y(rows, static_cast<std::int64_t>(b));
  double sum = 0.0;
  while (x && y) {
    if (x.col() < y.col()) {
      ++x;
    } else if (y.col() < x.col()) {
      ++y;
    } else {
      sum += x.value() * y.value();
      ++x;
      ++y;
    }
  }
  return sum;
}

// Step 4 for every row at once, when there are dense terms: each pair's
// score is computed once, from the lower-numbered row (half the product
// and half the inverted lists' work of all_pairs()), and offered to both
// rows. A block of rows [b, e) takes the dense product with rows b.. only
// and, from each sparse term's list, the rows after its own. Each thread
// keeps every row's candidates (pruned as candidates_of_row prunes; a
// thread's floor is never above the floor of all the threads' candidates,
// so nothing it drops could be among the k best); once every block is
// done each row merges its threads' candidates, prunes them and computes
// their cosines in double (row_dot). Same lists and cosines as all_pairs().
void all_pairs_symmetric(const RowMatrix& rows, const DenseTerms& d, std::size_t k,
                         unsigned threads,
                         const std::function<void(std::size_t, std::size_t)>& progress,
                         ModelBuildStats& stats, Neighbours& out) {
  constexpr std::size_t kBlock = 64;
  struct Row {
    std::vector<Scored> list;
    double floor = 0.0;
  };
  const auto n = static_cast<std::size_t>(rows.rows());
  const auto* ptr = d.lists.outerIndexPtr();
  const auto* idx = d.lists.innerIndexPtr();
  const double* val = d.lists.valuePtr();
  const double error = single_error(d.matrix.cols());
  std::vector<std::vector<Row>> candidates(threads);  // [thread][row]
  std::atomic<unsigned> next_thread{0};
  std::atomic<std::size_t> next{0};
  std::size_t done = 0;  // pairs, under progress_mutex
  const double total_pairs = std::max(1.0, static_cast<double>(n) * static_cast<double>(n - 1) / 2);
  std::mutex progress_mutex;
  run_on(threads, [&] {
    std::vector<Row>& mine = candidates[next_thread.fetch_add(1)];
    mine.resize(n);
    std::vector<double> acc(n, 0.0);
    Single block;
    auto offer = [&](Row& row, std::uint32_t index, double score) {
      row.list.push_back({index, score});
      if (row.list.size() >= prune_at(k)) prune_candidates(row.list, row.floor, k, error);
    };
    for (std::size_t b; (b = next.fetch_add(kBlock)) < n;) {
      const std::size_t e = std::min(n, b + kBlock);
      const auto width = static_cast<Eigen::Index>(n - b);
      block.noalias() =
          d.matrix.middleRows(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(e - b)) *
          d.matrix.middleRows(static_cast<Eigen::Index>(b), width).transpose();
      for (std::size_t i = b; i < e; ++i) {
        // acc[j] for j > i: the sparse terms' part of the score.
        std::fill(acc.begin() + static_cast<std::ptrdiff_t>(i) + 1, acc.end(), 0.0);
        for (RowMatrix::InnerIterator it(rows, static_cast<std::int64_t>(i)); it; ++it) {
          const auto term = static_cast<std::size_t>(it.col());
          if (d.slot[term] >= 0) continue;
          const double weight = it.value();
          const auto* first =
              std::upper_bound(idx + ptr[term], idx + ptr[term + 1], static_cast<std::int64_t>(i));
          for (auto p = first - idx; p < ptr[term + 1]; ++p)
            acc[static_cast<std::size_t>(idx[p])] += weight * val[p];
        }
        const float* dense = block.row(static_cast<Eigen::Index>(i - b)).data();  // from row b
        Row& self = mine[i];
        for (std::size_t j = i + 1; j < n; ++j) {
          const double score = static_cast<double>(dense[j - b]) + acc[j];
          if (score <= 0.0) continue;
          if (score >= self.floor) offer(self, static_cast<std::uint32_t>(j), score);
          if (score >= mine[j].floor) offer(mine[j], static_cast<std::uint32_t>(i), score);
        }
      }
      // Progress in rows' worth of pairs: a block's work is its pairs.
      if (progress) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        done += (e - b) * (2 * n - b - e - 1) / 2;
        progress(static_cast<std::size_t>(static_cast<double>(done) / total_pairs *
                                          static_cast<double>(n)),
                 n);
      }
    }
  });
  stats.all_pairs_bytes = threads * n * (sizeof(float) * kBlock + sizeof(double) + sizeof(Row)) +
                          static_cast<std::size_t>(d.matrix.size()) * sizeof(float) +
                          n * k * (sizeof(std::uint32_t) + sizeof(double));
  for (const auto& rows_of : candidates)
    for (const Row& row : rows_of) stats.all_pairs_bytes += row.list.capacity() * sizeof(Scored);
  stats.dense_terms = static_cast<std::size_t>(d.matrix.cols());

  constexpr std::size_t kMergeBlock = 256;
  detail::parallel_for((n + kMergeBlock - 1) / kMergeBlock, threads, [&](std::size_t block) {
    std::vector<Scored> scored;
    for (std::size_t i = block * kMergeBlock; i < std::min(n, (block + 1) * kMergeBlock); ++i) {
      scored.clear();
      double floor = 0.0;
      for (auto& rows_of : candidates) {
        Row& row = rows_of[i];
        floor = std::max(floor, row.floor);
        for (const Scored& s : row.list)
          if (s.score >= floor) scored.push_back(s);
        std::vector<Scored>().swap(row.list);
      }
      prune_candidates(scored, floor, k, error);
      for (auto& s : scored) s.score = row_dot(rows, i, s.index);
      detail::keep_best(scored, k);
      for (std::size_t r = 0; r < k; ++r) {
        out.index[i * k + r] = r < scored.size() ? scored[r].index : detail::kNoNeighbour;
        out.cosine[i * k + r] = r < scored.size() ? scored[r].score : 0.0;
      }
    }
  });
}

// Step 4: all-pairs top-k, in blocks of rows shared out to the threads;
// never an n x n matrix. A block's dense part is one single-precision GEMM
// against every specimen, the sparse terms go through the inverted lists
// into a per-row accumulator, and the candidates that sum picks
// (candidates_of_row) get their cosines in double (row_dot): the lists and
// cosines are those of the product in double. With `only`, just those rows
// (ascending) are computed into `out`; the others are left as they are.
void all_pairs(const RowMatrix& rows, const DenseTerms& d, std::size_t k, unsigned threads,
               const std::vector<std::uint32_t>* only,
               const std::function<void(std::size_t, std::size_t)>& progress,
               ModelBuildStats& stats, Neighbours& out) {
  if (!only && d.matrix.cols() > 0 && k > 0)
    return all_pairs_symmetric(rows, d, k, threads, progress, stats, out);
  constexpr std::size_t kBlock = 64;
  const auto n = static_cast<std::size_t>(rows.rows());
  const std::size_t count = only ? only->size() : n;
  auto row_at = [&](std::size_t pos) -> std::size_t { return only ? (*only)[pos] : pos; };
  const bool has_dense = d.matrix.cols() > 0;
  const auto* ptr = d.lists.outerIndexPtr();
  const auto* idx = d.lists.innerIndexPtr();
  const double* val = d.lists.valuePtr();
  std::atomic<std::size_t> next{0};
  std::size_t done = 0;  // under progress_mutex
  std::mutex progress_mutex;
  const double error = single_error(d.matrix.cols());
  run_on(threads, [&] {
    std::vector<double> acc(n, 0.0);
    std::vector<std::uint32_t> touched;
    std::vector<Scored> scored;
    detail::SparseVector query;
    Single block, gathered;  // the product, and the block's rows of the dense part
    for (std::size_t begin; (begin = next.fetch_add(kBlock)) < count;) {
      std::size_t end = std::min(count, begin + kBlock);
      if (has_dense) {
        gathered.resize(static_cast<Eigen::Index>(end - begin), d.matrix.cols());
        for (std::size_t pos = begin; pos < end; ++pos)
          gathered.row(static_cast<Eigen::Index>(pos - begin)) =
              d.matrix.row(static_cast<Eigen::Index>(row_at(pos)));
        block.noalias() = gathered * d.matrix.transpose();
      }
      for (std::size_t pos = begin; pos < end; ++pos) {
        const std::size_t i = row_at(pos);
        query.clear();
        for (RowMatrix::InnerIterator it(rows, static_cast<std::int64_t>(i)); it; ++it)
          if (d.slot[static_cast<std::size_t>(it.col())] < 0)
            query.emplace_back(static_cast<std::uint32_t>(it.col()), it.value());
        if (!has_dense) {
          detail::accumulate(query, ptr, idx, val, static_cast<std::uint32_t>(i), acc, touched,
                             scored, n);
        } else {
          // The row is read whole below, so clearing it whole costs no more.
          std::fill(acc.begin(), acc.end(), 0.0);
          double* sparse = acc.data();
          for (const auto& [term, weight] : query)
            for (auto p = ptr[term]; p < ptr[term + 1]; ++p) sparse[idx[p]] += weight * val[p];
          candidates_of_row(block.row(static_cast<Eigen::Index>(pos - begin)).data(), acc, n, i, k,
                            error, scored);
          for (auto& s : scored) s.score = row_dot(rows, i, s.index);
        }
        detail::keep_best(scored, k);
        for (std::size_t r = 0; r < k; ++r) {
          out.index[i * k + r] = r < scored.size() ? scored[r].index : detail::kNoNeighbour;
          out.cosine[i * k + r] = r < scored.size() ? scored[r].score : 0.0;
        }
      }
      if (progress) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        done += end - begin;
        progress(done, count);
      }
    }
  });
  stats.all_pairs_bytes = threads * n *
                              (sizeof(float) * (has_dense ? kBlock : 0) + sizeof(double) +
                               sizeof(std::uint32_t) + sizeof(Scored)) +
                          static_cast<std::size_t>(d.matrix.size()) * sizeof(float) +
                          n * k * (sizeof(std::uint32_t) + sizeof(double));
  stats.dense_terms = static_cast<std::size_t>(d.matrix.cols());
}

// Whether two doubles are the same bits (not merely equal: -0.0 is not 0.0).
bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof(double)) == 0;
}

// An edit's shortcut to step 4. A specimen whose vector is bit for bit the
// one `old` stores (same terms, same IDF: the edit moved no document
// frequency it holds) has, with every other unchanged specimen, the cosine
// `old` computed, so its stored list stays right except where a changed
// specimen comes in or drops out. Every changed specimen's cosines with
// the rest are computed; an unchanged specimen's list is then its stored
// entries with unchanged partners plus the changed ones that reach its
// old k-th, and it is kept when k of those still rank at or above that
// k-th (any partner not listed ranked below it). The rest, and every
// changed specimen, are left in `recompute` for all_pairs(). Returns false
// (compute everything) when `old` has other specimens, another
// configuration, or more than an eighth of the specimens changed.
bool keep_lists(const detail::ModelView& old, const std::vector<const Record*>& records,
                const TfidfConfig& config, const Vocabulary& v, const RowMatrix& rows,
                const ColMatrix& cols, Neighbours& out, std::vector<std::uint32_t>& recompute) {
  const std::size_t n = records.size(), k = config.top_k;
  if (old.n != n || old.k != k || k == 0 || old.config != detail::config_json(config).dump())
    return false;
  for (std::size_t i = 0; i < n; ++i)
    if (old.slug(i) != records[i]->slug || old.row_ptr[i + 1] < old.row_ptr[i]) return false;
  for (std::size_t i = 0; i < n * k; ++i)  // a checksummed file, but never trust an index
    if (old.top_idx[i] != detail::kNoNeighbour && old.top_idx[i] >= n) return false;
  // Both vocabularies are sorted: the old term index to the new, or -1.
  std::vector<std::int64_t> term_of(old.terms, -1);
  for (std::size_t a = 0, b = 0; a < old.terms && b < v.terms.size();) {
    int c = old.term(a).compare(v.terms[b]);
    if (c == 0)
      term_of[a++] = static_cast<std::int64_t>(b++);
    else if (c < 0)
      ++a;
    else
      ++b;
  }
  std::vector<char> changed(n, 0);
  std::vector<std::uint32_t> moved;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t from = old.row_ptr[i], to = old.row_ptr[i + 1];
    const auto* start = rows.outerIndexPtr();
    bool same = static_cast<std::uint64_t>(start[i + 1] - start[i]) == to - from;
    for (std::uint64_t p = from, q = static_cast<std::uint64_t>(start[i]); same && p < to; ++p, ++q)
      same = old.row_idx[p] < old.terms && term_of[old.row_idx[p]] == rows.innerIndexPtr()[q] &&
             same_bits(old.row_value(i, p, config.sublinear_tf), rows.valuePtr()[q]);
    if (!same) {
      changed[i] = 1;
      moved.push_back(static_cast<std::uint32_t>(i));
    }
  }
  if (moved.size() * 8 > n) return false;

  // Each changed specimen's cosines, offered to the unchanged specimens
  // they could reach: at or above the old k-th (a little below, for the
  // rounding of a different order of sums), or any at all for a list that
  // was short (it held every partner with a term in common).
  auto full = [&](std::size_t u) { return old.top_idx[u * k + k - 1] != detail::kNoNeighbour; };
  std::vector<std::vector<Scored>> offered(n);
  std::vector<double> acc(n, 0.0);
  std::vector<std::uint32_t> touched;
  for (std::uint32_t c : moved) {
    for (RowMatrix::InnerIterator it(rows, c); it; ++it)
      for (ColMatrix::InnerIterator p(cols, it.col()); p; ++p) {
        auto u = static_cast<std::size_t>(p.row());
        if (acc[u] == 0.0) touched.push_back(static_cast<std::uint32_t>(u));
        acc[u] += it.value() * p.value();
      }
    for (std::uint32_t u : touched) {
      if (u != c && !changed[u] && acc[u] > 0.0 &&
          (!full(u) || acc[u] >= old.top_val[u * k + k - 1] - 1e-9))
        offered[u].push_back({c, row_dot(rows, u, c)});
      acc[u] = 0.0;
    }
    touched.clear();
  }

  std::vector<Scored> list;
  for (std::size_t u = 0; u < n; ++u) {
    if (changed[u]) continue;
    list = std::move(offered[u]);
    for (std::size_t r = 0; r < k && old.top_idx[u * k + r] != detail::kNoNeighbour; ++r)
      if (!changed[old.top_idx[u * k + r]])
        list.push_back({old.top_idx[u * k + r], old.top_val[u * k + r]});
    detail::keep_best(list, k);
    if (full(u)) {
      const Scored kth{old.top_idx[u * k + k - 1], old.top_val[u * k + k - 1]};
      if (list.size() < k || detail::better(kth, list[k - 1])) {
        recompute.push_back(static_cast<std::uint32_t>(u));
        continue;
      }
    }
    for (std::size_t r = 0; r < k; ++r) {
      out.index[u * k + r] = r < list.size() ? list[r].index : detail::kNoNeighbour;
      out.cosine[u * k + r] = r < list.size() ? list[r].score : 0.0;
    }
  }
  recompute.insert(recompute.end(), moved.begin(), moved.end());
  std::sort(recompute.begin(), recompute.end());
  return true;
}

// Each row's scale as tfidf_rows() computed it (kRowScale), from its sums
// of squares.
std::vector<double> row_scales(const std::vector<double>& squares) {
  std::vector<double> out(squares.size());
  for (std::size_t i = 0; i < squares.size(); ++i) {
    const double norm = std::sqrt(squares[i]);
    out[i] = norm > 0 ? 1.0 / norm : 0.0;
  }
  return out;
}

std::vector<std::uint32_t> as_u32(const std::int64_t* p, std::size_t count) {
  std::vector<std::uint32_t> out(count);
  for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<std::uint32_t>(p[i]);
  return out;
}

// Offsets (never negative) as the file's u64s: the same bytes.
const void* as_u64(const std::int64_t* p) {
  static_assert(sizeof(std::int64_t) == sizeof(std::uint64_t));
  return p;
}

// Step 5: the SYSTEM MATCH % scale, from every stored neighbour cosine.
std::vector<double> scale_of(const Neighbours& top) {
  std::vector<double> cosines;
  cosines.reserve(top.cosine.size());
  for (std::size_t i = 0; i < top.index.size(); ++i)
    if (top.index[i] != detail::kNoNeighbour) cosines.push_back(top.cosine[i]);
  return detail::match_scale(cosines);
}

// Step 6: each specimen's title and aliases as name keys, sorted, with
// their owners: what a pasted ad is searched for.
struct NameTable {
  std::vector<std::string> keys;
  std::vector<std::uint32_t> owners;
};
NameTable name_table(const std::vector<const Record*>& records) {
  std::vector<std::pair<std::string, std::uint32_t>> pairs;
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto add = [&](const std::string& name) {
      std::string key = detail::name_key(name);
      if (!key.empty()) pairs.emplace_back(std::move(key), static_cast<std::uint32_t>(i));
    };
    add(records[i]->title);
    if (records[i]->aliases)
      for (const auto& a : *records[i]->aliases) add(a);
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  NameTable t;
  for (auto& [key, owner] : pairs) {
    t.keys.push_back(std::move(key));
    t.owners.push_back(owner);
  }
  return t;
}

// Step 7: the reference occupations' vectors (sublinear tf: an occupation's
// many task statements should not outweigh its title), with the catalogue's
// stop words, and which of them the specimens are.
struct OccupationPart {
  std::vector<std::string> titles;
  std::vector<std::uint8_t> covered;
  Vocabulary vocabulary;
  ColMatrix cols;
};
OccupationPart occupation_part(const Occupations* occupations,
                               const std::vector<const Record*>& records, const TfidfConfig& config,
                               unsigned threads) {
  OccupationPart part;
  if (!occupations || occupations->reference.empty()) return part;
  TfidfConfig c = config;
  c.sublinear_tf = true;
  c.smooth_idf = true;
  c.min_df = 1;
  c.min_df_is_count = true;
  c.max_df = 1.0;
  c.max_df_is_count = false;
  std::unordered_set<std::string> stop_words(c.stop_words.begin(), c.stop_words.end());
  std::unordered_map<std::string, std::size_t> by_code;
  Counted counts;
  TermIds ids;
  for (const auto& o : occupations->reference) {
    by_code.emplace(o.code, part.titles.size());
    part.titles.push_back(o.title);
    ids.add(detail::count_terms(o.title + "\n" + o.text, c, stop_words),
            counts.docs.emplace_back());
  }
  for (std::uint32_t id = 0; id < ids.size(); ++id) counts.terms.push_back(ids.term(id));
  part.covered.assign(part.titles.size(), 0);
  std::unordered_set<std::string> slugs;
  for (const Record* r : records) slugs.insert(r->slug);
  for (const auto& row : occupations->covered) {
    auto it = by_code.find(row.code);
    if (it == by_code.end())
      throw Error(ErrorKind::kUsage,
                  row.where + ": no occupation " + row.code + " in the reference");
    if (slugs.count(row.slug)) part.covered[it->second] = 1;
  }
  part.vocabulary = build_vocabulary(counts, c);
  std::vector<std::uint32_t> term_counts;  // not stored: the reference is not edited
  part.cols = tfidf_rows(counts, part.vocabulary, c, term_counts, threads);
  part.cols.makeCompressed();
  return part;
}

// Step 8: the file, in the order of model_format.h's sections.
void write_model_file(Env& env, const std::string& path, const TfidfConfig& config,
                      const std::vector<const Record*>& records, const Vocabulary& v,
                      const RowMatrix& rows, const ColMatrix& cols, const Neighbours& top,
                      const std::vector<double>& scale, const NameTable& names,
                      const OccupationPart& occ, const std::vector<std::uint64_t>& text_sums,
                      const std::vector<std::uint32_t>& counts, const std::vector<double>& scales,
                      const PairPart& pairs) {
  const std::size_t n = records.size();
  const auto nnz = static_cast<std::size_t>(rows.nonZeros());
  // Sections are added by reference where the bytes are already as the
  // file has them; all of them stay alive until write() returns.
  detail::ModelFileWriter w;
  std::string config_text = detail::config_json(config).dump();
  w.add(detail::kConfig, config_text.data(), config_text.size());
  std::vector<std::string> slugs;
  for (const Record* r : records) slugs.push_back(r->slug);
  w.add_owned(detail::kSlugs, detail::string_table(slugs));
  w.add_owned(detail::kTerms, detail::string_table(v.terms));
  w.add(detail::kIdf, v.idf);
  w.add(detail::kRowPtr, as_u64(rows.outerIndexPtr()), (n + 1) * 8);
  w.add_owned(detail::kRowIdx, as_u32(rows.innerIndexPtr(), nnz));
  w.add(detail::kRowScale, scales);
  w.add(detail::kColPtr, as_u64(cols.outerIndexPtr()), (v.terms.size() + 1) * 8);
  w.add_owned(detail::kColIdx, as_u32(cols.innerIndexPtr(), nnz));
  w.add(detail::kColVal, cols.valuePtr(), nnz * sizeof(double));
  w.add(detail::kTopIdx, top.index);
  w.add(detail::kTopVal, top.cosine);
  w.add(detail::kMatchScale, scale);
  w.add_owned(detail::kNameKeys, detail::string_table(names.keys));
  w.add(detail::kNameOwners, names.owners);
  const auto occ_nnz = static_cast<std::size_t>(occ.cols.nonZeros());
  w.add_owned(detail::kOccTitles, detail::string_table(occ.titles));
  w.add(detail::kOccCovered, occ.covered);
  w.add_owned(detail::kOccTerms, detail::string_table(occ.vocabulary.terms));
  w.add(detail::kOccIdf, occ.vocabulary.idf);
  if (occ.titles.empty()) {
    w.add_owned(detail::kOccColPtr, std::vector<std::uint64_t>{0});
    w.add(detail::kOccColIdx, nullptr, 0);
    w.add(detail::kOccColVal, nullptr, 0);
  } else {
    w.add(detail::kOccColPtr, as_u64(occ.cols.outerIndexPtr()),
          (occ.vocabulary.terms.size() + 1) * 8);
    w.add_owned(detail::kOccColIdx, as_u32(occ.cols.innerIndexPtr(), occ_nnz));
    w.add(detail::kOccColVal, occ.cols.valuePtr(), occ_nnz * sizeof(double));
  }
  std::vector<std::string> titles, taglines;
  for (const Record* r : records) {
    titles.push_back(r->title);
    taglines.push_back(r->tagline);
  }
  w.add_owned(detail::kCardTitles, detail::string_table(titles));
  w.add_owned(detail::kCardTaglines, detail::string_table(taglines));
  w.add(detail::kTextSums, text_sums);
  w.add(detail::kRowCount, counts);
  w.add(detail::kPairKeys, pairs.keys);
  w.add(detail::kPairIdf, pairs.idf);
  w.add(detail::kPairColPtr, pairs.col_ptr);
  w.add(detail::kPairColIdx, pairs.col_idx);
  w.add(detail::kPairColVal, pairs.col_val);
  w.add(detail::kUniScale, pairs.uni_scale);
  w.add(detail::kPairRowPtr, pairs.row_ptr);
  w.add(detail::kPairRowIdx, pairs.row_idx);
  w.add(detail::kPairRowCount, pairs.row_count);
  w.write(env, path, static_cast<std::uint32_t>(n), static_cast<std::uint32_t>(v.terms.size()), nnz,
          static_cast<std::uint32_t>(config.top_k));
}

}  // namespace

ModelBuildStats build_model(const std::vector<const Record*>& input, const TfidfConfig& config,
                            const std::string& path, unsigned threads,
                            const std::function<void(std::size_t, std::size_t)>& progress, Env* env,
                            const Occupations* occupations, const SimilarityModel* previous) {
  ModelBuildStats stats;
  auto start = Clock::now();
  std::vector<const Record*> records(input);
  std::sort(records.begin(), records.end(),
            [](const Record* a, const Record* b) { return a->slug < b->slug; });
  if (records.size() > std::numeric_limits<std::uint32_t>::max() - 1)
    throw Error(ErrorKind::kUsage, "too many specimens for one model");
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());

  // The model it replaces, verified whole before anything is taken from it;
  // a damaged one is no reason not to build a new one.
  std::optional<detail::ModelView> old;
  if (previous) {
    try {
      old = detail::ModelAccess::view(*previous);
    } catch (const Error&) {
    }
  }
  const Reuse reuse = reuse_from(old ? &*old : nullptr, records, config);
  std::vector<std::uint64_t> text_sums;
  Counted counted = count_documents(records, config, threads, reuse, text_sums, stats);
  const Vocabulary vocabulary = build_vocabulary(counted, config);
  std::vector<std::uint32_t> counts;
  std::vector<double> squares;
  const RowMatrix rows = tfidf_rows(counted, vocabulary, config, counts, threads, &squares);
  ColMatrix cols = rows;  // the same matrix by term: the inverted lists
  cols.makeCompressed();
  const PairPart pairs = pair_part(counted, vocabulary, squares, config);
  stats.specimens = records.size();
  stats.terms = vocabulary.terms.size();
  stats.nonzeros = static_cast<std::size_t>(rows.nonZeros());
  stats.vectorize_seconds = seconds_since(start);

  auto pairs_start = Clock::now();
  const std::size_t k = config.top_k;
  Neighbours top{std::vector<std::uint32_t>(records.size() * k, detail::kNoNeighbour),
                 std::vector<double>(records.size() * k, 0.0)};
  std::vector<std::uint32_t> recompute;
  bool kept = false;
  if (old) {
    kept = keep_lists(*old, records, config, vocabulary, rows, cols, top, recompute);
    if (!kept) recompute.clear();
  }
  if (kept) stats.lists_kept = records.size() - recompute.size();
  if (!kept || !recompute.empty())
    all_pairs(rows, split_dense_terms(rows, cols), k, threads, kept ? &recompute : nullptr,
              progress, stats, top);
  stats.all_pairs_seconds = seconds_since(pairs_start);

  write_model_file(env ? *env : *Env::Default(), path, config, records, vocabulary, rows, cols, top,
                   scale_of(top), name_table(records),
                   occupation_part(occupations, records, config, threads), text_sums, counts,
                   row_scales(squares), pairs);
  return stats;
}

}  // namespace otiose
