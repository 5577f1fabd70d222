// layout/: the on-disk contract between the index writer (indexer/) and the
// searcher (query/), private to the library: the directory of generations,
// the document terms and values, the stemmer. Changing a prefix, slot, file
// name or the stemmer changes the index format: bump kIndexFormat. So does
// a new SimilarityModel::kFormatVersion: the writer tells an index it must
// rewrite whole by this number alone.
//
//   DIR/LOCK                 flock()ed by the one writer; holds its PID
//   DIR/current -> gen-N     symlink, swapped by rename(): readers see the
//                            old generation or the new, never a mix
//   DIR/gen-N/xapian/        the Xapian database (glass), or, sharded
//                            (otiose-index --shards N):
//   DIR/gen-N/xapian.stub    Xapian's stub format, a shard a line: `auto
//                            shards/K` (local) or `remote HOST:PORT` (a
//                            xapian-tcpsrv serving shards/K elsewhere)
//   DIR/gen-N/shards/K/      shard K: the specimens whose slug hashes to K
//                            (shard_of), with their quotes
//   DIR/gen-N/local/         what every frontend needs beside the model and
//                            Xapian's remote backend does not carry: the
//                            metadata (format, synonyms) and the spelling
//   DIR/gen-N/model.bin      the similarity model built in the same run
//   DIR/gen-N/facets.bin     each document's facet value by docid (one
//                            database only; FacetTable below)
//   DIR/gen-N/xapian.sums    size, mtime and checksum of each local Xapian
//                            file and of facets.bin: Xapian's tables carry
//                            no checksums, and a damaged one can crash it
//   DIR/gen-N.tmp-PID/       a generation being written (removed if left over)
#ifndef OTIOSE_LAYOUT_LAYOUT_H_
#define OTIOSE_LAYOUT_LAYOUT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace otiose {
class Env;
}

namespace otiose::detail {

inline constexpr int kIndexFormat = 27;
inline constexpr char kLockFile[] = "LOCK";
inline constexpr char kCurrentLink[] = "current";
inline constexpr char kXapianDir[] = "xapian";
inline constexpr char kModelFile[] = "model.bin";
inline constexpr char kSumsFile[] = "xapian.sums";
inline constexpr char kStubFile[] = "xapian.stub";
inline constexpr char kShardsDir[] = "shards";
inline constexpr char kLocalDir[] = "local";

// Boolean terms.
inline constexpr char kIdPrefix[] = "Q";         // Q<slug> or Q<slug>#<kind>-<n>
inline constexpr char kTypePrefix[] = "XTYPE";   // XTYPErole, XTYPEquote
inline constexpr char kKindPrefix[] = "XKIND";   // XKINDcomplaint, ...
inline constexpr char kRolePrefix[] = "XROLE";   // the owning specimen's slug
inline constexpr char kSourcePrefix[] = "XSRC";  // a quote's source, lower case
// Free-text field prefixes (the query parser's field names in brackets).
inline constexpr char kTitlePrefix[] = "S";     // title:
inline constexpr char kAliasPrefix[] = "XA";    // alias:
inline constexpr char kHabitatPrefix[] = "XH";  // habitat:
inline constexpr char kMetricPrefix[] = "XM";   // metric:
inline constexpr char kWeaponPrefix[] = "XW";   // weapon:

// Within-document frequency increments: the title and aliases weigh more.
inline constexpr unsigned kTitleWeight = 5;
inline constexpr unsigned kAliasWeight = 3;

// Xapian's stemmer for every text field, at index and query time (with
// STEM_SOME in both).
inline constexpr char kStemLanguage[] = "english";

// Value slots (sortable_serialise'd numbers, strings as is).
enum Slot : unsigned {
  kSlotFlightRisk = 0,
  kSlotSalaryAverage = 1,
  kSlotSalaryLow = 2,
  kSlotSalaryHigh = 3,
  kSlotContentHash = 4,  // specimen documents: hash of the record's JSON
  kSlotSlug = 5,         // specimen documents: the slug
  // Specimen documents: the catalogue's card, readable without
  // decompressing and parsing the record stored as the document's data.
  kSlotTitle = 6,
  kSlotTagline = 7,
  // Every document: what a hit shows, in one value (one read: hit_value
  // below). A hit's title and tagline are its specimen's card in the model.
  kSlotHit = 8,
  // Every document: the owning specimen's slug (the collapse key that
  // groups hits by specimen), and what orders equal scores (order_value):
  // the shorter text a hit shows first, then by id, so that the order is
  // the same however the documents are numbered or sharded.
  kSlotOwner = 9,
  kSlotOrder = 10,
  // Every document: what a search's facets count, in one value so that
  // one read a matching document serves them all (facet_value below).
  kSlotFacets = 11,
};

// A band of values a facet counts: [low, high], both inclusive; the stored
// value is its index as a decimal digit.
struct Band {
  std::int64_t low;
  std::int64_t high;
};
// Average salaries (any currency) and flight-risk percents, in bands.
inline constexpr Band kSalaryBands[] = {
    {0, 49999}, {50000, 99999}, {100000, 149999}, {150000, 199999}, {200000, INT64_MAX}};
inline constexpr Band kRiskBands[] = {{0, 24}, {25, 49}, {50, 74}, {75, 100}};

// The index of the band holding `v`, or -1 when none does.
template <std::size_t N>
int band_of(const Band (&bands)[N], std::int64_t v) {
  for (std::size_t i = 0; i < N; ++i)
    if (v >= bands[i].low && v <= bands[i].high) return static_cast<int>(i);
  return -1;
}

// The 64-bit hash of a specimen's slug that kSlotFacets carries (FNV-1a).
inline std::uint64_t owner_hash(std::string_view slug) {
  std::uint64_t h = 14695981039346656037ull;
  for (char c : slug) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

// kSlotFacets: the type ('r' a specimen, 'q' a quote), the band of the
// specimen's average salary and of its flight risk (a digit, the band's
// index; '-' for none), the owner's owner_hash (8 bytes, big-endian: the
// grouped counts), then a quote's kind: "q23" + 8 bytes + "complaint".
inline constexpr std::size_t kFacetKindAt = 11;
inline std::string facet_value(char type, int salary_band, int risk_band, std::string_view slug,
                               std::string_view kind) {
  auto digit = [](int band) { return band < 0 ? '-' : static_cast<char>('0' + band); };
  std::string v{type, digit(salary_band), digit(risk_band)};
  const std::uint64_t h = owner_hash(slug);
  for (int shift = 56; shift >= 0; shift -= 8) v += static_cast<char>((h >> shift) & 0xff);
  v += kind;
  return v;
}

// The owner_hash of a facet value, 0 for a value too short to hold one.
inline std::uint64_t facet_owner(std::string_view v) {
  if (v.size() < kFacetKindAt) return 0;
  std::uint64_t h = 0;
  for (std::size_t i = 3; i < kFacetKindAt; ++i) h = h << 8 | static_cast<unsigned char>(v[i]);
  return h;
}

// kSlotHit: 'r' (a specimen) or 'q' (a quote), then each field but the
// last as its length (a byte under 128, or more in 7-bit groups, the low
// first) and its bytes, then the last to the end. A specimen: its slug,
// then the text its snippet is cut from (one item a line, without the
// tagline a hit prints above it). A quote: its id, its kind, its
// specimen's slug, its source ("" for none), then its text.
struct HitValue {
  char type = 0;
  std::string_view id, kind, owner, source, text;  // a specimen's id is its slug
};
std::string hit_value(const HitValue& hit);
// The fields of a kSlotHit value, viewing `v`; nullopt for a damaged one.
std::optional<HitValue> read_hit_value(std::string_view v);

// facets.bin, beside a generation's one database (none when sharded):
// each document's specimen as a number and its kSlotFacets value, by
// docid, written after the database whatever wrote it, so that a search
// counts each specimen in a dense array by its number (not a hash table by
// its owner_hash) and reads a value as an array entry (not a B-tree lookup
// and a chunk decoded). "OTFACET3", the highest docid and the number of
// owners (u32 each, little-endian); then each document's owner number from
// docid 1 (u32, little-endian; 0: none, else 1 to the number of owners,
// the distinct owner_hashes in docid order): all a grouped search reads,
// 4 bytes a match; then kFacetEntry bytes a docid from 1: the value's
// length (0: no such document), the value, zeros: what the facets read.
// In the table sums (kSumsFile) beside the database's files.
inline constexpr char kFacetsFile[] = "facets.bin";
inline constexpr char kFacetsMagic[] = "OTFACET3";
inline constexpr std::size_t kFacetsHeader = 16;
inline constexpr std::size_t kFacetEntry = 24;

class FacetTable {
 public:
  // A view of `bytes`; nullopt when they are not a table (size, magic).
  static std::optional<FacetTable> view(std::string_view bytes);
  // The value of document `id`: nullopt past the highest docid or for an
  // entry whose length does not fit (damage the caller reads around).
  std::optional<std::string_view> value(std::uint32_t id) const {
    if (id == 0 || id > last_) return std::nullopt;
    const std::string_view e =
        bytes_.substr(kFacetsHeader + std::size_t{last_} * 4 + (id - 1) * kFacetEntry, kFacetEntry);
    const auto n = static_cast<unsigned char>(e[0]);
    if (n >= kFacetEntry) return std::nullopt;
    return e.substr(1, n);
  }
  // The owner number of document `id`, 1 to owners(); 0 for none, past the
  // highest docid, or a number out of range.
  std::uint32_t owner(std::uint32_t id) const {
    if (id == 0 || id > last_) return 0;
    const char* p = bytes_.data() + kFacetsHeader + std::size_t{id - 1} * 4;
    std::uint32_t n = 0;
    for (std::size_t i = 0; i < 4; ++i)
      n |= static_cast<std::uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    return n <= owners_ ? n : 0;
  }
  std::uint32_t owners() const { return owners_; }

 private:
  std::string_view bytes_;
  std::uint32_t last_ = 0;
  std::uint32_t owners_ = 0;
};

// kSlotOrder: the length as 8 hex digits (so that strings sort as numbers),
// then the document's id.
std::string order_value(std::size_t length, std::string_view id);

// The tie order in the numbering. A generation of one database numbers its
// documents in kSlotOrder's order when it is built, so that relevance, then
// the ascending docid, is the order a search shows, and Xapian can pass
// over a candidate that only equals the lowest weight kept instead of
// reading its value (most of a broad query's time). A document an edit
// added or rewrote (a new docid at the end, or a changed length at an old
// one) is out of that order and carries kEditedTerm: a search ranks those
// apart and merges them in. A sharded generation interleaves its shards'
// numbers and is ranked by the value.
inline constexpr char kEditedTerm[] = "XEDITED";
// Ranking those apart costs every broad query a second match (about 12 %
// at 10,000 specimens with a dozen marked) and grows with them (p50
// +29 % with one in twenty, +42 % with one in eight): when more than one
// document in kEditedShare carries the mark, the next run that changes
// anything rebuilds the generation whole, back in the tie order.
inline constexpr unsigned kEditedShare = 20;

// A specimen document's data: {"record":RECORD,"type":"role"}, the record
// as to_json(-1) writes it, with no spaces and the keys in nlohmann's order.
std::string role_data(const std::string& record_json);
// The record's JSON in data role_data() wrote, or nullopt when `data` is
// not of that form (it may still be JSON an older writer spaced otherwise).
std::optional<std::string_view> record_in_role_data(std::string_view data);

// Metadata keys.
inline constexpr char kMetaFormat[] = "otiose:format";
inline constexpr char kMetaSynonyms[] = "otiose:synonyms";  // JSON groups
inline constexpr char kMetaSettings[] = "otiose:settings";  // hash of config + synonyms
// Every shard and the local part of a sharded generation: the same build
// identity, checked at open (a shard server serving another generation is
// refused, not mixed in).
inline constexpr char kMetaBuild[] = "otiose:build";

// The spelling table for "did you mean", the only one an index has (Xapian's
// own is left empty), stored so that a query reads the words near its own
// length: under kMetaSpelling + the length in decimal ("otiose:spelling:7"),
// one key a word length from kSpellingShortest to kSpellingLongest (the
// words the indexer spells), the words of that length in byte order end to
// end, then each one's frequency (u32), then its letter_mask (u64), both
// little-endian. A length with no words has no key.
inline constexpr char kMetaSpelling[] = "otiose:spelling:";
inline constexpr std::size_t kSpellingShortest = 3;
inline constexpr std::size_t kSpellingLongest = 40;
inline constexpr std::size_t kSpellingEntry = 4 + 8;  // a word's bytes beside its letters

// One bit for each letter (a-z), digit and other byte (folded onto 28
// bits) that `word` contains. An edit changes at most two bits, so words
// whose masks differ in more than 2d bits are more than d edits apart.
std::uint64_t letter_mask(std::string_view word);

// The stored form of the words of one length (each `length` bytes).
std::string spelling_bucket(std::size_t length,
                            const std::vector<std::pair<std::string, std::uint32_t>>& words);

// The words and frequencies a stored bucket of `length`-byte words holds,
// or nullopt when it is not whole entries.
std::optional<std::vector<std::pair<std::string, std::uint32_t>>> spelling_words(
    std::size_t length, std::string_view bucket);

// "gen-0000000042".
std::string generation_name(std::uint64_t number);

// The generation `DIR/current` points at, as a full path, or nullopt when
// there is none. Throws Error(kIndex) if `current` exists but is not ours.
std::optional<std::string> current_generation(const std::string& index_dir);

// 64-bit content hash, as 16 hex digits.
std::string content_hash(const std::string& text);

// The shard of `slug` among `shards`: a stable hash (FNV-1a), the same on
// every machine and in every release.
std::size_t shard_of(std::string_view slug, std::size_t shards);

// One line of a generation's xapian.stub.
struct ShardSpec {
  std::string path;  // `auto`: the shard's directory, resolved against the generation
  std::string host;  // `remote`: HOST:PORT
  unsigned port = 0;
  std::string name;  // as the stub says it: "shards/1", "10.0.0.7:33101"
  bool remote() const { return !host.empty(); }
};

// The shards of a sharded generation, or nothing when it has none
// (xapian/ instead). Throws Error(kIndex) naming the stub's line and what is
// wrong with it.
std::vector<ShardSpec> read_stub(const std::string& generation);

// The stub text naming `shards` local shards (shards/0 ...), or, when
// `remote` names them (HOST:PORT each), remote ones.
std::string stub_text(std::size_t shards, const std::vector<std::string>& remote);

// The Xapian databases this machine reads of a generation: xapian/, or
// local/ and the shards its stub names as local (`auto`).
std::vector<std::string> local_databases(const std::string& generation);
// Those otiose-index wrote: xapian/, or local/ and every shards/K/ (also
// those the stub names as remote: written here for copying out).
std::vector<std::string> written_databases(const std::string& generation);

// A file of a generation's Xapian database as it was verified.
struct TableStamp {
  std::string path;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
};

// What GEN/xapian.sums holds for the generation's written databases and
// its facet table as they are now: each file's size, mtime and checksum.
// Reads the files and writes nothing. Throws Error(kIo) naming a file it
// cannot read.
std::string table_sums(const std::string& generation);
// Records table_sums() in GEN/xapian.sums and flushes it through `env`.
// Throws Error(kIo) naming the file it cannot read or write.
void write_table_sums(const std::string& generation, Env& env);

// Checks the local databases against GEN/xapian.sums before Xapian reads
// them (the files of remote shards are not here to check): the sizes,
// and the checksum of any file whose mtime moved (a generation is never
// written after its run, so that is all it costs). Throws Error(kIndex)
// naming a damaged or missing file. Returns what it verified; nothing for a
// generation without sums (written before them).
std::vector<TableStamp> verify_table_sums(const std::string& generation);

// True when a file's size or mtime no longer matches `stamps` (then verify
// again).
bool tables_changed(const std::vector<TableStamp>& stamps);

}  // namespace otiose::detail

#endif  // OTIOSE_LAYOUT_LAYOUT_H_
