// In-process throughput of the work otiose-serve's routes do, on T threads
// sharing one Searcher: the figure the HTTP benchmark (bench/web_bench.py)
// compares wrk's rate against.
//
//   otiose-bench-throughput INDEX MODE INPUTS THREADS SECONDS
//
// MODE is search (INPUTS: one query a line; the /api/search work: 10 hits
// grouped, facets, 3 related each, the JSON contract; search-plain: without
// the facets, search-flat: nor the grouping), specimen (one slug a
// line; the /specimen page's work: the record, 3 related) or match (one
// pasted text a line; /api/match: the 3 best matches). SECONDS 0: one pass
// over the inputs on this thread (deterministic, for callgrind). Prints one
// JSON line.
#include <otiose/search.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "tools/contracts.h"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr
        << "usage: otiose-bench-throughput INDEX search|specimen|match INPUTS THREADS SECONDS\n";
    return 2;
  }
  const std::string mode = argv[2];
  std::vector<std::string> inputs;
  std::ifstream in(argv[3]);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) inputs.push_back(line);
  const int threads = std::stoi(argv[4]);
  const double seconds = std::stod(argv[5]);
  if (inputs.empty() || threads < 1 ||
      (mode != "search" && mode != "search-plain" && mode != "search-flat" && mode != "specimen" &&
       mode != "match")) {
    std::cerr << "otiose-bench-throughput: bad arguments\n";
    return 2;
  }
  otiose::Searcher searcher(argv[1]);
  std::atomic<long> done{0};
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> sink{0};
  const bool once = seconds <= 0;  // one pass over the inputs, for callgrind
  auto work = [&](int t) {
    std::size_t i = static_cast<std::size_t>(t) * 7919;
    while (once ? i < inputs.size() : !stop.load(std::memory_order_relaxed)) {
      const std::string& input = inputs[i++ % inputs.size()];
      otiose::Searcher pinned = searcher.pin();
      std::size_t bytes = 0;
      if (mode == "search" || mode == "search-plain" || mode == "search-flat") {
        otiose::SearchOptions o;
        o.group = mode != "search-flat";
        o.facets = mode == "search";
        bytes = otiose::cli::dump(otiose::cli::search_json(pinned.search(input, o))).size();
      } else if (mode == "specimen") {
        bytes = pinned.get(input).title.size() + pinned.related(input, 3).size();
      } else {
        auto m = pinned.match_text(input, 3);
        bytes = otiose::cli::dump(
                    otiose::cli::related_answer_json({}, {}, m.related, m.confident, nullptr))
                    .size();
      }
      sink += bytes;
      ++done;
    }
  };
  // Warm the caches the server would have warm.
  for (std::size_t i = 0; i < std::min<std::size_t>(inputs.size(), 50); ++i) {
    if (mode.rfind("search", 0) == 0) searcher.search(inputs[i]);
    if (mode == "specimen") searcher.get(inputs[i]);
    if (mode == "match") searcher.match_text(inputs[i], 3);
  }
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  if (once) {
    work(0);
  } else {
    for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
  }
  for (auto& th : pool) th.join();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << nlohmann::json{{"mode", mode},
                              {"threads", threads},
                              {"requests", done.load()},
                              {"requests_per_s", static_cast<double>(done.load()) / elapsed},
                              {"bytes", sink.load()}}
                   .dump()
            << "\n";
}
