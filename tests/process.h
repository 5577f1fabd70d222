// Running the tools from tests: a command's exit code, stdout and stderr.
#ifndef OTIOSE_TESTS_PROCESS_H_
#define OTIOSE_TESTS_PROCESS_H_

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "test_util.h"

namespace otiose::test {

struct Ran {
  int status = -1;  // exit code
  std::string out;
  std::string err;
};

// Runs `command` under /bin/sh with stdin from /dev/null (or `input`).
inline Ran run_command(const std::string& command, const std::string& input = "") {
  TempDir tmp;
  std::string in = tmp / "in", out = tmp / "out", err = tmp / "err";
  write_file(in, input);
  int raw = std::system((command + " <" + in + " >" + out + " 2>" + err).c_str());
  Ran r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

// A deterministic corpus of `n` specimens, each with every section and a few
// hundred words, as JSON Lines. `marker` goes into every title.
inline std::string generated_corpus(std::size_t n, const std::string& marker) {
  static const char* const kWords[] = {
      "synergy",    "roadmap",  "stakeholder", "alignment",  "deliverable", "bandwidth",
      "leverage",   "pipeline", "velocity",    "sprint",     "backlog",     "dashboard",
      "escalation", "offsite",  "workshop",    "cadence",    "kpi",         "okr",
      "vendor",     "budget",   "forecast",    "audit",      "roadmap",     "customer",
      "platform",   "cloud",    "migration",   "governance", "framework",   "playbook",
      "review",     "meeting"};
  constexpr std::size_t kCount = sizeof kWords / sizeof kWords[0];
  std::uint64_t state = 42;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::size_t>(state >> 33);
  };
  auto sentence = [&](std::size_t words) {
    std::string s;
    for (std::size_t i = 0; i < words; ++i)
      s += std::string(i ? " " : "") + kWords[next() % kCount];
    return s;
  };
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    std::string slug = "gen-" + std::to_string(i);
    auto pair = [&](const char* a, const char* b) {
      return std::string("{\"") + a + "\": \"" + sentence(4) + "\", \"" + b + "\": \"" +
             sentence(30) + "\"}";
    };
    out += "{\"slug\": \"" + slug + "\", \"title\": \"" + marker + " " + sentence(2) +
           "\", \"tagline\": \"" + sentence(15) + "\", \"aliases\": [\"" + sentence(2) + "\", \"" +
           sentence(3) + "\"], \"habitat\": [\"" + sentence(8) +
           "\"], \"salary\": {\"average\": " + std::to_string(50000 + next() % 100000) +
           ", \"quote\": \"" + sentence(20) +
           "\"}, \"flight_risk\": {\"percent\": " + std::to_string(next() % 101) +
           ", \"label\": \"RISK\", \"diagnosis\": \"" + sentence(20) + "\"}, \"metrics\": [" +
           pair("name", "description") + ", " + pair("name", "description") + "], \"weaponry\": [" +
           pair("name", "description") + "], \"jd_autopsy\": [{\"illusion\": \"" + sentence(25) +
           "\", \"source\": null, \"translation\": \"" + sentence(25) +
           "\"}], \"burn_ward\": [{\"text\": \"" + sentence(25) +
           "\", \"source\": \"teamblind.com\"}]}\n";
  }
  return out;
}

}  // namespace otiose::test

#endif  // OTIOSE_TESTS_PROCESS_H_
