#include "query/ranking.h"

#include <optional>
#include <string>
#include <unordered_set>

#include "layout/layout.h"

namespace otiose::detail {

Page::Page(Xapian::Database& db, const Xapian::Query& query, const Ranking& ranking,
           Xapian::doccount offset, Xapian::doccount limit) {
  // `by_value`: equal weights ordered by reading kSlotOrder, not the docid.
  auto rank = [&](const Xapian::Query& q, bool by_value, Xapian::doccount first,
                  Xapian::doccount count) {
    Xapian::Enquire enquire(db);
    enquire.set_query(q);
    if (ranking.sort_slot)
      enquire.set_sort_by_value_then_relevance(*ranking.sort_slot, true);
    else if (by_value)
      enquire.set_sort_by_relevance_then_value(kSlotOrder, false);
    else
      enquire.set_sort_by_relevance();  // then the ascending docid: the tie order
    if (ranking.group) enquire.set_collapse_key(kSlotOwner);
    // Xapian may stop looking once it has seen enough to rank them (a
    // collapse's hits are right however early it stops).
    return enquire.get_mset(first, count, first + count + 100);
  };
  const Xapian::doccount edited =
      ranking.numbered && !ranking.sort_slot ? db.get_termfreq(kEditedTerm) : 0;
  if (ranking.sort_slot || !ranking.numbered || edited == 0) {
    parts_.push_back(rank(query, !ranking.numbered, offset, limit));
    for (Xapian::doccount i = 0; i < parts_[0].size(); ++i) hits_.emplace_back(0, i);
    return;
  }
  // The edited documents are few: ordering theirs by the value costs little.
  // Every hit of the page is among the first offset + limit of its part
  // (of a collapse too: a specimen's best document in a part ranks below
  // fewer specimens there than in the whole).
  const Xapian::Query mark(kEditedTerm);
  parts_.push_back(
      rank(Xapian::Query(Xapian::Query::OP_AND_NOT, query, mark), false, 0, offset + limit));
  parts_.push_back(
      rank(Xapian::Query(Xapian::Query::OP_FILTER, query, mark), true, 0, offset + limit));
  struct Head {  // the next hit of a part
    Xapian::doccount i = 0;
    double weight = 0;
    std::optional<std::string> order;  // read only to break a tie
  };
  Head heads[2];
  auto load = [&](std::size_t part) {
    Head& h = heads[part];
    h.order.reset();
    if (h.i < parts_[part].size()) h.weight = parts_[part][h.i].get_weight();
  };
  auto order = [&](std::size_t part) -> const std::string& {
    Head& h = heads[part];
    if (!h.order) h.order = parts_[part][h.i].get_document().get_value(kSlotOrder);
    return *h.order;
  };
  load(0);
  load(1);
  std::unordered_set<std::string> owners;  // a collapse keeps a specimen's first
  Xapian::doccount shown = 0;
  while (hits_.size() < limit) {
    const bool a = heads[0].i < parts_[0].size(), b = heads[1].i < parts_[1].size();
    if (!a && !b) break;
    const std::size_t part =
        !b || (a && (heads[0].weight != heads[1].weight ? heads[0].weight > heads[1].weight
                                                        : order(0) < order(1)))
            ? 0
            : 1;
    const Xapian::doccount i = heads[part].i++;
    load(part);
    if (ranking.group && !owners.insert(parts_[part][i].get_collapse_key()).second) continue;
    if (shown++ >= offset) hits_.emplace_back(part, i);
  }
}

Xapian::doccount Page::matches_estimated() const {
  Xapian::doccount n = 0;
  for (const auto& p : parts_) n += p.get_matches_estimated();
  return n;
}

Xapian::doccount Page::uncollapsed_matches_estimated() const {
  Xapian::doccount n = 0;
  for (const auto& p : parts_) n += p.get_uncollapsed_matches_estimated();
  return n;
}

bool Page::exact() const {
  for (const auto& p : parts_)
    if (p.get_matches_lower_bound() != p.get_matches_upper_bound()) return false;
  return true;
}

void Page::fetch() const {
  for (const auto& p : parts_) p.fetch();
}

}  // namespace otiose::detail
