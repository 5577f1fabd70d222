// What every otiose-* tool shares: exit codes, colour, error reporting.
// Tools only (tools/); the library never prints.
#ifndef OTIOSE_TOOLS_CLI_H_
#define OTIOSE_TOOLS_CLI_H_

#include <otiose/error.h>

#include <CLI/CLI.hpp>

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>
#include <string>

namespace otiose::cli {

// Documented in README.md ("Exit codes"); never renumber.
enum ExitCode : int {
  kOk = 0,
  kBadCorpus = 1,     // the corpus or page has errors (reported on stderr)
  kUsage = 2,         // bad command line
  kNotFound = 3,      // unknown specimen
  kIndexProblem = 4,  // index missing, damaged, locked, or model unreadable
  kIoProblem = 5,     // a file could not be read or written
  kBadQuery = 6,      // the query could not be parsed
};

inline int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kIo: return kIoProblem;
    case ErrorKind::kIndex:
    case ErrorKind::kModel: return kIndexProblem;
    case ErrorKind::kQuery: return kBadQuery;
    case ErrorKind::kNotFound: return kNotFound;
    case ErrorKind::kUsage: return kUsage;
    case ErrorKind::kCorpus: return kBadCorpus;
  }
  return kIoProblem;
}

// Colour only on a terminal, never with NO_COLOR set (https://no-color.org)
// or on a dumb terminal.
inline bool colour_wanted(std::FILE* stream) {
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour != nullptr && *no_colour != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string(term) == "dumb") return false;
  return isatty(fileno(stream)) != 0;
}

struct Style {
  bool on = false;
  std::string bold() const { return on ? "\033[1m" : ""; }
  std::string dim() const { return on ? "\033[2m" : ""; }
  std::string red() const { return on ? "\033[31m" : ""; }
  std::string green() const { return on ? "\033[32m" : ""; }
  std::string yellow() const { return on ? "\033[33m" : ""; }
  std::string cyan() const { return on ? "\033[36m" : ""; }
  std::string reset() const { return on ? "\033[0m" : ""; }
};

// A data file the tools ship (tfidf.json): beside the installed tools in
// ../share/otiose, else in the source tree they were built from.
inline std::string find_share_file(const std::string& name) {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    std::string dir(exe, static_cast<std::size_t>(n));
    dir.resize(dir.rfind('/'));
    std::string installed = dir + "/../share/otiose/" + name;
    if (access(installed.c_str(), R_OK) == 0) return installed;
  }
  return std::string(OTIOSE_SOURCE_SHARE_DIR) + "/" + name;
}

// "otiose-search: error: <message>" on stderr.
inline void print_error(const char* tool, const std::string& message) {
  Style s{colour_wanted(stderr)};
  std::cerr << tool << ": " << s.red() << "error: " << s.reset() << message << '\n';
}

// Parses the command line. Returns the exit code when the tool should stop
// now (--help, --version: 0; a usage error, printed by CLI11: kUsage), or
// nullopt to go on. `check` may throw CLI::ValidationError for rules CLI11
// cannot express.
inline std::optional<int> parse(CLI::App& app, int argc, char** argv,
                                const std::function<void()>& check = {}) {
  try {
    app.parse(argc, argv);
    if (check) check();
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kOk : kUsage;
  }
  return std::nullopt;
}

// Runs a tool's body: an otiose::Error becomes one line on stderr and its
// exit code; anything else an I/O problem.
inline int guarded(const char* tool, const std::function<int()>& body) {
  try {
    return body();
  } catch (const Error& e) {
    print_error(tool, e.what());
    return exit_code(e.kind());
  } catch (const std::exception& e) {
    print_error(tool, e.what());
    return kIoProblem;
  }
}

}  // namespace otiose::cli

#endif  // OTIOSE_TOOLS_CLI_H_
