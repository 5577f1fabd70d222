// Readers in threads and in processes while a writer re-indexes over and over:
// every answer comes from one version of the corpus, no reader ever errors,
// and a second writer is turned away.
#include <otiose/error.h>
#include <otiose/index.h>
#include <otiose/search.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "process.h"
#include "subprocess.h"
#include "test_util.h"

using otiose::test::TempDir;

namespace {

// Both corpora hold the same specimens with the same text; every title starts
// with its version, so each title says which corpus it came from.
constexpr std::size_t kSpecimens = 100;
const char* const kVersions[] = {"VersionA", "VersionB"};

// 'A' or 'B' for a title, '?' for anything else.
char version_of(const std::string& title) {
  if (title.rfind("VersionA ", 0) == 0) return 'A';
  if (title.rfind("VersionB ", 0) == 0) return 'B';
  return '?';
}

// Collects the versions one answer shows; an answer is good when it shows
// exactly one.
struct Versions {
  std::set<char> seen;
  void add(const std::string& title) { seen.insert(version_of(title)); }
  bool one() const { return seen.size() == 1 && *seen.begin() != '?'; }
  std::string text() const { return std::string(seen.begin(), seen.end()); }
};

otiose::IndexOptions options() {
  otiose::IndexOptions o;
  o.tfidf = otiose::load_tfidf_config(otiose::test::source_path("similarity/tfidf.json"));
  o.threads = 1;  // the machine is shared with the readers
  return o;
}

std::vector<otiose::LoadedRecord> load(const std::string& path) {
  auto corpus = otiose::load_corpus({path});
  REQUIRE(corpus.error_count() == 0);
  REQUIRE(corpus.records.size() == kSpecimens);
  return corpus.records;
}

// A reader process: otiose-search and otiose-related in turn, each answer
// kept in OUT/<kind>.<i>.{json,err,rc}, until STOP exists (at least MIN
// rounds, at most MAX).
std::string reader_script(const std::string& index, const std::string& out, const std::string& stop,
                          int min, int max) {
  std::string script = R"(i=0
while [ $i -lt MAX ]; do
  if [ -e STOP ] && [ $i -ge MIN ]; then break; fi
  SEARCH --index INDEX 'synergy roadmap' --limit 20 --related 5 --json >OUT/search.$i.json 2>OUT/search.$i.err
  echo $? >OUT/search.$i.rc
  RELATED --index INDEX gen-7 --top 10 --explain --explain-terms 100 --json >OUT/related.$i.json 2>OUT/related.$i.err
  echo $? >OUT/related.$i.rc
  i=$((i+1))
done
)";
  const std::pair<std::string, std::string> values[] = {
      {"SEARCH", otiose::test::built_tool("otiose-search")},
      {"RELATED", otiose::test::built_tool("otiose-related")},
      {"INDEX", index},
      {"OUT", out},
      {"STOP", stop},
      {"MIN", std::to_string(min)},
      {"MAX", std::to_string(max)}};
  for (const auto& [name, value] : values)
    for (std::size_t at = 0; (at = script.find(name, at)) != std::string::npos; at += value.size())
      script.replace(at, name.size(), value);
  return script;
}

}  // namespace

TEST_CASE("readers in threads and processes see one version per answer while a writer re-indexes") {
  TempDir dir;
  std::string index = dir / "index", stop = dir / "STOP";
  std::string corpus_path[2] = {dir / "a.jsonl", dir / "b.jsonl"};
  for (int v = 0; v < 2; ++v)
    otiose::test::write_file(corpus_path[v],
                             otiose::test::generated_corpus(kSpecimens, kVersions[v]));
  std::vector<otiose::LoadedRecord> corpus[2] = {load(corpus_path[0]), load(corpus_path[1])};
  otiose::write_index(corpus[0], index, options());
  otiose::Searcher searcher(index);

  std::atomic<bool> writer_done{false};
  std::mutex problems_mutex;
  std::vector<std::string> problems;
  auto problem = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(problems_mutex);
    if (problems.size() < 20) problems.push_back(what);
  };
  std::atomic<int> answers{0};
  std::set<char> seen_versions;  // guarded by problems_mutex

  // Reader threads: one Searcher shared by all (it is thread-safe).
  constexpr int kMinRounds = 5, kMaxRounds = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kMaxRounds && (!writer_done || round < kMinRounds); ++round) {
        try {
          Versions v;
          std::string what;
          switch ((round + t) % 3) {
            case 0: {
              what = "search";
              otiose::SearchOptions o;
              o.limit = 20;
              o.related = 5;
              auto r = searcher.search("synergy roadmap", o);
              if (r.hits.empty()) problem("search: no hits");
              for (const auto& h : r.hits) {
                v.add(h.title);
                for (const auto& rel : h.related) v.add(rel.title);
              }
              break;
            }
            case 1: {
              what = "related";
              auto r = searcher.related("gen-7", 10);
              if (r.size() != 10) problem("related: " + std::to_string(r.size()) + " specimens");
              for (const auto& rel : r) v.add(rel.title);
              break;
            }
            default: {
              what = "related_text";
              auto r = searcher.related_text("synergy roadmap stakeholder budget", 10);
              if (r.size() != 10) problem("related_text: " + std::to_string(r.size()));
              for (const auto& rel : r) v.add(rel.title);
            }
          }
          if (!v.one()) problem(what + " mixed versions " + v.text());
          std::lock_guard<std::mutex> lock(problems_mutex);
          seen_versions.insert(v.seen.begin(), v.seen.end());
          ++answers;
        } catch (const std::exception& e) {
          problem(std::string("thread reader: ") + e.what());
        }
      }
    });
  }

  // Reader processes.
  std::vector<pid_t> processes;
  for (int p = 0; p < 2; ++p) {
    std::string out = dir / ("proc" + std::to_string(p));
    std::filesystem::create_directories(out);
    processes.push_back(
        otiose::test::spawn({"/bin/sh", "-c", reader_script(index, out, stop, 3, 400)}));
  }

  // The writer: the other version each round, now and then from scratch. In
  // round 1, while it holds the lock, a second writer (a process, then this
  // process again) must be turned away naming it.
  constexpr int kRounds = 6;
  otiose::test::Ran second_process;
  std::string second_in_process;
  for (int round = 1; round <= kRounds; ++round) {
    auto o = options();
    o.rebuild = round % 4 == 0;
    bool tried = false;
    if (round == 1) {
      o.progress = [&](std::string_view, std::size_t, std::size_t) {
        if (tried) return;
        tried = true;
        second_process =
            otiose::test::run_command(otiose::test::built_tool("otiose-index") + " " +
                                      corpus_path[0] + " --index " + index + " --quiet");
        try {
          otiose::write_index(corpus[0], index, options());
        } catch (const otiose::Error& e) {
          second_in_process = e.what();
        }
      };
    }
    auto report = otiose::write_index(corpus[round % 2], index, o);
    CHECK(report.written);
    if (round == 1) CHECK(tried);
  }
  writer_done = true;
  otiose::test::write_file(stop, "");
  for (auto& t : threads) t.join();
  std::vector<otiose::test::Ended> ended;
  for (pid_t pid : processes) ended.push_back(otiose::test::wait_for(pid));

  std::string me = std::to_string(::getpid());
  INFO(second_process.err);
  CHECK(second_process.status == 4);
  CHECK(second_process.err == "otiose-index: error: index " + index + " is locked by PID " + me +
                                  " (another otiose-index is writing it); try again when it is "
                                  "done\n");
  CHECK(second_in_process == "index " + index + " is locked by PID " + me +
                                 " (another otiose-index is writing it); try again when it is "
                                 "done");

  for (const auto& p : problems) UNSCOPED_INFO(p);
  CHECK(problems.empty());
  CHECK(answers > 0);

  // What the processes answered.
  int process_answers = 0;
  for (int p = 0; p < 2; ++p) {
    INFO("reader process " << p);
    CHECK_FALSE(ended[static_cast<std::size_t>(p)].crashed());
    CHECK(ended[static_cast<std::size_t>(p)].code == 0);
    std::string out = dir / ("proc" + std::to_string(p));
    for (int i = 0;; ++i) {
      std::string n = std::to_string(i);
      if (!std::filesystem::exists(out + "/related." + n + ".rc")) break;
      for (const char* kind : {"search", "related"}) {
        std::string base = out + "/" + kind + "." + n;
        std::string rc(otiose::test::read_file(base + ".rc"));
        INFO(base << ": exit " << rc << otiose::test::read_file(base + ".err"));
        REQUIRE(rc == "0\n");
        auto j = nlohmann::json::parse(otiose::test::read_file(base + ".json"));
        Versions v;
        if (std::string(kind) == "search") {
          CHECK_FALSE(j["hits"].empty());
          for (const auto& h : j["hits"]) {
            v.add(h["title"]);
            for (const auto& r : h["related"]) v.add(r["title"]);
          }
        } else {
          v.add(j["title"]);
          CHECK(j["related"].size() == 10);
          for (const auto& r : j["related"]) {
            v.add(r["title"]);
            // The version is a word of every title, so it is one of the
            // shared terms an explanation lists.
            for (const auto& term : r["explain"]) {
              if (term["term"] == "versiona") v.seen.insert('A');
              if (term["term"] == "versionb") v.seen.insert('B');
            }
          }
        }
        INFO(j.dump());
        CHECK(v.one());
        seen_versions.insert(v.seen.begin(), v.seen.end());
        ++process_answers;
      }
    }
  }
  CHECK(process_answers > 0);
  // Both versions were current at some point while readers read.
  CHECK(seen_versions.count('A') == 1);
  CHECK(seen_versions.count('B') == 1);
}
