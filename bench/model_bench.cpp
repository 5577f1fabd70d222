// The similarity model alone: vectorize and all-pairs top-K over a corpus,
// with time and peak memory. Used by the benchmark runner.
//
//   otiose-bench-model CORPUS [--threads N] [--config tfidf.json]
//
// Prints one JSON line: specimens, terms, nonzeros, vectorize_seconds,
// all_pairs_seconds, all_pairs_bytes, peak_rss_bytes, build_type.
#include <otiose/record.h>
#include <otiose/similarity.h>

#include <nlohmann/json.hpp>

#include <sys/resource.h>
#include <unistd.h>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: otiose-bench-model CORPUS [--threads N] [--config tfidf.json] [--out "
                 "model.bin]\n";
    return 2;
  }
  std::string corpus_path = argv[1];
  std::string config_path = std::string(OTIOSE_SOURCE_DIR) + "/similarity/tfidf.json";
  std::string out = (std::filesystem::temp_directory_path() /
                     ("otiose-bench-" + std::to_string(getpid()) + ".bin"))
                        .string();
  std::string lists;
  unsigned threads = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--threads") == 0)
      threads = static_cast<unsigned>(std::atoi(argv[i + 1]));
    else if (std::strcmp(argv[i], "--config") == 0)
      config_path = argv[i + 1];
    else if (std::strcmp(argv[i], "--out") == 0)
      out = argv[i + 1];
    else if (std::strcmp(argv[i], "--lists") == 0)
      lists = argv[i + 1];
  }
  try {
    auto config = otiose::load_tfidf_config(config_path);
    auto corpus = otiose::load_corpus({corpus_path});
    std::vector<const otiose::Record*> records;
    for (const auto& r : corpus.records) records.push_back(&r.record);
    auto stats = otiose::build_model(records, config, out, threads);
    if (!lists.empty()) {
      // Every specimen's stored top-K, as [slug, [[slug, cosine], ...]] lines.
      otiose::SimilarityModel model(out);
      std::ofstream file(lists);
      for (std::size_t i = 0; i < model.size(); ++i) {
        nlohmann::json row = nlohmann::json::array();
        for (const auto& nb : model.related(model.slug(i), model.stored_k()))
          row.push_back({nb.slug, nb.cosine});
        file << nlohmann::json{model.slug(i), row}.dump() << '\n';
      }
    }
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    nlohmann::json j{{"specimens", stats.specimens},
                     {"terms", stats.terms},
                     {"nonzeros", stats.nonzeros},
                     {"vectorize_seconds", stats.vectorize_seconds},
                     {"all_pairs_seconds", stats.all_pairs_seconds},
                     {"all_pairs_bytes", stats.all_pairs_bytes},
                     {"dense_terms", stats.dense_terms},
                     {"peak_rss_bytes", static_cast<long long>(usage.ru_maxrss) * 1024},
                     {"model", out},
                     {"build_type", OTIOSE_BUILD_TYPE}};
    std::cout << j.dump() << '\n';
  } catch (const std::exception& e) {
    std::cerr << "otiose-bench-model: " << e.what() << '\n';
    return 1;
  }
}
