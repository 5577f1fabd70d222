// Microbenchmarks (Google Benchmark) of the hot paths over a built index:
// the tokenizer, vectorizing a pasted text and ranking it, reading and
// computing a top-K list, cutting a snippet, opening an index, a search.
//
//   otiose-microbench INDEX [--benchmark_format=json ...]
//
// The texts are the index's own specimens, so sizes match the corpus.
#include <otiose/error.h>
#include <otiose/search.h>
#include <otiose/similarity.h>

#include <benchmark/benchmark.h>
#include <xapian.h>

#include <iostream>
#include <string>
#include <vector>

namespace {

struct Fixture {
  std::string index;
  std::unique_ptr<otiose::Searcher> searcher;
  std::unique_ptr<otiose::SimilarityModel> model;
  std::vector<std::string> slugs;  // a spread of specimens
  std::vector<std::string> texts;  // their prose, as the model sees it
  std::vector<std::string> words;  // a title word of each
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void setup(const std::string& index) {
  Fixture& f = fixture();
  f.index = index;
  f.searcher = std::make_unique<otiose::Searcher>(index);
  f.model = std::make_unique<otiose::SimilarityModel>(f.searcher->generation() + "/model.bin");
  const std::size_t n = f.model->size();
  const std::size_t picks = std::min<std::size_t>(n, 64);
  for (std::size_t i = 0; i < picks; ++i) {
    std::string slug = f.model->slug(i * n / picks);
    otiose::Record r = f.searcher->get(slug);
    f.slugs.push_back(slug);
    f.texts.push_back(otiose::specimen_text(r, f.model->config()));
    auto tokens = otiose::tokenize(r.title);
    f.words.push_back(tokens.empty() ? r.slug : tokens.front());
  }
}

template <typename F>
void cycle(benchmark::State& state, const std::vector<std::string>& inputs, F&& f) {
  std::size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& input = inputs[i++ % inputs.size()];
    bytes += input.size();
    f(input);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void BM_Tokenize(benchmark::State& state) {
  cycle(state, fixture().texts,
        [](const std::string& text) { benchmark::DoNotOptimize(otiose::tokenize(text)); });
}

void BM_VectorizeAndRankText(benchmark::State& state) {
  cycle(state, fixture().texts, [](const std::string& text) {
    benchmark::DoNotOptimize(fixture().model->related_text(text, 10));
  });
}

void BM_TopKStored(benchmark::State& state) {
  cycle(state, fixture().slugs, [](const std::string& slug) {
    benchmark::DoNotOptimize(fixture().model->related(slug, fixture().model->stored_k()));
  });
}

void BM_TopKComputed(benchmark::State& state) {
  cycle(state, fixture().slugs, [](const std::string& slug) {
    benchmark::DoNotOptimize(fixture().model->related(slug, fixture().model->stored_k() + 10));
  });
}

// The snippet call the searcher makes for each hit, on a specimen's text,
// with the Xapian flags given as the argument.
void BM_Snippet(benchmark::State& state) {
  Fixture& f = fixture();
  Xapian::Database db(f.searcher->generation() + "/xapian");
  Xapian::Stem stemmer("english");
  std::vector<Xapian::MSet> msets;
  for (const auto& word : f.words) {
    Xapian::Enquire enquire(db);
    Xapian::QueryParser qp;
    qp.set_stemmer(stemmer);
    qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    qp.set_database(db);
    enquire.set_query(qp.parse_query(word));
    msets.push_back(enquire.get_mset(0, 10));
  }
  std::size_t i = 0, bytes = 0;
  for (auto _ : state) {
    std::size_t k = i++ % f.texts.size();
    bytes += f.texts[k].size();
    benchmark::DoNotOptimize(msets[k].snippet(f.texts[k], 200, stemmer,
                                              static_cast<unsigned>(state.range(0)), "<b>", "</b>",
                                              "\xE2\x80\xA6"));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void BM_OpenIndex(benchmark::State& state) {
  for (auto _ : state) {
    otiose::Searcher s(fixture().index);
    benchmark::DoNotOptimize(s.size());
  }
}

void BM_SearchWithSnippetsAndRelated(benchmark::State& state) {
  cycle(state, fixture().words, [](const std::string& word) {
    benchmark::DoNotOptimize(fixture().searcher->search(word));
  });
}

}  // namespace

BENCHMARK(BM_Tokenize);
BENCHMARK(BM_VectorizeAndRankText);
BENCHMARK(BM_TopKStored);
BENCHMARK(BM_TopKComputed);
// Xapian's snippet flags: 0 is what the searcher uses; 1 adds the
// background model, 2 the exhaustive scan, 3 both.
BENCHMARK(BM_Snippet)->ArgName("flags")->DenseRange(0, 3);
BENCHMARK(BM_OpenIndex)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SearchWithSnippetsAndRelated)->Unit(benchmark::kMicrosecond);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (argc != 2) {
    std::cerr << "usage: otiose-microbench INDEX [--benchmark_* flags]\n";
    return 2;
  }
  try {
    setup(argv[1]);
  } catch (const std::exception& e) {
    std::cerr << "otiose-microbench: " << e.what() << '\n';
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
