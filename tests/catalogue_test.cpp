// The bundled catalogue: complete, clean, and findable.
#include <otiose/index.h>
#include <otiose/record.h>
#include <otiose/similarity.h>

#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "similarity/names.h"
#include "test_util.h"

namespace {

const char* const kSlugs[] = {
    "senior-customer-service-manager", "lead-backend-data-procurement-analyst",
    "enterprise-architect", "sdet", "scrum-master", "agile-coach", "product-owner",
    "product-manager", "program-manager", "project-manager", "chief-of-staff", "vp-of-strategy",
    "hr-business-partner", "talent-acquisition-partner", "compliance-officer", "risk-analyst",
    "management-consultant", "business-analyst", "data-scientist", "data-engineer",
    "devops-engineer", "site-reliability-engineer", "solutions-architect",
    "sales-development-representative", "account-executive", "customer-success-manager",
    "marketing-manager", "brand-strategist", "social-media-manager", "growth-marketer",
    "content-strategist", "ux-researcher", "product-designer", "qa-manager", "procurement-manager",
    "executive-assistant", "internal-communications-manager", "change-management-lead",
    "digital-transformation-lead", "chief-innovation-officer", "developer-advocate",
    "technical-writer", "release-manager", "engineering-manager", "it-service-desk-manager",
    "financial-analyst", "operations-manager", "learning-and-development-specialist",
    // The jobs real job boards post most (issue 13).
    "software-engineer", "frontend-engineer", "backend-engineer", "full-stack-developer",
    "mobile-developer", "security-engineer", "machine-learning-engineer", "platform-engineer",
    "qa-engineer", "head-of-engineering", "wordpress-developer", "ui-designer",
    "business-development-manager", "account-manager", "customer-support-specialist",
    "community-manager"};

struct Catalogue {
  otiose::TfidfConfig config =
      otiose::load_tfidf_config(otiose::test::source_path("similarity/tfidf.json"));
  otiose::Corpus corpus = otiose::load_corpus({otiose::test::source_path("data")});
  otiose::Occupations occupations = otiose::test::bundled_occupations();
  otiose::test::TempDir dir;
  std::unique_ptr<otiose::SimilarityModel> model;
  Catalogue() {
    std::vector<const otiose::Record*> records;
    for (const auto& r : corpus.records) records.push_back(&r.record);
    otiose::build_model(records, config, dir / "model.bin", 0, {}, nullptr, &occupations);
    model = std::make_unique<otiose::SimilarityModel>(dir / "model.bin");
  }
  const otiose::Record& get(const std::string& slug) const {
    for (const auto& r : corpus.records)
      if (r.record.slug == slug) return r.record;
    FAIL("no " << slug);
    throw;
  }
};

}  // namespace

TEST_CASE("the catalogue holds the 64 named specimens, each in its own file") {
  Catalogue c;
  std::set<std::string> want(std::begin(kSlugs), std::end(kSlugs));
  std::set<std::string> have;
  for (const auto& r : c.corpus.records) {
    have.insert(r.record.slug);
    CHECK(r.origin == otiose::test::source_path("data/roles/" + r.record.slug + ".json"));
  }
  CHECK(have == want);
}

TEST_CASE("the catalogue validates and lints with no warnings") {
  Catalogue c;
  auto lint = otiose::lint_catalogue(c.corpus.records, c.config);
  for (const auto& d : c.corpus.diagnostics) UNSCOPED_INFO(d.to_string());
  for (const auto& d : lint) UNSCOPED_INFO(d.to_string());
  CHECK(c.corpus.diagnostics.empty());
  CHECK(lint.empty());
}

TEST_CASE("every record fills every section") {
  Catalogue c;
  for (const auto& lr : c.corpus.records) {
    const auto& r = lr.record;
    INFO(r.slug);
    CHECK_FALSE(r.tagline.empty());
    CHECK(r.aliases->size() >= 3);
    CHECK(r.aliases->size() <= 6);
    CHECK(r.habitat->size() >= 2);
    CHECK(r.habitat->size() <= 4);
    CHECK(*r.salary->low < *r.salary->average);
    CHECK(*r.salary->average < *r.salary->high);
    CHECK(r.salary->note);
    CHECK(r.salary->quote);
    CHECK(r.flight_risk->percent);
    CHECK(r.flight_risk->label);
    CHECK(r.flight_risk->diagnosis);
    CHECK(r.metrics->size() == 3);
    CHECK(r.weaponry->size() == 3);
    CHECK(r.survival->size() >= 1);
    CHECK(r.jd_autopsy->size() == 3);
    CHECK(r.day_log->size() == 3);
    CHECK(r.burn_ward->size() == 3);
  }
}

TEST_CASE("the seed page's related specimens carry the taglines it publishes") {
  Catalogue c;
  const auto& seed = c.get("senior-customer-service-manager");
  REQUIRE(seed.related);
  for (const auto& published : *seed.related) {
    INFO(published.slug);
    CHECK(c.get(published.slug).tagline == published.tagline);
    CHECK(c.get(published.slug).title == published.title);
  }
}

TEST_CASE("every specimen's related list is non-empty and never itself") {
  Catalogue c;
  for (const auto& lr : c.corpus.records) {
    auto related = c.model->related(lr.record.slug, 10);
    INFO(lr.record.slug);
    CHECK_FALSE(related.empty());
    for (const auto& n : related) CHECK(n.slug != lr.record.slug);
  }
}

TEST_CASE("a specimen's own job-ad illusions, pasted together, rank it in the top 3") {
  Catalogue c;
  for (const auto& lr : c.corpus.records) {
    std::string ad;
    for (const auto& p : *lr.record.jd_autopsy) ad += p.illusion + "\n";
    auto top = c.model->related_text(ad, 3);
    std::vector<std::string> slugs;
    for (const auto& n : top) slugs.push_back(n.slug);
    INFO(lr.record.slug << " -> " << (slugs.empty() ? "" : slugs[0]));
    CHECK(std::find(slugs.begin(), slugs.end(), lr.record.slug) != slugs.end());
  }
}

TEST_CASE("the seed job description ranks the seed specimen first") {
  Catalogue c;
  auto top = c.model->related_text(otiose::test::seed_job_description(), 1);
  REQUIRE(top.size() == 1);
  CHECK(top[0].slug == "senior-customer-service-manager");
}

TEST_CASE("related lists a reader would agree with") {
  Catalogue c;
  auto in_top = [&](const std::string& a, const std::string& b, std::size_t k) {
    for (const auto& n : c.model->related(a, k))
      if (n.slug == b) return true;
    return false;
  };
  // Each pair in the other's top 3, both ways.
  const std::pair<const char*, const char*> mutual[] = {
      {"frontend-engineer", "full-stack-developer"},
      {"backend-engineer", "full-stack-developer"},
      {"qa-engineer", "sdet"},
      {"qa-engineer", "qa-manager"},
      {"head-of-engineering", "engineering-manager"},
      {"platform-engineer", "devops-engineer"},
      {"machine-learning-engineer", "data-scientist"},
      {"ui-designer", "product-designer"},
      {"account-manager", "customer-success-manager"},
      {"community-manager", "social-media-manager"},
  };
  for (const auto& [a, b] : mutual) {
    INFO(a << " <-> " << b);
    CHECK(in_top(a, b, 3));
    CHECK(in_top(b, a, 3));
  }
  // One way, in the top 3.
  const std::pair<const char*, const char*> near[] = {
      {"software-engineer", "backend-engineer"},
      {"platform-engineer", "site-reliability-engineer"},
      {"machine-learning-engineer", "data-engineer"},
      {"business-development-manager", "sales-development-representative"},
      {"business-development-manager", "account-executive"},
      {"customer-support-specialist", "senior-customer-service-manager"},
      {"community-manager", "developer-advocate"},
      {"mobile-developer", "frontend-engineer"},
  };
  for (const auto& [a, b] : near) {
    INFO(a << " -> " << b);
    CHECK(in_top(a, b, 3));
  }
}

TEST_CASE("the seed job description finds its specimen first, at 90 % or more") {
  Catalogue c;
  auto found = c.model->match_text(otiose::test::seed_job_description(), 3);
  REQUIRE(found.matches.size() == 3);
  CHECK(found.confident);
  CHECK(found.matches[0].slug == "senior-customer-service-manager");
  CHECK(found.matches[0].match >= 90);
  CHECK(found.matches[0].named >= 1);
  // Near enough to the occupations the specimens are that little is taken off.
  CHECK(found.reference_gap < 0.02);
}

TEST_CASE("an ad that names its role finds it first among another role's words") {
  Catalogue c;
  auto found =
      c.model->match_text(otiose::test::read_file(std::string(OTIOSE_TEST_DATA) +
                                                  "/ads/technical-writer-among-marketing.txt"),
                          3);
  REQUIRE_FALSE(found.matches.empty());
  CHECK(found.confident);
  CHECK(found.matches[0].slug == "technical-writer");
  CHECK(found.matches[0].name == "technical writer");
  // Without the name, the marketing words win: the name is what decides.
  auto plain =
      c.model->related_text(otiose::test::read_file(std::string(OTIOSE_TEST_DATA) +
                                                    "/ads/technical-writer-among-marketing.txt"),
                            3);
  REQUIRE_FALSE(plain.empty());
}

TEST_CASE("an ad for a job no specimen is says so") {
  Catalogue c;
  auto found = c.model->match_text(
      otiose::test::read_file(std::string(OTIOSE_TEST_DATA) + "/ads/pastry-chef.txt"), 3);
  REQUIRE_FALSE(found.matches.empty());  // the closest are named anyway
  CHECK_FALSE(found.confident);
  CHECK(found.matches[0].match < 50);
  CHECK(found.matches[0].named == 0);
}

TEST_CASE("an ad more like an occupation no specimen is reads low, and says which") {
  Catalogue c;
  const std::string ad =
      otiose::test::read_file(std::string(OTIOSE_TEST_DATA) + "/ads/accountant.txt");
  auto found = c.model->match_text(ad, 3);
  REQUIRE_FALSE(found.matches.empty());
  CHECK_FALSE(found.confident);
  CHECK(found.reads_like == "Accountants and Auditors");
  CHECK(found.reference_gap > 0.02);
  CHECK(found.matches[0].match < 50);
  // The reference is what lowers it: the same catalogue without it reads
  // the same first specimen higher.
  std::vector<const otiose::Record*> records;
  for (const auto& r : c.corpus.records) records.push_back(&r.record);
  otiose::build_model(records, c.config, c.dir / "plain.bin");
  otiose::SimilarityModel plain(c.dir / "plain.bin");
  CHECK(plain.occupations() == 0);
  auto without = plain.match_text(ad, 3);
  REQUIRE_FALSE(without.matches.empty());
  CHECK(without.matches[0].slug == found.matches[0].slug);
  CHECK(without.matches[0].match > found.matches[0].match);
  CHECK(without.reads_like.empty());
}

TEST_CASE("every specimen names occupations of the reference, and every slug is a specimen") {
  Catalogue c;
  CHECK(c.model->occupations() == c.occupations.reference.size());
  std::set<std::string> mapped;
  for (const auto& row : c.occupations.covered) mapped.insert(row.slug);
  std::set<std::string> want(std::begin(kSlugs), std::end(kSlugs));
  CHECK(mapped == want);
}

TEST_CASE("SYSTEM MATCH % between specimens is symmetric, monotonic in the cosine, 0..100") {
  Catalogue c;
  const std::size_t n = c.model->size();
  std::map<std::pair<std::string, std::string>, std::pair<double, int>> pairs;
  std::size_t first_high = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::string a = c.model->slug(i);
    auto all = c.model->related(a, n - 1);
    if (!all.empty() && all[0].match >= 85) ++first_high;
    for (const auto& r : all) pairs[{a, r.slug}] = {r.cosine, r.match};
  }
  std::vector<std::pair<double, int>> by_cosine;
  for (const auto& [key, value] : pairs) {
    INFO(key.first << " ~ " << key.second);
    CHECK(value.second >= 0);
    CHECK(value.second <= 100);
    auto other = pairs.find({key.second, key.first});
    REQUIRE(other != pairs.end());
    CHECK(other->second.second == value.second);
    by_cosine.push_back(value);
  }
  std::sort(by_cosine.begin(), by_cosine.end());
  for (std::size_t i = 1; i < by_cosine.size(); ++i)
    CHECK(by_cosine[i - 1].second <= by_cosine[i].second);
  // Read like the published page: most specimens' closest at 85 or more,
  // and a pair that is nobody's neighbour low.
  CHECK(first_high * 2 > n);
  CHECK(by_cosine.front().second <= 5);
}

TEST_CASE("name keys fold titles, and self-mentions need a cue or 'will'") {
  using otiose::detail::name_key;
  CHECK(name_key("Senior Front-End Developer") == "frontend developer");
  CHECK(name_key("Node.js Developer") == "nodejs developer");
  CHECK(name_key("Certified ScrumMaster (CSM)") == "certified scrummaster");
  CHECK(name_key("Lead") == "");
  CHECK(name_key("Head of Engineering") == "head of engineering");
  // A last "lead" is the role, not its seniority.
  CHECK(name_key("Senior Product Lead") == "product lead");
  CHECK(name_key("Lead Product Manager") == "product manager");
  auto lookup = [](const std::string& key) -> std::vector<std::uint32_t> {
    if (key == "technical writer") return {7};
    if (key == "product manager") return {3};
    if (key == "product lead") return {4};
    return {};
  };
  struct Case {
    const char* text;
    std::vector<std::string> keys;
  };
  const Case cases[] = {
      {"As a Senior Technical Writer you will write.", {"technical writer"}},
      {"We're looking for an experienced technical writer.", {"technical writer"}},
      {"We are hiring Technical Writers!", {"technical writers"}},
      {"You will partner with product managers and technical writers.", {}},
      {"Join us as our next Product Manager (Payments).", {"product manager"}},
      {"The product manager owns the roadmap.", {}},
      // One word of any kind between the cue and the role, not two.
      {"As a Demodesk technical writer, you own the docs.", {"technical writer"}},
      {"As a Berlin based technical writer, you own the docs.", {}},
      {"We are hiring a Product Lead.", {"product lead"}},
      {"As a product company, we ship.", {}},
      // The role as the subject of the job's duties.
      {"The Senior Technical Writer will own the docs.", {"technical writer"}},
      {"You will own the docs; product managers review them.", {}},
      {"Our product managers will review them.", {}},
      // Not across a sentence's end, nor past a word and a comma.
      {"As a result, product managers own the roadmap.", {}},
      {"We are hiring. Product managers at our company own the roadmap.", {}},
      {"We are hiring: Technical Writers!", {"technical writers"}},
      {"We're seeking an experienced, remote Sr. Technical Writer.", {"technical writer"}},
      {"You report to the Product Manager. Will you own the docs?", {}},
  };
  for (const auto& k : cases) {
    INFO(k.text);
    std::vector<std::string> got;
    for (const auto& m : otiose::detail::self_mentions(k.text, lookup)) got.push_back(m.key);
    CHECK(got == k.keys);
  }
}
