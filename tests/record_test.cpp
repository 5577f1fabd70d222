#include <otiose/record.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "indexer/fast_record.h"
#include "test_util.h"

using otiose::Diagnostic;
using otiose::parse_record;

namespace {

// A record with every field of SCHEMA.md set.
std::string full_record() {
  return R"({
  "slug": "sdet",
  "title": "SDET",
  "tagline": "Automates the obvious.",
  "aliases": ["Software Development Engineer in Test", "Automation Engineer"],
  "org_chart": {"summary": "Under QA.", "reports_to": ["QA Manager"], "manages": []},
  "habitat": ["SaaS", "Banks"],
  "salary": {"average": 120000, "low": 90000, "high": 160000, "currency": "USD",
             "note": "A note.", "quote": "A quote."},
  "flight_risk": {"percent": 60, "label": "HIGH RISK", "diagnosis": "Flaky."},
  "metrics": [{"name": "Coverage", "description": "Lines touched."}],
  "weaponry": [{"name": "Selenium Grid", "description": "Browsers."}],
  "survival": [{"when": "IF ENGAGED", "advice": "Blame the environment."}],
  "jd_autopsy": [{"illusion": "Build frameworks.", "source": null, "translation": "Retry loops."},
                 {"illusion": "Own quality.", "source": "acme.example", "translation": "Own blame."}],
  "day_log": [{"start": "09:00", "end": "10:00", "title": "Standup", "description": "Red builds."}],
  "burn_ward": [{"text": "Everything is flaky.", "source": null},
                {"text": "I retry for a living.", "source": "teamblind.com"}],
  "related": [{"title": "QA Manager", "slug": "qa-manager", "match": 84, "tagline": "Signs off."}],
  "x_custom": {"kept": [1, 2, 3]}
})";
}

// Parses `text` and returns the "field: message" of its first error.
std::string first_error(const std::string& text) {
  auto parsed = parse_record(text, "t.json");
  for (const auto& d : parsed.diagnostics)
    if (d.is_error()) return d.field;
  return "<no error>";
}

std::string with(const std::string& key, const std::string& value) {
  auto j = nlohmann::json::parse(full_record());
  j[key] = nlohmann::json::parse(value);
  return j.dump();
}

std::string without(const std::string& key) {
  auto j = nlohmann::json::parse(full_record());
  j.erase(key);
  return j.dump();
}

// Each broken field, by its key, the value that breaks it, and the path
// parse_record reports.
struct BrokenField {
  const char* key;
  const char* value;
  const char* field;
};
const BrokenField kBrokenFields[] = {
    {"slug", R"("Ceo")", "slug"},
    {"slug", R"("../../etc")", "slug"},
    {"slug", "42", "slug"},
    {"title", R"("   ")", "title"},
    {"aliases", R"("one")", "aliases"},
    {"aliases", R"(["ok", 7])", "aliases[1]"},
    {"org_chart", R"({"reports_to": "boss"})", "org_chart.reports_to"},
    {"habitat", R"([""])", "habitat[0]"},
    {"salary", R"({"average": -5})", "salary.average"},
    {"salary", R"({"average": 1.5})", "salary.average"},
    {"salary", R"({"average": 1e300})", "salary.average"},
    {"salary", R"({"low": 200, "high": 100})", "salary.low"},
    {"salary", R"({"average": 50, "low": 100, "high": 200})", "salary.average"},
    {"salary", R"({"currency": "dollars"})", "salary.currency"},
    {"flight_risk", R"({"percent": 140})", "flight_risk.percent"},
    {"flight_risk", R"({"percent": -1})", "flight_risk.percent"},
    {"metrics", R"([{"name": "x"}])", "metrics[0].description"},
    {"weaponry", R"([{"name": 1, "description": "d"}])", "weaponry[0].name"},
    {"survival", R"([{"when": "IF", "advice": null}])", "survival[0].advice"},
    {"jd_autopsy", R"([{"illusion": "i"}])", "jd_autopsy[0].translation"},
    {"jd_autopsy", R"([{"illusion": "i", "translation": "t", "source": 3}])",
     "jd_autopsy[0].source"},
    {"day_log", R"([{"start": "9am", "end": "10:00", "title": "t", "description": "d"}])",
     "day_log[0].start"},
    {"day_log", R"([{"start": "11:00", "end": "10:00", "title": "t", "description": "d"}])",
     "day_log[0].end"},
    {"burn_ward", R"([{"source": "x"}])", "burn_ward[0].text"},
    {"related", R"([{"title": "T", "slug": "t", "match": 101}])", "related[0].match"},
    {"related", R"([{"title": "T", "slug": "sdet", "match": 50}])", "related[0].slug"},
    {"related", R"([{"title": "T", "slug": "Bad Slug", "match": 50}])", "related[0].slug"},
};

}  // namespace

TEST_CASE("every field round-trips through JSON") {
  auto parsed = parse_record(full_record(), "full.json");
  REQUIRE(parsed.record);
  const auto& r = *parsed.record;
  CHECK(r.slug == "sdet");
  CHECK(r.aliases->size() == 2);
  CHECK(r.org_chart->reports_to == std::vector<std::string>{"QA Manager"});
  CHECK(r.salary->average == 120000);
  CHECK(r.salary->currency == "USD");
  CHECK(r.flight_risk->percent == 60);
  CHECK((*r.jd_autopsy)[0].source == std::nullopt);
  CHECK((*r.jd_autopsy)[1].source == "acme.example");
  CHECK((*r.burn_ward)[1].source == "teamblind.com");
  CHECK((*r.related)[0].match == 84);
  CHECK(r.extra.at("x_custom") == R"({"kept":[1,2,3]})");

  for (int indent : {-1, 2}) {
    std::string text = otiose::to_json(r, indent);
    auto again = parse_record(text, "again.json");
    REQUIRE(again.record);
    CHECK(*again.record == r);
    CHECK(otiose::to_json(*again.record, indent) == text);
  }
  // The JSON itself is the same document, key for key.
  CHECK(nlohmann::json::parse(otiose::to_json(r)) == nlohmann::json::parse(full_record()));
}

TEST_CASE("compact JSON is the bytes nlohmann's dump writes, for every field and odd text") {
  // to_json(r, -1) writes compact JSON itself; the pretty form is built by
  // nlohmann, so parsing it and dumping it compact is nlohmann's answer.
  auto nlohmann_compact = [](const otiose::Record& r) {
    return nlohmann::ordered_json::parse(otiose::to_json(r, 2))
        .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  };
  auto parsed = parse_record(full_record(), "full.json");
  REQUIRE(parsed.record);
  otiose::Record r = *parsed.record;
  CHECK(otiose::to_json(r, -1) == nlohmann_compact(r));  // extra keys: nlohmann's path
  r.extra.clear();
  CHECK(otiose::to_json(r, -1) == nlohmann_compact(r));
  // Every control character, quotes, backslashes, DEL, slashes, and
  // multi-byte UTF-8 (passed through, not escaped).
  std::string odd = "say \"hi\" \\ / \x7f caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 ";
  for (char c = 1; c < 0x20; ++c) odd += c;
  r.title = odd;
  (*r.aliases)[1] = odd + "\n";
  r.salary->low = -5;
  r.salary->note.reset();
  r.org_chart->summary.reset();
  r.org_chart->manages = {"", odd};
  (*r.burn_ward)[0].text = odd;
  r.related->front().tagline = "";
  CHECK(otiose::to_json(r, -1) == nlohmann_compact(r));
  // Empty sections, and sections absent.
  r.metrics->clear();
  r.habitat.reset();
  r.flight_risk = otiose::FlightRisk{};
  r.day_log.reset();
  CHECK(otiose::to_json(r, -1) == nlohmann_compact(r));
  // Invalid UTF-8 (a programmatic record): replaced, as nlohmann does.
  r.tagline = "bad \xff\xfe byte";
  CHECK(otiose::to_json(r, -1) == nlohmann_compact(r));
  CHECK(otiose::to_json(r, -1).find("\xef\xbf\xbd") != std::string::npos);
}

TEST_CASE("an unknown top-level field is a warning, not an error") {
  auto parsed = parse_record(full_record(), "full.json");
  REQUIRE(parsed.record);
  REQUIRE(parsed.diagnostics.size() == 1);
  CHECK(parsed.diagnostics[0].severity == Diagnostic::Severity::kWarning);
  CHECK(parsed.diagnostics[0].to_string() ==
        "full.json: warning: x_custom: unknown top-level field (kept for the round trip)");
}

TEST_CASE("validation names the file, the field and what was found") {
  auto parsed = parse_record(with("flight_risk", R"({"percent": "high"})"), "data/roles/sdet.json");
  REQUIRE_FALSE(parsed.record);
  REQUIRE(parsed.diagnostics.size() == 2);  // and the x_custom warning
  CHECK(parsed.diagnostics[1].to_string() ==
        "data/roles/sdet.json: flight_risk.percent: expected an integer 0..100, got \"high\"");
}

TEST_CASE("each broken field is reported at its path") {
  struct Case {
    std::string text;
    std::string field;
  };
  std::vector<Case> cases = {
      {without("slug"), "slug"},
      {without("title"), "title"},
      {without("tagline"), "tagline"},
      {"[1, 2]", ""},
  };
  for (const auto& b : kBrokenFields) cases.push_back({with(b.key, b.value), b.field});
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(first_error(c.text) == c.field);
  }
}

TEST_CASE("every problem of a record is reported in one pass") {
  auto j = nlohmann::json::parse(full_record());
  j["slug"] = "Bad Slug";
  j["flight_risk"]["percent"] = 500;
  j["salary"]["average"] = "lots";
  auto parsed = parse_record(j.dump(), "many.json");
  REQUIRE_FALSE(parsed.record);
  int errors = 0;
  for (const auto& d : parsed.diagnostics) errors += d.is_error();
  CHECK(errors == 3);
}

TEST_CASE("malformed JSON names the line and column") {
  auto parsed = parse_record("{\n  \"slug\": \"a\",\n  \"title\" \"b\"\n}", "bad.json");
  REQUIRE_FALSE(parsed.record);
  REQUIRE(parsed.diagnostics.size() == 1);
  const auto& d = parsed.diagnostics[0];
  CHECK(d.file == "bad.json");
  CHECK(d.line == 3);
  CHECK(d.column == 13);  // where the parser met the stray string
  CHECK(d.to_string().rfind("bad.json:3:13: malformed JSON: ", 0) == 0);
}

TEST_CASE("hostile input is refused with a message, not a crash") {
  CHECK_FALSE(parse_record(std::string(100000, '['), "deep.json").record);
  CHECK_FALSE(parse_record("", "empty.json").record);
  CHECK_FALSE(parse_record(std::string("{\"slug\":\"a\0b\"}", 14), "nul.json").record);
  auto bad_utf8 = with("title", "\"x\"");
  bad_utf8.replace(bad_utf8.find("\"x\""), 3, "\"\xff\xfe\"");
  auto parsed = parse_record(bad_utf8, "utf8.json");
  CHECK_FALSE(parsed.record);
}

TEST_CASE("quotes are numbered per kind in record order") {
  auto parsed = parse_record(full_record(), "full.json");
  REQUIRE(parsed.record);
  auto q = otiose::quotes(*parsed.record);
  std::vector<std::string> ids;
  for (const auto& x : q) ids.push_back(x.id);
  CHECK(ids == std::vector<std::string>{"sdet#complaint-1", "sdet#complaint-2", "sdet#illusion-1",
                                        "sdet#illusion-2", "sdet#translation-1",
                                        "sdet#translation-2", "sdet#salary-1", "sdet#diagnosis-1"});
  CHECK(q[1].source == "teamblind.com");
  CHECK(q[3].source == "acme.example");
  CHECK(q[4].source == std::nullopt);
}

namespace {

// The record as the corpus loader reads it (simdjson first) and as
// parse_record does (nlohmann), and every diagnostic of each.
void same_both_ways(const std::string& text) {
  INFO(text);
  auto fast = otiose::detail::parse_corpus_record(text, "c.jsonl", 12);
  auto slow = parse_record(text, "c.jsonl", 12);
  CHECK(fast.record == slow.record);
  std::vector<std::string> a, b;
  for (const auto& d : fast.diagnostics) a.push_back(d.to_string());
  for (const auto& d : slow.diagnostics) b.push_back(d.to_string());
  CHECK(a == b);
}

// full_record() without the field parse_record warns about.
std::string plain_record() {
  auto j = nlohmann::json::parse(full_record());
  j.erase("x_custom");
  return j.dump();
}

// plain_record() with `key` set to `value`.
std::string plain_with(const std::string& key, const std::string& value) {
  auto j = nlohmann::json::parse(plain_record());
  j[key] = nlohmann::json::parse(value);
  return j.dump();
}

}  // namespace

TEST_CASE("the corpus's fast reader takes every plain record and reads it as parse_record does") {
  // The fast path must be taken (it is what makes a corpus load fast) ...
  auto plain = otiose::detail::read_plain_record(plain_record());
  REQUIRE(plain);
  CHECK(*plain == *parse_record(plain_record()).record);
  for (const auto& e :
       std::filesystem::directory_iterator(otiose::test::source_path("data/roles"))) {
    if (e.path().extension() != ".json") continue;
    INFO(e.path());
    std::string text = otiose::test::read_file(e.path().string());
    CHECK(otiose::detail::read_plain_record(text));
    same_both_ways(text);
  }
  auto pretty = nlohmann::json::parse(plain_record()).dump(2);
  CHECK(otiose::detail::read_plain_record(pretty));
  same_both_ways(pretty);
  // ... and give way to parse_record for whatever that has anything to say
  // about, or reads in its own way.
  const std::string odd[] = {
      full_record(),  // an unknown field: a warning and a kept value
      R"({"slug": "a", "slug": "b", "title": "T", "tagline": "t"})",  // nlohmann keeps the last
      R"({"slug": "a", "title": "T", "tagline": "t", "aliases": ["x"], "aliases": []})",
      R"({"slug": "a", "title": "T", "tagline": "t\u0000"})",
      R"({"slug": "a", "title": "T", "tagline": "t\ud800"})",
      R"({"slug": "a", "title": "T", "tagline": "tab\there\nand\r\u00e9"})",
      "{\"slug\": \"a\", \"title\": \"T\", \"tagline\": \"raw\ttab\"}",
      "{\"slug\": \"a\", \"title\": \"T\", \"tagline\": \"t\"} trailing",
      "\xef\xbb\xbf{\"slug\": \"a\", \"title\": \"T\", \"tagline\": \"t\"}",
      R"({"slug": "a", "title": "T", "tagline": "t", "flight_risk": {"percent": -0}})",
      R"({"slug": "a", "title": "T", "tagline": "t", "flight_risk": {"percent": 100.0}})",
      R"({"slug": "a", "title": "T", "tagline": "t", "flight_risk": {"percent": null}})",
      R"({"slug": "a", "title": "T", "tagline": "t", "salary": {"high": 9223372036854775807}})",
      R"({"slug": "a", "title": "T", "tagline": "t", "salary": {"high": 9223372036854775808}})",
      R"({"slug": "a", "title": "T", "tagline": "t", "salary": {"high": 18446744073709551616}})",
      R"({"slug": "a", "title": "T", "tagline": "t", "salary": {"currency": "usd"}})",
      R"({"slug": "a", "title": "T", "tagline": "t", "salary": {"currency": null, "note": null}})",
      R"({"slug": "a", "title": "T", "tagline": "t", "org_chart": {"summary": null}})",
      R"({"slug": "a", "title": "T", "tagline": "t", "org_chart": null})",
      R"({"slug": "a", "title": "T", "tagline": "t", "aliases": null})",
      R"({"slug": "a", "title": "T", "tagline": "t", "related": [{"title": "R", "slug": "r", "match": 5, "tagline": null}]})",
      R"({"slug": "a", "title": "T", "tagline": "t", "related": [{"title": "R", "slug": "r", "match": 5, "tagline": ""}]})",
      R"({"slug": "a", "title": "T", "tagline": "t", "related": [{"title": "R", "slug": "a", "match": 5}]})",
      R"({"slug": "a", "title": "T", "tagline": "t", "day_log": [{"start": "24:00", "end": "24:00", "title": "x", "description": "y"}]})",
      R"({"slug": "a", "title": "T", "tagline": "t", "day_log": [{"start": "10:00", "end": "09:59", "title": "x", "description": "y"}]})",
      R"({"slug": "a", "title": "T", "tagline": "t", "burn_ward": [{"text": "x", "source": ""}]})",
      R"({"slug": "-a", "title": "T", "tagline": "t"})",
      R"({"slug": "a", "title": " ", "tagline": "t"})",
      R"({"slug": "a", "title": "T"})",
      R"(["not", "an", "object"])",
      "{\"slug\": \"a\", \"title\": \"T\", \"tagline\": \"\x7f\"}",
      "{\"slug\": \"a\", \"title\": \"T\", \"tagline\": \"\xc0\xaf\"}",
      std::string(200, '[') + std::string(200, ']'),
      "",
  };
  for (const auto& text : odd) same_both_ways(text);
  for (const char* salary :
       {R"({"low": 200, "high": 100})", R"({"low": 100, "high": 100, "average": 100})",
        R"({"average": 50, "low": 100, "high": 200})", R"({"average": 250, "high": 200})",
        R"({"average": -5})", R"({"average": 1.5})", R"({"average": 1e300})",
        R"({"average": 1000000000001})", R"({"currency": "dollars"})", R"({"currency": "US1"})"})
    same_both_ways(plain_with("salary", salary));
  for (const auto& b : kBrokenFields) same_both_ways(plain_with(b.key, b.value));
  // Every section broken in each of the ways the cases above name.
  for (const char* key : {"aliases", "org_chart", "habitat", "salary", "flight_risk", "metrics",
                          "weaponry", "survival", "jd_autopsy", "day_log", "burn_ward", "related"})
    for (const char* value : {"null", "7", R"("x")", "[]", "{}", R"([null])", R"([{}])",
                              R"([{"name": "n", "description": "d", "extra": 1}])"})
      same_both_ways(plain_with(key, value));
}
