// SimilarityModel: a model file mapped read-only, checked as it is read,
// answering related lists, cosines and explanations.
#include <otiose/similarity.h>

#include <otiose/env.h>
#include <otiose/error.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <unordered_set>

#include "base/text.h"
#include "similarity/config_json.h"
#include "similarity/model_access.h"
#include "similarity/model_format.h"
#include "similarity/names.h"
#include "similarity/scoring.h"

namespace otiose {

using detail::Scored;

struct SimilarityModel::Impl {
  // A string table section: offsets[count + 1] into `bytes` (blob bytes).
  struct StringTable {
    const std::uint32_t* offsets = nullptr;
    const char* bytes = nullptr;
    std::uint64_t blob = 0;
  };

  std::string path;
  std::unique_ptr<MappedFile> file;
  std::size_t map_size = 0;
  const detail::Header* header = nullptr;
  const unsigned char* base = nullptr;
  std::uint64_t covered = 0;  // bytes after the header that the block sums cover
  const unsigned char* block_sums = nullptr;
  std::uint64_t block_sums_size = 0;
  const std::uint64_t* sum_sums = nullptr;  // verified at open
  // Bit b: block b (of the covered bytes; of the block sums) verified.
  std::unique_ptr<std::atomic<std::uint64_t>[]> verified, sums_verified;
  StringTable slug_table;
  StringTable term_table;
  const double* idf = nullptr;
  const std::uint64_t* row_ptr = nullptr;
  const std::uint32_t* row_idx = nullptr;
  const double* row_scale = nullptr;
  const std::uint64_t* col_ptr = nullptr;
  const std::uint32_t* col_idx = nullptr;
  const double* col_val = nullptr;
  const std::uint32_t* top_idx = nullptr;
  const double* top_val = nullptr;
  const double* scale = nullptr;  // kScaleBins + 1 cumulative shares
  StringTable name_table;
  std::uint64_t n_names = 0;
  const std::uint32_t* name_owners = nullptr;
  // The reference occupations (model_format.h), n_occ == 0 when none.
  std::uint64_t n_occ = 0, n_occ_terms = 0, occ_nnz = 0;
  StringTable occ_title_table;
  const std::uint8_t* occ_covered = nullptr;
  StringTable occ_term_table;
  const double* occ_idf = nullptr;
  const std::uint64_t* occ_col_ptr = nullptr;
  const std::uint32_t* occ_col_idx = nullptr;
  const double* occ_col_val = nullptr;
  StringTable card_title_table;
  StringTable card_tagline_table;
  const std::uint64_t* text_sums = nullptr;  // what an edit reuses (ModelView)
  const std::uint32_t* row_count = nullptr;
  // The ad matcher's word pairs (model_format.h, kPairKeys).
  std::uint64_t n_pairs = 0, pair_nnz = 0;
  const std::uint64_t* pair_keys = nullptr;
  const double* pair_idf = nullptr;
  const std::uint64_t* pair_col_ptr = nullptr;
  const std::uint32_t* pair_col_idx = nullptr;
  const double* pair_col_val = nullptr;
  const double* uni_scale = nullptr;
  const std::uint64_t* pair_row_ptr = nullptr;
  const std::uint32_t* pair_row_idx = nullptr;
  const std::uint32_t* pair_row_count = nullptr;
  detail::AdMatching ad;
  // The configuration, parsed the first time it is needed (a text to
  // vectorize): a process that reads stored lists does not pay for it.
  std::string_view config_text;
  mutable std::once_flag config_once;
  mutable TfidfConfig config_value;
  mutable std::unordered_set<std::string> stop_words_value;

  const TfidfConfig& config() const {
    std::call_once(config_once, [this] {
      check(config_text.data(), config_text.size());
      try {
        config_value = detail::config_from_json(nlohmann::json::parse(config_text));
      } catch (const std::exception&) {
        damaged("damaged similarity model (configuration)");
      }
      stop_words_value.insert(config_value.stop_words.begin(), config_value.stop_words.end());
    });
    return config_value;
  }
  const std::unordered_set<std::string>& stop_words() const {
    config();
    return stop_words_value;
  }

  // Says how to mend it, as the Xapian errors do.
  [[noreturn]] void damaged(const std::string& what) const {
    const std::string fix = "otiose-index --rebuild";
    throw Error(ErrorKind::kModel,
                path + ": " + what +
                    (what.find(fix) == std::string::npos ? ": rebuild the index with " + fix : ""));
  }

  std::size_t n_docs() const { return header->n_docs; }
  std::size_t n_terms() const { return header->n_terms; }

  static bool is_set(const std::atomic<std::uint64_t>* bits, std::size_t b) {
    return (bits[b / 64].load(std::memory_order_acquire) >> (b % 64)) & 1;
  }
  static void set(std::atomic<std::uint64_t>* bits, std::size_t b) {
    bits[b / 64].fetch_or(std::uint64_t{1} << (b % 64), std::memory_order_release);
  }

  // Block b's stored sum, its block of sums verified the first time.
  std::uint64_t block_sum(std::size_t b) const {
    const std::size_t page = b * 8 / detail::kBlockSize;
    if (!is_set(sums_verified.get(), page)) {
      std::size_t start = page * detail::kBlockSize;
      std::size_t length = std::min<std::size_t>(detail::kBlockSize, block_sums_size - start);
      if (detail::checksum(block_sums + start, length) != sum_sums[page])
        damaged("damaged similarity model (checksum mismatch in the block sums)");
      set(sums_verified.get(), page);
    }
    std::uint64_t sum;
    std::memcpy(&sum, block_sums + b * 8, 8);
    return sum;
  }

  // Verifies the blocks holding [p, p + size) the first time they are read.
  // Callers keep p within the sections, which open() bounds.
  void check(const void* p, std::size_t size) const {
    if (size == 0) return;
    auto from = static_cast<std::size_t>(static_cast<const unsigned char*>(p) - base) -
                sizeof(detail::Header);
    for (std::size_t b = from / detail::kBlockSize, last = (from + size - 1) / detail::kBlockSize;
         b <= last; ++b) {
      if (is_set(verified.get(), b)) continue;
      std::size_t start = b * detail::kBlockSize;
      std::size_t length = std::min<std::size_t>(detail::kBlockSize, covered - start);
      if (detail::checksum(base + sizeof(detail::Header) + start, length) != block_sum(b))
        damaged("damaged similarity model (checksum mismatch in bytes " +
                std::to_string(sizeof(detail::Header) + start) + "-" +
                std::to_string(sizeof(detail::Header) + start + length) + ")");
      set(verified.get(), b);
    }
  }

  std::string_view string_at(const StringTable& table, std::size_t i) const {
    check(table.offsets + i, 8);
    std::uint32_t a = table.offsets[i], b = table.offsets[i + 1];
    if (b < a || b > table.blob || (i == 0 && a != 0))
      damaged("damaged similarity model (string table)");
    check(table.bytes + a, b - a);
    return {table.bytes + a, b - a};
  }
  std::string_view slug(std::size_t i) const { return string_at(slug_table, i); }
  std::string_view term(std::size_t i) const { return string_at(term_table, i); }

  // Offsets [a, b) of a CSR row (its counts) or CSC column (its values),
  // its bytes verified.
  template <typename T>
  std::pair<std::uint64_t, std::uint64_t> verified_span(const std::uint64_t* ptr,
                                                        const std::uint32_t* idx, const T* entries,
                                                        std::size_t i) const {
    check(ptr + i, 16);
    std::uint64_t a = ptr[i], b = ptr[i + 1];
    if (a > b || b > header->nnz) damaged("damaged similarity model (vector offsets)");
    check(idx + a, (b - a) * 4);
    check(entries + a, (b - a) * sizeof(T));
    return {a, b};
  }

  // The first of `count` sorted strings (get(i)) not below `key`.
  template <typename Get>
  static std::size_t lower_bound(std::size_t count, std::string_view key, Get get) {
    std::size_t lo = 0, hi = count;
    while (lo < hi) {
      std::size_t mid = lo + (hi - lo) / 2;
      if (get(mid) < key)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo;
  }
  template <typename Get>
  static std::ptrdiff_t search(std::size_t count, std::string_view key, Get get) {
    std::size_t lo = lower_bound(count, key, get);
    return lo < count && get(lo) == key ? static_cast<std::ptrdiff_t>(lo) : -1;
  }
  std::ptrdiff_t find_slug(std::string_view s) const {
    return search(n_docs(), s, [&](std::size_t i) { return slug(i); });
  }
  std::ptrdiff_t find_term(std::string_view s) const {
    return search(n_terms(), s, [&](std::size_t i) { return term(i); });
  }

  std::size_t index_of(std::string_view s) const {
    auto i = find_slug(s);
    if (i < 0)
      throw Error(ErrorKind::kNotFound, "no specimen \"" + std::string(s) + "\" in the model");
    return static_cast<std::size_t>(i);
  }

  // Specimen i's vector, its values computed from the stored counts as the
  // build computed them (model_format.h, kRowScale).
  detail::SparseVector row(std::size_t i) const {
    const auto [a, b] = verified_span(row_ptr, row_idx, row_count, i);
    check(row_scale + i, 8);
    const bool sublinear = config().sublinear_tf;
    detail::SparseVector out;
    out.reserve(b - a);
    for (auto p = a; p < b; ++p) {
      const std::uint32_t t = row_idx[p];
      if (t >= n_terms()) damaged("damaged similarity model (vector indices)");
      check(idf + t, 8);
      out.emplace_back(t, detail::row_value(row_count[p], idf[t], row_scale[i], sublinear));
    }
    return out;
  }

  // The text's l2-normalised TF-IDF vector, as scikit-learn computes it.
  using Counts = std::unordered_map<std::string, std::uint32_t>;
  detail::SparseVector vectorize(std::string_view text) const {
    detail::SparseVector v;
    for (const auto& [term, count] : detail::count_terms(text, config(), stop_words())) {
      auto t = find_term(term);
      if (t < 0) continue;
      check(idf + t, 8);
      v.emplace_back(static_cast<std::uint32_t>(t),
                     detail::tf_weight(count, config().sublinear_tf) * idf[t]);
    }
    std::sort(v.begin(), v.end());
    double norm = 0;
    for (const auto& [t, w] : v) norm += w * w;
    norm = std::sqrt(norm);
    for (auto& [t, w] : v) w /= norm;
    return v;
  }

  // Every specimen's cosine with `query`, by index. The columns, the bulk
  // of a pasted ad's work, are verified first and read once.
  std::vector<double> cosines(const detail::SparseVector& query) const {
    for (const auto& q : query) verified_span(col_ptr, col_idx, col_val, q.first);
    std::vector<double> acc(n_docs(), 0.0);
    detail::add_columns(query, col_ptr, col_idx, col_val, acc);
    return acc;
  }

  // Offsets [a, b) of word pair q's column, its bytes verified.
  std::pair<std::uint64_t, std::uint64_t> pair_span(std::size_t q) const {
    check(pair_col_ptr + q, 16);
    std::uint64_t a = pair_col_ptr[q], b = pair_col_ptr[q + 1];
    if (a > b || b > pair_nnz) damaged("damaged similarity model (word pairs)");
    check(pair_col_idx + a, (b - a) * 4);
    check(pair_col_val + a, (b - a) * 8);
    return {a, b};
  }
  std::ptrdiff_t find_pair(std::uint64_t key) const {
    std::size_t lo = 0, hi = n_pairs;
    while (lo < hi) {
      std::size_t mid = lo + (hi - lo) / 2;
      check(pair_keys + mid, 8);
      if (pair_keys[mid] < key)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo < n_pairs && pair_keys[lo] == key ? static_cast<std::ptrdiff_t>(lo) : -1;
  }
  std::string pair_name(std::size_t q) const {
    check(pair_keys + q, 8);
    const std::uint64_t a = pair_keys[q] >> 32, b = pair_keys[q] & 0xFFFFFFFFu;
    if (a >= n_terms() || b >= n_terms()) damaged("damaged similarity model (word pairs)");
    return std::string(term(a)) + " " + std::string(term(b));
  }

  // A pasted ad's vector for the ad matcher: the square root of each
  // term's count, and of each word pair's the model has (consecutive terms,
  // stop words removed), times its IDF, l2-normalised together. `counts`
  // gets the text's term counts.
  struct AdVector {
    detail::SparseVector terms;  // by term index
    detail::SparseVector pairs;  // by pair index
  };
  AdVector ad_vector(std::string_view text, Counts& counts) const {
    const TfidfConfig& c = config();
    std::unordered_map<std::string, std::ptrdiff_t> index;  // a term's, -1 for none
    std::vector<std::ptrdiff_t> sequence;
    for (auto& token : tokenize(text, c.lowercase)) {
      if (stop_words().count(token)) continue;
      auto it = index.find(token);
      if (it == index.end()) it = index.emplace(token, find_term(token)).first;
      sequence.push_back(it->second);
      ++counts[std::move(token)];
    }
    AdVector v;
    for (const auto& [term, t] : index) {
      if (t < 0) continue;
      check(idf + t, 8);
      v.terms.emplace_back(static_cast<std::uint32_t>(t),
                           std::sqrt(static_cast<double>(counts.at(term))) * idf[t]);
    }
    std::sort(v.terms.begin(), v.terms.end());
    std::vector<std::uint64_t> keys;
    for (std::size_t i = 1; i < sequence.size(); ++i)
      if (sequence[i - 1] >= 0 && sequence[i] >= 0)
        keys.push_back(detail::pair_key(static_cast<std::uint32_t>(sequence[i - 1]),
                                        static_cast<std::uint32_t>(sequence[i])));
    std::sort(keys.begin(), keys.end());
    for (std::size_t i = 0, j; i < keys.size(); i = j) {
      for (j = i + 1; j < keys.size() && keys[j] == keys[i];) ++j;
      const std::ptrdiff_t q = find_pair(keys[i]);
      if (q < 0) continue;
      check(pair_idf + q, 8);
      v.pairs.emplace_back(static_cast<std::uint32_t>(q),
                           std::sqrt(static_cast<double>(j - i)) * pair_idf[q]);
    }
    double norm = 0;
    for (const auto& [t, w] : v.terms) norm += w * w;
    for (const auto& [q, w] : v.pairs) norm += w * w;
    norm = std::sqrt(norm);
    if (norm > 0) {
      for (auto& [t, w] : v.terms) w /= norm;
      for (auto& [q, w] : v.pairs) w /= norm;
    }
    return v;
  }

  // Every specimen's cosine with an ad's vector: its stored vector scaled
  // into the joint one, and its word pairs.
  std::vector<double> ad_cosines(const AdVector& v) const {
    std::vector<double> acc = cosines(v.terms);
    check(uni_scale, acc.size() * 8);
    for (std::size_t i = 0; i < acc.size(); ++i) acc[i] *= uni_scale[i];
    for (const auto& q : v.pairs) pair_span(q.first);
    detail::add_columns(v.pairs, pair_col_ptr, pair_col_idx, pair_col_val, acc);
    return acc;
  }

  std::vector<Neighbour> top(const detail::SparseVector& query, std::uint32_t skip,
                             std::size_t k) const {
    const std::vector<double> cosine = cosines(query);
    detail::TopK best(k);
    for (std::uint32_t i = 0; i < cosine.size(); ++i)
      if (cosine[i] > 0.0 && i != skip) best.offer({i, cosine[i]});
    return to_neighbours(std::move(best).take());
  }

  int match_of(double cosine) const {
    check(scale + detail::scale_entry(cosine), sizeof(double));
    return detail::match_on_scale(scale, cosine);
  }

  std::vector<Neighbour> to_neighbours(const std::vector<Scored>& scored) const {
    std::vector<Neighbour> out;
    for (const auto& s : scored) {
      double c = std::min(1.0, s.score);
      out.push_back({std::string(slug(s.index)), c, match_of(c), s.index});
    }
    return out;
  }

  std::string_view name_key(std::size_t i) const { return string_at(name_table, i); }

  // The specimens whose title or alias folds to `key`.
  std::vector<std::uint32_t> named(const std::string& key) const {
    std::size_t lo = lower_bound(n_names, key, [&](std::size_t i) { return name_key(i); });
    std::vector<std::uint32_t> owners;
    for (; lo < n_names && name_key(lo) == key; ++lo) {
      check(name_owners + lo, 4);
      if (name_owners[lo] >= n_docs()) damaged("damaged similarity model (name owners)");
      owners.push_back(name_owners[lo]);
    }
    return owners;
  }

  // The reference occupation a text (its term `counts`) is most like, and
  // how much more it is like it than like the closest occupation a specimen
  // is: {index, gap}; {n_occ, 0} when the model has no occupations or the
  // text none of their words.
  std::pair<std::size_t, double> reference_gap(const Counts& counts) const {
    if (n_occ == 0) return {n_occ, 0.0};
    std::vector<std::pair<std::uint32_t, double>> q;
    for (const auto& [term, count] : counts) {
      auto t =
          search(n_occ_terms, term, [&](std::size_t i) { return string_at(occ_term_table, i); });
      if (t < 0) continue;
      check(occ_idf + t, 8);
      q.emplace_back(static_cast<std::uint32_t>(t), detail::tf_weight(count, true) * occ_idf[t]);
    }
    double norm = 0;
    for (const auto& [t, w] : q) norm += w * w;
    if (norm == 0) return {n_occ, 0.0};
    norm = std::sqrt(norm);
    std::vector<double> acc(n_occ, 0.0);
    for (const auto& [t, w] : q) {
      check(occ_col_ptr + t, 16);
      std::uint64_t a = occ_col_ptr[t], b = occ_col_ptr[t + 1];
      if (a > b || b > occ_nnz) damaged("damaged similarity model (occupation vectors)");
      check(occ_col_idx + a, (b - a) * 4);
      check(occ_col_val + a, (b - a) * 8);
      for (auto p = a; p < b; ++p) {
        if (occ_col_idx[p] >= n_occ) damaged("damaged similarity model (occupation vectors)");
        acc[occ_col_idx[p]] += w / norm * occ_col_val[p];
      }
    }
    check(occ_covered, n_occ);
    std::size_t best = 0;
    double best_covered = 0;
    for (std::size_t i = 0; i < n_occ; ++i) {
      if (acc[i] > acc[best]) best = i;
      if (occ_covered[i]) best_covered = std::max(best_covered, acc[i]);
    }
    return {best, acc[best] - best_covered};
  }

  TextMatches match_text(std::string_view text, std::size_t k) const {
    // The specimens the ad names as its own role, how often, and the name
    // it used first, by specimen.
    struct Named {
      std::uint32_t owner;
      int times;
      std::string key;
    };
    std::vector<Named> names;
    for (const auto& m :
         detail::self_mentions(text, [&](const std::string& key) { return named(key); }))
      for (std::uint32_t owner : m.owners) {
        auto it = std::find_if(names.begin(), names.end(),
                               [&](const Named& n) { return n.owner == owner; });
        if (it == names.end())
          names.push_back({owner, 1, m.key});
        else
          ++it->times;
      }
    std::sort(names.begin(), names.end(),
              [](const Named& a, const Named& b) { return a.owner < b.owner; });
    Counts counts;  // tokenized once, for both vectors
    const std::vector<double> cosine = ad_cosines(ad_vector(text, counts));
    // Every specimen with a cosine above 0 or named competes; a named one
    // scores name_bonus * ln(1 + times) more.
    detail::TopK best(k);
    auto name = names.begin();
    for (std::uint32_t i = 0; i < cosine.size(); ++i) {
      if (name != names.end() && name->owner == i) {
        best.offer({i, cosine[i] + ad.name_bonus * std::log1p(static_cast<double>(name->times))});
        ++name;
      } else if (cosine[i] > 0.0) {
        best.offer({i, cosine[i]});
      }
    }
    const std::vector<Scored> scored = std::move(best).take();
    TextMatches out;
    auto [like, gap] = reference_gap(counts);
    if (gap > 0) {
      out.reads_like = std::string(string_at(occ_title_table, like));
      out.reference_gap = gap;
    }
    // The calibrated match: the score, less what the ad's likeness to an
    // occupation no specimen is takes from it.
    const double penalty = ad.reference_weight * out.reference_gap;
    for (const auto& s : scored) {
      TextMatch m;
      m.slug = std::string(slug(s.index));
      m.index = s.index;
      m.cosine = std::min(1.0, cosine[s.index]);
      m.score = s.score;
      m.match = static_cast<int>(
          std::lround(100.0 / (1.0 + std::exp(-ad.slope * (s.score - penalty - ad.confident)))));
      auto it = std::lower_bound(names.begin(), names.end(), s.index,
                                 [](const Named& n, std::uint32_t i) { return n.owner < i; });
      if (it != names.end() && it->owner == s.index) {
        m.named = it->times;
        m.name = it->key;
      }
      out.matches.push_back(std::move(m));
    }
    out.confident = !out.matches.empty() && out.matches.front().score - penalty >= ad.confident;
    return out;
  }

  static std::vector<TermShare> shares(const detail::SparseVector& a, const detail::SparseVector& b,
                                       const Impl& self, std::size_t n) {
    std::vector<TermShare> out;
    add_shares(a, b, self, out);
    return ranked(std::move(out), n);
  }
  // The terms `a` and `b` share, with their products, appended in term
  // order.
  static void add_shares(const detail::SparseVector& a, const detail::SparseVector& b,
                         const Impl& self, std::vector<TermShare>& out) {
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
      if (a[i].first < b[j].first) {
        ++i;
      } else if (b[j].first < a[i].first) {
        ++j;
      } else {
        out.push_back({std::string(self.term(a[i].first)), a[i].second * b[j].second, 0});
        ++i;
        ++j;
      }
    }
  }
  // The n largest, each with its share of the whole.
  static std::vector<TermShare> ranked(std::vector<TermShare> out, std::size_t n) {
    double total = 0;
    for (const auto& s : out) total += s.contribution;
    for (auto& s : out) s.share = total > 0 ? s.contribution / total : 0;
    std::sort(out.begin(), out.end(), [](const TermShare& x, const TermShare& y) {
      return x.contribution != y.contribution ? x.contribution > y.contribution : x.term < y.term;
    });
    if (out.size() > n) out.resize(n);
    return out;
  }

  void open(Env& env) {
    file = env.map_file(path);
    if (!file)
      throw Error(ErrorKind::kModel,
                  path + ": cannot open the similarity model: No such file or directory");
    map_size = file->size();
    if (map_size < sizeof(detail::Header))
      damaged("not a similarity model (truncated: " + std::to_string(map_size) + " bytes)");
    base = file->data();
    header = reinterpret_cast<const detail::Header*>(base);
    if (std::memcmp(header->magic, detail::kModelMagic, sizeof header->magic) != 0)
      damaged("not a similarity model (bad magic)");
    if (header->version != kFormatVersion)
      damaged("similarity model format version " + std::to_string(header->version) +
              ", this build reads version " + std::to_string(kFormatVersion) +
              ": rebuild the index with otiose-index --rebuild");
    if (header->header_size != sizeof(detail::Header) || header->file_size != map_size)
      damaged("damaged similarity model (size " + std::to_string(map_size) +
              " bytes, header says " + std::to_string(header->file_size) +
              "): truncated or overwritten");
    if (header->section_count != detail::kSectionCount ||
        sizeof(detail::Header) + header->section_count * sizeof(detail::Section) > map_size)
      damaged("damaged similarity model (section table)");
    auto table = reinterpret_cast<const detail::Section*>(base + sizeof(detail::Header));
    // The sums, then the table: read before they are verified, so bounds
    // first.
    const detail::Section& sums = table[detail::kBlockSums - 1];
    const detail::Section& top = table[detail::kSumSums - 1];
    if (sums.id != detail::kBlockSums || sums.offset % 8 != 0 ||
        sums.offset < sizeof(detail::Header) || sums.offset > map_size ||
        sums.size > map_size - sums.offset || top.id != detail::kSumSums ||
        top.offset != sums.offset + sums.size || top.size != map_size - top.offset)
      damaged("damaged similarity model (block sums)");
    covered = sums.offset - sizeof(detail::Header);
    const std::uint64_t blocks = (covered + detail::kBlockSize - 1) / detail::kBlockSize;
    const std::uint64_t pages = (blocks * 8 + detail::kBlockSize - 1) / detail::kBlockSize;
    if (sums.size != blocks * 8 || top.size != pages * 8)
      damaged("damaged similarity model (block sums)");
    if (detail::checksum(base + top.offset, top.size) != header->checksum)
      damaged("damaged similarity model (checksum mismatch in the block sums)");
    block_sums = base + sums.offset;
    block_sums_size = sums.size;
    sum_sums = reinterpret_cast<const std::uint64_t*>(base + top.offset);
    verified = std::make_unique<std::atomic<std::uint64_t>[]>((blocks + 63) / 64);
    sums_verified = std::make_unique<std::atomic<std::uint64_t>[]>((pages + 63) / 64);
    check(table, header->section_count * sizeof(detail::Section));
    const std::uint64_t n = header->n_docs, t = header->n_terms, nnz = header->nnz,
                        k = header->top_k;
    // Each section must fit in the file: counts beyond that are damage, and
    // would wrap the section sizes computed from them below.
    const std::uint64_t words = map_size / 8;
    if (n >= words || t >= words || nnz > words || (k != 0 && n > words / k))
      damaged("damaged similarity model (counts)");
    auto section = [&](detail::SectionId id, std::uint64_t expected_size) -> const unsigned char* {
      const detail::Section& s = table[id - 1];
      const std::uint64_t end = sizeof(detail::Header) + covered;
      // Below the header, check() would count blocks from a wrapped offset.
      if (s.id != id || s.offset % 8 != 0 || s.offset < sizeof(detail::Header) || s.offset > end ||
          s.size > end - s.offset || (expected_size != UINT64_MAX && s.size != expected_size))
        damaged("damaged similarity model (section " + std::to_string(id) + ")");
      return base + s.offset;
    };
    auto strings = [&](detail::SectionId id, std::uint64_t count, StringTable& out) {
      const detail::Section& s = table[id - 1];
      auto p = section(id, UINT64_MAX);
      if ((count + 1) * 4 > s.size) damaged("damaged similarity model (string table)");
      out.offsets = reinterpret_cast<const std::uint32_t*>(p);
      out.bytes = reinterpret_cast<const char*>(p + (count + 1) * 4);
      out.blob = s.size - (count + 1) * 4;
      // offsets[0] == 0 is checked where string 0 is read (string_at): a
      // table's first page read at open is a page fault (~15 us) each, and
      // a search reads none of the terms, names or occupations.
    };
    config_text = {reinterpret_cast<const char*>(section(detail::kConfig, UINT64_MAX)),
                   table[detail::kConfig - 1].size};
    strings(detail::kSlugs, n, slug_table);
    strings(detail::kTerms, t, term_table);
    idf = reinterpret_cast<const double*>(section(detail::kIdf, t * 8));
    row_ptr = reinterpret_cast<const std::uint64_t*>(section(detail::kRowPtr, (n + 1) * 8));
    row_idx = reinterpret_cast<const std::uint32_t*>(section(detail::kRowIdx, nnz * 4));
    row_scale = reinterpret_cast<const double*>(section(detail::kRowScale, n * 8));
    col_ptr = reinterpret_cast<const std::uint64_t*>(section(detail::kColPtr, (t + 1) * 8));
    col_idx = reinterpret_cast<const std::uint32_t*>(section(detail::kColIdx, nnz * 4));
    col_val = reinterpret_cast<const double*>(section(detail::kColVal, nnz * 8));
    top_idx = reinterpret_cast<const std::uint32_t*>(section(detail::kTopIdx, n * k * 4));
    top_val = reinterpret_cast<const double*>(section(detail::kTopVal, n * k * 8));
    scale = reinterpret_cast<const double*>(
        section(detail::kMatchScale, (detail::kScaleBins + 1) * sizeof(double)));
    auto owners = section(detail::kNameOwners, UINT64_MAX);
    if (table[detail::kNameOwners - 1].size % 4 != 0) damaged("damaged similarity model (names)");
    n_names = table[detail::kNameOwners - 1].size / 4;
    name_owners = reinterpret_cast<const std::uint32_t*>(owners);
    strings(detail::kNameKeys, n_names, name_table);
    n_occ = table[detail::kOccCovered - 1].size;
    occ_covered = section(detail::kOccCovered, n_occ);
    strings(detail::kOccTitles, n_occ, occ_title_table);
    if (table[detail::kOccIdf - 1].size % 8 != 0) damaged("damaged similarity model (occupations)");
    n_occ_terms = table[detail::kOccIdf - 1].size / 8;
    occ_idf = reinterpret_cast<const double*>(section(detail::kOccIdf, n_occ_terms * 8));
    strings(detail::kOccTerms, n_occ_terms, occ_term_table);
    occ_col_ptr =
        reinterpret_cast<const std::uint64_t*>(section(detail::kOccColPtr, (n_occ_terms + 1) * 8));
    if (table[detail::kOccColIdx - 1].size % 4 != 0)
      damaged("damaged similarity model (occupations)");
    occ_nnz = table[detail::kOccColIdx - 1].size / 4;
    occ_col_idx = reinterpret_cast<const std::uint32_t*>(section(detail::kOccColIdx, occ_nnz * 4));
    occ_col_val = reinterpret_cast<const double*>(section(detail::kOccColVal, occ_nnz * 8));
    strings(detail::kCardTitles, n, card_title_table);
    strings(detail::kCardTaglines, n, card_tagline_table);
    text_sums = reinterpret_cast<const std::uint64_t*>(section(detail::kTextSums, n * 8));
    row_count = reinterpret_cast<const std::uint32_t*>(section(detail::kRowCount, nnz * 4));
    if (table[detail::kPairIdf - 1].size % 8 != 0 || table[detail::kPairColIdx - 1].size % 4 != 0)
      damaged("damaged similarity model (word pairs)");
    n_pairs = table[detail::kPairIdf - 1].size / 8;
    pair_nnz = table[detail::kPairColIdx - 1].size / 4;
    pair_keys = reinterpret_cast<const std::uint64_t*>(section(detail::kPairKeys, n_pairs * 8));
    pair_idf = reinterpret_cast<const double*>(section(detail::kPairIdf, n_pairs * 8));
    pair_col_ptr =
        reinterpret_cast<const std::uint64_t*>(section(detail::kPairColPtr, (n_pairs + 1) * 8));
    pair_col_idx =
        reinterpret_cast<const std::uint32_t*>(section(detail::kPairColIdx, pair_nnz * 4));
    pair_col_val = reinterpret_cast<const double*>(section(detail::kPairColVal, pair_nnz * 8));
    uni_scale = reinterpret_cast<const double*>(section(detail::kUniScale, n * 8));
    pair_row_ptr =
        reinterpret_cast<const std::uint64_t*>(section(detail::kPairRowPtr, (n + 1) * 8));
    pair_row_idx =
        reinterpret_cast<const std::uint32_t*>(section(detail::kPairRowIdx, pair_nnz * 4));
    pair_row_count =
        reinterpret_cast<const std::uint32_t*>(section(detail::kPairRowCount, pair_nnz * 4));
  }
};

SimilarityModel::SimilarityModel(const std::string& path, Env* env)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->open(env ? *env : *Env::Default());
}
SimilarityModel::~SimilarityModel() = default;
SimilarityModel::SimilarityModel(SimilarityModel&&) noexcept = default;
SimilarityModel& SimilarityModel::operator=(SimilarityModel&&) noexcept = default;

std::size_t SimilarityModel::size() const {
  return impl_->n_docs();
}
std::size_t SimilarityModel::vocabulary() const {
  return impl_->n_terms();
}
std::size_t SimilarityModel::stored_k() const {
  return impl_->header->top_k;
}
std::size_t SimilarityModel::occupations() const {
  return impl_->n_occ;
}
const std::string& SimilarityModel::path() const {
  return impl_->path;
}
const TfidfConfig& SimilarityModel::config() const {
  return impl_->config();
}

namespace detail {

ModelView ModelAccess::view(const SimilarityModel& model) {
  model.verify();
  const SimilarityModel::Impl& m = *model.impl_;
  ModelView v;
  v.model = &model;
  v.n = m.n_docs();
  v.terms = m.n_terms();
  v.k = m.header->top_k;
  v.nnz = m.header->nnz;
  v.config = m.config_text;
  v.row_ptr = m.row_ptr;
  v.row_idx = m.row_idx;
  v.idf = m.idf;
  v.row_scale = m.row_scale;
  v.top_idx = m.top_idx;
  v.top_val = m.top_val;
  v.text_sums = m.text_sums;
  v.row_count = m.row_count;
  v.pairs = m.n_pairs;
  v.pair_nnz = m.pair_nnz;
  v.pair_keys = m.pair_keys;
  v.pair_row_ptr = m.pair_row_ptr;
  v.pair_row_idx = m.pair_row_idx;
  v.pair_row_count = m.pair_row_count;
  return v;
}

std::string_view ModelAccess::slug(const SimilarityModel& model, std::size_t i) {
  return model.impl_->slug(i);
}
std::string_view ModelAccess::term(const SimilarityModel& model, std::size_t t) {
  return model.impl_->term(t);
}
std::string_view ModelView::slug(std::size_t i) const {
  return ModelAccess::slug(*model, i);
}
std::string_view ModelView::term(std::size_t t) const {
  return ModelAccess::term(*model, t);
}
double ModelView::row_value(std::size_t i, std::uint64_t p, bool sublinear) const {
  return detail::row_value(row_count[p], idf[row_idx[p]], row_scale[i], sublinear);
}

}  // namespace detail

void SimilarityModel::verify() const {
  impl_->check(impl_->base + sizeof(detail::Header), impl_->covered);
  impl_->config();
}

std::ptrdiff_t SimilarityModel::find(std::string_view slug) const {
  return impl_->find_slug(slug);
}
std::string SimilarityModel::slug(std::size_t index) const {
  if (index >= size()) throw Error(ErrorKind::kUsage, "specimen index out of range");
  return std::string(impl_->slug(index));
}
std::string SimilarityModel::title(std::size_t index) const {
  if (index >= size()) throw Error(ErrorKind::kUsage, "specimen index out of range");
  return std::string(impl_->string_at(impl_->card_title_table, index));
}
std::string SimilarityModel::tagline(std::size_t index) const {
  if (index >= size()) throw Error(ErrorKind::kUsage, "specimen index out of range");
  return std::string(impl_->string_at(impl_->card_tagline_table, index));
}

std::ptrdiff_t SimilarityModel::resolve(std::string_view name) const {
  std::string wanted = detail::ascii_lower(detail::trim(name));
  if (auto i = find(wanted); i >= 0) return i;
  std::string slug = detail::slugify(name);
  if (auto i = slug.empty() ? -1 : find(slug); i >= 0) return i;
  // A title or an alias, as name_key folds it: the specimen that has it,
  // or of several, the one whose title it is.
  const std::string key = detail::name_key(name);
  if (key.empty()) return -1;
  std::vector<std::uint32_t> owners = impl_->named(key);
  std::sort(owners.begin(), owners.end());
  owners.erase(std::unique(owners.begin(), owners.end()), owners.end());
  if (owners.size() == 1) return owners[0];
  for (std::uint32_t owner : owners)
    if (detail::ascii_lower(title(owner)) == wanted) return owner;
  return -1;
}

std::vector<Neighbour> SimilarityModel::related(std::string_view slug, std::size_t k) const {
  return related(impl_->index_of(slug), k);
}

std::vector<Neighbour> SimilarityModel::related(std::size_t i, std::size_t k) const {
  if (i >= size()) throw Error(ErrorKind::kUsage, "specimen index out of range");
  if (k > stored_k()) return impl_->top(impl_->row(i), static_cast<std::uint32_t>(i), k);
  std::vector<Scored> scored;
  impl_->check(impl_->top_idx + i * stored_k(), k * 4);
  impl_->check(impl_->top_val + i * stored_k(), k * 8);
  for (std::size_t r = 0; r < k; ++r) {
    std::uint32_t j = impl_->top_idx[i * stored_k() + r];
    if (j == detail::kNoNeighbour) break;
    if (j >= size()) impl_->damaged("damaged similarity model (neighbour lists)");
    scored.push_back({j, impl_->top_val[i * stored_k() + r]});
  }
  return impl_->to_neighbours(scored);
}

std::vector<Neighbour> SimilarityModel::related_text(std::string_view text, std::size_t k) const {
  return impl_->top(impl_->vectorize(text), detail::kNoNeighbour, k);
}

double SimilarityModel::cosine(std::string_view a, std::string_view b) const {
  double total = 0;
  for (const auto& s : Impl::shares(impl_->row(impl_->index_of(a)), impl_->row(impl_->index_of(b)),
                                    *impl_, SIZE_MAX))
    total += s.contribution;
  return std::min(1.0, total);
}

std::vector<TermShare> SimilarityModel::explain(std::string_view a, std::string_view b,
                                                std::size_t n) const {
  return Impl::shares(impl_->row(impl_->index_of(a)), impl_->row(impl_->index_of(b)), *impl_, n);
}

std::vector<std::string> SimilarityModel::closest(std::string_view name, std::size_t k) const {
  std::string typed = detail::name_key(name);
  std::string compact;  // "c s m" -> "csm"
  for (char c : typed)
    if (c != ' ') compact += c;
  if (compact.empty() || k == 0) return {};
  // How far a name key is from what was typed: (an acronym 0, a name
  // containing it 1, else 2 + the edits to the name or to one of its words
  // plus one), then the edits to the whole name; kFar for a key certainly
  // further than `limit`, so that most keys cost a length comparison.
  using Distance = std::pair<std::size_t, std::size_t>;
  const Distance kFar{SIZE_MAX, SIZE_MAX};
  // Within reach: an acronym, a name containing it, or a name a third of
  // what was typed away (at least two edits: "sdte" is "sdet"). Further
  // than that a name is no suggestion ("nope" is not
  // site-reliability-engineer).
  const Distance kReach{2 + std::max<std::size_t>(2, (typed.size() + 2) / 3), SIZE_MAX};
  auto distance = [&](std::string_view key, const Distance& limit) -> Distance {
    std::string initials;
    bool start = true;
    for (char c : key) {
      if (start && c != ' ') initials += c;
      start = c == ' ';
    }
    std::size_t kind = initials.size() >= 2 && initials == compact ? 0
                       : key.find(typed) != std::string_view::npos ? 1
                                                                   : 2;
    if (kind < 2) {
      if (kind > limit.first) return kFar;
      return {kind,
              detail::edit_distance(typed, key, kind == limit.first ? limit.second : SIZE_MAX)};
    }
    if (limit.first < 2) return kFar;
    const std::size_t most = limit.first - 2;  // the edits that can still place
    std::size_t d = detail::edit_distance(typed, key, most);
    for (std::size_t from = 0; from < key.size() && d >= 2;) {
      std::size_t to = std::min(key.find(' ', from), key.size());
      d = std::min(d, 1 + detail::edit_distance(typed, key.substr(from, to - from), d - 2));
      from = to + 1;
    }
    if (d > most) return kFar;
    return {2 + d, detail::edit_distance(typed, key, d < most ? SIZE_MAX : limit.second)};
  };
  // Each specimen's keys: its slug's words, then its titles and aliases.
  std::vector<std::uint32_t> first(size() + 1, 0), keys(impl_->n_names);
  for (std::size_t n = 0; n < impl_->n_names; ++n) {
    impl_->check(impl_->name_owners + n, 4);
    if (impl_->name_owners[n] < size()) ++first[impl_->name_owners[n] + 1];
  }
  for (std::size_t i = 0; i < size(); ++i) first[i + 1] += first[i];
  {
    std::vector<std::uint32_t> at(first.begin(), first.end() - 1);
    for (std::size_t n = 0; n < impl_->n_names; ++n)
      if (impl_->name_owners[n] < size())
        keys[at[impl_->name_owners[n]]++] = static_cast<std::uint32_t>(n);
  }
  // The k closest, best first; ties by slug, which is index order, so a
  // later specimen must be strictly closer to displace one.
  std::vector<std::pair<Distance, std::size_t>> best;
  for (std::size_t i = 0; i < size(); ++i) {
    const Distance limit = best.size() < k ? kReach : best.back().first;
    std::string slug_words(impl_->slug(i));
    std::replace(slug_words.begin(), slug_words.end(), '-', ' ');
    Distance mine = distance(slug_words, limit);
    for (std::uint32_t n = first[i]; n < first[i + 1]; ++n)
      mine = std::min(mine, distance(impl_->name_key(keys[n]), std::min(limit, mine)));
    if (mine == kFar || (best.size() == k && !(mine < limit))) continue;
    auto at = std::upper_bound(best.begin(), best.end(), std::make_pair(mine, i));
    best.insert(at, {mine, i});
    if (best.size() > k) best.pop_back();
  }
  std::vector<std::string> out;
  for (const auto& [d, i] : best) out.emplace_back(impl_->slug(i));
  return out;
}

TextMatches SimilarityModel::match_text(std::string_view text, std::size_t k) const {
  return impl_->match_text(text, k);
}

std::vector<TermShare> SimilarityModel::explain_text(std::string_view text, std::string_view slug,
                                                     std::size_t n) const {
  const Impl& m = *impl_;
  const std::size_t i = m.index_of(slug);
  Impl::Counts counts;
  const Impl::AdVector ad = m.ad_vector(text, counts);
  detail::SparseVector specimen = m.row(i);
  m.check(m.uni_scale + i, 8);
  for (auto& [t, w] : specimen) w *= m.uni_scale[i];
  std::vector<TermShare> out;
  Impl::add_shares(ad.terms, specimen, m, out);
  for (const auto& [q, w] : ad.pairs) {
    auto [a, b] = m.pair_span(q);
    const std::uint32_t* at =
        std::lower_bound(m.pair_col_idx + a, m.pair_col_idx + b, static_cast<std::uint32_t>(i));
    if (at != m.pair_col_idx + b && *at == i)
      out.push_back({m.pair_name(q), w * m.pair_col_val[at - m.pair_col_idx], 0});
  }
  return Impl::ranked(std::move(out), n);
}

}  // namespace otiose
