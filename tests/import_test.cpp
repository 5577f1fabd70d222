#include <otiose/record.h>

#include <catch2/catch.hpp>

#include "test_util.h"

using otiose::import_page;

TEST_CASE("the seed page imports with every fact SCHEMA.md lists") {
  auto parsed = import_page(otiose::test::seed_page(), "seed.txt");
  REQUIRE(parsed.record);
  const auto& r = *parsed.record;
  CHECK(r.slug == "senior-customer-service-manager");
  CHECK(r.title == "Senior Customer Service Manager");
  CHECK(*r.aliases == std::vector<std::string>{"Senior Manager, Customer Success",
                                               "Client Delivery Operations Lead",
                                               "Director of Client Services (Entry Level)",
                                               "Head of Customer Experience (Team Lead)"});
  CHECK(r.habitat->size() == 3);
  CHECK(r.salary->average == 110993);
  CHECK(r.salary->low == 103753);
  CHECK(r.salary->high == 188440);
  CHECK(r.salary->currency == "USD");
  CHECK(r.salary->quote->rfind("This salary primarily compensates", 0) == 0);
  CHECK(r.flight_risk->percent == 85);
  CHECK(r.flight_risk->label == "HIGH RISK");
  CHECK(r.flight_risk->diagnosis->rfind("This role's 'strategic'", 0) == 0);
  REQUIRE(r.metrics->size() == 3);
  CHECK((*r.metrics)[0].name == "Team CSAT Delta");
  REQUIRE(r.weaponry->size() == 3);
  CHECK((*r.weaponry)[2].name == "Cross-Functional Sync-Up Meeting");
  REQUIRE(r.survival->size() == 1);
  CHECK((*r.survival)[0].when == "IF ENGAGED");
  CHECK((*r.survival)[0].advice.rfind("Acknowledge with a nod", 0) == 0);
  REQUIRE(r.jd_autopsy->size() == 3);
  for (const auto& p : *r.jd_autopsy) CHECK_FALSE(p.source);
  CHECK((*r.jd_autopsy)[2].translation.find("strategic oversight") != std::string::npos);
  REQUIRE(r.day_log->size() == 3);
  CHECK((*r.day_log)[0].start == "09:00");
  CHECK((*r.day_log)[0].end == "10:00");
  CHECK((*r.day_log)[1].start == "11:00");
  CHECK((*r.day_log)[1].end == "13:00");
  CHECK((*r.day_log)[2].start == "15:00");
  CHECK((*r.day_log)[2].end == "16:00");
  REQUIRE(r.burn_ward->size() == 3);
  CHECK_FALSE((*r.burn_ward)[0].source);
  CHECK((*r.burn_ward)[1].source == "teamblind.com");
  CHECK((*r.burn_ward)[2].source == "r/cscareerquestions");
  REQUIRE(r.related->size() == 3);
  CHECK((*r.related)[0].slug == "lead-backend-data-procurement-analyst");
  CHECK((*r.related)[0].match == 98);
  CHECK((*r.related)[1].slug == "enterprise-architect");
  CHECK((*r.related)[1].match == 91);
  CHECK((*r.related)[2].slug == "sdet");
  CHECK((*r.related)[2].match == 84);
  CHECK((*r.related)[2].tagline.rfind("To craft intricate Rube Goldberg", 0) == 0);
  // The page shows no tagline of its own: a warning says so.
  REQUIRE(parsed.diagnostics.size() == 1);
  CHECK(parsed.diagnostics[0].field == "tagline");
  CHECK_FALSE(parsed.diagnostics[0].is_error());
}

TEST_CASE("the bundled seed record is the imported page plus its tagline") {
  auto page = import_page(otiose::test::seed_page(), "seed.txt");
  auto file = otiose::parse_record(otiose::test::read_file(otiose::test::source_path(
                                       "data/roles/senior-customer-service-manager.json")),
                                   "seed.json");
  REQUIRE(page.record);
  REQUIRE(file.record);
  CHECK_FALSE(file.record->tagline.empty());
  page.record->tagline = file.record->tagline;
  CHECK(*page.record == *file.record);
}

TEST_CASE("a page with a section missing still imports") {
  std::string page = otiose::test::seed_page();
  auto from = page.find("[04] THE FLIGHT RISK");
  auto to = page.find("[05] THE BULLSHIT METRICS");
  page.erase(from, to - from);
  auto parsed = import_page(page, "no-risk.txt");
  REQUIRE(parsed.record);
  CHECK_FALSE(parsed.record->flight_risk);
  CHECK(parsed.record->metrics->size() == 3);
}

TEST_CASE("sections may come in another order") {
  std::string page = otiose::test::seed_page();
  auto from = page.find("[02] THE HABITAT");
  auto to = page.find("[03] SALARY DELUSION");
  std::string habitat = page.substr(from, to - from);
  page.erase(from, to - from);
  page += "\n" + habitat;
  auto parsed = import_page(page, "reordered.txt");
  REQUIRE(parsed.record);
  CHECK(parsed.record->habitat->size() == 3);
  CHECK(parsed.record->related->size() == 3);
}

TEST_CASE("a truncated page is an error naming the line and section, never a half record") {
  std::string page = otiose::test::seed_page();
  page.resize(page.find("Stares at a complex Business Intelligence dashboard"));
  auto parsed = import_page(page, "cut.txt");
  CHECK_FALSE(parsed.record);
  REQUIRE_FALSE(parsed.diagnostics.empty());
  CHECK(parsed.diagnostics[0].to_string() ==
        "cut.txt:59: [09] DAY-IN-THE-LIFE LOG: entry [15:00 - 16:00] lacks its title or "
        "description (the page may be cut off)");

  std::string mid_quote = otiose::test::seed_page();
  mid_quote.resize(mid_quote.find("I'm just an expensive human router"));
  parsed = import_page(mid_quote, "cut2.txt");
  CHECK_FALSE(parsed.record);
  REQUIRE_FALSE(parsed.diagnostics.empty());
  CHECK(parsed.diagnostics[0].to_string().rfind(
            "cut2.txt:65: [10] THE BURN WARD (UNFILTERED COMPLAINTS): the complaint is cut off",
            0) == 0);
}

TEST_CASE("something that is not a page is refused at line 1") {
  auto parsed = import_page("hello\nworld\n", "notes.txt");
  CHECK_FALSE(parsed.record);
  REQUIRE(parsed.diagnostics.size() == 1);
  CHECK(parsed.diagnostics[0].to_string() ==
        "notes.txt:1: page: expected \"FILE RECORD: <NAME>\", got \"hello\"");
}

TEST_CASE("a page whose section heading is gone is an error naming the line") {
  std::string page = otiose::test::seed_page();
  std::size_t at = page.find("[03] SALARY DELUSION\n");
  REQUIRE(at != std::string::npos);
  page.erase(at, std::string("[03] SALARY DELUSION\n").size());
  auto parsed = import_page(page, "noheading.txt");
  CHECK_FALSE(parsed.record);
  REQUIRE_FALSE(parsed.diagnostics.empty());
  const auto& d = parsed.diagnostics[0];
  INFO(d.to_string());
  CHECK(d.file == "noheading.txt");
  CHECK(d.line > 0);
  CHECK(d.message.rfind("\"MARKET AVERAGE\" belongs to [03] SALARY DELUSION", 0) == 0);
  CHECK(d.message.find("heading is missing") != std::string::npos);
}

TEST_CASE("a page cut short, between sections or mid-sentence, is an error naming the line") {
  std::string page = otiose::test::seed_page();
  std::string before_related = page.substr(0, page.find("[11] RELATED SPECIMENS"));
  auto early = import_page(before_related, "early.txt");
  CHECK_FALSE(early.record);
  REQUIRE_FALSE(early.diagnostics.empty());
  CHECK(early.diagnostics.back().message.find("ends in section [10]") != std::string::npos);
  // Mid-sentence in the last card's tagline.
  std::string cut = page.substr(0, page.rfind("to justify continued existence"));
  auto mid = import_page(cut, "mid.txt");
  CHECK_FALSE(mid.record);
  REQUIRE_FALSE(mid.diagnostics.empty());
  CHECK(mid.diagnostics.back().message.find("mid-sentence") != std::string::npos);
  CHECK(mid.diagnostics.back().line > 0);
}
