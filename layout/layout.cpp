#include "layout/layout.h"

#include <otiose/env.h>
#include <otiose/error.h>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "base/checksum.h"
#include "base/text.h"

namespace otiose::detail {

std::string generation_name(std::uint64_t number) {
  char name[32];
  std::snprintf(name, sizeof name, "gen-%010llu", static_cast<unsigned long long>(number));
  return name;
}

std::optional<std::string> current_generation(const std::string& index_dir) {
  std::string link = index_dir + "/" + kCurrentLink;
  char target[PATH_MAX];
  ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  if (n < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw Error(ErrorKind::kIndex, link + ": not an otiose index link: " + std::strerror(errno));
  }
  std::string name(target, static_cast<std::size_t>(n));
  if (name.rfind("gen-", 0) != 0 || name.find('/') != std::string::npos)
    throw Error(ErrorKind::kIndex, link + ": points at \"" + name + "\", not at a generation");
  return index_dir + "/" + name;
}

std::string content_hash(const std::string& text) {
  std::uint64_t h = checksum(reinterpret_cast<const unsigned char*>(text.data()), text.size());
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

namespace {

[[noreturn]] void damaged(const std::string& path, const std::string& what) {
  throw Error(ErrorKind::kIndex,
              path + ": " + what + ": rebuild the index with otiose-index --rebuild");
}

std::int64_t mtime_ns(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// The checksum of a whole file, read a MiB at a time: the checksum of each
// MiB, then of those.
std::string file_sum(const std::string& path, ErrorKind kind) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(kind, path + ": cannot read: " + std::strerror(errno));
  std::vector<unsigned char> block(1 << 20);
  std::vector<std::uint64_t> sums;
  for (;;) {
    ssize_t n = ::read(fd, block.data(), block.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      throw Error(kind, path + ": cannot read: " + std::strerror(e));
    }
    if (n == 0) break;
    sums.push_back(checksum(block.data(), static_cast<std::size_t>(n)));
  }
  ::close(fd);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(checksum(
                    reinterpret_cast<const unsigned char*>(sums.data()), sums.size() * 8)));
  return hex;
}

}  // namespace

void write_table_sums(const std::string& generation, Env& env) {
  std::string db = generation + "/" + kXapianDir, path = generation + "/" + kSumsFile;
  nlohmann::json files = nlohmann::json::array();
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(db, ec)) {
    std::string name = entry.path().filename().string();
    if (name == "flintlock" || !entry.is_regular_file(ec)) continue;  // a lock, not data
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) != 0)
      throw Error(ErrorKind::kIo, entry.path().string() + ": cannot stat: " + std::strerror(errno));
    files.push_back({{"name", name},
                     {"size", static_cast<std::uint64_t>(st.st_size)},
                     {"mtime_ns", mtime_ns(st)},
                     {"sum", file_sum(entry.path().string(), ErrorKind::kIo)}});
  }
  if (ec) throw Error(ErrorKind::kIo, db + ": cannot read: " + ec.message());
  env.write_file(path, nlohmann::json{{"files", files}}.dump() + "\n");
}

std::vector<TableStamp> verify_table_sums(const std::string& generation) {
  std::string db = generation + "/" + kXapianDir, path = generation + "/" + kSumsFile;
  std::vector<TableStamp> stamps;
  struct stat sums {};
  if (::stat(path.c_str(), &sums) != 0 && errno == ENOENT) return stamps;  // written before them
  auto j = nlohmann::json::parse(read_file(path), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("files") || !j["files"].is_array())
    damaged(path, "damaged (not the list otiose-index wrote)");
  for (const auto& f : j["files"]) {
    if (!f.is_object() || !f.contains("name") || !f["name"].is_string() || !f.contains("size") ||
        !f["size"].is_number_unsigned() || !f.contains("mtime_ns") ||
        !f["mtime_ns"].is_number_integer() || !f.contains("sum") || !f["sum"].is_string())
      damaged(path, "damaged (not the list otiose-index wrote)");
    TableStamp stamp;
    stamp.path = db + "/" + f["name"].get<std::string>();
    struct stat st {};
    if (::stat(stamp.path.c_str(), &st) != 0) {
      if (errno == ENOENT) damaged(stamp.path, "missing");
      throw Error(ErrorKind::kIo, stamp.path + ": cannot stat: " + std::strerror(errno));
    }
    stamp.size = static_cast<std::uint64_t>(st.st_size);
    stamp.mtime_ns = mtime_ns(st);
    auto wrote = f["size"].get<std::uint64_t>();
    if (stamp.size != wrote)
      damaged(stamp.path, "damaged (" + std::to_string(stamp.size) + " bytes, otiose-index wrote " +
                              std::to_string(wrote) + "): truncated or overwritten");
    if (stamp.mtime_ns != f["mtime_ns"].get<std::int64_t>() &&
        file_sum(stamp.path, ErrorKind::kIndex) != f["sum"].get<std::string>())
      damaged(stamp.path, "damaged (changed since otiose-index wrote it: checksum mismatch)");
    stamps.push_back(std::move(stamp));
  }
  return stamps;
}

bool tables_changed(const std::vector<TableStamp>& stamps) {
  for (const auto& s : stamps) {
    struct stat st {};
    if (::stat(s.path.c_str(), &st) != 0 || static_cast<std::uint64_t>(st.st_size) != s.size ||
        mtime_ns(st) != s.mtime_ns)
      return true;
  }
  return false;
}

}  // namespace otiose::detail
