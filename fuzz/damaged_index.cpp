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
// Xapian 1.4 itself crashes or loops forever on some damaged glass files
// (xapian-check and xapian-delve crash on them too), which no code of ours
// can prevent. So that fuzzing goes on past them to our own bugs, damage to
// a Xapian file that gets past xapian.sums (re-stamped, or an index without
// sums) is first tried in a forked child: when the child faults
// inside libxapian, AddressSanitizer reports a bad access by libxapian (its
// memcmp, memcpy ...) or finds a freed chunk's header overwritten (libxapian
// is not instrumented: its writes after free show only there), or the child
// is still inside libxapian after a few seconds, the input is skipped as
// upstream's and noted on stderr. Any other
// outcome, and every model.bin input, runs here under libFuzzer and the
// sanitizers.
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
constexpr int kUpstreamExit = 86;
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

// AddressSanitizer's report in the child: upstream's when the first frame
// that is not the runtime's is in libxapian (xapian_first, on the report's
// frame addresses: its operator delete, for one, has no "interceptor" in
// its name).
extern "C" void on_trial_report(const char* report) {
  void* pcs[64];
  int n = 0;
  for (const char* frame = std::strstr(report, "    #"); frame != nullptr && n < 64;
       frame = std::strstr(frame + 1, "    #")) {
    const char* at = std::strstr(frame, " 0x");
    const char* end = std::strchr(frame, '\n');
    if (at == nullptr || (end != nullptr && at > end)) continue;
    pcs[n++] =
        reinterpret_cast<void*>(static_cast<std::uintptr_t>(std::strtoull(at + 1, nullptr, 16)));
  }
  ::_exit(xapian_first(pcs, n) ? kUpstreamExit : 1);
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
  ::_exit(xapian_first(frames + from, n - from) ? kUpstreamExit : 1);
}

// AddressSanitizer dying without a report: when its allocator's own check
// failed (a freed chunk's header overwritten, seen when the chunk leaves
// the quarantine), uninstrumented code wrote to memory it had freed or
// past its end, and of that code only libxapian reads the damaged files.
// Instrumented code (ours) would have been reported at the write.
extern "C" void on_trial_death() {
  void* frames[64];
  int n = ::backtrace(frames, 64);
  for (int i = 0; i < n; ++i) {
    char function[256] = {};
    __sanitizer_symbolize_pc(frames[i], "%f", function, sizeof function);
    if (std::strstr(function, "CheckFailed") != nullptr) ::_exit(kUpstreamExit);
  }
  ::_exit(1);
}

// True when the damage crashes or hangs Xapian itself.
bool upstream_failure(const Pristine& p) {
  static const bool strict = [] {
    const char* v = std::getenv("OTIOSE_FUZZ_XAPIAN_STRICT");
    return v != nullptr && *v != '\0' && *v != '0';
  }();
  if (strict) return false;
  std::fflush(nullptr);
  pid_t child = ::fork();
  if (child < 0) return false;
  if (child == 0) {
    struct sigaction action = {};
    action.sa_sigaction = on_trial_signal;
    action.sa_flags = SA_SIGINFO;
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGALRM}) ::sigaction(sig, &action, nullptr);
    // This process reports what is ours; the child only classifies.
    static int quiet = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    __sanitizer_set_report_fd(reinterpret_cast<void*>(static_cast<std::intptr_t>(quiet)));
    __asan_set_error_report_callback(on_trial_report);
    __sanitizer_set_death_callback(on_trial_death);
    void* warm[1];
    ::backtrace(warm, 1);  // loads the unwinder now, not in a signal handler
    ::alarm(kTrialSeconds);
    try {
      exercise(p);
    } catch (...) {
      // Ours: this process runs the input next and reports it.
    }
    // Every freed chunk out of the quarantine now, each header checked
    // (on_trial_death): libxapian's writes to freed memory show here, in
    // the child, not inputs later in this process.
    __sanitizer_purge_allocator();
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == kUpstreamExit;
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
  if (reaches_xapian && upstream_failure(p)) {
    static int noted = 0;
    if (noted++ < 10)
      std::fprintf(stderr, "damaged_index: Xapian crashed or hung on damage to %s: skipped\n",
                   name.c_str());
    result = -1;  // not for the corpus
  } else {
    exercise(p);
  }
  restore(p, which);
  if (restamp_sums) restore(p, p.sums);
  return result;
}
