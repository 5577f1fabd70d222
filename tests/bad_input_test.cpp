// The bad-input table of tests/README.md, row by row: what a user gets for
// input that is wrong, huge or hostile, from the library and from the tools.
// Every answer is a clear message naming the file, the record and the field
// (or the line and column) and a documented exit code; never a crash, a hang
// or a record accepted that should not be.
#include <otiose/error.h>
#include <otiose/index.h>
#include <otiose/record.h>
#include <otiose/search.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "process.h"
#include "subprocess.h"
#include "test_util.h"

namespace fs = std::filesystem;
using otiose::test::built_tool;
using otiose::test::Outcome;
using otiose::test::run_tool;
using otiose::test::TempDir;

namespace {

otiose::IndexOptions options() {
  otiose::IndexOptions o;
  o.tfidf = otiose::load_tfidf_config(otiose::test::source_path("similarity/tfidf.json"));
  o.synonyms = otiose::load_synonyms(otiose::test::source_path("data/synonyms.txt"));
  o.threads = 1;
  return o;
}

// The bundled catalogue, indexed once for this process.
const std::string& catalogue_index() {
  static TempDir dir;
  static const std::string index = [] {
    auto corpus = otiose::load_corpus({otiose::test::source_path("data")});
    REQUIRE(corpus.error_count() == 0);
    otiose::write_index(corpus.records, dir / "index", options());
    return dir / "index";
  }();
  return index;
}

// The diagnostics of a corpus made of `text` in FILE, as a compiler prints them.
std::vector<std::string> diagnostics(const TempDir& dir, const std::string& file,
                                     const std::string& text) {
  otiose::test::write_file(dir / file, text);
  auto corpus = otiose::load_corpus({dir / file});
  std::vector<std::string> out;
  for (const auto& d : corpus.diagnostics) out.push_back(d.to_string());
  return out;
}

// One record a line: the good one, then the bad one on line 2.
std::string second_line(const std::string& bad) {
  return R"({"slug": "good", "title": "Good", "tagline": "Fine."})"
         "\n" +
         bad + "\n";
}

std::string record_with(const std::string& field_json) {
  return R"({"slug": "bad", "title": "Bad", "tagline": "x", )" + field_json + "}";
}

Outcome index_check(const std::string& source) {
  return run_tool({built_tool("otiose-index"), "--check", source});
}

Outcome search(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {built_tool("otiose-search"), "--index", catalogue_index()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_tool(argv);
}

Outcome related(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {built_tool("otiose-related"), "--index", catalogue_index()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_tool(argv);
}

// The library's error for `f`, as "<kind>: <message>"; "" when it succeeded.
template <typename F>
std::string error_of(F f) {
  try {
    f();
    return "";
  } catch (const otiose::Error& e) {
    return std::string(otiose::to_string(e.kind())) + ": " + e.what();
  }
}

}  // namespace

TEST_CASE("bad input: invalid UTF-8 in a record, a query, a pasted text and a synonyms file") {
  TempDir dir;
  CHECK(diagnostics(dir, "c.jsonl", second_line(record_with("\"habitat\": [\"Caf\xE9\"]"))) ==
        std::vector<std::string>{
            dir / "c.jsonl" +
            ":2:66: malformed JSON: syntax error while parsing value - invalid string: ill-formed "
            "UTF-8 byte; last read: '\"Caf\xEF\xBF\xBD\"'"});
  // --check --json prints it as valid JSON (it used to fail on the byte).
  auto json = run_tool({built_tool("otiose-index"), "--check", "--json", dir / "c.jsonl"});
  CHECK(json.code == 1);
  CHECK(nlohmann::json::parse(json.out)["errors"] == 1);

  otiose::Searcher s(catalogue_index());
  CHECK(error_of([&] { s.search("caf\xE9", {}); }) == "query: the query is not valid UTF-8");
  auto r = search({"caf\xE9"});
  CHECK(r.code == 6);
  CHECK(r.err == "otiose-search: error: the query is not valid UTF-8\n");
  // A pasted text is matched on its valid words; the bad bytes are skipped.
  CHECK_FALSE(s.related_text("customer \xFF\xFE service manager", 3).empty());
  CHECK(related({"--text", "customer \xFF service manager", "--top", "1"}).code == 0);

  otiose::test::write_file(dir / "synonyms.txt", "cx = customer experience\ncaf\xE9 = coffee\n");
  CHECK(error_of([&] { otiose::load_synonyms(dir / "synonyms.txt"); }) ==
        "usage: " + dir / "synonyms.txt" + ":2: expected UTF-8 text");
}

TEST_CASE("bad input: NUL bytes in a record, a query and a pasted text") {
  TempDir dir;
  // A raw NUL: nlohmann's lexer would stop there and drop the rest of the line.
  CHECK(diagnostics(dir, "raw.jsonl",
                    second_line(std::string(R"({"slug": "bad", "title": "Bad", "tagline": "x"})") +
                                '\0' + R"({"slug": "ghost"})")) ==
        std::vector<std::string>{dir / "raw.jsonl" +
                                 ":2:48: malformed JSON: a NUL byte (JSON text never holds one; "
                                 "inside a string, write \\u0000 if you must)"});
  // An escaped one is a control character in the text.
  CHECK(diagnostics(dir, "escaped.json",
                    R"({"slug": "bad", "title": "Bad\u0000", "tagline": "x"})") ==
        std::vector<std::string>{dir / "escaped.json" +
                                 ": title: expected text without control characters, got U+0000 "
                                 "at byte 3"});
  auto check = index_check(dir / "escaped.json");
  CHECK(check.code == 1);

  // The library takes any bytes in a query or a text: NUL is a separator.
  otiose::Searcher s(catalogue_index());
  CHECK(error_of([&] { s.search(std::string("customer\0service", 16), {}); }).empty());
  CHECK_FALSE(s.related_text(std::string("customer\0service manager", 24), 3).empty());
  otiose::test::write_file(dir / "nul.txt", std::string("customer\0service manager", 24));
  CHECK(related({"--file", dir / "nul.txt", "--top", "1"}).code == 0);
}

TEST_CASE("bad input: a 50 MB string in a record, a query and a pasted text") {
  TempDir dir;
  const std::string huge(50'000'000, 'a');
  CHECK(diagnostics(dir, "c.jsonl", second_line(record_with("\"aliases\": [\"" + huge + "\"]"))) ==
        std::vector<std::string>{dir / "c.jsonl" +
                                 ":2: aliases[0]: expected at most 1048576 bytes of text, got "
                                 "50000000 bytes"});
  auto check = index_check(dir / "c.jsonl");
  CHECK(check.code == 1);
  CHECK(check.err.find(dir / "c.jsonl:2: aliases[0]: expected at most 1048576 bytes") == 0);

  otiose::Searcher s(catalogue_index());
  CHECK(error_of([&] { s.search(huge, {}); }) ==
        "query: the query is 50000000 bytes; at most 65536 are accepted");
  // A pasted text of any size is matched (one pass over it).
  std::string text;
  for (int i = 0; i < 300'000; ++i) text += "customer service ";
  CHECK(text.size() > 5'000'000);
  auto top = s.related_text(text, 1);
  REQUIRE(top.size() == 1);
  CHECK(top[0].match > 0);
}

TEST_CASE("bad input: JSON nested 100,000 levels deep in a record and in --config") {
  TempDir dir;
  std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  CHECK(diagnostics(dir, "c.jsonl", second_line(record_with("\"x_deep\": " + deep))) ==
        std::vector<std::string>{dir / "c.jsonl" +
                                 ":2: malformed record: JSON nested 100001 levels deep (at most "
                                 "64)"});
  CHECK(index_check(dir / "c.jsonl").code == 1);

  // The TF-IDF settings file used to crash otiose-index (a recursive dump of
  // the value in the error message).
  otiose::test::write_file(dir / "deep.json", "{\"lowercase\": " + deep + "}");
  CHECK(error_of([&] { otiose::load_tfidf_config(dir / "deep.json"); }) ==
        "usage: " + dir / "deep.json" +
            ": (file): expected a JSON object, got JSON nested 100001 levels deep (at most 16)");
  auto r = run_tool({built_tool("otiose-index"), "--check", "--config", dir / "deep.json",
                     otiose::test::source_path("data")});
  CHECK_FALSE(r.crashed());
  CHECK(r.code == 2);
  CHECK(r.err.find(dir / "deep.json: (file): expected a JSON object, got JSON nested") !=
        std::string::npos);
}

TEST_CASE("bad input: numbers out of range in a record and on the command line") {
  TempDir dir;
  std::string corpus = second_line(record_with(R"("salary": {"average": 1e400})")) +
                       record_with(R"("salary": {"average": 18446744073709551616})") + "\n" +
                       record_with(R"("salary": {"high": 9223372036854775808})") + "\n" +
                       record_with(R"("flight_risk": {"percent": 1000})") + "\n" +
                       record_with(R"("salary": {"low": 1.5})") + "\n";
  CHECK(diagnostics(dir, "c.jsonl", corpus) ==
        std::vector<std::string>{
            dir / "c.jsonl" +
                ":2:71: malformed JSON: number overflow parsing '1e400' (out of range for a "
                "number)",
            dir / "c.jsonl" +
                ":3: salary.average: expected a whole, non-negative yearly amount, got "
                "1.8446744073709552e+19",
            dir / "c.jsonl" + ":4: salary.high: expected a whole, non-negative yearly amount, got "
                              "9223372036854775808",
            dir / "c.jsonl" + ":5: flight_risk.percent: expected an integer 0..100, got 1000",
            dir / "c.jsonl" +
                ":6: salary.low: expected a whole, non-negative yearly amount, got 1.5"});
  // 1e400 used to end the whole run: "[json.exception.out_of_range.406]", no file, exit 5.
  auto check = index_check(dir / "c.jsonl");
  CHECK(check.code == 1);
  CHECK(check.out == "otiose-index: checked 6 records: 5 errors, 0 warnings\n");

  // The tools check their numbers; beyond 64 bits a filter saturates, which
  // still means what it says (no salary is above 2^63 - 1).
  CHECK(search({"x", "--limit", "100000"}).code == 2);
  CHECK(search({"x", "--min-flight-risk", "1000"}).code == 2);
  CHECK(search({"x", "--salary-min", "1e400"}).code == 2);
  CHECK(related({"sdet", "--top", "99999999999999999999"}).code == 2);
  auto above = search({"", "--type", "role", "--salary-min", "99999999999999999999", "--json"});
  CHECK(above.code == 0);
  CHECK(nlohmann::json::parse(above.out)["total"] == 0);
  auto below = search({"", "--type", "role", "--salary-max", "99999999999999999999", "--json"});
  CHECK(below.code == 0);
  CHECK(nlohmann::json::parse(below.out)["total"] == otiose::test::catalogue_size());
}

TEST_CASE("bad input: negative salaries") {
  TempDir dir;
  CHECK(diagnostics(dir, "c.jsonl",
                    second_line(record_with(R"("salary": {"average": -5, "low": -10})"))) ==
        std::vector<std::string>{
            dir / "c.jsonl" +
                ":2: salary.average: expected a whole, non-negative yearly amount, got -5",
            dir / "c.jsonl" +
                ":2: salary.low: expected a whole, non-negative yearly amount, got -10"});
  // As a filter a negative bound is no bound.
  auto r = search({"", "--type", "role", "--salary-min", "-5", "--json"});
  CHECK(r.code == 0);
  CHECK(nlohmann::json::parse(r.out)["total"] == otiose::test::catalogue_size());
}

TEST_CASE("bad input: an empty corpus writes nothing and keeps the old index") {
  TempDir dir;
  std::string index = dir / "index";
  otiose::test::write_file(dir / "one.jsonl",
                           R"({"slug": "kept", "title": "Kept", "tagline": "Still here."})"
                           "\n");
  REQUIRE(run_tool({built_tool("otiose-index"), dir / "one.jsonl", "--index", index}).code == 0);
  std::string generation = fs::read_symlink(fs::path(index) / "current");

  CHECK(error_of([&] { otiose::write_index({}, index, options()); }) ==
        "corpus: no records to index: nothing was written to " + index +
            " (an index needs at least one specimen)");
  // An empty JSON Lines file used to fail with "tfidf config: max_df
  // corresponds to fewer documents than min_df", exit 2.
  otiose::test::write_file(dir / "empty.jsonl", "\n\n");
  auto r = run_tool({built_tool("otiose-index"), dir / "empty.jsonl", "--index", index});
  CHECK(r.code == 1);
  CHECK(r.err ==
        "otiose-index: error: no records in " + dir / "empty.jsonl" + "; nothing was written\n");
  fs::create_directories(dir.path() / "nothing");
  r = run_tool({built_tool("otiose-index"), dir / "nothing", "--index", index});
  CHECK(r.code == 1);
  CHECK(r.err == dir / "nothing" +
                     ": no *.json records found in this directory\n"
                     "otiose-index: error: 1 error; nothing was written (fix them, or pass "
                     "--keep-going)\n");
  CHECK(fs::read_symlink(fs::path(index) / "current") == generation);
  CHECK(otiose::Searcher(index).get("kept").tagline == "Still here.");
}

TEST_CASE("bad input: 100,000 copies of one alias") {
  TempDir dir;
  std::string aliases;
  for (int i = 0; i < 100'000; ++i) aliases += std::string(i ? ", " : "") + "\"Ticket Herder\"";
  std::string record =
      R"({"slug": "herder", "title": "Herder", "tagline": "Herds tickets.", "aliases": [)" +
      aliases + "]}";
  otiose::test::write_file(dir / "c.jsonl", record + "\n");
  // Valid as a record; the linter says it once.
  auto corpus = otiose::load_corpus({dir / "c.jsonl"});
  REQUIRE(corpus.error_count() == 0);
  REQUIRE(corpus.records.at(0).record.aliases->size() == 100'000);
  auto lint = otiose::lint_catalogue(
      corpus.records,
      otiose::load_tfidf_config(otiose::test::source_path("similarity/tfidf.json")));
  std::vector<std::string> alias_warnings;
  for (const auto& d : lint)
    if (d.field.rfind("aliases", 0) == 0) alias_warnings.push_back(d.to_string());
  CHECK(alias_warnings ==
        std::vector<std::string>{
            dir / "c.jsonl" + ":1: warning: aliases[1]: 99999 aliases repeat an earlier alias of "
                              "this record (first: \"Ticket Herder\")"});
  CHECK(index_check(dir / "c.jsonl").code == 0);
  CHECK(run_tool({built_tool("otiose-index"), "--check", "--strict", dir / "c.jsonl"}).code == 1);
  // And it indexes and answers like any record.
  otiose::write_index(corpus.records, dir / "index", options());
  otiose::Searcher s(dir / "index");
  auto hits = s.search("alias:\"ticket herder\"", {});
  REQUIRE(hits.hits.size() == 1);
  CHECK(hits.hits[0].slug == "herder");
}

TEST_CASE("bad input: a 10,000-term query and 1,000 wildcards") {
  otiose::Searcher s(catalogue_index());
  std::string words, wildcards;
  for (int i = 0; i < 10'000; ++i) words += "w" + std::to_string(i) + " ";
  for (int i = 0; i < 1'000; ++i)
    wildcards += std::string(1, static_cast<char>('a' + i % 26)) + "* ";
  // It used to be answered, after a spelling scan a word (seconds); 20,000
  // two-letter words ORed took Xapian's matcher half a minute.
  CHECK(error_of([&] { s.search(words, {}); }) ==
        "query: the query has 10000 words; at most 1000 are accepted (to match a whole text, use "
        "otiose-related --text)");
  CHECK(error_of([&] { s.search(wildcards, {}); }) ==
        "query: the query has 1000 wildcards; at most 100 are accepted");
  auto r = search({words, "--any"});
  CHECK(r.code == 6);
  CHECK(r.err.find("otiose-search: error: the query has 10000 words") == 0);
  // A thousand words is still a query.
  std::string thousand;
  for (int i = 0; i < 1'000; ++i) thousand += (i % 2 ? "customer " : "meetings ");
  otiose::SearchOptions any;
  any.match_any = true;
  CHECK(s.search(thousand, any).total > 0);
}

TEST_CASE("bad input: an unknown field prefix is searched as words") {
  otiose::Searcher s(catalogue_index());
  // Xapian's parser takes "nosuchfield:foo" for the phrase "nosuchfield foo".
  CHECK(error_of([&] { s.search("nosuchfield:foo", {}); }).empty());
  auto r = search({"nosuchfield:foo"});
  CHECK(r.code == 0);
  CHECK(r.out == "no hits for \"nosuchfield:foo\"\n");
  // Xapian's parser is lenient: a field with nothing after it is the word;
  // only what it cannot read at all is an error (exit 6, with its words).
  CHECK(search({"title:("}).code == 0);
  CHECK(search({"AND OR ("}).err ==
        "otiose-search: error: cannot parse the query \"AND OR (\": Syntax: <expression> AND "
        "<expression>\n");
}

TEST_CASE("bad input: a slug with path characters") {
  TempDir dir;
  CHECK(diagnostics(dir, "c.jsonl",
                    second_line(R"({"slug": "../../etc", "title": "T", "tagline": "x"})")) ==
        std::vector<std::string>{
            dir / "c.jsonl" +
            ":2: slug: expected lower-case words joined by '-', got \"../../etc\""});
  otiose::Searcher s(catalogue_index());
  CHECK(error_of([&] { s.get("../../etc"); }) == "not found: no specimen \"../../etc\"");
  auto r = related({"../../etc"});
  CHECK(r.code == 3);
  CHECK(r.err.find("otiose-related: error: no specimen \"../../etc\"; closest: ") == 0);
  // otiose-import makes a slug of the page's title: it cannot name a file
  // outside -o DIR.
  std::string page = otiose::test::seed_page();
  page.replace(0, page.find('\n'), "FILE RECORD: ../../ETC");
  otiose::test::write_file(dir / "page.txt", page);
  fs::create_directories(dir.path() / "out");
  auto imported = run_tool({built_tool("otiose-import"), dir / "page.txt", "-o", dir / "out"});
  CHECK(imported.code == 0);
  std::vector<std::string> written;
  for (const auto& e : fs::recursive_directory_iterator(dir.path()))
    if (e.path().extension() == ".json") written.push_back(e.path().lexically_relative(dir.path()));
  CHECK(written == std::vector<std::string>{"out/etc.json"});
}

TEST_CASE("bad input: a missing index and an empty index directory") {
  TempDir dir;
  std::string missing = dir / "missing", empty = dir / "empty";
  fs::create_directories(empty);
  CHECK(error_of([&] { otiose::Searcher{missing}; }) ==
        "index: no index at " + missing + ": build one with `otiose-index data --index " + missing +
            "`");
  CHECK(error_of([&] { otiose::Searcher{empty}; }) ==
        "index: no index in " + empty + ": build one with `otiose-index data --index " + empty +
            "`");
  for (const auto& index : {missing, empty}) {
    for (const char* tool : {"otiose-search", "otiose-related"}) {
      auto r = run_tool({built_tool(tool), "--index", index, "sdet"});
      INFO(tool << " " << index);
      CHECK(r.code == 4);
      CHECK(r.err.find(std::string(tool) + ": error: no index ") == 0);
      CHECK(r.err.find("build one with `otiose-index data --index " + index + "`") !=
            std::string::npos);
    }
  }
  CHECK_FALSE(fs::exists(missing));  // a reader creates nothing
}

TEST_CASE("bad input: control characters, a 300-byte slug and a 300-byte source") {
  TempDir dir;
  std::string long_slug(300, 'a'), long_source(300, 's');
  std::string corpus =
      second_line(record_with(R"("habitat": ["\u001b[2Jcleared"])")) + R"({"slug": ")" + long_slug +
      R"(", "title": "T", "tagline": "x"})" + "\n" +
      record_with(R"("burn_ward": [{"text": "t", "source": ")" + long_source + R"("}])") + "\n";
  CHECK(diagnostics(dir, "c.jsonl", corpus) ==
        std::vector<std::string>{
            dir / "c.jsonl" +
                ":2: habitat[0]: expected text without control characters, got U+001B at byte 0",
            dir / "c.jsonl" + ":3: slug: expected at most 128 bytes of text, got 300 bytes",
            dir / "c.jsonl" +
                ":4: burn_ward[0].source: expected at most 200 bytes of text, got 300 bytes"});
  // Both used to pass --check and then fail the write with Xapian's "Term
  // too long (> 245)", naming neither the file nor the record.
  auto write = run_tool({built_tool("otiose-index"), dir / "c.jsonl", "--index", dir / "index"});
  CHECK(write.code == 1);
  CHECK_FALSE(fs::exists(dir.path() / "index" / "current"));
}
