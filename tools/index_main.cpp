// otiose-index: check a corpus, and build the index every other tool reads.
#include <otiose/error.h>
#include <otiose/index.h>
#include <otiose/record.h>
#include <otiose/similarity.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>

#include "tools/cli.h"
#include "tools/progress.h"

namespace {

constexpr const char* kTool = "otiose-index";

// Prints the first `most` problems, then how many more there were: a file
// that is no corpus at all should not print hundreds of lines.
void print_diagnostics(const std::vector<otiose::Diagnostic>& diagnostics, std::size_t most = 20) {
  otiose::cli::Style s{otiose::cli::colour_wanted(stderr)};
  for (std::size_t i = 0; i < diagnostics.size() && i < most; ++i) {
    const auto& d = diagnostics[i];
    std::cerr << (d.is_error() ? s.red() : s.yellow()) << d.to_string() << s.reset() << '\n';
  }
  if (diagnostics.size() > most)
    std::cerr << kTool << ": ... and "
              << otiose::cli::count(diagnostics.size() - most, "more problem", "more problems")
              << " (--json lists every one)\n";
}

// Xapian 1.4 can end a process with std::terminate when the disk fills up
// during a write: an exception escapes one of its noexcept functions while it
// cleans up after the first error. Nothing was switched, so the write ends
// as any failed write does: one line naming the index, this run's unfinished
// generation removed, exit 5. Armed only around write_index.
std::string g_writing;  // the index directory being written

[[noreturn]] void write_terminated() {
  std::string why = "an error the Xapian library could not recover from (is the disk full?)";
  try {
    if (auto e = std::current_exception()) std::rethrow_exception(e);
  } catch (const std::exception& e) {
    why = e.what();
  } catch (...) {
  }
  std::error_code ec;
  std::string mine = ".tmp-" + std::to_string(::getpid());
  for (const auto& entry : std::filesystem::directory_iterator(g_writing, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() > mine.size() &&
        name.compare(name.size() - mine.size(), mine.size(), mine) == 0)
      std::filesystem::remove_all(entry.path(), ec);
  }
  otiose::cli::print_error(kTool, g_writing + ": writing the new index failed: " + why +
                                      "; the previous index is unchanged");
  std::_Exit(otiose::cli::kIoProblem);
}

std::string fixed(double x, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, x);
  return buffer;
}

// A run touches hundreds of megabytes of fresh memory (the records, the
// model's matrices), and on a virtual machine the first touch of each 4 KB
// page is a fault of about 10 us: 1.3 s of a one-record edit's 2.7 s at
// 10,000 specimens (138,000 faults). glibc's malloc asks the kernel for
// transparent huge pages, 2 MB a fault, when its tunable says so, and reads
// its tunables only as a process starts: so the tool starts itself again,
// once, with glibc.malloc.hugetlb=1 added, unless the caller set it either
// way. Where that cannot be done it goes on as it is.
void restart_with_huge_pages(char** argv) {
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables && std::strstr(tunables, "glibc.malloc.hugetlb")) return;
  // Under valgrind, /proc/self/exe is valgrind's.
  if (const char* preload = std::getenv("LD_PRELOAD"); preload && std::strstr(preload, "vgpreload"))
    return;
  const std::string value = (tunables && *tunables ? std::string(tunables) + ":" : std::string()) +
                            "glibc.malloc.hugetlb=1";
  // The file's own path, not /proc/self/exe: that would name the process
  // "exe" in ps and pgrep.
  std::error_code ec;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec || self.empty() || ::setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
  ::execv(self.c_str(), argv);
#else
  (void)argv;
#endif
}

}  // namespace

int main(int argc, char** argv) {
  restart_with_huge_pages(argv);
  CLI::App app{
      "Build the Otiose Search index from a corpus of specimen records, or check the corpus."};
  app.footer(R"(SOURCE is a directory of *.json records (read recursively), a JSON Lines
file (one record a line), or '-' for records on standard input (JSON Lines,
or JSON records over several lines as otiose-import prints them). A
directory's synonyms.txt, if any, gives the query synonyms, and its
occupations.tsv which reference occupations (similarity/occupations.tsv,
O*NET's) each specimen is: a pasted ad more like another occupation is
"no close specimen" (without the file, ads are judged on the specimens
alone).

The index is DIR from --index, else $OTIOSE_INDEX, else
${XDG_DATA_HOME:-~/.local/share}/otiose/index. Re-running updates only the
specimens that changed; readers see the old index or the new one, never a
mix; a killed run leaves the previous index answering.

Examples:
  otiose-index data                        # index the bundled catalogue
  otiose-index data --index /tmp/i --json  # elsewhere; summary as JSON
  otiose-index --check data                # lint the catalogue, write nothing
  otiose-import page.txt --tagline "One line." | otiose-index - --index /tmp/i

Exit codes: 0 done (or clean); 1 the corpus has errors (each printed on
stderr as FILE[:LINE]: FIELD: expected ..., got ...) and nothing was
written; 2 usage; 4 the index is locked by another writer or damaged;
5 a file could not be read or written.)");
  std::vector<std::string> sources, synonym_files;
  std::string index_flag, config_path, occupation_map;
  bool check = false, keep_going = false, strict = false, json_out = false, quiet = false,
       rebuild = false;
  unsigned threads = 0;
  std::size_t shards = 0;
  std::vector<std::string> remote;
  app.add_option("SOURCE", sources, "Corpus: a directory, a .jsonl file, or -")->required();
  app.add_option("--index", index_flag,
                 "Index directory (default: $OTIOSE_INDEX or ~/.local/share/otiose/index)");
  app.add_flag("--check", check, "Validate and lint the corpus; write nothing");
  app.add_flag("--rebuild", rebuild, "Build from scratch instead of updating");
  app.add_flag("--keep-going", keep_going, "Index the good records even if some are bad");
  app.add_flag("--strict", strict, "With --check: warnings fail too");
  app.add_flag("--json", json_out, "Print the summary as JSON on stdout");
  app.add_flag("-q,--quiet", quiet, "No progress bar");
  app.add_option("--config", config_path,
                 "TF-IDF configuration (default: the shipped similarity/tfidf.json)");
  app.add_option("--synonyms", synonym_files,
                 "Synonyms file (default: synonyms.txt in each SOURCE directory)");
  app.add_option("--occupations", occupation_map,
                 "Which reference occupations each specimen is, for the ad matcher (default: "
                 "occupations.tsv in a SOURCE directory)");
  app.add_option("--threads", threads, "Worker threads (default: every core)");
  app.add_option("--shards", shards,
                 "Write N Xapian databases and a stub listing them (a specimen and its quotes "
                 "in the shard its slug hashes to); rebuilt whole every run")
      ->check(CLI::Range(1, 1024));
  app.add_option("--remote", remote,
                 "With --shards: HOST:PORT of the xapian-tcpsrv serving each shard, in order "
                 "(the stub names them; the shards are still written here)")
      ->delimiter(',')
      ->needs("--shards");
  app.set_version_flag("--version", std::string(kTool) + " " + OTIOSE_VERSION);
  otiose::cli::add_colour_option(app);
  otiose::cli::add_generate_option(app);
  if (auto done = otiose::cli::parse(app, argc, argv)) return *done;
  return otiose::cli::guarded(kTool, [&]() -> int {
    if (config_path.empty()) config_path = otiose::cli::find_share_file("tfidf.json");
    otiose::TfidfConfig tfidf = otiose::load_tfidf_config(config_path);
    otiose::LoadOptions load;
    load.keep_going = keep_going;
    otiose::Corpus corpus = otiose::load_corpus(sources, load);

    if (check) {
      if (corpus.error_count() == 0) {
        auto lint = otiose::lint_catalogue(corpus.records, tfidf);
        corpus.diagnostics.insert(corpus.diagnostics.end(), lint.begin(), lint.end());
      }
      print_diagnostics(corpus.diagnostics);
      bool failed = corpus.error_count() > 0 || (strict && corpus.warning_count() > 0);
      if (json_out) {
        nlohmann::json problems = nlohmann::json::array();
        for (const auto& d : corpus.diagnostics)
          problems.push_back({{"severity", d.is_error() ? "error" : "warning"},
                              {"file", d.file},
                              {"line", d.line ? nlohmann::json(d.line) : nlohmann::json(nullptr)},
                              {"field", d.field},
                              {"message", d.message}});
        std::cout << nlohmann::json{{"records", corpus.records.size() + corpus.bad_records},
                                    {"bad_records", corpus.bad_records},
                                    {"errors", corpus.error_count()},
                                    {"warnings", corpus.warning_count()},
                                    {"ok", !failed},
                                    {"problems", problems}}
                         .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                  << '\n';
      } else {
        std::cout << kTool << ": checked "
                  << otiose::cli::count(corpus.records.size() + corpus.bad_records, "record",
                                        "records")
                  << ": " << otiose::cli::count(corpus.error_count(), "error", "errors") << ", "
                  << otiose::cli::count(corpus.warning_count(), "warning", "warnings") << "\n";
      }
      return failed ? otiose::cli::kBadCorpus : otiose::cli::kOk;
    }

    print_diagnostics(corpus.diagnostics);
    if (!corpus.usable()) {
      std::string what = corpus.bad_records > 0
                             ? otiose::cli::count(corpus.bad_records, "bad record", "bad records")
                             : otiose::cli::count(corpus.error_count(), "error", "errors");
      otiose::cli::print_error(kTool,
                               what + "; nothing was written (fix them, or pass --keep-going)");
      return otiose::cli::kBadCorpus;
    }
    if (corpus.records.empty()) {
      std::string named;
      for (const auto& s : sources) named += (named.empty() ? "" : ", ") + s;
      otiose::cli::print_error(kTool, "no records in " + named + "; nothing was written");
      return otiose::cli::kBadCorpus;
    }
    otiose::IndexOptions options;
    options.rebuild = rebuild;
    options.tfidf = std::move(tfidf);
    options.threads = threads;
    options.shards = shards;
    options.remote_shards = remote;
    if (synonym_files.empty())
      for (const auto& s : sources)
        if (std::filesystem::is_regular_file(std::filesystem::path(s) / "synonyms.txt"))
          synonym_files.push_back((std::filesystem::path(s) / "synonyms.txt").string());
    for (const auto& f : synonym_files) {
      auto groups = otiose::load_synonyms(f);
      options.synonyms.insert(options.synonyms.end(), groups.begin(), groups.end());
    }
    if (!occupation_map.empty() && options.tfidf.occupations.empty())
      throw otiose::Error(otiose::ErrorKind::kUsage,
                          "--occupations: " + config_path + " names no reference occupations");
    if (occupation_map.empty())
      for (const auto& s : sources)
        if (std::filesystem::is_regular_file(std::filesystem::path(s) / "occupations.tsv"))
          occupation_map = (std::filesystem::path(s) / "occupations.tsv").string();
    if (!occupation_map.empty() && !options.tfidf.occupations.empty())
      options.occupations = otiose::load_occupations(options.tfidf.occupations, occupation_map);
    otiose::cli::Progress progress(quiet);
    options.progress = [&](std::string_view stage, std::size_t done, std::size_t total) {
      progress.update(stage, done, total);
    };
    std::string index_dir = otiose::resolve_index_path(index_flag);
    g_writing = index_dir;
    struct Armed {
      std::terminate_handler previous = std::set_terminate(write_terminated);
      ~Armed() { std::set_terminate(previous); }
    };
    std::optional<Armed> armed(std::in_place);
    otiose::IndexReport r = otiose::write_index(corpus.records, index_dir, options);
    armed.reset();
    progress.finish();
    std::size_t documents = r.specimens + r.quotes;
    double rate = r.seconds > 0 ? static_cast<double>(documents) / r.seconds : 0;
    if (json_out) {
      std::cout << nlohmann::json{{"index", index_dir},
                                  {"generation", r.generation},
                                  {"written", r.written},
                                  {"rebuilt", r.rebuilt},
                                  {"out_of_order", r.out_of_order},
                                  {"specimens", r.specimens},
                                  {"quotes", r.quotes},
                                  {"documents", documents},
                                  {"added", r.added},
                                  {"updated", r.updated},
                                  {"removed", r.removed},
                                  {"unchanged", r.unchanged},
                                  {"bad_records", corpus.bad_records},
                                  {"seconds", r.seconds},
                                  {"documents_per_second", rate},
                                  {"similarity_seconds",
                                   r.model.vectorize_seconds + r.model.all_pairs_seconds},
                                  {"similarity_terms", r.model.terms},
                                  {"similarity_all_pairs_bytes", r.model.all_pairs_bytes},
                                  {"similarity_vectorize_seconds", r.model.vectorize_seconds},
                                  {"similarity_all_pairs_seconds", r.model.all_pairs_seconds},
                                  {"similarity_lists_kept", r.model.lists_kept},
                                  {"similarity_counts_kept", r.model.counts_kept}}
                       .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                << '\n';
    } else {
      using otiose::cli::count;
      std::cout << kTool << ": " << count(r.specimens, "specimen", "specimens") << ", "
                << count(r.quotes, "quote", "quotes") << " ("
                << count(documents, "document", "documents") << ")";
      if (r.written)
        std::cout << " in " << fixed(r.seconds, 2) << " s, " << fixed(rate, 0)
                  << " documents/s: " << r.added << " added, " << r.updated << " updated, "
                  << r.removed << " removed, " << r.unchanged << " unchanged"
                  << (r.out_of_order
                          ? "; rebuilt whole, as earlier edits had left " +
                                count(r.out_of_order, "document", "documents") + " out of order"
                          : std::string())
                  << '\n';
      else
        std::cout << ": the index is already up to date, nothing written (" << fixed(r.seconds, 2)
                  << " s)\n";
    }
    return otiose::cli::kOk;
  });
}
