#include "layout/layout.h"

#include <otiose/env.h>
#include <otiose/error.h>
#include <otiose/index.h>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
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

std::uint64_t letter_mask(std::string_view word) {
  std::uint64_t mask = 0;
  for (char ch : word) {
    auto c = static_cast<unsigned char>(ch);
    unsigned bit = c >= 'a' && c <= 'z'   ? c - 'a'
                   : c >= '0' && c <= '9' ? 26 + (c - '0')
                                          : 36 + c % 28;
    mask |= std::uint64_t{1} << bit;
  }
  return mask;
}

std::string spelling_bucket(std::size_t length,
                            const std::vector<std::pair<std::string, std::uint32_t>>& words) {
  std::string out;
  out.reserve(words.size() * (length + kSpellingEntry));
  for (const auto& w : words) out += w.first;
  auto put = [&out](std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  for (const auto& w : words) put(w.second, 4);
  for (const auto& w : words) put(letter_mask(w.first), 8);
  return out;
}

std::optional<std::vector<std::pair<std::string, std::uint32_t>>> spelling_words(
    std::size_t length, std::string_view bucket) {
  const std::size_t entry = length + kSpellingEntry;
  if (length == 0 || bucket.size() % entry != 0) return std::nullopt;
  const std::size_t count = bucket.size() / entry;
  std::vector<std::pair<std::string, std::uint32_t>> words;
  words.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::uint32_t frequency = 0;
    for (std::size_t b = 0; b < 4; ++b)
      frequency |= std::uint32_t{static_cast<unsigned char>(bucket[count * length + 4 * i + b])}
                   << (8 * b);
    words.emplace_back(std::string(bucket.substr(i * length, length)), frequency);
  }
  return words;
}

namespace {
constexpr std::string_view kRoleDataHead = "{\"record\":", kRoleDataTail = ",\"type\":\"role\"}";
}  // namespace

std::string role_data(const std::string& record_json) {
  std::string out;
  out.reserve(kRoleDataHead.size() + record_json.size() + kRoleDataTail.size());
  out.append(kRoleDataHead).append(record_json).append(kRoleDataTail);
  return out;
}

std::optional<std::string_view> record_in_role_data(std::string_view data) {
  if (data.size() <= kRoleDataHead.size() + kRoleDataTail.size() ||
      data.substr(0, kRoleDataHead.size()) != kRoleDataHead ||
      data.substr(data.size() - kRoleDataTail.size()) != kRoleDataTail)
    return std::nullopt;
  return data.substr(kRoleDataHead.size(),
                     data.size() - kRoleDataHead.size() - kRoleDataTail.size());
}

namespace {

void put_field(std::string& out, std::string_view field) {
  for (std::size_t n = field.size();; n >>= 7) {
    const auto low = static_cast<unsigned char>(n & 0x7f);
    if (n < 0x80) {
      out += static_cast<char>(low);
      break;
    }
    out += static_cast<char>(low | 0x80);
  }
  out += field;
}

// The next field of `v`, advancing it; nullopt past the end.
std::optional<std::string_view> get_field(std::string_view& v) {
  std::size_t n = 0;
  for (unsigned shift = 0;; shift += 7) {
    if (v.empty() || shift > 28) return std::nullopt;
    const auto byte = static_cast<unsigned char>(v[0]);
    v.remove_prefix(1);
    n |= static_cast<std::size_t>(byte & 0x7f) << shift;
    if (byte < 0x80) break;
  }
  if (n > v.size()) return std::nullopt;
  std::string_view field = v.substr(0, n);
  v.remove_prefix(n);
  return field;
}

}  // namespace

std::string hit_value(const HitValue& hit) {
  std::string out(1, hit.type);
  put_field(out, hit.id);
  if (hit.type == 'q') {
    put_field(out, hit.kind);
    put_field(out, hit.owner);
    put_field(out, hit.source);
  }
  out += hit.text;
  return out;
}

std::optional<HitValue> read_hit_value(std::string_view v) {
  HitValue hit;
  if (v.empty() || (v[0] != 'r' && v[0] != 'q')) return std::nullopt;
  hit.type = v[0];
  v.remove_prefix(1);
  const std::size_t fields = hit.type == 'q' ? 4 : 1;
  std::string_view* into[] = {&hit.id, &hit.kind, &hit.owner, &hit.source};
  for (std::size_t i = 0; i < fields; ++i) {
    auto field = get_field(v);
    if (!field) return std::nullopt;
    *into[i] = *field;
  }
  hit.text = v;
  return hit;
}

std::optional<FacetTable> FacetTable::view(std::string_view bytes) {
  const std::size_t magic = std::size(kFacetsMagic) - 1;
  if (bytes.size() < kFacetsHeader || bytes.substr(0, magic) != kFacetsMagic) return std::nullopt;
  auto u32_at = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i)
      v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
    return v;
  };
  const std::uint32_t last = u32_at(magic), owners = u32_at(magic + 4);
  if ((bytes.size() - kFacetsHeader) / (4 + kFacetEntry) != last ||
      (bytes.size() - kFacetsHeader) % (4 + kFacetEntry) != 0 || owners > last)
    return std::nullopt;
  FacetTable table;
  table.bytes_ = bytes;
  table.last_ = last;
  table.owners_ = owners;
  return table;
}

std::string order_value(std::size_t length, std::string_view id) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08llx",
                static_cast<unsigned long long>(std::min<std::size_t>(length, 0xffffffffu)));
  return hex + std::string(id);
}

std::size_t shard_of(std::string_view slug, std::size_t shards) {
  return shards ? static_cast<std::size_t>(owner_hash(slug) % shards) : 0;
}

std::vector<ShardSpec> read_stub(const std::string& generation) {
  const std::string path = generation + "/" + kStubFile;
  std::vector<ShardSpec> shards;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) return shards;
  std::string text = read_file(path);
  std::size_t line_no = 0;
  for (std::string_view rest = text; !rest.empty();) {
    std::size_t eol = rest.find('\n');
    std::string_view line = trim(rest.substr(0, eol));
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    auto bad = [&](const std::string& what) {
      throw Error(ErrorKind::kIndex, path + ":" + std::to_string(line_no) + ": " + what +
                                         " (a line is `auto PATH` or `remote HOST:PORT`)");
    };
    std::size_t space = line.find_first_of(" \t");
    if (space == std::string_view::npos) bad("no path or address");
    std::string_view type = line.substr(0, space), arg = trim(line.substr(space + 1));
    ShardSpec spec;
    spec.name = std::string(arg);
    if (type == "auto" || type == "glass") {
      spec.path = arg[0] == '/' ? std::string(arg) : generation + "/" + std::string(arg);
    } else if (type == "remote") {
      std::size_t colon = arg.rfind(':');
      if (colon == std::string_view::npos || colon == 0 || arg[0] == ':')
        bad("\"" + std::string(arg) + "\" is not HOST:PORT");
      std::string port(arg.substr(colon + 1));
      char* end = nullptr;
      unsigned long p = std::strtoul(port.c_str(), &end, 10);
      if (port.empty() || *end != '\0' || p == 0 || p > 65535)
        bad("\"" + port + "\" is not a port");
      spec.host = std::string(arg.substr(0, colon));
      spec.port = static_cast<unsigned>(p);
    } else {
      bad("\"" + std::string(type) + "\" is not a shard type this build reads");
    }
    shards.push_back(std::move(spec));
  }
  if (shards.empty()) throw Error(ErrorKind::kIndex, path + ": names no shard");
  return shards;
}

std::string stub_text(std::size_t shards, const std::vector<std::string>& remote) {
  std::string text = "# otiose-index: one shard a line (Xapian's stub format)\n";
  for (std::size_t k = 0; k < shards; ++k)
    text += k < remote.size() ? "remote " + remote[k] + "\n"
                              : std::string("auto ") + kShardsDir + "/" + std::to_string(k) + "\n";
  return text;
}

std::vector<std::string> local_databases(const std::string& generation) {
  std::vector<std::string> dbs;
  std::vector<ShardSpec> shards = read_stub(generation);
  if (shards.empty()) return {generation + "/" + kXapianDir};
  dbs.push_back(generation + "/" + kLocalDir);
  for (const auto& s : shards)
    if (!s.remote()) dbs.push_back(s.path);
  return dbs;
}

std::vector<std::string> written_databases(const std::string& generation) {
  const std::string shards = generation + "/" + kShardsDir;
  std::error_code ec;
  if (!std::filesystem::is_directory(shards, ec)) return {generation + "/" + kXapianDir};
  std::vector<std::string> dbs;
  for (const auto& entry : std::filesystem::directory_iterator(shards, ec))
    dbs.push_back(entry.path().string());
  if (ec) throw Error(ErrorKind::kIo, shards + ": cannot read: " + ec.message());
  std::sort(dbs.begin(), dbs.end());
  dbs.insert(dbs.begin(), generation + "/" + kLocalDir);
  return dbs;
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

std::string table_sums(const std::string& generation) {
  nlohmann::json files = nlohmann::json::array();
  for (const std::string& db : written_databases(generation)) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(db, ec)) {
      std::string name = entry.path().filename().string();
      if (name == "flintlock" || !entry.is_regular_file(ec)) continue;  // a lock, not data
      struct stat st {};
      if (::stat(entry.path().c_str(), &st) != 0)
        throw Error(ErrorKind::kIo,
                    entry.path().string() + ": cannot stat: " + std::strerror(errno));
      // Relative to the generation: "xapian/postlist.glass".
      files.push_back({{"name", std::filesystem::relative(entry.path(), generation).string()},
                       {"size", static_cast<std::uint64_t>(st.st_size)},
                       {"mtime_ns", mtime_ns(st)},
                       {"sum", file_sum(entry.path().string(), ErrorKind::kIo)}});
    }
    if (ec) throw Error(ErrorKind::kIo, db + ": cannot read: " + ec.message());
  }
  const std::string facets = generation + "/" + kFacetsFile;
  struct stat st {};
  if (::stat(facets.c_str(), &st) == 0)
    files.push_back({{"name", kFacetsFile},
                     {"size", static_cast<std::uint64_t>(st.st_size)},
                     {"mtime_ns", mtime_ns(st)},
                     {"sum", file_sum(facets, ErrorKind::kIo)}});
  return nlohmann::json{{"files", files}}.dump() + "\n";
}

void write_table_sums(const std::string& generation, Env& env) {
  env.write_file(generation + "/" + kSumsFile, table_sums(generation));
}

std::vector<TableStamp> verify_table_sums(const std::string& generation) {
  std::string path = generation + "/" + kSumsFile;
  std::vector<TableStamp> stamps;
  struct stat sums {};
  if (::stat(path.c_str(), &sums) != 0 && errno == ENOENT) return stamps;  // written before them
  auto j = nlohmann::json::parse(read_file(path), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("files") || !j["files"].is_array())
    damaged(path, "damaged (not the list otiose-index wrote)");
  // Only what this machine reads: a frontend of remote shards has no copy
  // of them.
  const std::vector<std::string> local = local_databases(generation);
  auto is_local = [&](const std::string& file) {
    if (file == generation + "/" + kFacetsFile) return true;
    for (const auto& db : local)
      if (file.compare(0, db.size() + 1, db + "/") == 0) return true;
    return false;
  };
  for (const auto& f : j["files"]) {
    if (!f.is_object() || !f.contains("name") || !f["name"].is_string() || !f.contains("size") ||
        !f["size"].is_number_unsigned() || !f.contains("mtime_ns") ||
        !f["mtime_ns"].is_number_integer() || !f.contains("sum") || !f["sum"].is_string())
      damaged(path, "damaged (not the list otiose-index wrote)");
    TableStamp stamp;
    stamp.path = generation + "/" + f["name"].get<std::string>();
    if (!is_local(stamp.path)) continue;
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

namespace otiose {

std::string resolve_index_path(std::string_view flag) {
  if (!flag.empty()) return std::string(flag);
  if (const char* env = std::getenv("OTIOSE_INDEX"); env && *env) return env;
  std::string base;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) {
    base = xdg;
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    base = std::string(home) + "/.local/share";
  } else {
    throw Error(ErrorKind::kUsage, "no index given: pass --index DIR or set OTIOSE_INDEX");
  }
  return base + "/otiose/index";
}

}  // namespace otiose
