// The TF-IDF model: build (vectorize, all-pairs top-K, write) and read (map,
// check, answer).
#include <otiose/error.h>
#include <otiose/similarity.h>

#include <Eigen/SparseCore>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "config_json.h"
#include "model_format.h"

namespace otiose {

namespace detail {

nlohmann::json config_json(const TfidfConfig& c) {
  nlohmann::json j;
  j["lowercase"] = c.lowercase;
  j["token_pattern"] = c.token_pattern;
  j["stop_words"] = c.stop_words;
  j["sublinear_tf"] = c.sublinear_tf;
  j["smooth_idf"] = c.smooth_idf;
  j["norm"] = c.norm;
  j["min_df"] = c.min_df;
  j["min_df_is_count"] = c.min_df_is_count;
  j["max_df"] = c.max_df;
  j["max_df_is_count"] = c.max_df_is_count;
  j["fields"] = c.fields;
  j["top_k"] = c.top_k;
  return j;
}

TfidfConfig config_from_json(const nlohmann::json& j) {
  TfidfConfig c;
  c.lowercase = j.at("lowercase").get<bool>();
  c.token_pattern = j.at("token_pattern").get<std::string>();
  c.stop_words = j.at("stop_words").get<std::vector<std::string>>();
  c.sublinear_tf = j.at("sublinear_tf").get<bool>();
  c.smooth_idf = j.at("smooth_idf").get<bool>();
  c.norm = j.at("norm").get<std::string>();
  c.min_df = j.at("min_df").get<double>();
  c.min_df_is_count = j.at("min_df_is_count").get<bool>();
  c.max_df = j.at("max_df").get<double>();
  c.max_df_is_count = j.at("max_df_is_count").get<bool>();
  c.fields = j.at("fields").get<std::vector<std::string>>();
  c.top_k = j.at("top_k").get<std::size_t>();
  return c;
}

}  // namespace detail

namespace {

using detail::config_from_json;
using detail::config_json;

using RowMatrix = Eigen::SparseMatrix<double, Eigen::RowMajor, std::int64_t>;
using ColMatrix = Eigen::SparseMatrix<double, Eigen::ColMajor, std::int64_t>;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int match_of(double cosine) {
  return static_cast<int>(std::lround(100.0 * cosine));
}

// Best first; equal cosines by position, which is slug order.
struct Scored {
  std::uint32_t index;
  double score;
};
bool better(const Scored& a, const Scored& b) {
  return a.score != b.score ? a.score > b.score : a.index < b.index;
}

// Keeps the k best of `candidates`, sorted.
void keep_best(std::vector<Scored>& candidates, std::size_t k) {
  if (candidates.size() > k) {
    std::nth_element(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(k),
                     candidates.end(), better);
    candidates.resize(k);
  }
  std::sort(candidates.begin(), candidates.end(), better);
}

// Scores one query vector (term, weight) against every specimen through the
// CSC arrays, with a dense accumulator the caller owns (all zero on entry
// and on exit).
template <typename Ptr, typename Idx, typename Val>
void accumulate(const std::vector<std::pair<std::uint32_t, double>>& query, const Ptr* col_ptr,
                const Idx* col_idx, const Val* col_val, std::uint32_t skip,
                std::vector<double>& acc, std::vector<std::uint32_t>& touched,
                std::vector<Scored>& out, std::size_t n_docs) {
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

// Term counts of a text, stop words removed.
std::unordered_map<std::string, std::uint32_t> count_terms(
    std::string_view text, const TfidfConfig& config,
    const std::unordered_set<std::string>& stop_words) {
  std::unordered_map<std::string, std::uint32_t> counts;
  for (auto& token : tokenize(text, config.lowercase))
    if (!stop_words.count(token)) ++counts[std::move(token)];
  return counts;
}

double tf_weight(std::uint32_t count, bool sublinear) {
  return sublinear ? 1.0 + std::log(static_cast<double>(count)) : static_cast<double>(count);
}

// Accumulates the file's sections, then writes it whole.
class ModelWriter {
 public:
  template <typename T>
  void add(detail::SectionId id, const std::vector<T>& values) {
    add(id, values.data(), values.size() * sizeof(T));
  }
  void add(detail::SectionId id, const void* data, std::size_t size) {
    sections_.push_back({id, 0, 0, size});
    auto bytes = static_cast<const unsigned char*>(data);
    blobs_.emplace_back(bytes, bytes + size);
  }

  void write(const std::string& path, std::uint32_t n_docs, std::uint32_t n_terms,
             std::uint64_t nnz, std::uint32_t top_k) {
    detail::Header h{};
    std::memcpy(h.magic, detail::kModelMagic, sizeof h.magic);
    h.version = SimilarityModel::kFormatVersion;
    h.header_size = sizeof(detail::Header);
    h.n_docs = n_docs;
    h.n_terms = n_terms;
    h.nnz = nnz;
    h.top_k = top_k;
    std::vector<unsigned char> body;
    const std::size_t count = sections_.size() + 1;  // and the block sums
    h.section_count = static_cast<std::uint32_t>(count);
    std::size_t table = count * sizeof(detail::Section);
    std::uint64_t offset = align(sizeof(detail::Header) + table);
    for (std::size_t i = 0; i < sections_.size(); ++i) {
      sections_[i].offset = offset;
      offset = align(offset + sections_[i].size);
    }
    const std::uint64_t blocks_offset = offset;
    const std::uint64_t blocks =
        (blocks_offset - sizeof(detail::Header) + detail::kBlockSize - 1) / detail::kBlockSize;
    sections_.push_back({detail::kBlockSums, 0, blocks_offset, blocks * 8});
    offset = blocks_offset + blocks * 8;
    h.file_size = offset;
    body.resize(offset - sizeof(detail::Header), 0);
    std::memcpy(body.data(), sections_.data(), table);
    for (std::size_t i = 0; i < blobs_.size(); ++i)
      if (!blobs_[i].empty())
        std::memcpy(body.data() + (sections_[i].offset - sizeof(detail::Header)), blobs_[i].data(),
                    blobs_[i].size());
    // The block sums, last: over everything before them, the table included.
    std::uint64_t summed = blocks_offset - sizeof(detail::Header);
    std::vector<std::uint64_t> sums((summed + detail::kBlockSize - 1) / detail::kBlockSize);
    for (std::size_t b = 0; b < sums.size(); ++b) {
      std::size_t from = b * detail::kBlockSize;
      sums[b] = detail::checksum(body.data() + from,
                                 std::min<std::size_t>(detail::kBlockSize, summed - from));
    }
    std::memcpy(body.data() + summed, sums.data(), sums.size() * 8);
    h.checksum = detail::checksum(body.data() + summed, sums.size() * 8);

    std::string tmp = path + ".tmp-" + std::to_string(getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Error(ErrorKind::kIo, tmp + ": cannot create: " + std::strerror(errno));
    auto fail = [&](const char* what) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error(ErrorKind::kIo, path + ": " + what + ": " + std::strerror(e));
    };
    auto write_all = [&](const void* data, std::size_t size) {
      auto p = static_cast<const char*>(data);
      while (size > 0) {
        ssize_t n = ::write(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail("cannot write");
        p += n;
        size -= static_cast<std::size_t>(n);
      }
    };
    write_all(&h, sizeof h);
    write_all(body.data(), body.size());
    if (::fsync(fd) != 0) fail("cannot flush");
    if (::close(fd) != 0) {
      ::unlink(tmp.c_str());
      throw Error(ErrorKind::kIo, path + ": cannot close: " + std::strerror(errno));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      int e = errno;
      ::unlink(tmp.c_str());
      throw Error(ErrorKind::kIo, path + ": cannot rename into place: " + std::strerror(e));
    }
  }

 private:
  static std::uint64_t align(std::uint64_t x) { return (x + 7) & ~std::uint64_t{7}; }
  std::vector<detail::Section> sections_;
  std::vector<std::vector<unsigned char>> blobs_;
};

// u32 offsets[n + 1] followed by the strings' bytes.
std::vector<unsigned char> string_table(const std::vector<std::string>& strings) {
  std::vector<std::uint32_t> offsets{0};
  std::string bytes;
  for (const auto& s : strings) {
    bytes += s;
    offsets.push_back(static_cast<std::uint32_t>(bytes.size()));
  }
  std::vector<unsigned char> out(offsets.size() * 4 + bytes.size());
  std::memcpy(out.data(), offsets.data(), offsets.size() * 4);
  std::memcpy(out.data() + offsets.size() * 4, bytes.data(), bytes.size());
  return out;
}

}  // namespace

ModelBuildStats build_model(const std::vector<const Record*>& input, const TfidfConfig& config,
                            const std::string& path, unsigned threads,
                            const std::function<void(std::size_t, std::size_t)>& progress) {
  ModelBuildStats stats;
  auto start = Clock::now();
  std::vector<const Record*> records(input);
  std::sort(records.begin(), records.end(),
            [](const Record* a, const Record* b) { return a->slug < b->slug; });
  const std::size_t n = records.size();
  if (n > std::numeric_limits<std::uint32_t>::max() - 1)
    throw Error(ErrorKind::kUsage, "too many specimens for one model");
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());

  // 1. Term counts per specimen, in parallel.
  std::unordered_set<std::string> stop_words(config.stop_words.begin(), config.stop_words.end());
  std::vector<std::vector<std::pair<std::string, std::uint32_t>>> doc_counts(n);
  {
    std::atomic<std::size_t> next{0};
    auto work = [&] {
      for (std::size_t i; (i = next.fetch_add(1)) < n;) {
        auto counts = count_terms(specimen_text(*records[i], config), config, stop_words);
        doc_counts[i].assign(counts.begin(), counts.end());
      }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
  }

  // 2. Vocabulary: document frequencies, min_df / max_df, sorted terms.
  std::unordered_map<std::string, std::uint32_t> df;
  for (const auto& doc : doc_counts)
    for (const auto& [term, count] : doc) ++df[term];
  double dn = static_cast<double>(n);
  double max_count = config.max_df_is_count ? config.max_df : config.max_df * dn;
  double min_count = config.min_df_is_count ? config.min_df : config.min_df * dn;
  if (max_count < min_count)
    throw Error(ErrorKind::kUsage,
                "tfidf config: max_df corresponds to fewer documents than min_df");
  std::vector<std::string> terms;
  for (const auto& [term, d] : df)
    if (static_cast<double>(d) <= max_count && static_cast<double>(d) >= min_count)
      terms.push_back(term);
  std::sort(terms.begin(), terms.end());
  std::unordered_map<std::string, std::uint32_t> term_index;
  term_index.reserve(terms.size());
  std::vector<double> idf(terms.size());
  for (std::size_t t = 0; t < terms.size(); ++t) {
    term_index.emplace(terms[t], static_cast<std::uint32_t>(t));
    double d = df[terms[t]];
    idf[t] = config.smooth_idf ? std::log((dn + 1.0) / (d + 1.0)) + 1.0 : std::log(dn / d) + 1.0;
  }
  df.clear();

  // 3. The l2-normalised TF-IDF matrix, rows = specimens (Eigen sparse).
  RowMatrix rows(static_cast<std::int64_t>(n), static_cast<std::int64_t>(terms.size()));
  {
    std::vector<std::int64_t> sizes(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::int64_t k = 0;
      for (const auto& [term, count] : doc_counts[i]) k += term_index.count(term);
      sizes[i] = k;
    }
    rows.reserve(sizes);
    std::vector<std::pair<std::uint32_t, double>> row;
    for (std::size_t i = 0; i < n; ++i) {
      row.clear();
      for (const auto& [term, count] : doc_counts[i]) {
        auto it = term_index.find(term);
        if (it != term_index.end())
          row.emplace_back(it->second, tf_weight(count, config.sublinear_tf) * idf[it->second]);
      }
      std::vector<std::pair<std::string, std::uint32_t>>().swap(doc_counts[i]);
      std::sort(row.begin(), row.end());
      double norm = 0;
      for (const auto& [t, w] : row) norm += w * w;
      norm = std::sqrt(norm);
      for (const auto& [t, w] : row)
        rows.insert(static_cast<std::int64_t>(i), t) = norm > 0 ? w / norm : 0.0;
    }
    rows.makeCompressed();
  }
  ColMatrix cols = rows;  // the same matrix by term: the inverted lists
  cols.makeCompressed();
  stats.specimens = n;
  stats.terms = terms.size();
  stats.nonzeros = static_cast<std::size_t>(rows.nonZeros());
  stats.vectorize_seconds = seconds_since(start);

  // 4. All-pairs top-K, in blocks of rows shared out to the threads; never
  // an n x n matrix. The cost of the inverted lists grows with the sum of
  // df^2, so the few terms in a large share of the specimens go through a
  // dense matrix product instead (Eigen's GEMM, for a block of rows against
  // every specimen); the rest through the inverted lists into the same
  // per-row accumulator.
  auto pairs_start = Clock::now();
  const std::size_t k = config.top_k;
  std::vector<std::uint32_t> top_idx(n * k, detail::kNoNeighbour);
  std::vector<double> top_val(n * k, 0.0);
  constexpr std::size_t kDenseMinSpecimens = 2000;  // below this the lists win outright
  constexpr double kDenseShare = 0.15;              // df / n from which a term goes dense
  constexpr std::size_t kMaxDenseTerms = 512;
  std::vector<std::int32_t> dense_slot(terms.size(), -1);
  std::vector<std::uint32_t> dense_terms;
  if (n >= kDenseMinSpecimens) {
    for (std::size_t t = 0; t < terms.size(); ++t) {
      auto df_t = static_cast<double>(cols.outerIndexPtr()[t + 1] - cols.outerIndexPtr()[t]);
      if (df_t >= kDenseShare * dn) dense_terms.push_back(static_cast<std::uint32_t>(t));
    }
    auto df_of = [&](std::uint32_t t) {
      return cols.outerIndexPtr()[t + 1] - cols.outerIndexPtr()[t];
    };
    std::sort(dense_terms.begin(), dense_terms.end(),
              [&](std::uint32_t a, std::uint32_t b) { return df_of(a) > df_of(b); });
    if (dense_terms.size() > kMaxDenseTerms) dense_terms.resize(kMaxDenseTerms);
    for (std::size_t slot = 0; slot < dense_terms.size(); ++slot)
      dense_slot[dense_terms[slot]] = static_cast<std::int32_t>(slot);
  }
  const auto h = static_cast<Eigen::Index>(dense_terms.size());
  using Dense = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Dense dense = Dense::Zero(h > 0 ? static_cast<Eigen::Index>(n) : 0, h);
  ColMatrix pruned;
  const ColMatrix* lists = &cols;  // the inverted lists of the sparse terms
  if (h > 0) {
    for (std::size_t i = 0; i < n; ++i)
      for (RowMatrix::InnerIterator it(rows, static_cast<std::int64_t>(i)); it; ++it)
        if (dense_slot[static_cast<std::size_t>(it.col())] >= 0)
          dense(static_cast<Eigen::Index>(i), dense_slot[static_cast<std::size_t>(it.col())]) =
              it.value();
    pruned = cols;
    pruned.prune([&](const std::int64_t&, const std::int64_t& col, const double&) {
      return dense_slot[static_cast<std::size_t>(col)] < 0;
    });
    lists = &pruned;
  }
  constexpr std::size_t kBlock = 64;
  {
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> done{0};
    std::mutex progress_mutex;
    auto work = [&] {
      std::vector<double> acc(n, 0.0);
      std::vector<std::uint32_t> touched;
      std::vector<Scored> scored;
      std::vector<std::pair<std::uint32_t, double>> query;
      Dense block;
      for (std::size_t begin; (begin = next.fetch_add(kBlock)) < n;) {
        std::size_t end = std::min(n, begin + kBlock);
        if (h > 0)
          block.noalias() = dense.middleRows(static_cast<Eigen::Index>(begin),
                                             static_cast<Eigen::Index>(end - begin)) *
                            dense.transpose();
        for (std::size_t i = begin; i < end; ++i) {
          query.clear();
          for (RowMatrix::InnerIterator it(rows, static_cast<std::int64_t>(i)); it; ++it)
            if (dense_slot[static_cast<std::size_t>(it.col())] < 0)
              query.emplace_back(static_cast<std::uint32_t>(it.col()), it.value());
          if (h == 0) {
            accumulate(query, lists->outerIndexPtr(), lists->innerIndexPtr(), lists->valuePtr(),
                       static_cast<std::uint32_t>(i), acc, touched, scored, n);
          } else {
            // The dense part is the block's row; add the lists, then scan.
            double* row = block.row(static_cast<Eigen::Index>(i - begin)).data();
            const auto* ptr = lists->outerIndexPtr();
            const auto* idx = lists->innerIndexPtr();
            const double* val = lists->valuePtr();
            for (const auto& [term, weight] : query)
              for (auto p = ptr[term]; p < ptr[term + 1]; ++p) row[idx[p]] += weight * val[p];
            scored.clear();
            double floor = 0.0;  // the k-th best so far, once there are k
            for (std::size_t j = 0; j < n; ++j) {
              if (row[j] <= floor || j == i) continue;
              scored.push_back({static_cast<std::uint32_t>(j), row[j]});
              if (scored.size() >= 4 * k + 64) {
                // A later specimen that only ties the k-th best loses on
                // position, so the k-th score is a strict floor.
                keep_best(scored, k);
                floor = scored.size() == k ? scored.back().score : 0.0;
              }
            }
          }
          keep_best(scored, k);
          for (std::size_t r = 0; r < scored.size(); ++r) {
            top_idx[i * k + r] = scored[r].index;
            top_val[i * k + r] = scored[r].score;
          }
        }
        std::size_t now = done.fetch_add(end - begin) + (end - begin);
        if (progress) {
          std::lock_guard<std::mutex> lock(progress_mutex);
          progress(now, n);
        }
      }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
  }
  stats.all_pairs_seconds = seconds_since(pairs_start);
  stats.all_pairs_bytes =
      threads * n *
          (sizeof(double) * (h > 0 ? kBlock : 1) + sizeof(std::uint32_t) + sizeof(Scored)) +
      static_cast<std::size_t>(dense.size()) * sizeof(double) +
      n * k * (sizeof(std::uint32_t) + sizeof(double));
  stats.dense_terms = static_cast<std::size_t>(h);

  // 5. The file.
  ModelWriter w;
  std::string config_text = config_json(config).dump();
  w.add(detail::kConfig, config_text.data(), config_text.size());
  std::vector<std::string> slugs;
  for (const Record* r : records) slugs.push_back(r->slug);
  w.add(detail::kSlugs, string_table(slugs));
  w.add(detail::kTerms, string_table(terms));
  w.add(detail::kIdf, idf);
  auto as_u32 = [](const std::int64_t* p, std::size_t count) {
    std::vector<std::uint32_t> out(count);
    for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<std::uint32_t>(p[i]);
    return out;
  };
  auto as_u64 = [](const std::int64_t* p, std::size_t count) {
    return std::vector<std::uint64_t>(p, p + count);
  };
  std::size_t nnz = stats.nonzeros;
  w.add(detail::kRowPtr, as_u64(rows.outerIndexPtr(), n + 1));
  w.add(detail::kRowIdx, as_u32(rows.innerIndexPtr(), nnz));
  w.add(detail::kRowVal, rows.valuePtr(), nnz * sizeof(double));
  w.add(detail::kColPtr, as_u64(cols.outerIndexPtr(), terms.size() + 1));
  w.add(detail::kColIdx, as_u32(cols.innerIndexPtr(), nnz));
  w.add(detail::kColVal, cols.valuePtr(), nnz * sizeof(double));
  w.add(detail::kTopIdx, top_idx);
  w.add(detail::kTopVal, top_val);
  w.write(path, static_cast<std::uint32_t>(n), static_cast<std::uint32_t>(terms.size()), nnz,
          static_cast<std::uint32_t>(k));
  return stats;
}

struct SimilarityModel::Impl {
  std::string path;
  void* map = MAP_FAILED;
  std::size_t map_size = 0;
  const detail::Header* header = nullptr;
  const unsigned char* base = nullptr;
  std::uint64_t covered = 0;  // bytes after the header that the block sums cover
  const std::uint64_t* block_sums = nullptr;
  std::unique_ptr<std::atomic<bool>[]> verified;  // per block
  const std::uint32_t* slug_offsets = nullptr;
  const char* slug_bytes = nullptr;
  std::uint64_t slug_blob = 0;
  const std::uint32_t* term_offsets = nullptr;
  const char* term_bytes = nullptr;
  std::uint64_t term_blob = 0;
  const double* idf = nullptr;
  const std::uint64_t* row_ptr = nullptr;
  const std::uint32_t* row_idx = nullptr;
  const double* row_val = nullptr;
  const std::uint64_t* col_ptr = nullptr;
  const std::uint32_t* col_idx = nullptr;
  const double* col_val = nullptr;
  const std::uint32_t* top_idx = nullptr;
  const double* top_val = nullptr;
  TfidfConfig config;
  std::unordered_set<std::string> stop_words;

  ~Impl() {
    if (map != MAP_FAILED) ::munmap(map, map_size);
  }

  [[noreturn]] void damaged(const std::string& what) const {
    throw Error(ErrorKind::kModel, path + ": " + what);
  }

  std::size_t n_docs() const { return header->n_docs; }
  std::size_t n_terms() const { return header->n_terms; }

  // Verifies the blocks holding [p, p + size) the first time they are read.
  // Callers keep p within the sections, which open() bounds.
  void check(const void* p, std::size_t size) const {
    if (size == 0) return;
    auto from = static_cast<std::size_t>(static_cast<const unsigned char*>(p) - base) -
                sizeof(detail::Header);
    for (std::size_t b = from / detail::kBlockSize, last = (from + size - 1) / detail::kBlockSize;
         b <= last; ++b) {
      if (verified[b].load(std::memory_order_acquire)) continue;
      std::size_t start = b * detail::kBlockSize;
      std::size_t length = std::min<std::size_t>(detail::kBlockSize, covered - start);
      if (detail::checksum(base + sizeof(detail::Header) + start, length) != block_sums[b])
        damaged("damaged similarity model (checksum mismatch in bytes " +
                std::to_string(sizeof(detail::Header) + start) + "-" +
                std::to_string(sizeof(detail::Header) + start + length) + ")");
      verified[b].store(true, std::memory_order_release);
    }
  }

  std::string_view string_at(const std::uint32_t* offsets, const char* bytes, std::uint64_t blob,
                             std::size_t i) const {
    check(offsets + i, 8);
    std::uint32_t a = offsets[i], b = offsets[i + 1];
    if (b < a || b > blob) damaged("damaged similarity model (string table)");
    check(bytes + a, b - a);
    return {bytes + a, b - a};
  }
  std::string_view slug(std::size_t i) const {
    return string_at(slug_offsets, slug_bytes, slug_blob, i);
  }
  std::string_view term(std::size_t i) const {
    return string_at(term_offsets, term_bytes, term_blob, i);
  }

  // Offsets [a, b) of a CSR row or CSC column, verified, with its indices
  // checked against `limit`.
  std::pair<std::uint64_t, std::uint64_t> span(const std::uint64_t* ptr, const std::uint32_t* idx,
                                               const double* val, std::size_t i,
                                               std::uint64_t limit) const {
    check(ptr + i, 16);
    std::uint64_t a = ptr[i], b = ptr[i + 1];
    if (a > b || b > header->nnz) damaged("damaged similarity model (vector offsets)");
    check(idx + a, (b - a) * 4);
    check(val + a, (b - a) * 8);
    for (auto p = a; p < b; ++p)
      if (idx[p] >= limit) damaged("damaged similarity model (vector indices)");
    return {a, b};
  }

  template <typename Get>
  static std::ptrdiff_t search(std::size_t count, std::string_view key, Get get) {
    std::size_t lo = 0, hi = count;
    while (lo < hi) {
      std::size_t mid = lo + (hi - lo) / 2;
      if (get(mid) < key)
        lo = mid + 1;
      else
        hi = mid;
    }
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

  std::vector<std::pair<std::uint32_t, double>> row(std::size_t i) const {
    std::vector<std::pair<std::uint32_t, double>> out;
    auto [a, b] = span(row_ptr, row_idx, row_val, i, n_terms());
    for (auto p = a; p < b; ++p) out.emplace_back(row_idx[p], row_val[p]);
    return out;
  }

  std::vector<std::pair<std::uint32_t, double>> vectorize(std::string_view text) const {
    std::vector<std::pair<std::uint32_t, double>> v;
    for (const auto& [term, count] : count_terms(text, config, stop_words)) {
      auto t = find_term(term);
      if (t >= 0) check(idf + t, 8);
      if (t >= 0)
        v.emplace_back(static_cast<std::uint32_t>(t),
                       tf_weight(count, config.sublinear_tf) * idf[t]);
    }
    std::sort(v.begin(), v.end());
    double norm = 0;
    for (const auto& [t, w] : v) norm += w * w;
    norm = std::sqrt(norm);
    for (auto& [t, w] : v) w /= norm;
    return v;
  }

  std::vector<Neighbour> top(const std::vector<std::pair<std::uint32_t, double>>& query,
                             std::uint32_t skip, std::size_t k) const {
    std::vector<double> acc(n_docs(), 0.0);
    std::vector<std::uint32_t> touched;
    std::vector<Scored> scored;
    for (const auto& q : query) span(col_ptr, col_idx, col_val, q.first, n_docs());
    accumulate(query, col_ptr, col_idx, col_val, skip, acc, touched, scored, n_docs());
    keep_best(scored, k);
    return to_neighbours(scored);
  }

  std::vector<Neighbour> to_neighbours(const std::vector<Scored>& scored) const {
    std::vector<Neighbour> out;
    for (const auto& s : scored) {
      double c = std::min(1.0, s.score);
      out.push_back({std::string(slug(s.index)), c, match_of(c)});
    }
    return out;
  }

  static std::vector<TermShare> shares(const std::vector<std::pair<std::uint32_t, double>>& a,
                                       const std::vector<std::pair<std::uint32_t, double>>& b,
                                       const Impl& self, std::size_t n) {
    std::vector<TermShare> out;
    double total = 0;
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
      if (a[i].first < b[j].first) {
        ++i;
      } else if (b[j].first < a[i].first) {
        ++j;
      } else {
        double c = a[i].second * b[j].second;
        total += c;
        out.push_back({std::string(self.term(a[i].first)), c, 0});
        ++i;
        ++j;
      }
    }
    for (auto& s : out) s.share = total > 0 ? s.contribution / total : 0;
    std::sort(out.begin(), out.end(), [](const TermShare& x, const TermShare& y) {
      return x.contribution != y.contribution ? x.contribution > y.contribution : x.term < y.term;
    });
    if (out.size() > n) out.resize(n);
    return out;
  }

  void open() {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      throw Error(errno == ENOENT ? ErrorKind::kModel : ErrorKind::kIo,
                  path + ": cannot open the similarity model: " + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      damaged("cannot stat");
    }
    map_size = static_cast<std::size_t>(st.st_size);
    if (map_size < sizeof(detail::Header)) {
      ::close(fd);
      damaged("not a similarity model (truncated: " + std::to_string(map_size) + " bytes)");
    }
    map = ::mmap(nullptr, map_size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (map == MAP_FAILED) damaged(std::string("cannot map: ") + std::strerror(errno));
    base = static_cast<const unsigned char*>(map);
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
    // The block sums, then the table: read before they are verified, so
    // bounds first.
    const detail::Section& sums = table[detail::kBlockSums - 1];
    if (sums.id != detail::kBlockSums || sums.offset % 8 != 0 ||
        sums.offset < sizeof(detail::Header) || sums.offset > map_size ||
        sums.size != map_size - sums.offset)
      damaged("damaged similarity model (block sums)");
    covered = sums.offset - sizeof(detail::Header);
    std::uint64_t blocks = (covered + detail::kBlockSize - 1) / detail::kBlockSize;
    if (sums.size != blocks * 8) damaged("damaged similarity model (block sums)");
    if (detail::checksum(base + sums.offset, sums.size) != header->checksum)
      damaged("damaged similarity model (checksum mismatch in the block sums)");
    block_sums = reinterpret_cast<const std::uint64_t*>(base + sums.offset);
    verified = std::make_unique<std::atomic<bool>[]>(blocks);
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
    auto strings = [&](detail::SectionId id, std::uint64_t count, const std::uint32_t*& offsets,
                       const char*& bytes, std::uint64_t& blob_size) {
      const detail::Section& s = table[id - 1];
      auto p = section(id, UINT64_MAX);
      if ((count + 1) * 4 > s.size) damaged("damaged similarity model (string table)");
      offsets = reinterpret_cast<const std::uint32_t*>(p);
      bytes = reinterpret_cast<const char*>(p + (count + 1) * 4);
      blob_size = s.size - (count + 1) * 4;
      check(offsets, 4);
      if (offsets[0] != 0) damaged("damaged similarity model (string table)");
    };
    auto config_section = section(detail::kConfig, UINT64_MAX);
    check(config_section, table[0].size);
    try {
      config = config_from_json(nlohmann::json::parse(
          std::string_view(reinterpret_cast<const char*>(config_section), table[0].size)));
    } catch (const std::exception&) {
      damaged("damaged similarity model (configuration)");
    }
    stop_words.insert(config.stop_words.begin(), config.stop_words.end());
    strings(detail::kSlugs, n, slug_offsets, slug_bytes, slug_blob);
    strings(detail::kTerms, t, term_offsets, term_bytes, term_blob);
    idf = reinterpret_cast<const double*>(section(detail::kIdf, t * 8));
    row_ptr = reinterpret_cast<const std::uint64_t*>(section(detail::kRowPtr, (n + 1) * 8));
    row_idx = reinterpret_cast<const std::uint32_t*>(section(detail::kRowIdx, nnz * 4));
    row_val = reinterpret_cast<const double*>(section(detail::kRowVal, nnz * 8));
    col_ptr = reinterpret_cast<const std::uint64_t*>(section(detail::kColPtr, (t + 1) * 8));
    col_idx = reinterpret_cast<const std::uint32_t*>(section(detail::kColIdx, nnz * 4));
    col_val = reinterpret_cast<const double*>(section(detail::kColVal, nnz * 8));
    top_idx = reinterpret_cast<const std::uint32_t*>(section(detail::kTopIdx, n * k * 4));
    top_val = reinterpret_cast<const double*>(section(detail::kTopVal, n * k * 8));
  }
};

SimilarityModel::SimilarityModel(const std::string& path) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->open();
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
const std::string& SimilarityModel::path() const {
  return impl_->path;
}
const TfidfConfig& SimilarityModel::config() const {
  return impl_->config;
}

void SimilarityModel::verify() const {
  impl_->check(impl_->base + sizeof(detail::Header), impl_->covered);
}

std::ptrdiff_t SimilarityModel::find(std::string_view slug) const {
  return impl_->find_slug(slug);
}
std::string SimilarityModel::slug(std::size_t index) const {
  if (index >= size()) throw Error(ErrorKind::kUsage, "specimen index out of range");
  return std::string(impl_->slug(index));
}

std::vector<Neighbour> SimilarityModel::related(std::string_view slug, std::size_t k) const {
  std::size_t i = impl_->index_of(slug);
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

std::vector<TermShare> SimilarityModel::explain_text(std::string_view text, std::string_view slug,
                                                     std::size_t n) const {
  return Impl::shares(impl_->vectorize(text), impl_->row(impl_->index_of(slug)), *impl_, n);
}

}  // namespace otiose
