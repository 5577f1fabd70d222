// kill -9 otiose-index at many moments of a run: the previous index must
// keep answering, and the next run must complete.
#include <otiose/search.h>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>
#include <chrono>
#include <csignal>
#include <map>
#include <thread>
#include <tuple>

#include "process.h"
#include "test_util.h"

extern char** environ;

using otiose::test::TempDir;

namespace {

std::string tool(const std::string& name) {
  return std::string(OTIOSE_BINARY_DIR) + "/" + name;
}

// Starts otiose-index on `corpus`, kills it with SIGKILL after `delay`.
// Returns true if it was still running when killed.
bool index_and_kill(const std::string& corpus, const std::string& index,
                    std::chrono::milliseconds delay) {
  std::string bin = tool("otiose-index");
  std::vector<std::string> args = {bin, corpus, "--index", index, "--quiet", "--rebuild"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&actions);
  std::this_thread::sleep_for(delay);
  bool running = ::kill(pid, SIGKILL) == 0;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return running && WIFSIGNALED(status);
}

}  // namespace

TEST_CASE("kill -9 at any moment of a run leaves the previous index answering") {
  TempDir dir;
  std::string old_corpus = dir / "old.jsonl", new_corpus = dir / "new.jsonl", index = dir / "index";
  otiose::test::write_file(old_corpus, otiose::test::generated_corpus(1500, "Oldmarker"));
  otiose::test::write_file(new_corpus, otiose::test::generated_corpus(1500, "Newmarker"));
  auto built = otiose::test::run_command(tool("otiose-index") + " " + old_corpus + " --index " +
                                         index + " --quiet");
  REQUIRE(built.status == 0);

  // How long a full run takes, to spread the kills over it.
  auto start = std::chrono::steady_clock::now();
  REQUIRE(otiose::test::run_command(tool("otiose-index") + " " + old_corpus + " --index " +
                                    dir / "timing" + " --quiet")
              .status == 0);
  auto full = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);

  otiose::Searcher reader(index);
  int killed = 0;
  for (int step = 0; step < 10; ++step) {
    auto delay = std::chrono::milliseconds(5) + full * step / 9;
    killed += index_and_kill(new_corpus, index, delay);
    INFO("killed after " << delay.count() << " ms of a " << full.count() << " ms run");
    otiose::Searcher fresh(index);
    otiose::SearchOptions exact;  // the markers as typed, never corrected
    exact.exact = true;
    auto r = fresh.search("oldmarker", exact);
    auto n = fresh.search("newmarker", exact);
    // Old or new, never a mix: exactly one of the two corpora answers.
    CHECK((r.total == 0) != (n.total == 0));
    CHECK(fresh.size() == 1500);
    CHECK_FALSE(reader.related("gen-7", 3).empty());
  }
  CHECK(killed >= 5);

  auto finished = otiose::test::run_command(tool("otiose-index") + " " + new_corpus + " --index " +
                                            index + " --quiet");
  INFO(finished.err);
  REQUIRE(finished.status == 0);
  otiose::Searcher after(index);
  otiose::SearchOptions exact;
  exact.exact = true;
  CHECK(after.search("newmarker", exact).total > 0);
  CHECK(after.search("oldmarker", exact).total == 0);
}

namespace {

// The moments of an update, in order, each seen through inotify on the index
// directory and the generation being written.
enum Step {
  kStarted,          // gen-N.tmp-PID created: the current database is being copied
  kXapianCommitted,  // its iamglass renamed into place: a commit inside the Xapian write
  kModelStarted,     // model.bin.tmp-PID created: Xapian done, the model being written
  kModelWritten,     // model.bin renamed into place: the fsyncs before the switch
  kGenerationMoved,  // gen-N renamed into place: not yet current
  kSwitching,        // current.tmp-PID created
  kSwitched,         // current renamed: the new generation answers, the old not yet removed
  kSteps
};
const char* const kStepNames[] = {"started",       "Xapian committed", "model started",
                                  "model written", "generation moved", "switching",
                                  "switched"};

class Watcher {
 public:
  Watcher() : fd_(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) { REQUIRE(fd_ >= 0); }
  ~Watcher() { ::close(fd_); }
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  void watch(const std::string& dir) {
    int wd = ::inotify_add_watch(fd_, dir.c_str(), IN_CREATE | IN_MOVED_TO);
    if (wd >= 0) dirs_[wd] = dir;
  }

  // The events that arrived: (directory, name, mask).
  std::vector<std::tuple<std::string, std::string, std::uint32_t>> poll_events() {
    pollfd p{fd_, POLLIN, 0};
    ::poll(&p, 1, 20);
    std::vector<std::tuple<std::string, std::string, std::uint32_t>> out;
    alignas(inotify_event) char buffer[64 * 1024];
    for (ssize_t n; (n = ::read(fd_, buffer, sizeof buffer)) > 0;) {
      for (char* at = buffer; at < buffer + n;) {
        auto* e = reinterpret_cast<inotify_event*>(at);
        if (e->len > 0 && dirs_.count(e->wd)) out.emplace_back(dirs_[e->wd], e->name, e->mask);
        at += sizeof(inotify_event) + e->len;
      }
    }
    return out;
  }

 private:
  int fd_;
  std::map<int, std::string> dirs_;
};

// Runs otiose-index on `corpus` (an update, one thread) and kills it with
// SIGKILL the moment it reaches `target`. Returns true if the signal ended
// it there; false if the run ended first.
bool update_and_kill_at(const std::string& corpus, const std::string& index, Step target) {
  Watcher watcher;
  watcher.watch(index);
  std::string bin = tool("otiose-index");
  std::vector<std::string> args = {bin, corpus, "--index", index, "--quiet", "--threads", "1"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&actions);
  std::string tmp;
  bool committed = false, reached = false;
  int status = 0;
  while (!reached && ::waitpid(pid, &status, WNOHANG) == 0) {
    for (const auto& [dir, name, mask] : watcher.poll_events()) {
      int step = -1;
      bool moved = (mask & IN_MOVED_TO) != 0;
      if (dir == index && name.find(".tmp-") != std::string::npos && name.rfind("gen-", 0) == 0) {
        tmp = index + "/" + name;
        watcher.watch(tmp);
        std::error_code ec;
        if (std::filesystem::exists(tmp + "/xapian", ec)) watcher.watch(tmp + "/xapian");
        step = kStarted;
      } else if (dir == tmp && name == "xapian") {
        watcher.watch(tmp + "/xapian");
      } else if (dir == tmp + "/xapian" && name == "iamglass" && moved && !committed) {
        committed = true;
        step = kXapianCommitted;
      } else if (dir == tmp && name.rfind("model.bin.tmp-", 0) == 0) {
        step = kModelStarted;
      } else if (dir == tmp && name == "model.bin" && moved) {
        step = kModelWritten;
      } else if (dir == index && name.rfind("gen-", 0) == 0 && moved) {
        step = kGenerationMoved;
      } else if (dir == index && name.rfind("current.tmp-", 0) == 0) {
        step = kSwitching;
      } else if (dir == index && name == "current" && moved) {
        step = kSwitched;
      }
      if (step == target) {
        ::kill(pid, SIGKILL);
        reached = true;
        break;
      }
    }
  }
  if (reached) ::waitpid(pid, &status, 0);
  return reached && WIFSIGNALED(status);
}

}  // namespace

TEST_CASE("kill -9 at each step of an update leaves the old index or the new, never a mix") {
  TempDir dir;
  std::string corpus[2] = {dir / "a.jsonl", dir / "b.jsonl"}, index = dir / "index";
  const char* const markers[2] = {"Oldmarker", "Newmarker"};
  // 200 specimens and their quotes: 1,200 documents, so Xapian commits once
  // (every 1,000) before the end of its write.
  for (int v = 0; v < 2; ++v)
    otiose::test::write_file(corpus[v], otiose::test::generated_corpus(200, markers[v]));
  REQUIRE(otiose::test::run_command(tool("otiose-index") + " " + corpus[0] + " --index " + index +
                                    " --quiet")
              .status == 0);
  otiose::Searcher reader(index);
  auto version = [&](const otiose::Searcher& s) {
    std::size_t old_hits = s.search("title:oldmarker", {}).total,
                new_hits = s.search("title:newmarker", {}).total;
    return old_hits > 0 && new_hits == 0 ? 0 : new_hits > 0 && old_hits == 0 ? 1 : -1;
  };
  for (int step = 0; step < kSteps; ++step) {
    INFO("killed at step: " << kStepNames[step]);
    // The signal is sent when the step is seen; on a loaded machine the run
    // may finish first. Then the run is simply another update: try again.
    bool killed = false;
    for (int attempt = 0; attempt < 5 && !killed; ++attempt) {
      int before = version(otiose::Searcher(index));
      REQUIRE(before >= 0);
      killed = update_and_kill_at(corpus[1 - before], index, static_cast<Step>(step));
      otiose::Searcher fresh(index);
      int after = version(fresh);
      CHECK(after >= 0);  // one corpus or the other, never both
      CHECK(fresh.size() == 200);
      // Which one depends on how far the run got before the signal landed,
      // except at the ends.
      if (killed && step <= kXapianCommitted) CHECK(after == before);
      if (step == kSwitched) CHECK(after != before);
      CHECK_FALSE(reader.related("gen-7", 3).empty());
    }
    CHECK(killed);
  }
  // The next run cleans up what the kills left and completes.
  int last = version(otiose::Searcher(index));
  auto finished = otiose::test::run_command(tool("otiose-index") + " " + corpus[1 - last] +
                                            " --index " + index + " --quiet");
  INFO(finished.err);
  REQUIRE(finished.status == 0);
  CHECK(version(otiose::Searcher(index)) == 1 - last);
  std::size_t generations = 0;
  for (const auto& e : std::filesystem::directory_iterator(index)) {
    std::string name = e.path().filename().string();
    CHECK(name.find(".tmp-") == std::string::npos);
    generations += name.rfind("gen-", 0) == 0;
  }
  CHECK(generations == 2);  // the current one and the one kept for open readers
}
