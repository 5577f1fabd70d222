// What every otiose-* tool shares: exit codes, colour, error reporting.
// Tools only (tools/); the library never prints.
#ifndef OTIOSE_TOOLS_CLI_H_
#define OTIOSE_TOOLS_CLI_H_

#include <otiose/error.h>

#include <CLI/CLI.hpp>

#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

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

// --color: auto (the default), always or never.
enum class ColourMode { kAuto, kAlways, kNever };
inline ColourMode& colour_mode() {
  static ColourMode mode = ColourMode::kAuto;
  return mode;
}

// Colour only on a terminal, never with NO_COLOR set (https://no-color.org)
// or on a dumb terminal, unless --color says otherwise.
inline bool colour_wanted(std::FILE* stream) {
  if (colour_mode() != ColourMode::kAuto) return colour_mode() == ColourMode::kAlways;
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour != nullptr && *no_colour != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string(term) == "dumb") return false;
  return isatty(fileno(stream)) != 0;
}

// Every tool's --color=auto|always|never (and its British spelling).
inline void add_colour_option(CLI::App& app) {
  app.add_option_function<std::string>(
         "--color,--colour",
         [](const std::string& when) {
           colour_mode() = when == "always"  ? ColourMode::kAlways
                           : when == "never" ? ColourMode::kNever
                                             : ColourMode::kAuto;
         },
         "When to colour: auto (on a terminal, without NO_COLOR), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
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

// "1 record", "2 records".
inline std::string count(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// "otiose-search: warning: <message>" on stderr.
inline void print_warning(const char* tool, const std::string& message) {
  Style s{colour_wanted(stderr)};
  std::cerr << tool << ": " << s.yellow() << "warning: " << s.reset() << message << '\n';
}

// How far apart two option names are, for "did you mean" (Levenshtein).
inline std::size_t name_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0]++;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// What to say about a word the command line does not know: the closest
// long option, or, for a word like "-meetings", how to search for it.
inline std::string unknown_argument(const CLI::App& app, const std::string& arg) {
  if (arg.empty() || arg[0] != '-') return "unexpected argument \"" + arg + "\"";
  std::string name = arg.substr(0, arg.find('='));
  std::string best;
  std::size_t best_distance = 3;
  for (const CLI::Option* o : app.get_options()) {
    for (const std::string& long_name : o->get_lnames()) {
      std::size_t d = name_distance(name, "--" + long_name);
      if (d < best_distance) {
        best_distance = d;
        best = "--" + long_name;
      }
    }
  }
  if (!best.empty()) return "unknown option " + name + " (did you mean " + best + "?)";
  return "unknown option " + name +
         " (a query or name that starts with '-' goes after --: " + app.get_name() + " -- " + arg +
         ")";
}

// Parses the command line. Returns the exit code when the tool should stop
// now (--help, --version: 0; a usage error: kUsage), or nullopt to go on. A
// usage error is one line on stderr, "tool: error: ...; see tool --help",
// with the closest option for a misspelt one. `check` may throw
// CLI::ValidationError for rules CLI11 cannot express.
inline std::optional<int> parse(CLI::App& app, int argc, char** argv,
                                const std::function<void()>& check = {}) {
  if (app.get_name().empty() && argc > 0) {
    std::string self = argv[0];
    app.name(self.substr(self.rfind('/') + 1));
  }
  auto usage = [&](const std::string& message) {
    Style s{colour_wanted(stderr)};
    std::cerr << app.get_name() << ": " << s.red() << "error: " << s.reset() << message << "; see "
              << app.get_name() << " --help\n";
    return kUsage;
  };
  try {
    app.parse(argc, argv);
    if (check) check();
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e) == 0 ? kOk : kUsage;
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e) == 0 ? kOk : kUsage;
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e) == 0 ? kOk : kUsage;
  } catch (const CLI::ParseError& e) {
    // An unknown option, even when CLI11 first complains that the
    // positional it swallowed is missing.
    for (const std::string& extra : app.remaining())
      if (!extra.empty() && extra[0] == '-' && extra != "-")
        return usage(unknown_argument(app, extra));
    if (!app.remaining().empty()) return usage(unknown_argument(app, app.remaining().front()));
    std::string message = e.what();
    // CLI11's "Could not convert: --salary-min = abc".
    const std::string convert = "Could not convert: ";
    if (message.rfind(convert, 0) == 0 && message.find(" = ") != std::string::npos) {
      std::size_t eq = message.find(" = ");
      return usage(message.substr(convert.size(), eq - convert.size()) +
                   ": expected a number, got \"" + message.substr(eq + 3) + "\"");
    }
    return usage(message.empty() ? "bad command line" : message);
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
