// Faults around the index: a full disk while otiose-index writes, a read-only
// index directory, damaged files, and the whole directory deleted under
// readers. Each one must end in a clear error or an answer, never a crash, and
// a failed write must leave the previous index answering exactly as before.
//
// Root ignores file permissions, and these tests usually run as root. Where a
// fault needs the kernel to say no, the test makes it say no anyway: a
// RLIMIT_FSIZE on the child (EFBIG), a small tmpfs (ENOSPC) or a read-only
// bind mount (EROFS) in a private mount namespace of the test process, or the
// child switched to the user nobody (EACCES). What the container does not
// allow is skipped with a warning (see tests/README.md).
#include <otiose/env.h>
#include <otiose/error.h>
#include <otiose/index.h>
#include <otiose/search.h>

#include <xapian.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <atomic>
#include <chrono>
#include <functional>
#include <set>
#include <thread>

#include "process.h"
#include "subprocess.h"
#include "test_util.h"

namespace fs = std::filesystem;
using otiose::test::built_tool;
using otiose::test::Outcome;
using otiose::test::run_tool;
using otiose::test::SpawnOptions;
using otiose::test::TempDir;

namespace {

constexpr uid_t kNobody = 65534;

otiose::IndexOptions options() {
  otiose::IndexOptions o;
  o.tfidf = otiose::load_tfidf_config(otiose::test::source_path("similarity/tfidf.json"));
  o.threads = 1;
  return o;
}

void index_file(const std::string& corpus, const std::string& index) {
  auto loaded = otiose::load_corpus({corpus});
  REQUIRE(loaded.error_count() == 0);
  otiose::write_index(loaded.records, index, options());
}

// Many specimens with little text and no quotes: a small Xapian database.
std::string tiny_corpus(std::size_t n, const std::string& marker) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out += "{\"slug\": \"tiny-" + std::to_string(i) + "\", \"title\": \"" + marker + " tiny " +
           std::to_string(i) + "\", \"tagline\": \"shared words and the number w" +
           std::to_string(i) + "\"}\n";
  return out;
}

// The shipped TF-IDF settings keeping 1000 neighbours a specimen: a model file
// far larger than the Xapian tables of a small corpus.
std::string wide_config(const TempDir& dir) {
  auto j = nlohmann::json::parse(
      otiose::test::read_file(otiose::test::source_path("similarity/tfidf.json")));
  j["top_k"] = 1000;
  j["stop_words"] = otiose::test::source_path("similarity/stop_words_english.txt");
  std::string path = dir / "wide.json";
  otiose::test::write_file(path, j.dump());
  return path;
}

// Everything a reader can see of an index: its directory, where `current`
// points, and the answers to a few questions.
struct State {
  std::string current;
  std::set<std::string> entries;
  std::vector<std::string> answers;
  bool operator==(const State&) const = default;
};

std::ostream& operator<<(std::ostream& os, const State& s) {
  os << "current -> " << s.current << ", entries:";
  for (const auto& e : s.entries) os << ' ' << e;
  os << ", " << s.answers.size() << " answers";
  return os;
}

State state_of(const std::string& index) {
  State s;
  s.current = fs::read_symlink(fs::path(index) / "current").string();
  for (const auto& e : fs::directory_iterator(index)) s.entries.insert(e.path().filename());
  otiose::Searcher searcher(index);
  otiose::SearchOptions o;
  o.limit = 30;
  o.related = 3;
  for (const char* q : {"synergy roadmap", "title:before", "\"stakeholder alignment\""}) {
    auto r = searcher.search(q, o);
    s.answers.push_back(q + std::string(": ") + std::to_string(r.total));
    for (const auto& h : r.hits) {
      s.answers.push_back(h.id);
      for (const auto& rel : h.related) s.answers.push_back(" " + rel.slug);
    }
  }
  for (const auto& r : searcher.related("gen-3", 5))
    s.answers.push_back("related " + r.slug + " " + std::to_string(r.match));
  s.answers.push_back("size " + std::to_string(searcher.size()));
  return s;
}

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// What a failed otiose-index run must look like: exit 5, one line on stderr.
void check_io_failure(const Outcome& r, const std::vector<std::string>& mentions) {
  INFO("stderr: " << r.err);
  CHECK_FALSE(r.crashed());
  CHECK(r.code == 5);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.rfind("otiose-index: error: ", 0) == 0);
  for (const auto& m : mentions) CHECK(r.err.find(m) != std::string::npos);
}

// A mount namespace of this test process's own: its mounts vanish with it
// and no other process sees them. False when the container forbids it.
bool private_mounts() {
  static const bool ok = ::unshare(CLONE_NEWNS) == 0 &&
                         ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
  return ok;
}

// Mounted for the object's lifetime.
class Mount {
 public:
  Mount(std::string target, const std::function<bool()>& mount) : target_(std::move(target)) {
    ok_ = mount();
  }
  ~Mount() {
    if (ok_) ::umount2(target_.c_str(), MNT_DETACH);
  }
  Mount(const Mount&) = delete;
  Mount& operator=(const Mount&) = delete;
  bool ok() const { return ok_; }

 private:
  std::string target_;
  bool ok_ = false;
};

bool mount_tmpfs(const std::string& target, std::uintmax_t bytes, bool remount = false) {
  std::string data = "size=" + std::to_string(bytes);
  return ::mount("tmpfs", target.c_str(), "tmpfs", remount ? MS_REMOUNT : 0, data.c_str()) == 0;
}

// The largest file, and the bytes allocated, at `path` (a file or a tree).
struct Usage {
  std::uintmax_t largest = 0;
  std::uintmax_t allocated = 0;
};
Usage usage(const fs::path& path) {
  Usage u;
  auto add = [&](const fs::path& file) {
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    u.largest = std::max<std::uintmax_t>(u.largest, static_cast<std::uintmax_t>(st.st_size));
    u.allocated += static_cast<std::uintmax_t>(st.st_blocks) * 512;
  };
  if (fs::is_regular_file(path)) add(path);
  if (fs::is_directory(path))
    for (const auto& e : fs::recursive_directory_iterator(path))
      if (e.is_regular_file()) add(e.path());
  return u;
}

// One disk-full scenario: an index of `before` exists; indexing `next`
// (with `config`) runs out of room in `phase`.
struct DiskFull {
  enum Phase { kXapian, kModel } phase;
  std::string before, next, config;
  // Measured on a reference run without limits.
  Usage before_xapian, before_total, next_xapian, next_model;
};

DiskFull disk_full_case(const TempDir& dir, DiskFull::Phase phase) {
  DiskFull d;
  d.phase = phase;
  d.before = dir / "before.jsonl";
  d.next = dir / "next.jsonl";
  otiose::test::write_file(d.before, otiose::test::generated_corpus(40, "Before"));
  if (phase == DiskFull::kXapian) {
    otiose::test::write_file(d.next, otiose::test::generated_corpus(200, "After"));
    d.config = otiose::test::source_path("similarity/tfidf.json");
  } else {
    otiose::test::write_file(d.next, tiny_corpus(1000, "After"));
    d.config = wide_config(dir);
  }
  std::string ref = dir / "reference";
  index_file(d.before, ref);
  d.before_xapian = usage(fs::path(ref) / "gen-0000000001" / "xapian");
  d.before_total = usage(ref);
  auto r = run_tool({built_tool("otiose-index"), d.next, "--index", ref, "--quiet", "--threads",
                     "1", "--config", d.config});
  INFO(r.err);
  REQUIRE(r.code == 0);
  d.next_xapian = usage(fs::path(ref) / "gen-0000000002" / "xapian");
  d.next_model = usage(fs::path(ref) / "gen-0000000002" / "model.bin");
  fs::remove_all(ref);
  return d;
}

Outcome index_next(const DiskFull& d, const std::string& index, SpawnOptions limits = {}) {
  return run_tool({built_tool("otiose-index"), d.next, "--index", index, "--quiet", "--threads",
                   "1", "--config", d.config},
                  limits);
}

// After a failed run: the index answers exactly as before, an open reader
// still answers, and a run with room completes.
void check_survived(const DiskFull& d, const std::string& index, const State& before,
                    const otiose::Searcher& open_reader,
                    const std::function<void()>& make_room = {}) {
  CHECK(state_of(index) == before);
  CHECK(open_reader.search("title:before", {}).total > 0);
  if (make_room) make_room();
  auto again = index_next(d, index);
  INFO(again.err);
  REQUIRE(again.code == 0);
  otiose::Searcher fresh(index);
  CHECK(fresh.search("title:after", {}).total > 0);
  CHECK(fresh.search("title:before", {}).total == 0);
}

// Which phase failed, from the one line on stderr. A full disk can also make
// Xapian itself give up (std::terminate, which otiose-index turns into the
// "writing the new index failed" line).
void check_phase(const Outcome& r, const DiskFull& d, const std::string& index,
                 const char* errno_text) {
  INFO("stderr: " << r.err);
  if (d.phase == DiskFull::kXapian) {
    check_io_failure(r, {index});
    CHECK(r.err.find("model.bin") == std::string::npos);
    bool named = r.err.find(index + "/gen-0000000002.tmp-") != std::string::npos &&
                 r.err.find("/xapian") != std::string::npos &&
                 r.err.find(errno_text) != std::string::npos;
    bool gave_up =
        r.err == "otiose-index: error: " + index +
                     ": writing the new index failed: an error the Xapian library could not "
                     "recover from (is the disk full?); the previous index is unchanged\n";
    CHECK((named || gave_up));
  } else {
    check_io_failure(r, {index + "/gen-0000000002.tmp-", "/model.bin: ", errno_text});
  }
}

// The limits a failing run gets: between what the old index needs and what
// the failing phase writes, at a few points (Xapian fails differently
// depending on which block it could not write).
std::vector<std::uintmax_t> between(std::uintmax_t low, std::uintmax_t high, int points) {
  REQUIRE(low < high);
  std::vector<std::uintmax_t> out;
  for (int k = 1; k <= points; ++k)
    out.push_back(low + (high - low) * static_cast<std::uintmax_t>(k) /
                            static_cast<std::uintmax_t>(points + 1));
  return out;
}

void file_size_limit_case(DiskFull::Phase phase) {
  TempDir dir;
  DiskFull d = disk_full_case(dir, phase);
  // Limits the old tables fit under and the failing phase's files do not.
  auto limits = phase == DiskFull::kXapian
                    ? between(d.before_xapian.largest, d.next_xapian.largest, 2)
                    : between(d.next_xapian.largest, d.next_model.largest, 2);
  std::string index = dir / "index";
  index_file(d.before, index);
  State before = state_of(index);
  otiose::Searcher open_reader(index);
  for (auto limit : limits) {
    INFO("RLIMIT_FSIZE " << limit);
    SpawnOptions limited;
    limited.file_size_limit = limit;
    check_phase(index_next(d, index, limited), d, index, "File too large");
    CHECK(state_of(index) == before);
  }
  check_survived(d, index, before, open_reader);
}

void full_filesystem_case(DiskFull::Phase phase) {
  if (!private_mounts()) {
    WARN(
        "cannot make a private mount namespace here: the tmpfs (ENOSPC) case is skipped; the "
        "RLIMIT_FSIZE (EFBIG) cases cover the same code");
    return;
  }
  TempDir dir;
  DiskFull d = disk_full_case(dir, phase);
  std::string mount_point = dir / "fs", index = mount_point + "/index";
  fs::create_directories(mount_point);
  // Room for the old index, plus part of what the failing phase writes.
  std::uintmax_t base = d.before_total.allocated + 64 * 1024;
  auto sizes = phase == DiskFull::kXapian
                   ? between(base, base + d.next_xapian.allocated, 3)
                   : between(base + d.next_xapian.allocated,
                             base + d.next_xapian.allocated + d.next_model.allocated, 2);
  std::uintmax_t plenty = base + 2 * (d.next_xapian.allocated + d.next_model.allocated);
  Mount fs_mount(mount_point, [&] { return mount_tmpfs(mount_point, plenty); });
  if (!fs_mount.ok()) {
    WARN("cannot mount a tmpfs here (" << std::strerror(errno) << "): the ENOSPC case is skipped");
    return;
  }
  index_file(d.before, index);
  State before = state_of(index);
  otiose::Searcher open_reader(index);
  for (auto size : sizes) {
    INFO("tmpfs of " << size << " bytes");
    REQUIRE(mount_tmpfs(mount_point, size, true));
    check_phase(index_next(d, index), d, index, "No space left on device");
    CHECK(state_of(index) == before);
  }
  check_survived(d, index, before, open_reader,
                 [&] { REQUIRE(mount_tmpfs(mount_point, plenty, true)); });
}

void chown_tree(const fs::path& root, uid_t uid, gid_t gid) {
  REQUIRE(::lchown(root.c_str(), uid, gid) == 0);
  for (const auto& e : fs::recursive_directory_iterator(root))
    REQUIRE(::lchown(e.path().c_str(), uid, gid) == 0);
}

// The calls a reader makes. Returns "" when everything answered, else
// "<kind>: <message>" of the otiose::Error, or "unexpected: ..." for anything
// else (which the callers fail on; no assertions here: threads call it).
std::string exercise(const otiose::Searcher& s) {
  try {
    otiose::SearchOptions o;
    o.limit = 50;
    o.related = 5;
    s.search("synergy roadmap", o);
    s.search("\"stakeholder alignment\" OR title:damage", o);
    s.search("forecst", o);
    o.sort = otiose::SearchOptions::Sort::kSalary;
    s.search("", o);
    s.related("gen-7", 20);
    s.related_text("synergy roadmap budget", 20);
    s.get("gen-7");
    s.resolve("gen 7");
    s.explain("gen-7", "gen-8", 5);
    return "";
  } catch (const otiose::Error& e) {
    return std::string(otiose::to_string(e.kind())) + ": " + e.what();
  } catch (const Xapian::Error& e) {
    return "unexpected: a Xapian::Error escaped the library: " + e.get_description();
  } catch (const std::exception& e) {
    return std::string("unexpected: not an otiose::Error: ") + e.what();
  }
}

// The same on a Searcher opened now.
std::string exercise(const std::string& index) {
  try {
    otiose::Searcher s(index);
    return exercise(s);
  } catch (const otiose::Error& e) {
    return std::string(otiose::to_string(e.kind())) + ": " + e.what();
  } catch (const Xapian::Error& e) {
    return "unexpected: a Xapian::Error escaped the library: " + e.get_description();
  } catch (const std::exception& e) {
    return std::string("unexpected: not an otiose::Error: ") + e.what();
  }
}

// An error a user can act on: not "unexpected", and naming `path` unless it
// is about a specimen (Xapian cannot see every damage: a flipped byte may
// just lose a document).
void check_clear(const std::string& error, const std::string& path) {
  INFO(error);
  CHECK(error.rfind("unexpected: ", 0) != 0);
  if (!error.empty() && error.rfind("not found: ", 0) != 0)
    CHECK(error.find(path) != std::string::npos);
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t at = 0, end; (end = text.find('\n', at)) != std::string::npos; at = end + 1)
    out.push_back(text.substr(at, end - at));
  return out;
}

}  // namespace

TEST_CASE("a file size limit hit while writing the Xapian tables leaves the old index answering") {
  file_size_limit_case(DiskFull::kXapian);
}

TEST_CASE("a file size limit hit while writing the model leaves the old index answering") {
  file_size_limit_case(DiskFull::kModel);
}

TEST_CASE("a full file system while writing the Xapian tables leaves the old index answering") {
  full_filesystem_case(DiskFull::kXapian);
}

TEST_CASE("a full file system while writing the model leaves the old index answering") {
  full_filesystem_case(DiskFull::kModel);
}

TEST_CASE("a read-only index directory: the writer says so and changes nothing, readers answer") {
  TempDir dir;
  fs::permissions(dir.path(), fs::perms(0755));
  std::string before_corpus = dir / "before.jsonl", next = dir / "next.jsonl",
              index = dir / "index";
  otiose::test::write_file(before_corpus, otiose::test::generated_corpus(40, "Before"));
  otiose::test::write_file(next, otiose::test::generated_corpus(40, "After"));
  index_file(before_corpus, index);
  State before = state_of(index);
  std::vector<std::string> write = {built_tool("otiose-index"), next, "--index", index, "--quiet"};
  std::vector<std::string> read = {built_tool("otiose-search"), "--index", index,
                                   "synergy roadmap"};
  bool tested = false;

  if (::geteuid() != 0) {
    // Not root: the permission bits are enough.
    fs::permissions(index, fs::perms(0555));
    check_io_failure(run_tool(write), {index + "/gen-0000000002.tmp-", "Permission denied"});
    CHECK(run_tool(read).code == 0);
    fs::permissions(index, fs::perms(0755));
    CHECK(state_of(index) == before);
    tested = true;
  } else {
    // Root ignores chmod 0555; a read-only bind mount does not.
    if (private_mounts()) {
      Mount ro(index, [&] {
        return ::mount(index.c_str(), index.c_str(), nullptr, MS_BIND, nullptr) == 0 &&
               ::mount(nullptr, index.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY,
                       nullptr) == 0;
      });
      if (ro.ok()) {
        check_io_failure(run_tool(write),
                         {index + "/LOCK: cannot open the lock file: Read-only file system"});
        auto r = run_tool(read);
        CHECK(r.code == 0);
        CHECK(r.out.find("hits") != std::string::npos);
        CHECK(state_of(index) == before);
        tested = true;
      } else {
        WARN("cannot bind-mount read-only here: that case is skipped");
      }
    }
    // And chmod 0555 does stop a writer that is not root: run it as nobody,
    // on an index nobody owns.
    SpawnOptions nobody;
    nobody.uid = kNobody;
    if (run_tool({built_tool("otiose-index"), "--version"}, nobody).code == 0) {
      chown_tree(index, kNobody, kNobody);
      fs::permissions(index, fs::perms(0555));
      check_io_failure(run_tool(write, nobody),
                       {index + "/gen-0000000002.tmp-", ": cannot create: Permission denied"});
      auto r = run_tool(read, nobody);
      CHECK(r.code == 0);
      fs::permissions(index, fs::perms(0755));
      chown_tree(index, 0, 0);
      CHECK(state_of(index) == before);
      tested = true;
    } else {
      WARN("cannot run the tools as nobody here: the chmod 0555 case is skipped");
    }
  }
  CHECK(tested);
  // Writable again, the same run completes.
  auto done = run_tool(write);
  INFO(done.err);
  CHECK(done.code == 0);
}

TEST_CASE(
    "a damaged model.bin or Xapian table: a clear error naming it, or answers, never a crash") {
  TempDir dir;
  std::string pristine = dir / "pristine", work = dir / "work";
  otiose::test::write_file(dir / "c.jsonl", otiose::test::generated_corpus(100, "Damage"));
  index_file(dir / "c.jsonl", pristine);
  std::string generation = fs::read_symlink(fs::path(pristine) / "current").string();
  std::vector<std::string> files = {"model.bin"};
  for (const auto& e : fs::directory_iterator(fs::path(pristine) / generation / "xapian"))
    if (fs::file_size(e.path()) > 0) files.push_back("xapian/" + e.path().filename().string());
  REQUIRE(files.size() >= 6);  // model.bin, iamglass and the tables

  auto flip = [](const std::string& path, std::uintmax_t at, std::size_t n) {
    int fd = ::open(path.c_str(), O_RDWR);
    REQUIRE(fd >= 0);
    for (std::size_t i = 0; i < n; ++i) {
      unsigned char c = 0;
      auto off = static_cast<off_t>(at + i);
      REQUIRE(::pread(fd, &c, 1, off) == 1);
      c = static_cast<unsigned char>(c ^ 0xA5);
      REQUIRE(::pwrite(fd, &c, 1, off) == 1);
    }
    ::close(fd);
  };
  struct Damage {
    const char* name;
    std::function<void(const std::string&, std::uintmax_t)> apply;
  };
  const Damage damages[] = {
      {"truncated to nothing", [](const std::string& p, auto) { fs::resize_file(p, 0); }},
      {"truncated to half", [](const std::string& p, auto size) { fs::resize_file(p, size / 2); }},
      {"first byte flipped", [&](const std::string& p, auto) { flip(p, 0, 1); }},
      {"4 bytes flipped mid-file", [&](const std::string& p, auto size) { flip(p, size / 2, 4); }},
      {"last byte flipped", [&](const std::string& p, auto size) { flip(p, size - 1, 1); }},
      {"bytes flipped in the second block",
       [&](const std::string& p, auto) { flip(p, 8192 + 100, 8); }},
  };

  const std::string tools_err_prefix[] = {"otiose-search: error: ", "otiose-search: error: ",
                                          "otiose-related: error: ", "otiose-related: error: "};
  for (const auto& file : files) {
    bool model = file == "model.bin";
    for (const auto& damage : damages) {
      INFO(file << ": " << damage.name);
      if (std::string(damage.name) == "bytes flipped in the second block" &&
          fs::file_size(pristine + "/" + generation + "/" + file) <= 8192 + 200)
        continue;  // there is none
      fs::remove_all(work);
      fs::copy(pristine, work, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
      std::string path = work + "/" + generation + "/" + file;
      // A reader that opened the index before the damage (not for the model:
      // it is mapped, and the writer never changes a model in place).
      std::optional<otiose::Searcher> early;
      if (!model) early.emplace(work);
      damage.apply(path, fs::file_size(path));

      // Xapian's tables carry no checksums (a damaged one can crash it), so
      // otiose-index records their sizes and checksums in xapian.sums and a
      // reader checks them before Xapian reads: every damage to a table is
      // an error naming it, for a reader opened before the damage too. The
      // model checks its header, size and block sums at open, and every
      // other block when first read: a damaged byte is reported before it
      // is used, and a query that never reads it still answers.
      bool always =
          !model || (std::string(damage.name).find("flipped mid-file") == std::string::npos &&
                     std::string(damage.name).find("second block") == std::string::npos);
      std::string kind = model ? "model: " : "index: ";
      std::string fresh = exercise(work);
      check_clear(fresh, work);
      if (always || !fresh.empty()) CHECK(fresh.rfind(kind + path + ": ", 0) == 0);
      if (early) CHECK(exercise(*early).rfind(kind + path + ": ", 0) == 0);
      const std::vector<std::string> commands[] = {
          {built_tool("otiose-search"), "--index", work, "synergy roadmap", "--limit", "50"},
          {built_tool("otiose-search"), "--index", work, "stakeholder OR title:damage", "--json"},
          {built_tool("otiose-related"), "--index", work, "gen-7", "--top", "20", "--explain"},
          {built_tool("otiose-related"), "--index", work, "--text", "synergy roadmap budget"}};
      for (std::size_t c = 0; c < 4; ++c) {
        auto r = run_tool(commands[c]);
        INFO(commands[c][0] << " " << commands[c][3] << ": exit " << r.code << ", signal "
                            << r.signal << ", stderr " << r.err);
        CHECK_FALSE(r.crashed());
        CHECK((r.code == 0 || r.code == 4));
        // otiose-related reads the model alone: a damaged Xapian table does
        // not touch its answers.
        bool reads_it = model || c < 2;
        if (!reads_it) CHECK(r.code == 0);
        if (always && reads_it) CHECK(r.code == 4);
        if (r.code != 0) {
          CHECK(lines(r.err) == 1);
          CHECK(r.err.rfind(tools_err_prefix[c] + path + ": ", 0) == 0);
        }
      }
      // What the error says to do works.
      if (std::string(damage.name) == "truncated to half") {
        auto rebuilt = run_tool(
            {built_tool("otiose-index"), dir / "c.jsonl", "--index", work, "--rebuild", "--quiet"});
        INFO(rebuilt.err);
        CHECK(rebuilt.code == 0);
        CHECK(exercise(work).empty());
      }
    }
  }
}

TEST_CASE("deleting the index directory under open readers: answers or a clear error, no crash") {
  TempDir dir;
  std::string index = dir / "index", corpus = dir / "c.jsonl";
  otiose::test::write_file(corpus, otiose::test::generated_corpus(100, "Doomed"));
  index_file(corpus, index);
  otiose::Searcher searcher(index);
  REQUIRE(searcher.search("title:doomed", {}).total > 0);

  // A reader in another process, opened and waiting; forked before this
  // process starts any thread.
  int ready[2], go[2];
  REQUIRE(::pipe(ready) == 0);
  REQUIRE(::pipe(go) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int code = 0;
    try {
      otiose::Searcher s(index);
      s.search("synergy", {});
      char c = 'r';
      if (::write(ready[1], &c, 1) != 1 || ::read(go[0], &c, 1) != 1) ::_exit(20);
      for (int i = 0; i < 20; ++i) {
        s.search("synergy roadmap", {});
        s.related("gen-7", 5);
        s.related_text("synergy budget", 5);
      }
    } catch (const otiose::Error& e) {
      code = e.kind() == otiose::ErrorKind::kIndex &&
                     std::string(e.what()).find(index) != std::string::npos
                 ? 10
                 : 11;
    } catch (...) {
      code = 12;
    }
    ::_exit(code);
  }
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);

  // Readers in this process, in a loop across the deletion.
  int answered = 0, clear_errors = 0;
  std::vector<std::string> bad;
  std::thread reader([&] {
    for (int i = 0; i < 300; ++i) {
      std::string e = exercise(searcher);
      if (e.empty())
        ++answered;
      else if (e.rfind("index: ", 0) == 0 && e.find(index) != std::string::npos)
        ++clear_errors;
      else if (bad.size() < 5)
        bad.push_back(e);
    }
  });
  // And tools in a loop.
  std::string rcs = dir / "rcs", errs = dir / "errs";
  pid_t loop = otiose::test::spawn({"/bin/sh", "-c",
                                    "i=0; while [ $i -lt 40 ]; do " + built_tool("otiose-search") +
                                        " --index " + index + " 'synergy roadmap' >/dev/null 2>>" +
                                        errs + "; echo $? >>" + rcs + "; i=$((i+1)); done"});
  // Delete once the loop has answered twice (waiting for it, not timing it).
  for (int i = 0; i < 2000; ++i) {
    std::error_code ec;
    if (fs::exists(rcs, ec) && lines(otiose::test::read_file(rcs)) >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  fs::remove_all(index);
  REQUIRE(::write(go[1], &c, 1) == 1);

  std::string after = exercise(searcher);
  CHECK(after == "index: no index at " + index + ": build one with `otiose-index data --index " +
                     index + "`");
  reader.join();
  for (const auto& b : bad) UNSCOPED_INFO(b);
  CHECK(bad.empty());
  CHECK(answered + clear_errors == 300);

  auto child_end = otiose::test::wait_for(child);
  CHECK_FALSE(child_end.crashed());
  CHECK((child_end.code == 0 || child_end.code == 10));

  auto loop_end = otiose::test::wait_for(loop);
  CHECK(loop_end.code == 0);
  auto codes = split_lines(otiose::test::read_file(rcs));
  INFO(otiose::test::read_file(rcs) << otiose::test::read_file(errs));
  CHECK(codes.size() == 40);
  CHECK(std::count(codes.begin(), codes.end(), "0") >= 2);
  CHECK(std::count(codes.begin(), codes.end(), "4") >= 1);
  for (const auto& code : codes) CHECK((code == "0" || code == "4"));
  for (const auto& line : split_lines(otiose::test::read_file(errs))) {
    INFO(line);
    CHECK(line.rfind("otiose-search: error: ", 0) == 0);
    CHECK(line.find(index) != std::string::npos);
  }

  // A new index in its place: the open reader follows it.
  index_file(corpus, index);
  CHECK(searcher.search("title:doomed", {}).total > 0);
}

namespace {

// The default Env with one fault: the `fail_at`-th durable operation (a
// write, copy, flush, rename or link, counted from 0) fails as a full disk
// would. The seam lets this run without root, limits or mounts.
class FaultyEnv : public otiose::Env {
 public:
  explicit FaultyEnv(int fail_at) : fail_at_(fail_at) {}
  int operations() const { return count_; }
  std::string failed() const { return failed_; }

  // (Env::write_file writes through new_writable_file.)
  std::unique_ptr<otiose::WritableFile> new_writable_file(const std::string& path) override {
    step("write " + path);
    return Env::new_writable_file(path);
  }
  void copy_file(const std::string& from, const std::string& to) override {
    step("copy " + to);
    Env::copy_file(from, to);
  }
  void sync(const std::string& path) override {
    step("sync " + path);
    Env::sync(path);
  }
  void rename(const std::string& from, const std::string& to) override {
    step("rename " + to);
    Env::rename(from, to);
  }
  void symlink(const std::string& target, const std::string& link) override {
    step("symlink " + link);
    Env::symlink(target, link);
  }

 private:
  void step(const std::string& what) {
    if (count_++ == fail_at_) {
      failed_ = what;
      throw otiose::Error(otiose::ErrorKind::kIo, what + ": No space left on device");
    }
  }
  int fail_at_;
  int count_ = 0;
  std::string failed_;
};

}  // namespace

TEST_CASE("a file written in pieces replaces the old whole, or not at all") {
  TempDir dir;
  const std::string path = dir / "model.bin";
  otiose::Env* env = otiose::Env::Default();
  otiose::write_file_atomically(*env, path, "old");
  otiose::write_file_atomically(*env, path, [](otiose::WritableFile& f) {
    f.append("new ");
    f.append(std::string(1 << 20, 'x'));
    f.append("end");
  });
  CHECK(env->read_file(path) == "new " + std::string(1 << 20, 'x') + "end");

  // A failure while writing leaves the old file and no temporary one.
  CHECK_THROWS_WITH(otiose::write_file_atomically(*env, path,
                                                  [](otiose::WritableFile& f) {
                                                    f.append("half");
                                                    throw otiose::Error(otiose::ErrorKind::kIo,
                                                                        "disk on fire");
                                                  }),
                    "disk on fire");
  CHECK(env->read_file(path).size() == (1 << 20) + 7);
  for (const auto& entry : fs::directory_iterator(dir.path()))
    CHECK(entry.path().filename() == "model.bin");

  // A file abandoned before close() is removed.
  {
    auto f = env->new_writable_file(dir / "abandoned");
    f->append("x");
  }
  CHECK_FALSE(fs::exists(dir / "abandoned"));
  // And one closed stays.
  {
    auto f = env->new_writable_file(dir / "kept");
    f->append("x");
    f->close();
  }
  CHECK(env->read_file(dir / "kept") == "x");
}

TEST_CASE("a failure at every durable step of an update, through the Env, loses nothing") {
  TempDir dir;
  std::string index = dir / "index";
  otiose::test::write_file(dir / "v1.jsonl", tiny_corpus(40, "first"));
  otiose::test::write_file(dir / "v2.jsonl", tiny_corpus(41, "second"));
  index_file(dir / "v1.jsonl", index);
  auto v2 = otiose::load_corpus({dir / "v2.jsonl"});
  REQUIRE(v2.error_count() == 0);

  // How many durable operations a successful update makes.
  FaultyEnv counter(-1);
  {
    TempDir scratch;
    index_file(dir / "v1.jsonl", scratch / "index");
    auto o = options();
    o.env = &counter;
    otiose::write_index(v2.records, scratch / "index", o);
  }
  const int steps = counter.operations();
  REQUIRE(steps >= 8);  // the model, the sums, the flushes, two renames and a link

  std::set<std::string> failed;
  for (int k = 0; k < steps; ++k) {
    FaultyEnv env(k);
    auto o = options();
    o.env = &env;
    INFO("fault at step " << k);
    try {
      otiose::write_index(v2.records, index, o);
      FAIL("the update succeeded despite a failing " << env.failed());
    } catch (const otiose::Error& e) {
      CHECK(e.kind() == otiose::ErrorKind::kIo);
      CHECK(std::string(e.what()).find("No space left") != std::string::npos);
    }
    failed.insert(env.failed().substr(0, env.failed().find(' ')));
    // A generation answers whole: the old one, or (when only the last
    // directory flush failed, after the switch) the new one.
    otiose::Searcher searcher(index);
    if (searcher.size() == 41) {
      CHECK(k == steps - 1);
      CHECK(searcher.search("second").total == 41);
      index_file(dir / "v1.jsonl", index);  // back to the first corpus for the next step
    } else {
      CHECK(searcher.size() == 40);
      CHECK(searcher.search("first").total == 40);
    }
    for (const auto& entry : fs::directory_iterator(index))
      CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
  }
  // Every kind of operation was made to fail at least once.
  CHECK(failed == std::set<std::string>{"copy", "write", "sync", "rename", "symlink"});

  // With the faults gone, the same update goes through.
  otiose::write_index(v2.records, index, options());
  CHECK(otiose::Searcher(index).size() == 41);
}
