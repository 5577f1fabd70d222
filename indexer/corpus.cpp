// The corpus loader: directories of *.json, JSON Lines files and stdin.
#include <otiose/record.h>

#include <otiose/error.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <istream>
#include <unordered_map>

#include "base/text.h"

namespace otiose {
namespace {

namespace fs = std::filesystem;

class Loader {
 public:
  explicit Loader(Corpus& corpus) : corpus_(corpus) {}

  void add(std::string_view text, const std::string& file, std::size_t line) {
    ParsedRecord parsed = parse_record(text, file, line);
    bool bad = false;
    for (auto& d : parsed.diagnostics) {
      bad |= d.is_error();
      corpus_.diagnostics.push_back(std::move(d));
    }
    if (bad || !parsed.record) {
      ++corpus_.bad_records;
      return;
    }
    std::string origin = line ? file + ":" + std::to_string(line) : file;
    auto [it, inserted] = seen_.emplace(parsed.record->slug, origin);
    if (!inserted) {
      Diagnostic d;
      d.file = file;
      d.line = line;
      d.field = "slug";
      d.message = "duplicate slug \"" + parsed.record->slug + "\", first defined at " + it->second;
      corpus_.diagnostics.push_back(std::move(d));
      ++corpus_.bad_records;
      return;
    }
    corpus_.records.push_back({std::move(*parsed.record), std::move(origin)});
  }

  void json_lines(std::istream& in, const std::string& file) {
    std::string line;
    std::size_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (detail::trim(line).empty()) continue;
      add(line, file, number);
    }
    if (in.bad()) throw Error(ErrorKind::kIo, file + ": read failed");
  }

  void directory(const fs::path& dir, const std::string& shown) {
    std::vector<fs::path> files;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end;
    if (ec) throw Error(ErrorKind::kIo, shown + ": cannot read directory: " + ec.message());
    for (; it != end; it.increment(ec)) {
      if (ec) throw Error(ErrorKind::kIo, shown + ": cannot read directory: " + ec.message());
      if (it->is_regular_file(ec) && it->path().extension() == ".json") files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      Diagnostic d;
      d.file = shown;
      d.message = "no *.json records found in this directory";
      corpus_.diagnostics.push_back(std::move(d));
      return;
    }
    for (const auto& f : files) {
      std::string name = display(dir, shown, f);
      add(detail::read_file(f.string()), name, 0);
    }
  }

 private:
  // The file's path as the user would write it: the source they named
  // joined with the path below it.
  static std::string display(const fs::path& dir, const std::string& shown, const fs::path& file) {
    fs::path rel = file.lexically_relative(dir);
    fs::path base(shown);
    return (base / rel).lexically_normal().string();
  }

  Corpus& corpus_;
  std::unordered_map<std::string, std::string> seen_;
};

}  // namespace

std::size_t Corpus::error_count() const {
  return static_cast<std::size_t>(std::count_if(diagnostics.begin(), diagnostics.end(),
                                                [](const Diagnostic& d) { return d.is_error(); }));
}

std::size_t Corpus::warning_count() const {
  return diagnostics.size() - error_count();
}

Corpus load_corpus(const std::vector<std::string>& sources, const LoadOptions& options,
                   std::istream* stdin_stream) {
  Corpus corpus;
  corpus.keep_going = options.keep_going;
  Loader loader(corpus);
  if (sources.empty()) throw Error(ErrorKind::kUsage, "no corpus source given");
  for (const auto& source : sources) {
    if (source == "-") {
      loader.json_lines(stdin_stream ? *stdin_stream : std::cin, "-");
      continue;
    }
    std::error_code ec;
    fs::file_status status = fs::status(source, ec);
    if (ec || !fs::exists(status))
      throw Error(ErrorKind::kIo, source + ": no such file or directory");
    if (fs::is_directory(status)) {
      loader.directory(source, source);
    } else if (fs::path(source).extension() == ".json") {
      loader.add(detail::read_file(source), source, 0);
    } else {
      std::ifstream in(source, std::ios::binary);
      if (!in) throw Error(ErrorKind::kIo, source + ": cannot open");
      loader.json_lines(in, source);
    }
  }
  std::stable_sort(
      corpus.records.begin(), corpus.records.end(),
      [](const LoadedRecord& a, const LoadedRecord& b) { return a.record.slug < b.record.slug; });
  return corpus;
}

}  // namespace otiose
