// query/: the page of hits a search shows, in the order it shows them
// (private).
#ifndef OTIOSE_QUERY_RANKING_H_
#define OTIOSE_QUERY_RANKING_H_

#include <xapian.h>

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

namespace otiose::detail {

// How a page is ranked: by relevance, equal weights in the tie order
// (layout.h: the shorter text, then the id), or by `sort_slot`'s value
// (highest first) then relevance; one hit a specimen when `group`.
struct Ranking {
  std::optional<Xapian::valueno> sort_slot;
  bool group = false;
  // The documents are numbered in the tie order, but for those carrying
  // kEditedTerm (a generation of one database); false: the order is read
  // from kSlotOrder for every candidate that reaches the lowest kept weight.
  bool numbered = false;
};

// The hits [offset, offset + limit) of `query`: one MSet, or, when an edit
// left documents out of the numbered order, the others' and theirs ranked
// apart (the same database, so the same weights) and merged.
class Page {
 public:
  Page(Xapian::Database& db, const Xapian::Query& query, const Ranking& ranking,
       Xapian::doccount offset, Xapian::doccount limit);

  std::size_t size() const { return hits_.size(); }
  // The i-th hit shown, and the MSet it came from (for its snippet).
  Xapian::MSetIterator hit(std::size_t i) const { return parts_[hits_[i].first][hits_[i].second]; }
  const Xapian::MSet& mset_of(std::size_t i) const { return parts_[hits_[i].first]; }

  // Xapian's figures, summed over the parts.
  Xapian::doccount matches_estimated() const;
  Xapian::doccount uncollapsed_matches_estimated() const;
  bool exact() const;  // every part's bounds agree
  // Reads the shown hits' documents in one go (remote shards).
  void fetch() const;

 private:
  std::vector<Xapian::MSet> parts_;
  std::vector<std::pair<std::size_t, Xapian::doccount>> hits_;  // (part, index in it)
};

}  // namespace otiose::detail

#endif  // OTIOSE_QUERY_RANKING_H_
