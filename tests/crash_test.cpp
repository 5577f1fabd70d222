// kill -9 otiose-index at many moments of a run: the previous index must
// keep answering, and the next run must complete.
#include <otiose/search.h>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <chrono>
#include <csignal>
#include <thread>

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
    auto r = fresh.search("oldmarker", {});
    auto n = fresh.search("newmarker", {});
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
  CHECK(after.search("newmarker", {}).total > 0);
  CHECK(after.search("oldmarker", {}).total == 0);
}
