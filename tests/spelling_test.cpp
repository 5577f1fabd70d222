// "Did you mean" on real typos of catalogue words (issue 15): a letter
// dropped, doubled, swapped, or a neighbouring key. A typo counts as
// corrected when the user gets the intended word's hits: the suggestion
// is that word, or stemming already finds it.
#include <otiose/index.h>
#include <otiose/record.h>
#include <otiose/search.h>
#include <otiose/similarity.h>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "test_util.h"

namespace {

struct Typo {
  const char* typed;
  const char* meant;
};

const Typo kTypos[] = {
    {"meetngs", "meetings"},
    {"metings", "meetings"},
    {"meettings", "meetings"},
    {"sinergy", "synergy"},
    {"synergi", "synergy"},
    {"stakeholdr", "stakeholder"},
    {"stakehodler", "stakeholder"},
    {"dashbaord", "dashboard"},
    {"dashboad", "dashboard"},
    {"roadmpa", "roadmap"},
    {"raodmap", "roadmap"},
    {"spirnt", "sprint"},
    {"sprnt", "sprint"},
    {"retrospectve", "retrospective"},
    {"complaince", "compliance"},
    {"compliace", "compliance"},
    {"recuiter", "recruiter"},
    {"recruiiter", "recruiter"},
    {"onbaording", "onboarding"},
    {"onboardng", "onboarding"},
    {"engagment", "engagement"},
    {"engagemnet", "engagement"},
    {"alignmnet", "alignment"},
    {"alignement", "alignment"},
    {"strategc", "strategic"},
    {"startegic", "strategic"},
    {"oversigth", "oversight"},
    {"oversght", "oversight"},
    {"deliverabels", "deliverables"},
    {"kubernets", "kubernetes"},
    {"terrafrom", "terraform"},
    {"pipleine", "pipeline"},
    {"piepline", "pipeline"},
    {"backlgo", "backlog"},
    {"bakclog", "backlog"},
    {"burnuot", "burnout"},
    {"velcoity", "velocity"},
    {"quartely", "quarterly"},
    {"quaterly", "quarterly"},
    {"budjet", "budget"},
    {"budgte", "budget"},
    {"headcoutn", "headcount"},
    {"escalaton", "escalation"},
    {"cusotmer", "customer"},
    {"custmer", "customer"},
    {"analytcis", "analytics"},
    {"documetation", "documentation"},
    {"documentaion", "documentation"},
    {"architecure", "architecture"},
    {"procurment", "procurement"},
    {"negotiaton", "negotiation"},
    {"worksohp", "workshop"},
    {"promtion", "promotion"},
    {"feedbak", "feedback"},
    {"priorites", "priorities"},
    {"intervew", "interview"},
    {"candiate", "candidate"},
    {"framwork", "framework"},
    {"deploymnet", "deployment"},
    {"incdent", "incident"},
    {"monitring", "monitoring"},
    {"metircs", "metrics"},
    {"survery", "survey"},
    {"presentaiton", "presentation"},
    {"spreadhseet", "spreadsheet"},
    {"transfromation", "transformation"},
    {"inovation", "innovation"},
    {"agiel", "agile"},
    {"scrumm", "scrum"},
};

// The bundled catalogue, indexed once.
const otiose::Searcher& catalogue() {
  static otiose::test::TempDir dir;
  static otiose::Searcher searcher = [] {
    auto corpus = otiose::load_corpus({otiose::test::source_path("data")});
    otiose::IndexOptions o;
    o.tfidf = otiose::load_tfidf_config(otiose::test::source_path("similarity/tfidf.json"));
    o.synonyms = otiose::load_synonyms(otiose::test::source_path("data/synonyms.txt"));
    otiose::write_index(corpus.records, dir / "index", o);
    return otiose::Searcher(dir / "index");
  }();
  return searcher;
}

std::vector<std::string> ids(const otiose::SearchResults& r) {
  std::vector<std::string> out;
  for (const auto& h : r.hits) out.push_back(h.id);
  return out;
}

}  // namespace

TEST_CASE("did you mean corrects at least 90 % of real typos") {
  otiose::SearchOptions o;
  o.related = 0;
  o.limit = 5;
  std::size_t corrected = 0;
  for (const auto& t : kTypos) {
    auto meant = catalogue().search(t.meant, o);
    REQUIRE(meant.total > 0);  // a catalogue word
    auto typed = catalogue().search(t.typed, o);
    bool ok = ids(typed) == ids(meant) &&
              (typed.corrected ? *typed.suggestion == t.meant : !typed.suggestion.has_value());
    if (!ok)
      UNSCOPED_INFO(t.typed << " -> " << typed.suggestion.value_or("(none)") << ", meant "
                            << t.meant);
    corrected += ok;
  }
  const std::size_t n = std::size(kTypos);
  INFO(corrected << " of " << n << " corrected");
  CHECK(n >= 50);
  CHECK(corrected * 10 >= n * 9);
}

TEST_CASE("a typo finds the corrected query's hits, and says so, and --exact keeps the typo") {
  otiose::SearchOptions o;
  o.related = 0;
  auto r = catalogue().search("meetngs", o);
  CHECK(r.corrected);
  REQUIRE(r.suggestion);
  CHECK(*r.suggestion == "meetings");
  CHECK(r.query == "meetngs");
  CHECK(r.total == catalogue().search("meetings", o).total);
  o.exact = true;
  auto exact = catalogue().search("meetngs", o);
  CHECK_FALSE(exact.corrected);
  CHECK(exact.total == 0);
  CHECK(exact.suggestion == std::optional<std::string>("meetings"));
}
