// The corpus loader: directories of *.json, JSON Lines files and stdin.
#include <otiose/record.h>

#include <otiose/error.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <istream>
#include <unordered_map>
#include <unordered_set>

#include "base/parallel.h"
#include "base/text.h"
#include "indexer/fast_record.h"

namespace otiose {
namespace {

namespace fs = std::filesystem;

class Loader {
 public:
  explicit Loader(Corpus& corpus) : corpus_(corpus) {}

  // Queues one record's text; flush() parses the queue on every core and
  // takes the results in order, so diagnostics and duplicates come out as
  // from one thread. A batch is bounded so a large corpus is not held
  // twice in memory.
  void add(std::string text, const std::string& file, std::size_t line) {
    queued_bytes_ += text.size();
    queue_.push_back({std::move(text), file, line});
    if (queue_.size() >= kBatchRecords || queued_bytes_ >= kBatchBytes) flush();
  }

  void flush() {
    std::vector<ParsedRecord> parsed(queue_.size());
    detail::parallel_for(queue_.size(), kThreads, [&](std::size_t i) {
      parsed[i] = detail::parse_corpus_record(queue_[i].text, queue_[i].file, queue_[i].line);
    });
    for (std::size_t i = 0; i < queue_.size(); ++i)
      accept(std::move(parsed[i]), queue_[i].file, queue_[i].line);
    queue_.clear();
    queued_bytes_ = 0;
  }

  void json_lines(std::istream& in, const std::string& file) {
    std::string line;
    std::size_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (detail::trim(line).empty()) continue;
      add(std::move(line), file, number);
      line.clear();
    }
    if (in.bad()) throw Error(ErrorKind::kIo, file + ": read failed");
  }

  // A stream of JSON values, one record each: JSON Lines, or records printed
  // over several lines (otiose-import's pretty JSON). Each value is found by
  // its brackets and named by the line it starts on; anything between
  // values that is not white space is read as a value too, to be reported.
  void json_stream(std::istream& in, const std::string& file) {
    std::string text(std::istreambuf_iterator<char>(in), {});
    if (in.bad()) throw Error(ErrorKind::kIo, file + ": read failed");
    std::size_t line = 1, start = 0, start_line = 0, depth = 0;
    bool in_value = false;
    detail::JsonStrings strings;
    auto emit = [&](std::size_t end) {
      add(text.substr(start, end - start), file, start_line);
      in_value = false;
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (!in_value) {
        if (c == '\n') ++line;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        in_value = true;
        start = i;
        start_line = line;
        depth = 0;
      }
      if (strings.outside(c)) {
        if (c == '{' || c == '[') {
          ++depth;
        } else if ((c == '}' || c == ']') && depth > 0) {
          if (--depth == 0) {
            emit(i + 1);
            continue;
          }
        } else if (c == '\n' && depth == 0) {
          emit(i);  // a line that is no JSON object
        }
      }
      if (c == '\n') ++line;
    }
    if (in_value) emit(text.size());
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

  // The rest of adding a record, in source order.
  void accept(ParsedRecord parsed, const std::string& file, std::size_t line) {
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
      // Two records claim one slug: neither is the specimen (finish() drops
      // the first too), whichever sorts first.
      Diagnostic d;
      d.file = file;
      d.line = line;
      d.field = "slug";
      d.message = "duplicate slug \"" + parsed.record->slug + "\", also defined at " + it->second +
                  "; neither record is indexed";
      corpus_.diagnostics.push_back(std::move(d));
      ++corpus_.bad_records;
      duplicated_.insert(parsed.record->slug);
      return;
    }
    corpus_.records.push_back({std::move(*parsed.record), std::move(origin)});
  }

  // Drops the first record of every duplicated slug.
  void finish() {
    flush();
    auto gone =
        std::remove_if(corpus_.records.begin(), corpus_.records.end(),
                       [&](const LoadedRecord& r) { return duplicated_.count(r.record.slug); });
    corpus_.bad_records += static_cast<std::size_t>(corpus_.records.end() - gone);
    corpus_.records.erase(gone, corpus_.records.end());
  }

 private:
  // The file's path as the user would write it: the source they named
  // joined with the path below it.
  static std::string display(const fs::path& dir, const std::string& shown, const fs::path& file) {
    fs::path rel = file.lexically_relative(dir);
    fs::path base(shown);
    return (base / rel).lexically_normal().string();
  }

 private:
  struct Queued {
    std::string text;
    std::string file;
    std::size_t line;
  };
  static constexpr std::size_t kBatchRecords = 4096, kBatchBytes = 32 << 20;
  static constexpr unsigned kThreads = 0;  // one a core

  Corpus& corpus_;
  std::vector<Queued> queue_;
  std::size_t queued_bytes_ = 0;
  std::unordered_map<std::string, std::string> seen_;
  std::unordered_set<std::string> duplicated_;
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
    loader.flush();  // each source's records before anything of the next
    if (source == "-") {
      loader.json_stream(stdin_stream ? *stdin_stream : std::cin, "-");
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
  loader.finish();
  std::stable_sort(
      corpus.records.begin(), corpus.records.end(),
      [](const LoadedRecord& a, const LoadedRecord& b) { return a.record.slug < b.record.slug; });
  return corpus;
}

}  // namespace otiose
