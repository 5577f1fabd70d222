#include <otiose/error.h>
#include <otiose/record.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "test_util.h"

using otiose::load_corpus;
using otiose::test::TempDir;
using otiose::test::write_file;

namespace {

std::string record(const std::string& slug, const std::string& extra = "") {
  return R"({"slug": ")" + slug + R"(", "title": "T )" + slug + R"(", "tagline": "t")" + extra +
         "}";
}

std::vector<std::string> messages(const otiose::Corpus& c) {
  std::vector<std::string> out;
  for (const auto& d : c.diagnostics) out.push_back(d.to_string());
  return out;
}

}  // namespace

TEST_CASE("a directory is read recursively, in sorted order, *.json only") {
  TempDir dir;
  write_file(dir.path() / "b.json", record("bee"));
  write_file(dir.path() / "sub" / "a.json", record("ant"));
  write_file(dir.path() / "notes.txt", "not a record");
  auto corpus = load_corpus({dir.path().string()});
  REQUIRE(corpus.diagnostics.empty());
  REQUIRE(corpus.records.size() == 2);
  CHECK(corpus.records[0].record.slug == "ant");
  CHECK(corpus.records[1].record.slug == "bee");
  CHECK(corpus.records[0].origin == (dir.path() / "sub" / "a.json").string());
}

TEST_CASE("a duplicate slug names both places") {
  TempDir dir;
  write_file(dir.path() / "one.json", record("sdet"));
  write_file(dir.path() / "two.json", record("sdet"));
  auto corpus = load_corpus({dir.path().string()});
  // Neither is the specimen, whichever sorts first (even with --keep-going).
  CHECK(corpus.records.empty());
  CHECK(corpus.bad_records == 2);
  REQUIRE(corpus.error_count() == 1);
  CHECK(messages(corpus)[0] ==
        (dir.path() / "two.json").string() + ": slug: duplicate slug \"sdet\", also defined at " +
            (dir.path() / "one.json").string() + "; neither record is indexed");
  CHECK_FALSE(corpus.usable());
  otiose::LoadOptions keep;
  keep.keep_going = true;
  write_file(dir.path() / "three.json", record("ant"));
  auto kept = load_corpus({dir.path().string()}, keep);
  REQUIRE(kept.records.size() == 1);
  CHECK(kept.records[0].record.slug == "ant");
}

TEST_CASE("records parsed in parallel batches report in source order, duplicates across batches") {
  // More records than one batch holds (4,096), so some are parsed in the
  // second batch; diagnostics must still follow the lines.
  TempDir dir;
  std::string lines;
  const std::size_t n = 9000;
  for (std::size_t i = 1; i <= n; ++i) {
    if (i % 1000 == 0)
      lines += "{\"slug\": \"broken-" + std::to_string(i) + "\", \n";  // malformed
    else if (i == 8500)
      lines += record("r-10") + "\n";  // line 10's slug again, two batches on
    else
      lines += record("r-" + std::to_string(i)) + "\n";
  }
  write_file(dir.path() / "c.jsonl", lines);
  const std::string file = (dir.path() / "c.jsonl").string();
  auto corpus = load_corpus({file});
  CHECK(corpus.bad_records == 9 + 2);
  CHECK(corpus.records.size() == n - 9 - 2);
  REQUIRE(corpus.error_count() == 10);
  std::vector<std::size_t> lines_reported;
  for (const auto& d : corpus.diagnostics) lines_reported.push_back(d.line);
  CHECK(std::is_sorted(lines_reported.begin(), lines_reported.end()));
  CHECK(corpus.diagnostics[0].line == 1000);
  const auto& dup = corpus.diagnostics[8];
  CHECK(dup.line == 8500);
  CHECK(dup.to_string() == file + ":8500: slug: duplicate slug \"r-10\", also defined at " + file +
                               ":10; neither record is indexed");
  CHECK(std::is_sorted(corpus.records.begin(), corpus.records.end(),
                       [](const auto& a, const auto& b) { return a.record.slug < b.record.slug; }));
}

TEST_CASE("an empty directory is an error, not an empty catalogue") {
  TempDir dir;
  auto corpus = load_corpus({dir.path().string()});
  CHECK(corpus.records.empty());
  REQUIRE(corpus.error_count() == 1);
  CHECK(messages(corpus)[0].find("no *.json records found") != std::string::npos);
}

TEST_CASE("JSON Lines with a bad line in the middle reports it and keeps reading") {
  TempDir dir;
  write_file(dir.path() / "c.jsonl",
             record("one") + "\n\n" + R"({"slug": "two", "title": "T", "tagline": "t", )" +
                 R"("flight_risk": {"percent": "high"}})" + "\n{broken\n" + record("four") + "\n");
  auto corpus = load_corpus({dir / "c.jsonl"});
  REQUIRE(corpus.records.size() == 2);
  CHECK(corpus.records[0].origin == dir / "c.jsonl" + ":5");
  CHECK(corpus.bad_records == 2);
  auto m = messages(corpus);
  REQUIRE(m.size() == 2);
  CHECK(m[0] ==
        dir / "c.jsonl" + ":3: flight_risk.percent: expected an integer 0..100, got \"high\"");
  CHECK(m[1].rfind(dir / "c.jsonl" + ":4:2: malformed JSON: ", 0) == 0);
  CHECK_FALSE(corpus.usable());
}

TEST_CASE("keep_going makes the good records usable, still reporting the bad") {
  std::istringstream in(record("good") + "\n" + record("Bad") + "\n");
  otiose::LoadOptions options;
  options.keep_going = true;
  auto corpus = load_corpus({"-"}, options, &in);
  CHECK(corpus.records.size() == 1);
  CHECK(corpus.error_count() == 1);
  CHECK(corpus.usable());
  CHECK(messages(corpus)[0] == "-:2: slug: expected lower-case words joined by '-', got \"Bad\"");
}

TEST_CASE("a missing source is an I/O error naming it") {
  try {
    load_corpus({"/no/such/corpus"});
    FAIL("expected an exception");
  } catch (const otiose::Error& e) {
    CHECK(e.kind() == otiose::ErrorKind::kIo);
    CHECK(std::string(e.what()) == "/no/such/corpus: no such file or directory");
  }
}

TEST_CASE("the bundled catalogue loads clean") {
  auto corpus = load_corpus({otiose::test::source_path("data")});
  for (const auto& m : messages(corpus)) UNSCOPED_INFO(m);
  CHECK(corpus.diagnostics.empty());
  CHECK(corpus.records.size() >= 1);
}
