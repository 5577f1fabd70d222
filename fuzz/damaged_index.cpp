// Fuzz target: a damaged index. A small index (the catalogue's first five
// specimens) is built once per process; each input damages one file of its
// generation (model.bin, a Xapian file under xapian/, or xapian.sums), then a
// Searcher opens it, searches, asks for related specimens and explanations.
// Each step either works or throws otiose::Error: nothing else may escape,
// and nothing may crash, hang or leak. The files are restored after each
// input.
//
// Input: byte 0 picks the file: below 0x80 model.bin (our own format, so
// half the inputs), else one of the others, (byte 0 - 0x80) modulo their
// count, in the order of kFiles; byte 1 the damage (low two bits: 0
// overwrite at the offset, 1 replace the whole file, 2 truncate at the offset
// then append, 3 XOR at the offset; bit 2: then re-stamp the checksums, so
// the damage gets past them: the model's header and block sums, or, for a
// Xapian file, xapian.sums); bytes 2-5 the offset (little-endian, modulo the
// file's size + 1); the rest is the payload.
//
// Xapian 1.4 itself crashes, loops forever or writes out of bounds on some
// damaged glass files (xapian-check and xapian-delve crash on them too),
// which no code of ours can prevent. So that fuzzing goes on past them to
// our own bugs, damage to a Xapian file that gets past xapian.sums
// (re-stamped, or an index without sums) runs only in a forked child, never
// here: libxapian is not instrumented, so where its stray writes land
// depends on the heap's layout, and a run that was clean in the child could
// wreck this process's heap for a later input. The child's outcome decides:
// when it faults inside libxapian, AddressSanitizer reports a bad access
// whose stacks start in libxapian (its memcmp, memcpy, a free of memory it
// allocated ...) or finds a freed chunk's header overwritten, or it is still
// inside libxapian after a few seconds, the input is skipped as upstream's
// and noted on stderr; any other report, or an exception other than
// otiose::Error, is printed by the child and this process aborts (libFuzzer
// saves the input). Every other input, every model.bin one among them,
// runs here under libFuzzer and the sanitizers.
// OTIOSE_FUZZ_XAPIAN_STRICT=1 turns the child off (to study Xapian's crashes).
#include <otiose/env.h>
#include <otiose/error.h>
#include <otiose/search.h>

#include <execinfo.h>
#include <fcntl.h>
#include <sanitizer/allocator_interface.h>
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "base/text.h"
#include "fuzz_util.h"
#include "layout/layout.h"
#include "similarity/model_file.h"
#include "similarity/model_format.h"

namespace fs = std::filesystem;

namespace {

// model.bin first; add new files at the end.
constexpr const char* kFiles[] = {"model.bin",
                                  "xapian/docdata.glass",
                                  "xapian/iamglass",
                                  "xapian/position.glass",
                                  "xapian/postlist.glass",
                                  "xapian/spelling.glass",
                                  "xapian/termlist.glass",
                                  "xapian.sums"};

struct Pristine {
  Pristine() {
    index = scratch.path() + "/index";
    auto records = otiose::fuzz::catalogue(5);
    slug = records.front().record.slug;
    other_slug = records.back().record.slug;
    otiose::fuzz::build_index(records, index);
    auto current = otiose::detail::current_generation(index);
    if (!current) otiose::fuzz::fail("the fuzz index has no current generation");
    generation = *current;
    std::vector<std::string> found;
    for (const auto& entry : fs::recursive_directory_iterator(generation))
      if (entry.is_regular_file() && entry.path().filename() != "flintlock")  // empty, a lock
        found.push_back(fs::relative(entry.path(), generation).string());
    std::sort(found.begin(), found.end());
    // The known files in a fixed order (so that saved inputs keep their
    // meaning), then any others.
    for (const char* f : kFiles)
      if (std::find(found.begin(), found.end(), f) != found.end()) files.push_back(f);
    for (const auto& f : found)
      if (std::find(files.begin(), files.end(), f) == files.end()) files.push_back(f);
    for (const auto& f : files) {
      contents.push_back(otiose::detail::read_file(generation + "/" + f));
      struct stat st {};
      if (::stat((generation + "/" + f).c_str(), &st) != 0) otiose::fuzz::fail("cannot stat " + f);
      mtimes.push_back(st.st_mtim);
    }
    auto at = std::find(files.begin(), files.end(), otiose::detail::kSumsFile);
    if (at != files.end()) sums = static_cast<std::size_t>(at - files.begin());
  }

  otiose::fuzz::ScratchDir scratch;
  std::string index;                  // the index the searcher opens
  std::string generation;             // its current generation directory
  std::vector<std::string> files;     // relative to `generation`, as kFiles, then others
  std::vector<std::string> contents;  // each file's undamaged bytes
  std::vector<timespec> mtimes;       // and modification time
  std::size_t sums = 0;               // files[sums] is xapian.sums; 0: there is none
  std::string slug, other_slug;       // specimens it has
};

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) otiose::fuzz::fail("cannot write " + path);
}

// Puts files[i] back as it was, its modification time too (xapian.sums then
// spares re-reading it).
void restore(const Pristine& p, std::size_t i) {
  std::string path = p.generation + "/" + p.files[i];
  write_bytes(path, p.contents[i]);
  const timespec times[2] = {{0, UTIME_OMIT}, p.mtimes[i]};
  if (::utimensat(AT_FDCWD, path.c_str(), times, 0) != 0)
    otiose::fuzz::fail("cannot touch " + path);
}

// Everything a reader does, each step allowed to fail only with otiose::Error.
void exercise(const Pristine& p) {
  try {
    otiose::Searcher searcher(p.index);
    for (const char* query : {"manager", "title:engineer OR \"the team\" -meeting", "manag*"}) {
      try {
        (void)searcher.search(query);
      } catch (const otiose::Error&) {
      }
    }
    for (std::size_t k : {std::size_t{3}, std::size_t{20}}) {
      try {
        (void)searcher.related(p.slug, k);
      } catch (const otiose::Error&) {
      }
    }
    try {
      (void)searcher.related_text("We are seeking a manager to own the strategy and the team", 3);
    } catch (const otiose::Error&) {
    }
    try {
      (void)searcher.get(p.slug);
    } catch (const otiose::Error&) {
    }
    try {
      (void)searcher.explain(p.slug, p.other_slug, 5);
      (void)searcher.explain_text("the manager of the team", p.slug, 5);
    } catch (const otiose::Error&) {
    }
    try {
      (void)searcher.resolve("Agile Coach");
    } catch (const otiose::Error&) {
    }
  } catch (const otiose::Error&) {
  }
}

const Pristine& pristine() {
  static const Pristine p;
  return p;
}

// The forked trial of a Xapian file's damage (see the top of the file).
// The trial child's exit statuses, besides 0 (clean).
constexpr int kUpstreamExit = 86;
constexpr int kOursExit = 1;
constexpr unsigned kTrialSeconds = 5;

// Where the signal interrupted the child, when this machine says.
const void* interrupted_pc(void* context) {
  const auto* uc = static_cast<const ucontext_t*>(context);
#if defined(__x86_64__)
  return reinterpret_cast<const void*>(uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return reinterpret_cast<const void*>(uc->uc_mcontext.pc);
#else
  (void)uc;
  return nullptr;
#endif
}

// True when the first of `pcs` that is neither a sanitizer's interceptor nor
// in the C or C++ runtime is in libxapian. The sanitizers' runtime is linked
// into this binary, without debug information: a frame here with no source
// file is theirs (memset, operator new, the allocator's quarantine), as when
// a damaged glass file has Xapian clear a buffer of gigabytes.
bool xapian_first(void* const* pcs, int n) {
  for (int i = 0; i < n; ++i) {
    char where[1024] = {};
    __sanitizer_symbolize_pc(pcs[i], "%m|%f|%s", where, sizeof where);
    std::string_view w(where);
    std::string_view module = w.substr(0, w.find('|'));
    std::string_view rest = w.substr(std::min(w.size(), module.size() + 1));
    std::string_view function = rest.substr(0, rest.find('|'));
    std::string_view file = rest.substr(std::min(rest.size(), function.size() + 1));
    if (module.find("libxapian") != std::string_view::npos) return true;
    bool sanitizer_runtime = module.find(".so") == std::string_view::npos &&
                             (file.empty() || file == "??" || file == "<null>");
    bool runtime = sanitizer_runtime || function.find("nterceptor") != std::string_view::npos ||
                   function.rfind("__asan", 0) == 0 || function.rfind("__sanitizer", 0) == 0 ||
                   function.rfind("__ubsan", 0) == 0 ||
                   module.find("/libc.so") != std::string_view::npos ||
                   module.find("/libstdc++") != std::string_view::npos ||
                   module.find("/libgcc_s") != std::string_view::npos ||
                   module.find("/libm.so") != std::string_view::npos;
    if (!runtime) return false;
  }
  return false;
}

// AddressSanitizer's report in the child: upstream's when one of its stacks
// (the access, and where the memory was allocated and freed) starts in
// libxapian (xapian_first on the stack's frame addresses: its operator
// delete, for one, has no "interceptor" in its name). A free that looks like
// ours, of memory libxapian allocated next to or freed, is libxapian having
// written over our pointer. Otherwise the report is printed: it is ours.
extern "C" void on_trial_report(const char* report) {
  bool upstream = false;
  void* pcs[64];
  int n = 0;
  auto stack_ends = [&] {
    if (n > 0 && xapian_first(pcs, n)) upstream = true;
    n = 0;
  };
  for (const char* line = report; line != nullptr && *line != '\0';) {
    const char* end = std::strchr(line, '\n');
    std::string_view text(line, end ? static_cast<std::size_t>(end - line) : std::strlen(line));
    std::size_t hash = text.find('#');
    std::size_t at = text.find(" 0x");
    bool frame = hash != std::string_view::npos && at != std::string_view::npos && hash < at &&
                 text.substr(0, hash).find_first_not_of(' ') == std::string_view::npos;
    if (!frame) {
      stack_ends();
    } else if (n < 64) {
      pcs[n++] = reinterpret_cast<void*>(
          static_cast<std::uintptr_t>(std::strtoull(line + at + 1, nullptr, 16)));
    }
    line = end ? end + 1 : nullptr;
  }
  stack_ends();
  if (!upstream) {
    std::fputs("damaged_index: in the trial child:\n", stderr);
    std::fputs(report, stderr);
  }
  ::_exit(upstream ? kUpstreamExit : kOursExit);
}

extern "C" void on_trial_signal(int, siginfo_t*, void* context) {
  // Not async-signal-safe, but the child is single-threaded and dying.
  void* frames[64];
  int n = ::backtrace(frames, 64);
  // Start at the interrupted frame, below this handler and the kernel's.
  const void* pc = interrupted_pc(context);
  int from = 0;
  while (from < n && frames[from] != pc) ++from;
  if (from == n) from = 0;
  if (xapian_first(frames + from, n - from)) ::_exit(kUpstreamExit);
  std::fputs("damaged_index: the trial child faulted outside libxapian:\n", stderr);
  ::backtrace_symbols_fd(frames + from, n - from, 2);
  ::_exit(kOursExit);
}

// AddressSanitizer dying without a report: when its allocator's own check
// failed (a freed chunk's header overwritten, seen when the chunk leaves
// the quarantine), uninstrumented code wrote to memory it had freed or
// past its end, and of that code only libxapian reads the damaged files.
// Instrumented code (ours) would have been reported at the write. Any other
// death (UndefinedBehaviorSanitizer's, whose report went to /dev/null) is
// ours: OTIOSE_FUZZ_XAPIAN_STRICT=1 runs the input here to see it.
extern "C" void on_trial_death() {
  void* frames[64];
  int n = ::backtrace(frames, 64);
  for (int i = 0; i < n; ++i) {
    char function[256] = {};
    __sanitizer_symbolize_pc(frames[i], "%f", function, sizeof function);
    if (std::strstr(function, "CheckFailed") != nullptr) ::_exit(kUpstreamExit);
  }
  std::fputs(
      "damaged_index: a sanitizer stopped the trial child (rerun with "
      "OTIOSE_FUZZ_XAPIAN_STRICT=1 to see its report)\n",
      stderr);
  ::_exit(kOursExit);
}

enum class Trial { kClean, kUpstream, kOurs };

// Runs exercise() on damage to a Xapian file in a forked child.
Trial trial(const Pristine& p) {
  std::fflush(nullptr);
  pid_t child = ::fork();
  if (child < 0) otiose::fuzz::fail("cannot fork the trial child");
  if (child == 0) {
    struct sigaction action = {};
    action.sa_sigaction = on_trial_signal;
    action.sa_flags = SA_SIGINFO;
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGALRM}) ::sigaction(sig, &action, nullptr);
    // The reports are classified first; on_trial_report prints ours.
    static int quiet = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    __sanitizer_set_report_fd(reinterpret_cast<void*>(static_cast<std::intptr_t>(quiet)));
    __asan_set_error_report_callback(on_trial_report);
    __sanitizer_set_death_callback(on_trial_death);
    void* warm[1];
    ::backtrace(warm, 1);  // loads the unwinder now, not in a signal handler
    ::alarm(kTrialSeconds);
    try {
      exercise(p);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "damaged_index: escaped the trial child: %s\n", e.what());
      ::_exit(kOursExit);
    } catch (...) {
      std::fputs("damaged_index: an exception that is not std::exception escaped\n", stderr);
      ::_exit(kOursExit);
    }
    // Every freed chunk out of the quarantine now, each header checked
    // (on_trial_death): libxapian's writes to freed memory show here.
    __sanitizer_purge_allocator();
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Trial::kClean;
  if (WIFEXITED(status) && WEXITSTATUS(status) == kUpstreamExit) return Trial::kUpstream;
  return Trial::kOurs;
}

// Re-stamps a damaged model so that it passes the checksums: its two levels
// of sums (wherever its section table says they are, if that is in the
// file), the header's checksum of them, and its size.
void restamp_model(std::string& bytes) {
  otiose::detail::stamp_sums(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size());
}

}  // namespace

// A smaller quarantine than the default 256 MB: each trial forks this
// process, and the time goes on copying its page tables.
extern "C" const char* __asan_default_options() {
  return "quarantine_size_mb=32";
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const Pristine& p = pristine();
  // Re-stamping an undamaged model changes nothing, or it would not help.
  if (p.files.size() < 2 || p.files[0] != otiose::detail::kModelFile)
    otiose::fuzz::fail("expected model.bin and the Xapian files in the fuzz index");
  std::string copy = p.contents[0];
  restamp_model(copy);
  if (copy != p.contents[0]) otiose::fuzz::fail("restamp_model changed an undamaged model");
  // The undamaged index must answer, or every input would look fine.
  try {
    otiose::Searcher searcher(p.index);
    if (searcher.search("manager").hits.empty() || searcher.related(p.slug, 3).empty())
      otiose::fuzz::fail("the undamaged fuzz index does not answer");
  } catch (const otiose::Error& e) {
    otiose::fuzz::fail(std::string("the undamaged fuzz index does not open: ") + e.what());
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Pristine& p = pristine();
  auto byte = [&](std::size_t i) -> std::uint8_t { return i < size ? data[i] : 0; };
  std::size_t which = byte(0) < 0x80 ? 0 : 1 + (byte(0) - 0x80u) % (p.files.size() - 1);
  std::uint8_t mode = byte(1);
  std::uint32_t offset =
      static_cast<std::uint32_t>(byte(2)) | static_cast<std::uint32_t>(byte(3)) << 8 |
      static_cast<std::uint32_t>(byte(4)) << 16 | static_cast<std::uint32_t>(byte(5)) << 24;
  std::string payload;
  if (size > 6) payload.assign(reinterpret_cast<const char*>(data) + 6, size - 6);

  std::string bytes = p.contents[which];
  std::size_t at = offset % (bytes.size() + 1);
  switch (mode & 0x03) {
    case 0:
      if (at + payload.size() > bytes.size()) bytes.resize(at + payload.size());
      bytes.replace(at, payload.size(), payload);
      break;
    case 1: bytes = payload; break;
    case 2:
      bytes.resize(at);
      bytes += payload;
      break;
    case 3:
      for (std::size_t i = 0; i < payload.size() && at + i < bytes.size(); ++i)
        bytes[at + i] = static_cast<char>(bytes[at + i] ^ payload[i]);
      break;
  }
  const std::string& name = p.files[which];
  const bool model = name == otiose::detail::kModelFile;
  if ((mode & 0x04) && model) restamp_model(bytes);
  const std::string path = p.generation + "/" + name;
  write_bytes(path, bytes);
  const bool restamp_sums = (mode & 0x04) && name.rfind("xapian/", 0) == 0 && p.sums != 0;
  if (restamp_sums) otiose::detail::write_table_sums(p.generation, *otiose::Env::Default());
  int result = 0;
  // Unless re-stamped, xapian.sums must stop damage before Xapian reads it:
  // then a crash in Xapian is ours, and runs here.
  const bool reaches_xapian = !model && (restamp_sums || p.sums == 0);
  static const bool strict = [] {
    const char* v = std::getenv("OTIOSE_FUZZ_XAPIAN_STRICT");
    return v != nullptr && *v != '\0' && *v != '0';
  }();
  if (!reaches_xapian || strict) {
    exercise(p);
  } else {
    switch (trial(p)) {
      case Trial::kClean: result = -1; break;  // nothing here to learn from: not for the corpus
      case Trial::kUpstream: {
        static int noted = 0;
        if (noted++ < 10)
          std::fprintf(stderr, "damaged_index: Xapian crashed or hung on damage to %s: skipped\n",
                       name.c_str());
        result = -1;
        break;
      }
      case Trial::kOurs:
        std::fprintf(stderr, "damaged_index: a bug of ours on damage to %s (above)\n",
                     name.c_str());
        std::abort();
    }
  }
  restore(p, which);
  if (restamp_sums) restore(p, p.sums);
  return result;
}
