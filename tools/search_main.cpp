// otiose-search: ranked hits over specimens and quotes.
#include <otiose/error.h>
#include <otiose/index.h>
#include <otiose/search.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

#include "tools/cli.h"
#include "tools/contracts.h"
#include "tools/warm.h"

namespace {

constexpr const char* kTool = "otiose-search";

// A sort value as a reader reads it: "110,993" or "85%".
std::string sort_value(otiose::SearchOptions::Sort sort, double value) {
  if (sort == otiose::SearchOptions::Sort::kFlightRisk)
    return std::to_string(static_cast<long long>(value)) + "%";
  return otiose::cli::thousands(static_cast<long long>(value));
}

}  // namespace

int main(int argc, char** argv) {
  // Our code and Xapian's, and the heap a search uses (a grouped page of
  // ten hits: 200-400 KB), mapped before they are touched.
  otiose::cli::warm_up({"", "libotiose.so", "libxapian.so"}, 512 << 10);
  CLI::App app{
      "Search the Otiose catalogue: specimens and their quotes, each with its related specimens."};
  app.footer(R"(Query syntax (Xapian's): words are ANDed (--any ORs them); "a phrase";
AND OR NOT; +must -mustnot; word* ; fields: title: alias: habitat: metric:
weapon: and the filters source: kind: role: type: (e.g. source:teamblind.com,
kind:complaint, role:sdet). Synonyms from the index (cx, sre, hrbp, ...) apply.

Hits are grouped by specimen: one entry a specimen, its best quote, and how
many more of its quotes matched (--all-quotes lists every one). A query that
finds nothing shows its "did you mean" instead (--exact: as typed). Words
after the options join into one query; put a query that starts with '-'
after '--' (otiose-search -- -meetings agile).

Examples:
  otiose-search "strategic oversight"
  otiose-search agile coach --all-quotes
  otiose-search 'title:architect' --related 0
  otiose-search meetings --type quote --kind complaint --limit 5
  otiose-search '' --sort salary --limit 3 --json | jq '.hits[].title'

A sharded index (otiose-index --shards) is searched across its shards, local
or served by xapian-tcpsrv; one that does not answer within --timeout fails
the search naming it, or, with --partial, is left out and the answer says so.

Exit codes: 0 success (also when nothing matched); 2 usage; 4 no index or a
damaged one (the message says how to build it); 6 the query cannot be parsed;
7 a shard did not answer.)");
  std::vector<std::string> words;
  std::string index_flag, type, sort = "relevance";
  std::vector<std::string> kinds;
  otiose::SearchOptions o;
  std::optional<int> min_risk;
  std::optional<std::int64_t> salary_min, salary_max;
  bool json_out = false, all_quotes = false;
  otiose::SearcherOptions open;
  app.add_option("QUERY", words, "What to look for (several words join into one query)")
      ->required();
  app.add_option("--index", index_flag,
                 "Index directory (default: $OTIOSE_INDEX or ~/.local/share/otiose/index)");
  app.add_option("-n,--limit", o.limit, "Hits to show (default 10; 0: the counts alone)")
      ->check(CLI::Range(0, 10000));
  app.add_option("--offset", o.offset, "Hits to skip (paging)");
  app.add_option("--type", type, "Only specimens (specimen, or role) or only quotes (quote)")
      ->check(CLI::IsMember({"specimen", "role", "quote"}));
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
  app.add_flag("--all-quotes,--no-group", all_quotes,
               "Every matching quote its own hit, not one hit a specimen");
  app.add_flag("--exact", o.exact,
               "Search the query as typed, never the \"did you mean\" suggestion instead");
  app.add_flag("--json", json_out, "Print JSON (the contract in README.md)");
  app.add_flag("--partial", o.partial,
               "A sharded index: answer from the shards that answer, flagged as partial");
  app.add_option("--timeout", open.remote_timeout_ms,
                 "A sharded index: milliseconds a remote shard may take (default 10000)")
      ->check(CLI::Range(1, 3600000));
  app.set_version_flag("--version", std::string(kTool) + " " + OTIOSE_VERSION);
  otiose::cli::add_colour_option(app);
  otiose::cli::add_generate_option(app);
  auto salary_range = [&] {
    if (salary_min && salary_max && *salary_min > *salary_max)
      throw CLI::ValidationError("--salary-min " + std::to_string(*salary_min) +
                                 " is above --salary-max " + std::to_string(*salary_max) +
                                 ": no salary is in that range");
  };
  if (auto done = otiose::cli::parse(app, argc, argv, salary_range)) return *done;
  std::string query;
  for (const auto& w : words) query += (query.empty() ? "" : " ") + w;
  o.group = !all_quotes;
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
    // The text shows a related specimen's title alone, and a tagline only
    // for a specimen hit.
    o.related_taglines = json_out;
    o.quote_taglines = json_out;
    if (!json_out) {
      o.highlight_start = st.on ? "\033[1;33m" : "";
      o.highlight_end = st.on ? "\033[0m" : "";
    }
    otiose::Searcher searcher(otiose::resolve_index_path(index_flag), open);
    otiose::SearchResults r = searcher.search(query, o);
    for (const auto& w : r.warnings) otiose::cli::print_warning(kTool, w);
    for (const auto& m : r.missing_shards)
      otiose::cli::print_warning(kTool, "partial answer: " + m + " did not answer");
    if (json_out) {
      std::cout << otiose::cli::dump(otiose::cli::search_json(r)) << '\n';
      return otiose::cli::kOk;
    }
    if (r.corrected)
      std::cout << st.yellow() << "showing results for " << st.bold() << "\"" << *r.suggestion
                << "\"" << st.reset() << st.dim() << "  (no hits for \"" << r.query
                << "\"; --exact searches it as typed)" << st.reset() << "\n\n";
    else if (r.suggestion)
      std::cout << st.yellow() << "did you mean: " << st.bold() << *r.suggestion << st.reset()
                << "\n\n";
    auto plural = [&r](std::size_t n, const char* one, const char* many) {
      return (r.exact ? "" : "about ") + std::to_string(n) + " " + (n == 1 ? one : many);
    };
    std::string counts = plural(r.total, "hit", "hits");
    if (r.grouped) counts += " in " + plural(r.specimens, "specimen", "specimens");
    if (!r.missing_shards.empty())
      std::cout << st.yellow()
                << "partial: " << otiose::cli::count(r.missing_shards.size(), "shard", "shards")
                << " did not answer; what follows is from the others" << st.reset() << "\n\n";
    if (r.hits.empty()) {
      if (r.total == 0)
        std::cout << "no hits for \"" << r.query << "\"\n";
      else if (r.limit == 0)  // the counts alone
        std::cout << counts << "\n";
      else  // --offset past the end
        std::cout << counts << "; nothing after " << (r.grouped ? r.specimens : r.total) << "\n";
      return otiose::cli::kOk;
    }
    std::cout << st.dim() << counts << ", showing " << r.offset + 1 << "-"
              << r.offset + r.hits.size() << st.reset() << "\n\n";
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
      if (h.sort_value)
        std::cout << "   " << st.dim()
                  << (o.sort == otiose::SearchOptions::Sort::kSalary ? "average salary: "
                                                                     : "flight risk: ")
                  << st.reset() << sort_value(o.sort, *h.sort_value) << "\n";
      if (h.more > 0)
        std::cout << "   " << st.dim() << "+ " << h.more << " more from this specimen" << st.reset()
                  << "\n";
      for (const auto& rel : h.related)
        std::cout << "   " << st.cyan() << "SYSTEM MATCH: " << rel.match << "%" << st.reset()
                  << "  " << rel.title << "\n";
      std::cout << "\n";
    }
    return otiose::cli::kOk;
  });
}
