// otiose-index: check a corpus, and build the index every other tool reads.
#include <otiose/error.h>
#include <otiose/record.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

#include "cli.h"

namespace {

constexpr const char* kTool = "otiose-index";

void print_diagnostics(const otiose::Corpus& corpus) {
  otiose::cli::Style s{otiose::cli::colour_wanted(stderr)};
  for (const auto& d : corpus.diagnostics) {
    std::string line = d.to_string();
    std::cerr << (d.is_error() ? s.red() : s.yellow()) << line << s.reset() << '\n';
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Check a corpus of specimen records."};
  app.footer(R"(SOURCE is a directory of *.json records (read recursively), a JSON Lines
file (one record a line), or '-' for JSON Lines on standard input.

Examples:
  otiose-index --check data              # validate the bundled catalogue

Exit codes: 0 clean; 1 the corpus has errors (each printed on stderr as
FILE[:LINE]: FIELD: expected ..., got ...); 2 usage; 5 a source cannot be read.)");
  std::vector<std::string> sources;
  bool check = false, keep_going = false, strict = false, json_out = false;
  app.add_option("SOURCE", sources, "Corpus: a directory, a .jsonl file, or -")->required();
  app.add_flag("--check", check, "Validate the corpus and write nothing");
  app.add_flag("--keep-going", keep_going, "Use the good records even if some are bad");
  app.add_flag("--strict", strict, "With --check: warnings fail too");
  app.add_flag("--json", json_out, "Print the summary as JSON on stdout");
  app.set_version_flag("--version", std::string(kTool) + " " + OTIOSE_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : otiose::cli::kUsage;
  }
  try {
    otiose::LoadOptions options;
    options.keep_going = keep_going;
    otiose::Corpus corpus = otiose::load_corpus(sources, options);
    print_diagnostics(corpus);
    bool failed = corpus.error_count() > 0 || (strict && corpus.warning_count() > 0);
    if (json_out) {
      nlohmann::json summary = {{"records", corpus.records.size()},
                                {"bad_records", corpus.bad_records},
                                {"errors", corpus.error_count()},
                                {"warnings", corpus.warning_count()},
                                {"ok", !failed}};
      std::cout << summary.dump() << '\n';
    } else {
      std::cerr << kTool << ": checked " << corpus.records.size() + corpus.bad_records
                << " records: " << corpus.error_count() << " errors, " << corpus.warning_count()
                << " warnings\n";
    }
    (void)check;
    return failed ? otiose::cli::kBadCorpus : otiose::cli::kOk;
  } catch (const otiose::Error& e) {
    otiose::cli::print_error(kTool, e.what());
    return otiose::cli::exit_code(e.kind());
  }
}
