// otiose-import: page dumps to specimen records.
#include <otiose/env.h>
#include <otiose/error.h>
#include <otiose/record.h>

#include <CLI/CLI.hpp>

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "tools/cli.h"

namespace {

constexpr const char* kTool = "otiose-import";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Turn published specimen pages (page dumps) into records (SCHEMA.md)."};
  app.footer(R"(Examples:
  otiose-import page.txt                    # the record as JSON on stdout
  otiose-import a.txt b.txt > new.jsonl     # several pages: one record a line (JSON Lines)
  otiose-import page.txt -o data/roles --tagline "One line in the house voice."

A page whose layout cannot be read gets an error naming its line and section,
and no record. The page shows no tagline for its own specimen: pass --tagline
or write one into the record before indexing.

Exit codes: 0 every page imported; 1 some page could not be read (the others
still are); 2 usage; 5 a file could not be read or written.)");
  std::vector<std::string> pages;
  std::string out_dir, tagline;
  app.add_option("PAGE", pages, "Page dump files ('-' for standard input)")->required();
  app.add_option("-o,--output-dir", out_dir, "Write DIR/<slug>.json instead of printing");
  app.add_option("--tagline", tagline, "The specimen's tagline (the page does not show its own)");
  app.set_version_flag("--version", std::string(kTool) + " " + OTIOSE_VERSION);
  otiose::cli::add_colour_option(app);
  otiose::cli::add_generate_option(app);
  if (auto done = otiose::cli::parse(app, argc, argv)) return *done;
  if (!tagline.empty() && pages.size() > 1) {
    otiose::cli::print_error(kTool,
                             "--tagline applies to one page; got " + std::to_string(pages.size()));
    return otiose::cli::kUsage;
  }

  return otiose::cli::guarded(kTool, [&]() -> int {
    int status = otiose::cli::kOk;
    for (const auto& page : pages) {
      std::string text;
      if (page == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), {});
      } else {
        text = otiose::Env::Default()->read_file(page);
      }
      otiose::ParsedRecord parsed = otiose::import_page(text, page);
      if (parsed.record && !tagline.empty()) {
        parsed.record->tagline = tagline;
        std::erase_if(parsed.diagnostics,
                      [](const otiose::Diagnostic& d) { return d.field == "tagline"; });
      }
      for (const auto& d : parsed.diagnostics) std::cerr << d.to_string() << '\n';
      if (!parsed.record) {
        status = otiose::cli::kBadCorpus;
        continue;
      }
      if (!out_dir.empty()) {
        std::filesystem::create_directories(out_dir);
        auto path = std::filesystem::path(out_dir) / (parsed.record->slug + ".json");
        otiose::write_file_atomically(*otiose::Env::Default(), path.string(),
                                      otiose::to_json(*parsed.record, 2) + "\n");
        std::cerr << kTool << ": wrote " << path.string() << '\n';
      } else if (pages.size() == 1) {
        std::cout << otiose::to_json(*parsed.record, 2) << '\n';
      } else {
        std::cout << otiose::to_json(*parsed.record, -1) << '\n';
      }
    }
    return status;
  });
}
