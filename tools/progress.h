// A progress line for long runs, on a terminal only (tools only).
#ifndef OTIOSE_TOOLS_PROGRESS_H_
#define OTIOSE_TOOLS_PROGRESS_H_

#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

namespace otiose::cli {

// Draws "stage [#####.....] done/total  rate/s  ETA" on stderr, redrawn at
// most ten times a second, and only once a run has lasted a second: short
// runs print nothing. Silent when stderr is not a terminal or when quiet.
class Progress {
 public:
  explicit Progress(bool quiet) : enabled_(!quiet && isatty(fileno(stderr)) != 0) {}
  ~Progress() { finish(); }

  void update(std::string_view stage, std::size_t done, std::size_t total) {
    if (!enabled_) return;
    auto now = Clock::now();
    if (stage != stage_) {
      // A stage starts when the one before it last reported (the first,
      // with the run).
      stage_start_ = last_call_;
      stage_ = std::string(stage);
    }
    last_call_ = now;
    if (now - start_ < std::chrono::seconds(1)) return;
    if (now - last_ < std::chrono::milliseconds(100) && done != total) return;
    last_ = now;
    double elapsed = std::chrono::duration<double>(now - stage_start_).count();
    double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
    double left = rate > 0 ? static_cast<double>(total - done) / rate : 0;
    constexpr int kWidth = 30;
    int filled =
        total ? static_cast<int>(kWidth * static_cast<double>(done) / static_cast<double>(total))
              : 0;
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r%-10s [%s] %zu/%zu  %.0f/s  ETA %.0fs   ", stage_.c_str(), bar.c_str(),
                 done, total, rate, left);
    drawn_ = true;
  }

  void finish() {
    if (drawn_) std::fprintf(stderr, "\r\033[K");
    drawn_ = false;
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  bool drawn_ = false;
  std::string stage_;
  Clock::time_point start_ = Clock::now(), stage_start_ = start_, last_call_ = start_, last_{};
};

}  // namespace otiose::cli

#endif  // OTIOSE_TOOLS_PROGRESS_H_
