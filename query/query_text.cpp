#include "query/query_text.h"

#include <otiose/error.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "base/text.h"
#include "layout/layout.h"

namespace otiose::detail {

std::vector<Piece> split_query(std::string_view q) {
  std::vector<Piece> pieces;
  std::size_t i = 0;
  while (i < q.size()) {
    char c = q[i];
    if (c == '"') {
      std::size_t end = q.find('"', i + 1);
      end = end == std::string_view::npos ? q.size() : end + 1;
      pieces.push_back({Piece::kPhrase, std::string(q.substr(i, end - i))});
      i = end;
    } else if (std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == ')') {
      pieces.push_back({Piece::kOther, std::string(1, c)});
      ++i;
    } else {
      std::size_t end = i;
      while (end < q.size() && !std::isspace(static_cast<unsigned char>(q[end])) && q[end] != '(' &&
             q[end] != ')' && q[end] != '"')
        ++end;
      std::string token(q.substr(i, end - i));
      bool bare = std::all_of(token.begin(), token.end(), [](char x) {
        return std::isalnum(static_cast<unsigned char>(x)) ||
               (static_cast<unsigned char>(x) & 0x80);
      });
      static const char* const kOperators[] = {"AND", "OR", "NOT", "XOR", "NEAR", "ADJ"};
      for (const char* op : kOperators)
        if (token == op) bare = false;
      pieces.push_back({bare ? Piece::kWord : Piece::kOther, token});
      i = end;
    }
  }
  return pieces;
}

std::string expand_synonyms(std::string_view query,
                            const std::vector<std::vector<std::string>>& groups) {
  if (groups.empty()) return std::string(query);
  std::vector<Piece> pieces = split_query(query);
  std::string out;
  for (std::size_t i = 0; i < pieces.size();) {
    if (pieces[i].kind != Piece::kWord) {
      out += pieces[i++].text;
      continue;
    }
    // The longest run of words starting here that is a group member.
    const std::vector<std::string>* group = nullptr;
    std::size_t best_end = i;
    for (const auto& g : groups) {
      for (const auto& member : g) {
        std::vector<std::string> words;
        std::istringstream split(member);
        for (std::string w; split >> w;) words.push_back(w);
        std::size_t j = i, k = 0;
        while (k < words.size() && j < pieces.size()) {
          if (pieces[j].kind == Piece::kWord && ascii_lower(pieces[j].text) == words[k]) {
            ++k;
            ++j;
          } else if (pieces[j].kind == Piece::kOther && pieces[j].text == " " && k > 0) {
            ++j;
          } else {
            break;
          }
        }
        if (k == words.size() && j > best_end) {
          best_end = j;
          group = &g;
        }
      }
    }
    if (!group) {
      out += pieces[i++].text;
      continue;
    }
    out += "(";
    for (std::size_t m = 0; m < group->size(); ++m) {
      const std::string& member = (*group)[m];
      if (m) out += " OR ";
      out += member.find(' ') == std::string::npos ? member : "\"" + member + "\"";
    }
    out += ")";
    i = best_end;
  }
  return out;
}

std::pair<std::size_t, std::size_t> query_size(const Xapian::Query& query) {
  std::size_t terms = 0, wildcards = 0;
  std::vector<Xapian::Query> stack{query};
  while (!stack.empty()) {
    Xapian::Query q = std::move(stack.back());
    stack.pop_back();
    if (q.get_type() == Xapian::Query::LEAF_TERM) ++terms;
    if (q.get_type() == Xapian::Query::OP_WILDCARD) ++wildcards;
    for (std::size_t i = 0; i < q.get_num_subqueries(); ++i) stack.push_back(q.get_subquery(i));
  }
  return {terms, wildcards};
}

void check_query_text(std::string_view text) {
  if (!valid_utf8(text)) throw Error(ErrorKind::kQuery, "the query is not valid UTF-8");
  if (text.size() > kMaxQueryBytes)
    throw Error(ErrorKind::kQuery, "the query is " + std::to_string(text.size()) +
                                       " bytes; at most " + std::to_string(kMaxQueryBytes) +
                                       " are accepted");
  std::istringstream split{std::string(text)};
  std::size_t words = 0;
  for (std::string w; split >> w;) ++words;
  // Xapian's matcher slows down faster than linearly with the number of
  // terms (a 20,000-word OR takes tens of seconds).
  if (words > kMaxQueryTerms)
    throw Error(ErrorKind::kQuery, "the query has " + std::to_string(words) + " words; at most " +
                                       std::to_string(kMaxQueryTerms) +
                                       " are accepted (to match a whole text, use "
                                       "otiose-related --text)");
}

namespace {

// type:specimen, type:role and type:quote; anything else matches nothing,
// with a warning.
class TypeField : public Xapian::FieldProcessor {
 public:
  explicit TypeField(std::vector<std::string>* warnings) : warnings_(warnings) {}
  Xapian::Query operator()(const std::string& value) override {
    std::string type = index_type(value);
    if (type.empty()) {
      if (warnings_)
        warnings_->push_back("type:" + value +
                             " is not a type (specimen or quote): it matches nothing");
      return Xapian::Query::MatchNothing;
    }
    return Xapian::Query(std::string(kTypePrefix) + type);
  }

 private:
  std::vector<std::string>* warnings_;
};

// kind:complaint and the other quote kinds; an unknown kind warns.
class KindField : public Xapian::FieldProcessor {
 public:
  explicit KindField(std::vector<std::string>* warnings) : warnings_(warnings) {}
  Xapian::Query operator()(const std::string& value) override {
    std::string kind = ascii_lower(value);
    if (!known_kind(kind) && warnings_)
      warnings_->push_back("kind:" + value +
                           " is not a quote kind (complaint, illusion, translation, salary, "
                           "diagnosis): it matches nothing");
    return Xapian::Query(std::string(kKindPrefix) + kind);
  }

 private:
  std::vector<std::string>* warnings_;
};

}  // namespace

bool known_kind(std::string_view kind) {
  for (const char* k : {"complaint", "illusion", "translation", "salary", "diagnosis"})
    if (kind == k) return true;
  return false;
}

std::string index_type(std::string_view type) {
  std::string t = ascii_lower(type);
  if (t == "specimen" || t == "specimens" || t == "role" || t == "roles") return "role";
  if (t == "quote" || t == "quotes") return "quote";
  return {};
}

Xapian::QueryParser make_query_parser(const Xapian::Database& db, const Xapian::Stem& stemmer,
                                      bool match_any, std::vector<std::string>* warnings) {
  Xapian::QueryParser qp;
  qp.set_database(db);
  qp.set_stemmer(stemmer);
  qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
  qp.set_default_op(match_any ? Xapian::Query::OP_OR : Xapian::Query::OP_AND);
  qp.set_max_expansion(200, Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT);
  qp.add_prefix("title", kTitlePrefix);
  qp.add_prefix("alias", kAliasPrefix);
  qp.add_prefix("habitat", kHabitatPrefix);
  qp.add_prefix("metric", kMetricPrefix);
  qp.add_prefix("weapon", kWeaponPrefix);
  qp.add_boolean_prefix("source", kSourcePrefix);
  qp.add_boolean_prefix("kind", (new KindField(warnings))->release());
  qp.add_boolean_prefix("role", kRolePrefix);
  qp.add_boolean_prefix("type", (new TypeField(warnings))->release());
  return qp;
}

Xapian::Query parse_user_query(Xapian::QueryParser& parser, std::string_view text,
                               const std::vector<std::vector<std::string>>& synonyms) {
  if (trim(text).empty()) return Xapian::Query::MatchAll;
  Xapian::Query query;
  try {
    query =
        parser.parse_query(expand_synonyms(text, synonyms), Xapian::QueryParser::FLAG_DEFAULT |
                                                                Xapian::QueryParser::FLAG_WILDCARD |
                                                                Xapian::QueryParser::FLAG_PURE_NOT);
  } catch (const Xapian::QueryParserError& e) {
    throw Error(ErrorKind::kQuery,
                "cannot parse the query \"" + std::string(text) + "\": " + e.get_msg());
  }
  if (query.empty()) return Xapian::Query::MatchNothing;
  auto [terms, wildcards] = query_size(query);
  if (terms > kMaxQueryTerms)
    throw Error(ErrorKind::kQuery, "the query has " + std::to_string(terms) +
                                       " terms (with synonyms); at most " +
                                       std::to_string(kMaxQueryTerms) +
                                       " are accepted (to match a whole text, use "
                                       "otiose-related --text)");
  if (wildcards > kMaxWildcards)
    throw Error(ErrorKind::kQuery, "the query has " + std::to_string(wildcards) +
                                       " wildcards; at most " + std::to_string(kMaxWildcards) +
                                       " are accepted");
  return query;
}

Xapian::Query apply_filters(Xapian::Query query, const SearchOptions& o) {
  if (o.salary_min && o.salary_max && *o.salary_min > *o.salary_max)
    throw Error(ErrorKind::kUsage, "the salary range is empty: minimum " +
                                       std::to_string(*o.salary_min) + " > maximum " +
                                       std::to_string(*o.salary_max));
  if (o.min_flight_risk && o.max_flight_risk && *o.min_flight_risk > *o.max_flight_risk)
    throw Error(ErrorKind::kUsage, "the flight-risk range is empty: minimum " +
                                       std::to_string(*o.min_flight_risk) + " > maximum " +
                                       std::to_string(*o.max_flight_risk));
  auto filter = [&](Xapian::Query f) { query = Xapian::Query(Xapian::Query::OP_FILTER, query, f); };
  if (!o.type.empty()) {
    std::string type = index_type(o.type);
    if (type.empty())
      throw Error(ErrorKind::kUsage, "type \"" + o.type + "\" is not a type (specimen or quote)");
    filter(Xapian::Query(std::string(kTypePrefix) + type));
  }
  if (!o.kinds.empty()) {
    std::vector<Xapian::Query> kinds;
    for (const auto& k : o.kinds) kinds.emplace_back(std::string(kKindPrefix) + k);
    filter(Xapian::Query(Xapian::Query::OP_OR, kinds.begin(), kinds.end()));
  }
  if (o.min_flight_risk)
    filter(Xapian::Query(Xapian::Query::OP_VALUE_GE, kSlotFlightRisk,
                         Xapian::sortable_serialise(*o.min_flight_risk)));
  if (o.max_flight_risk)
    filter(Xapian::Query(Xapian::Query::OP_VALUE_LE, kSlotFlightRisk,
                         Xapian::sortable_serialise(*o.max_flight_risk)));
  if (o.salary_min)
    filter(Xapian::Query(Xapian::Query::OP_VALUE_GE, kSlotSalaryAverage,
                         Xapian::sortable_serialise(static_cast<double>(*o.salary_min))));
  if (o.salary_max)
    filter(Xapian::Query(Xapian::Query::OP_VALUE_LE, kSlotSalaryAverage,
                         Xapian::sortable_serialise(static_cast<double>(*o.salary_max))));
  return query;
}

}  // namespace otiose::detail
