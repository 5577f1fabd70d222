// otiose-search: ranked hits over specimens and quotes.
#include <otiose/error.h>
#include <otiose/index.h>
#include <otiose/search.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

#include "tools/cli.h"

namespace {

constexpr const char* kTool = "otiose-search";

nlohmann::ordered_json related_json(const std::vector<otiose::RelatedSpecimen>& related) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& r : related)
    out.push_back({{"slug", r.slug},
                   {"title", r.title},
                   {"tagline", r.tagline},
                   {"match", r.match},
                   {"cosine", r.cosine}});
  return out;
}

nlohmann::ordered_json opt(const std::optional<std::string>& s) {
  return s ? nlohmann::ordered_json(*s) : nlohmann::ordered_json(nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Search the Otiose catalogue: specimens and their quotes, each with its related specimens."};
  app.footer(R"(Query syntax (Xapian's): words are ANDed (--any ORs them); "a phrase";
AND OR NOT; +must -mustnot; word* ; fields: title: alias: habitat: metric:
weapon: and the filters source: kind: role: type: (e.g. source:teamblind.com,
kind:complaint, role:sdet). Synonyms from the index (cx, sre, hrbp, ...) apply.

Examples:
  otiose-search "strategic oversight"
  otiose-search 'title:architect' --related 0
  otiose-search meetings --type quote --kind complaint --limit 5
  otiose-search '' --sort salary --limit 3 --json | jq '.hits[].title'

Exit codes: 0 success (also when nothing matched); 2 usage; 4 no index or a
damaged one (the message says how to build it); 6 the query cannot be parsed.)");
  std::string query, index_flag, type, sort = "relevance";
  std::vector<std::string> kinds;
  otiose::SearchOptions o;
  std::optional<int> min_risk;
  std::optional<std::int64_t> salary_min, salary_max;
  bool json_out = false;
  app.add_option("QUERY", query, "What to look for")->required();
  app.add_option("--index", index_flag,
                 "Index directory (default: $OTIOSE_INDEX or ~/.local/share/otiose/index)");
  app.add_option("-n,--limit", o.limit, "Hits to show (default 10)")->check(CLI::Range(0, 10000));
  app.add_option("--offset", o.offset, "Hits to skip (paging)");
  app.add_option("--type", type, "Only specimens (role) or only quotes (quote)")
      ->check(CLI::IsMember({"role", "quote"}));
  app.add_option("--kind", kinds, "Only quotes of this kind")
      ->check(CLI::IsMember({"complaint", "illusion", "translation", "salary", "diagnosis"}));
  app.add_option("--sort", sort, "relevance, salary or flight-risk (highest first)")
      ->check(CLI::IsMember({"relevance", "salary", "flight-risk"}));
  app.add_option("--min-flight-risk", min_risk, "Only specimens at or above this flight risk %")
      ->check(CLI::Range(0, 100));
  app.add_option("--salary-min", salary_min,
                 "Only specimens whose average salary is at least this");
  app.add_option("--salary-max", salary_max, "Only specimens whose average salary is at most this");
  app.add_option("--related", o.related, "Related specimens per hit (default 3; 0 turns them off)")
      ->check(CLI::Range(0, 100));
  app.add_flag("--any", o.match_any, "Match any word instead of all");
  app.add_flag("--exact", o.exact,
               "Search the query as typed, never the \"did you mean\" suggestion instead");
  app.add_flag("--json", json_out, "Print JSON (the contract in README.md)");
  app.set_version_flag("--version", std::string(kTool) + " " + OTIOSE_VERSION);
  if (auto done = otiose::cli::parse(app, argc, argv)) return *done;
  return otiose::cli::guarded(kTool, [&]() -> int {
    o.type = type;
    o.kinds = kinds;
    o.min_flight_risk = min_risk;
    o.salary_min = salary_min;
    o.salary_max = salary_max;
    o.sort = sort == "salary"        ? otiose::SearchOptions::Sort::kSalary
             : sort == "flight-risk" ? otiose::SearchOptions::Sort::kFlightRisk
                                     : otiose::SearchOptions::Sort::kRelevance;
    otiose::cli::Style st{!json_out && otiose::cli::colour_wanted(stdout)};
    o.html = json_out;
    if (!json_out) {
      o.highlight_start = st.on ? "\033[1;33m" : "";
      o.highlight_end = st.on ? "\033[0m" : "";
    }
    otiose::Searcher searcher(otiose::resolve_index_path(index_flag));
    otiose::SearchResults r = searcher.search(query, o);
    if (json_out) {
      nlohmann::ordered_json hits = nlohmann::ordered_json::array();
      for (const auto& h : r.hits)
        hits.push_back({{"rank", h.rank},
                        {"id", h.id},
                        {"type", h.type},
                        {"kind", opt(h.kind)},
                        {"slug", h.slug},
                        {"title", h.title},
                        {"tagline", h.tagline},
                        {"text", h.text},
                        {"source", opt(h.source)},
                        {"snippet", h.snippet},
                        {"score", h.score},
                        {"related", related_json(h.related)}});
      std::cout << nlohmann::ordered_json{{"query", r.query},
                                          {"total", r.total},
                                          {"offset", r.offset},
                                          {"limit", r.limit},
                                          {"suggestion", opt(r.suggestion)},
                                          {"corrected", r.corrected},
                                          {"hits", hits}}
                       .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
                << '\n';
      return otiose::cli::kOk;
    }
    if (r.corrected)
      std::cout << st.yellow() << "showing results for " << st.bold() << "\"" << *r.suggestion
                << "\"" << st.reset() << st.dim() << "  (no hits for \"" << r.query
                << "\"; --exact searches it as typed)" << st.reset() << "\n\n";
    else if (r.suggestion)
      std::cout << st.yellow() << "did you mean: " << st.bold() << *r.suggestion << st.reset()
                << "\n\n";
    if (r.hits.empty()) {
      std::cout << "no hits for \"" << r.query << "\"\n";
      return otiose::cli::kOk;
    }
    std::cout << st.dim() << r.total << (r.total == 1 ? " hit" : " hits") << ", showing "
              << r.offset + 1 << "-" << r.offset + r.hits.size() << st.reset() << "\n\n";
    for (const auto& h : r.hits) {
      if (h.type == "role") {
        std::cout << st.dim() << h.rank << ". [specimen] " << st.reset() << st.bold() << h.title
                  << st.reset() << st.dim() << "  (" << h.slug << ")" << st.reset() << "\n   "
                  << h.tagline << "\n";
      } else {
        std::cout << st.dim() << h.rank << ". [" << *h.kind << "] " << st.reset() << st.bold()
                  << h.title << st.reset() << st.dim() << "  (" << h.id << ")" << st.reset()
                  << "\n   \"" << (h.snippet.empty() ? h.text : h.snippet) << "\"";
        if (h.source) std::cout << st.dim() << " \u2014 " << *h.source << st.reset();
        std::cout << "\n";
      }
      if (h.type == "role" && !h.snippet.empty()) std::cout << "   " << h.snippet << "\n";
      for (const auto& rel : h.related)
        std::cout << "   " << st.cyan() << "SYSTEM MATCH: " << rel.match << "%" << st.reset()
                  << "  " << rel.title << "\n";
      std::cout << "\n";
    }
    return otiose::cli::kOk;
  });
}
