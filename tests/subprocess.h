// Running the tools from tests without a shell: limits (RLIMIT_FSIZE), another
// user, in the background; an exit code told apart from a signal.
#ifndef OTIOSE_TESTS_SUBPROCESS_H_
#define OTIOSE_TESTS_SUBPROCESS_H_

#include <fcntl.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include "test_util.h"

namespace otiose::test {

// A tool built in this tree (not the staged install: these tests need no
// fixture).
inline std::string built_tool(const std::string& name) {
  return std::string(OTIOSE_BINARY_DIR) + "/" + name;
}

struct SpawnOptions {
  std::optional<rlim_t> file_size_limit;  // RLIMIT_FSIZE in bytes; SIGXFSZ ignored, so
                                          // a write past it fails with EFBIG
  std::optional<uid_t> uid;               // run as this user (and group `gid`)
  gid_t gid = 65534;
  std::string stdin_path = "/dev/null";
  std::string stdout_path = "/dev/null";
  std::string stderr_path = "/dev/null";
};

// How a child ended.
struct Ended {
  int code = -1;   // exit code, when it exited
  int signal = 0;  // the signal that killed it, or 0
  bool crashed() const { return signal != 0; }
};

// Starts argv[0] with `options`; returns its PID. Between fork and exec only
// async-signal-safe calls; an exec failure exits 127.
inline pid_t spawn(const std::vector<std::string>& args, const SpawnOptions& options = {}) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  int in = ::open(options.stdin_path.c_str(), O_RDONLY);
  int out = ::open(options.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err = ::open(options.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || out < 0 || err < 0) ::_exit(127);
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(err, 2);
  if (options.file_size_limit) {
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{*options.file_size_limit, *options.file_size_limit};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(127);
  }
  if (options.uid) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(options.gid) != 0 || ::setuid(*options.uid) != 0)
      ::_exit(127);
  }
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

inline Ended wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  Ended e;
  if (WIFEXITED(status)) e.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) e.signal = WTERMSIG(status);
  return e;
}

struct Outcome : Ended {
  std::string out;
  std::string err;
};

// Runs to the end and collects stdout and stderr.
inline Outcome run_tool(const std::vector<std::string>& args, SpawnOptions options = {}) {
  TempDir tmp;
  options.stdout_path = tmp / "out";
  options.stderr_path = tmp / "err";
  Outcome o;
  static_cast<Ended&>(o) = wait_for(spawn(args, options));
  o.out = read_file(options.stdout_path);
  o.err = read_file(options.stderr_path);
  return o;
}

}  // namespace otiose::test

#endif  // OTIOSE_TESTS_SUBPROCESS_H_
