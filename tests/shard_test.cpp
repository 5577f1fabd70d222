// Sharded indexes (otiose-index --shards): the same answers as one database,
// from local shards and from shards served by xapian-tcpsrv on loopback
// ports; and what a Searcher does when a shard server dies mid-query, comes
// back, is too slow, or serves another build.
#include <otiose/error.h>
#include <otiose/index.h>
#include <otiose/record.h>
#include <otiose/search.h>
#include <otiose/similarity.h>

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <sstream>
#include <thread>

#include "layout/layout.h"
#include "process.h"
#include "test_util.h"

namespace {

using otiose::test::TempDir;

otiose::IndexOptions options(std::size_t shards) {
  otiose::IndexOptions o;
  o.tfidf = otiose::load_tfidf_config(otiose::test::source_path("similarity/tfidf.json"));
  o.shards = shards;
  return o;
}

// The benchmark's corpus generator and its 1,000 queries, at a size a test
// can afford.
struct BenchCorpus {
  TempDir dir;
  std::vector<otiose::LoadedRecord> records;
  std::vector<std::string> queries;

  BenchCorpus() {
    auto ran = otiose::test::run_command(
        "python3 " + otiose::test::source_path("bench/gen_corpus.py") + " 150 " +
        (dir / "corpus.jsonl") + " --queries " + (dir / "queries.txt"));
    INFO(ran.err);
    REQUIRE(ran.status == 0);
    auto corpus = otiose::load_corpus({dir / "corpus.jsonl"});
    REQUIRE(corpus.error_count() == 0);
    records = corpus.records;
    std::istringstream lines(otiose::test::read_file(dir / "queries.txt"));
    for (std::string q; std::getline(lines, q);)
      if (!q.empty()) queries.push_back(q);
    REQUIRE(queries.size() == 1000);
  }
};

const BenchCorpus& bench_corpus() {
  static BenchCorpus corpus;
  return corpus;
}

// The first difference between two answers (ids, order, scores, counts,
// facets, related cards, suggestion), or "".
std::string difference(const otiose::SearchResults& a, const otiose::SearchResults& b) {
  if (a.total != b.total)
    return "total " + std::to_string(a.total) + " vs " + std::to_string(b.total);
  if (a.specimens != b.specimens)
    return "specimens " + std::to_string(a.specimens) + " vs " + std::to_string(b.specimens);
  if (a.suggestion != b.suggestion) return "suggestion";
  if (a.hits.size() != b.hits.size()) return "hit count";
  for (std::size_t i = 0; i < a.hits.size(); ++i) {
    const auto &x = a.hits[i], &y = b.hits[i];
    std::string at = "hit " + std::to_string(i + 1) + ": ";
    if (x.id != y.id) return at + x.id + " vs " + y.id;
    if (x.more != y.more) return at + "more";
    // Not the snippet's text: Xapian's snippet generator weighs a term by the
    // sum of each shard's maximum, so it may pick another window.
    if (x.snippet.empty() != y.snippet.empty()) return at + "snippet";
    if (std::abs(x.score - y.score) > 1e-9 * std::max(1.0, std::abs(x.score)))
      return at + "score " + std::to_string(x.score) + " vs " + std::to_string(y.score);
    if (x.related.size() != y.related.size()) return at + "related";
    for (std::size_t k = 0; k < x.related.size(); ++k)
      if (x.related[k].slug != y.related[k].slug || x.related[k].title != y.related[k].title)
        return at + "related " + std::to_string(k);
  }
  if (a.facets.size() != b.facets.size()) return "facets";
  for (std::size_t f = 0; f < a.facets.size(); ++f) {
    if (a.facets[f].values.size() != b.facets[f].values.size()) return "facet " + a.facets[f].name;
    for (std::size_t v = 0; v < a.facets[f].values.size(); ++v)
      if (a.facets[f].values[v].value != b.facets[f].values[v].value ||
          a.facets[f].values[v].count != b.facets[f].values[v].count)
        return "facet " + a.facets[f].name + " " + a.facets[f].values[v].value;
  }
  return "";
}

// The benchmark's queries, grouped (with facets and without, as
// otiose-search asks) and flat, against a reference.
void require_same_answers(const otiose::Searcher& one, const otiose::Searcher& sharded) {
  otiose::SearchOptions grouped, faceted, flat;
  grouped.group = faceted.group = faceted.facets = true;
  flat.limit = 20;
  flat.related = 0;
  std::size_t differing = 0, most_specimens = 0;
  for (const auto& q : bench_corpus().queries) {
    for (const auto* o : {&grouped, &faceted, &flat}) {
      const otiose::SearchResults a = one.search(q, *o);
      most_specimens = std::max(most_specimens, a.specimens);
      std::string d = difference(a, sharded.search(q, *o));
      if (!d.empty() && ++differing <= 5) {
        INFO(q << (o == &flat ? " (flat)" : o == &grouped ? " (grouped)" : " (faceted)"));
        CHECK(d == "");
      }
    }
  }
  CHECK(differing == 0);
  // Some queries count more specimens than the grouped counts keep in
  // their little table before an index (OwnerSlots, 128).
  CHECK(most_specimens > 128);
}

unsigned free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool accepts(unsigned port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// One xapian-tcpsrv on 127.0.0.1:port, in its own process group (it forks a
// child a connection): stopped with all its children.
class TcpServer {
 public:
  TcpServer(std::string db, unsigned port) : db_(std::move(db)), port_(port) { start(); }
  ~TcpServer() { kill(); }
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  void start() {
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::setsid();
      // Its children print each dropped connection.
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      std::string port = std::to_string(port_);
      ::execlp("xapian-tcpsrv", "xapian-tcpsrv", "--interface", "127.0.0.1", "--port", port.c_str(),
               "--quiet", db_.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL("xapian-tcpsrv exited at once (status "
             << status << "): is xapian-tools installed (scripts/install-deps)?");
      }
      if (accepts(port_)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    FAIL("xapian-tcpsrv did not listen on port " << port_);
  }
  void kill() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  void pause() { ::kill(-pid_, SIGSTOP); }
  void resume() { ::kill(-pid_, SIGCONT); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  std::string db_;
  unsigned port_;
  pid_t pid_ = -1;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// What `f` threw, or FAIL.
template <typename F>
otiose::Error thrown(F f) {
  try {
    f();
  } catch (const otiose::Error& e) {
    return e;
  }
  FAIL("nothing was thrown");
  return otiose::Error(otiose::ErrorKind::kIo, "");
}

}  // namespace

TEST_CASE("a slug's shard is a stable hash") {
  CHECK(otiose::detail::shard_of("enterprise-architect", 1) == 0);
  // FNV-1a of the slug, modulo: fixed here so that no release moves a
  // specimen to another shard.
  CHECK(otiose::detail::shard_of("enterprise-architect", 5) == 0);
  CHECK(otiose::detail::shard_of("enterprise-architect", 7) == 5);
  std::size_t counts[5] = {};
  for (const auto& r : bench_corpus().records) ++counts[otiose::detail::shard_of(r.record.slug, 5)];
  for (std::size_t c : counts) CHECK(c > 10);  // 150 specimens spread over the five
}

TEST_CASE("a sharded index answers the benchmark's queries as one database does") {
  TempDir dir;
  const auto& records = bench_corpus().records;
  otiose::write_index(records, dir / "one", options(0));
  otiose::Searcher one(dir / "one");
  for (std::size_t n : {1, 2, 5}) {
    INFO(n << " shards");
    std::string index = dir / ("sharded-" + std::to_string(n));
    auto report = otiose::write_index(records, index, options(n));
    CHECK(report.written);
    // The layout: a stub naming the shards, the local part, no xapian/.
    auto stub = otiose::detail::read_stub(report.generation);
    REQUIRE(stub.size() == n);
    CHECK(stub.back().name == "shards/" + std::to_string(n - 1));
    CHECK(std::filesystem::is_directory(report.generation + "/local"));
    CHECK(!std::filesystem::exists(report.generation + "/xapian"));
    otiose::Searcher sharded(index);
    CHECK(sharded.size() == one.size());
    require_same_answers(one, sharded);
    // Typos are corrected from the local part's spelling table.
    CHECK(sharded.search("strategc", {}).suggestion == one.search("strategc", {}).suggestion);
    CHECK(sharded.catalogue()->size() == records.size());
    CHECK(sharded.get(records.front().record.slug).title == records.front().record.title);
  }
}

TEST_CASE("an edit to a sharded index rewrites it whole, and answers stay equal") {
  TempDir dir;
  auto records = bench_corpus().records;
  otiose::write_index(records, dir / "sharded", options(2));
  records.pop_back();
  records.front().record.title += " Edited";
  auto report = otiose::write_index(records, dir / "sharded", options(2));
  CHECK(report.rebuilt);
  otiose::write_index(records, dir / "one", options(0));
  otiose::Searcher one(dir / "one"), sharded(dir / "sharded");
  CHECK(sharded.size() == records.size());
  CHECK(sharded.get(records.front().record.slug).title == records.front().record.title);
  otiose::SearchOptions o;
  o.facets = true;
  for (const char* q : {"synergy", "\"stakeholder alignment\"", "roadmap OR budget"})
    CHECK(difference(one.search(q, o), sharded.search(q, o)) == "");
}

TEST_CASE("a stub's bad line is named with its file and line") {
  TempDir dir;
  auto report = otiose::write_index(bench_corpus().records, dir / "index", options(2));
  otiose::test::write_file(report.generation + "/xapian.stub",
                           "auto shards/0\nremote 127.0.0.1:notaport\n");
  auto e = thrown([&] { otiose::Searcher s(dir / "index"); });
  CHECK(e.kind() == otiose::ErrorKind::kIndex);
  CHECK_THAT(e.what(), Catch::Contains("xapian.stub:2") && Catch::Contains("not a port"));
}

TEST_CASE(
    "remote shards: equal answers, and a server killed, restarted, slow, or of another build") {
  TempDir dir;
  const auto& records = bench_corpus().records;
  otiose::write_index(records, dir / "one", options(0));
  otiose::Searcher one(dir / "one");
  const unsigned ports[2] = {free_port(), free_port()};
  auto opts = options(2);
  for (unsigned p : ports) opts.remote_shards.push_back("127.0.0.1:" + std::to_string(p));
  auto report = otiose::write_index(records, dir / "remote", opts);
  // The servers serve this generation's shards, as a shard machine would.
  TcpServer first(report.generation + "/shards/0", ports[0]);
  TcpServer second(report.generation + "/shards/1", ports[1]);
  otiose::SearcherOptions fast;
  fast.remote_timeout_ms = 1000;
  otiose::Searcher remote(dir / "remote", fast);

  SECTION("the same answers as one database") {
    require_same_answers(one, remote);
  }

  SECTION("a server killed mid-query: an error naming the shard, or a partial answer") {
    REQUIRE(remote.search("synergy", {}).total == one.search("synergy", {}).total);
    second.pause();  // the query waits on it...
    auto start = std::chrono::steady_clock::now();
    auto pending = std::async(std::launch::async, [&] { return remote.search("synergy", {}); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    second.kill();  // ...and it dies under the query
    auto e = thrown([&] { pending.get(); });
    CHECK(e.kind() == otiose::ErrorKind::kUnavailable);
    CHECK_THAT(e.what(), Catch::Contains("shard 2 of 2 (" + second.address() + ")"));
    CHECK(seconds_since(start) < 5);  // not a hang

    otiose::SearchOptions partial;
    partial.partial = true;
    partial.limit = 1000;
    auto r = remote.search("synergy", partial);
    REQUIRE(r.missing_shards.size() == 1);
    CHECK(r.missing_shards[0] == "shard 2 of 2 (" + second.address() + ")");
    CHECK(!r.hits.empty());
    for (const auto& h : r.hits) {
      CHECK(otiose::detail::shard_of(h.slug, 2) == 0);
      for (const auto& card : h.related) CHECK(!card.title.empty());  // from the local part
    }
    CHECK(r.total < one.search("synergy", {}).total);

    // Restarted on its port, it is used again by the same Searcher.
    second.start();
    auto whole = remote.search("synergy", partial);
    CHECK(whole.missing_shards.empty());
    CHECK(difference(whole, one.search("synergy", partial)) == "");
  }

  SECTION("a server that answers too slowly is cut off at the timeout") {
    REQUIRE(remote.search("roadmap", {}).missing_shards.empty());
    first.pause();
    auto start = std::chrono::steady_clock::now();
    auto e = thrown([&] { remote.search("roadmap", {}); });
    double took = seconds_since(start);
    CHECK(e.kind() == otiose::ErrorKind::kUnavailable);
    CHECK_THAT(e.what(), Catch::Contains("shard 1 of 2 (" + first.address() + ")"));
    CHECK(took >= 0.9);  // the timeout, 1 s, and a quarter more to name the shard
    CHECK(took < 4);
    otiose::SearchOptions partial;
    partial.partial = true;
    auto r = remote.search("roadmap", partial);
    CHECK(r.missing_shards.size() == 1);
    first.resume();
    CHECK(remote.search("roadmap", partial).missing_shards.empty());
  }

  SECTION("a server restarted between calls: the next call reconnects, with the same timeout") {
    REQUIRE(remote.search("roadmap", {}).missing_shards.empty());
    first.kill();
    first.start();  // the pooled connection to it is dead, the server is back
    CHECK(difference(remote.search("roadmap", {}), one.search("roadmap", {})) == "");
    // The connection made again keeps the configured timeout, not the
    // shorter one the reconnect waits.
    first.pause();
    auto start = std::chrono::steady_clock::now();
    otiose::SearchOptions partial;
    partial.partial = true;
    CHECK(remote.search("roadmap", partial).missing_shards.size() == 1);
    CHECK(seconds_since(start) >= 0.9);
    first.resume();
  }

  SECTION("a frontend's copy of the generation, without the shards, answers") {
    // What a frontend machine keeps: the model, local/, the stub, the sums.
    const std::string copy = dir / "frontend";
    const std::string name = std::filesystem::path(report.generation).filename();
    std::filesystem::create_directories(copy + "/" + name);
    for (const auto& entry : std::filesystem::directory_iterator(report.generation))
      if (entry.path().filename() != "shards")
        std::filesystem::copy(entry.path(),
                              copy + "/" + name + "/" + entry.path().filename().string(),
                              std::filesystem::copy_options::recursive);
    std::filesystem::create_directory_symlink(name, copy + "/current");
    otiose::Searcher frontend(copy, fast);
    CHECK(difference(frontend.search("synergy", {}), one.search("synergy", {})) == "");
    CHECK(frontend.search("strategc", {}).suggestion == one.search("strategc", {}).suggestion);
  }

  SECTION("a server of another build is refused, not mixed in") {
    // A rebuild names the same ports; the servers still serve the old build.
    auto next = otiose::write_index(records, dir / "remote", [&] {
      auto o = opts;
      o.rebuild = true;
      return o;
    }());
    REQUIRE(next.generation != report.generation);
    auto e = thrown([&] { remote.search("synergy", {}); });
    CHECK(e.kind() == otiose::ErrorKind::kIndex);
    CHECK_THAT(e.what(), Catch::Contains("another build"));
  }

  SECTION("otiose-search: exit 7 naming the shard, or --partial flagged in text and JSON") {
    second.kill();
    const std::string tool = std::string(OTIOSE_BINARY_DIR) + "/otiose-search --index " +
                             (dir / "remote") + " --timeout 1000 ";
    auto failed = otiose::test::run_command(tool + "synergy");
    CHECK(failed.status == 7);
    CHECK_THAT(failed.err, Catch::Contains("shard 2 of 2 (" + second.address() + ")"));
    CHECK(std::count(failed.err.begin(), failed.err.end(), '\n') == 1);
    auto json = otiose::test::run_command(tool + "--partial --json synergy");
    CHECK(json.status == 0);
    CHECK_THAT(json.out, Catch::Contains("\"partial\":true") &&
                             Catch::Contains("\"missing_shards\":[\"shard 2 of 2 (" +
                                             second.address() + ")\"]"));
    auto text = otiose::test::run_command(tool + "--partial synergy");
    CHECK(text.status == 0);
    CHECK_THAT(text.out, Catch::Contains("partial: 1 shard did not answer"));
  }
}
