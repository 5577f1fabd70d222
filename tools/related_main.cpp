// otiose-related: the RELATED SPECIMENS section, for a specimen or a pasted text.
// It reads the index's similarity model alone (otiose::Matcher): no Xapian
// is opened, or linked.
#include <otiose/env.h>
#include <otiose/error.h>
#include <otiose/index.h>
#include <otiose/search.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "tools/cli.h"
#include "tools/contracts.h"
#include "tools/warm.h"

namespace {

constexpr const char* kTool = "otiose-related";

std::string percent(double share) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%5.1f%%", 100.0 * share);
  return buffer;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Show the specimens most like a specimen, or like a pasted job description (SYSTEM MATCH "
      "%)."};
  app.footer(R"(SPECIMEN is a slug, a title or an alias, in any case.

Examples:
  otiose-related enterprise-architect --top 3
  otiose-related "Scrum Master" --explain
  otiose-related --file job-ad.txt --top 3
  pbpaste | otiose-related --file - --json | jq -r '.related[0].slug'

For a pasted text, SYSTEM MATCH % is a confidence (50 and over: a close
match); when even the best is under 50 the output says "no close specimen"
and --json has "confident": false.

Exit codes: 0 success; 2 usage; 3 unknown specimen (the message lists the
closest, if any is near); 4 no index or a damaged one; 5 the --file cannot
be read.)");
  std::string specimen, index_flag, text, file;
  std::size_t top = 3, explain_terms = 5;
  bool json_out = false, explain = false;
  app.add_option("SPECIMEN", specimen, "A slug, title or alias");
  app.add_option("--index", index_flag,
                 "Index directory (default: $OTIOSE_INDEX or ~/.local/share/otiose/index)");
  app.add_option("-k,--top", top, "How many (default 3)")->check(CLI::Range(1, 1000));
  auto* text_opt =
      app.add_option("--text", text, "Match this text (a pasted job description) instead");
  auto* file_opt =
      app.add_option("--file", file, "Match the text of this file ('-' for standard input)");
  text_opt->excludes(file_opt);
  app.add_flag("--explain", explain,
               "Say why: the shared terms that contribute most to each match");
  app.add_option("--explain-terms", explain_terms, "Terms per explanation (default 5)")
      ->check(CLI::Range(1, 100));
  app.add_flag("--json", json_out, "Print JSON (the contract in README.md)");
  // Accepted as before; the answers come from the model, which a sharded
  // index keeps beside its stub, so no shard is ever asked.
  unsigned timeout_ms = 0;
  app.add_option("--timeout", timeout_ms, "Ignored: no shard is contacted")
      ->check(CLI::Range(1, 3600000))
      ->group("");
  app.set_version_flag("--version", std::string(kTool) + " " + OTIOSE_VERSION);
  otiose::cli::add_colour_option(app);
  otiose::cli::add_generate_option(app);
  auto one_input = [&] {
    if (specimen.empty() == (text_opt->count() == 0 && file_opt->count() == 0))
      throw CLI::ValidationError("give a SPECIMEN, or --text / --file, not both");
  };
  if (auto done = otiose::cli::parse(app, argc, argv, one_input)) return *done;
  return otiose::cli::guarded(kTool, [&]() -> int {
    bool by_text = specimen.empty();
    // A pasted ad reads more of our code and a heap of vectors (at 10,000
    // specimens about 260 KB); a related list by slug is too short to gain.
    if (by_text) otiose::cli::warm_up({""}, 256 << 10);
    if (file_opt->count() > 0)
      text = file == "-" ? std::string(std::istreambuf_iterator<char>(std::cin), {})
                         : otiose::Env::Default()->read_file(file);
    // One generation's model answers all of it: the title, the list and
    // the reasons never mix two indexes.
    const otiose::Matcher matcher(otiose::resolve_index_path(index_flag));
    std::string slug, title;
    std::vector<otiose::RelatedSpecimen> related;
    otiose::AdMatches matches;  // by text
    if (by_text) {
      matches = matcher.match_text(text, top);
      related = matches.related;
    } else {
      slug = matcher.resolve(specimen);
      title = matcher.title(slug);
      related = matcher.related(slug, top);
    }
    std::vector<std::vector<otiose::TermShare>> reasons;  // with --explain, one a related
    if (explain)
      for (const auto& r : related)
        reasons.push_back(by_text ? matcher.explain_text(text, r.slug, explain_terms)
                                  : matcher.explain(slug, r.slug, explain_terms));
    if (json_out) {
      std::cout << otiose::cli::dump(
                       by_text ? otiose::cli::ad_answer_json(matches, explain ? &reasons : nullptr)
                               : otiose::cli::related_answer_json(slug, title, related, false,
                                                                  explain ? &reasons : nullptr))
                << '\n';
      return otiose::cli::kOk;
    }
    otiose::cli::Style st{otiose::cli::colour_wanted(stdout)};
    std::cout << st.bold() << "RELATED SPECIMENS" << st.reset() << st.dim()
              << (by_text ? std::string("  (for the pasted text)") : "  (for " + title + ")")
              << st.reset() << "\n";
    if (related.empty()) std::cout << "\nnothing shares a term with it\n";
    if (by_text && !related.empty() && !matches.confident)
      std::cout << "\n"
                << st.yellow() << "no close specimen:" << st.reset() << " "
                << otiose::cli::no_close_specimen(matches.reads_like) << "\n";
    for (std::size_t i = 0; i < related.size(); ++i) {
      const auto& r = related[i];
      std::cout << "\n"
                << st.cyan() << "SYSTEM MATCH: " << r.match << "%" << st.reset() << "\n"
                << st.bold() << r.title << st.reset() << "\n"
                << r.tagline << "\n";
      if (explain) {
        if (!r.recognised.empty())
          std::cout << st.dim() << "  named as the ad's own role: " << st.reset() << "\""
                    << r.recognised << "\"\n";
        if (!reasons[i].empty())
          std::cout << st.dim() << "  shared terms (share of the cosine):" << st.reset() << "\n";
        for (const auto& t : reasons[i])
          std::cout << st.dim() << "  " << percent(t.share) << "  " << st.reset() << t.term << "\n";
      }
    }
    return otiose::cli::kOk;
  });
}
