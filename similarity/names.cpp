#include "similarity/names.h"

#include <algorithm>
#include <array>
#include <initializer_list>

namespace otiose::detail {
namespace {

bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '#';
}

template <std::size_t N>
bool one_of(const std::string& word, const std::array<const char*, N>& words) {
  return std::any_of(words.begin(), words.end(), [&](const char* w) { return word == w; });
}

// Words that say how senior a role is, not which role.
constexpr std::array<const char*, 15> kSeniority = {
    "senior", "sr", "junior", "jr", "lead", "staff", "principal", "associate",
    "intern", "ii", "iii",    "iv", "mid",  "level", "entry"};

// Words an ad puts between its cue and its role ("an experienced, remote
// Senior Product Owner").
constexpr std::array<const char*, 35> kAdjectives = {
    "experienced", "talented", "skilled",   "passionate", "motivated",  "driven",     "ambitious",
    "seasoned",    "remote",   "new",       "first",      "full",       "time",       "founding",
    "dedicated",   "strong",   "great",     "creative",   "curious",    "technical",  "hands",
    "on",          "interim",  "freelance", "contract",   "contractor", "part",       "exceptional",
    "outstanding", "dynamic",  "proactive", "hybrid",     "brilliant",  "additional", "next"};

constexpr std::array<const char*, 5> kArticles = {"a", "an", "the", "our", "your"};

// The words before a role that say the ad is for it.
const std::initializer_list<std::initializer_list<const char*>> kCues = {{"as"},
                                                                         {"looking", "for"},
                                                                         {"searching", "for"},
                                                                         {"seeking"},
                                                                         {"hiring"},
                                                                         {"hire"},
                                                                         {"you", "re"},
                                                                         {"you", "are"},
                                                                         {"need"},
                                                                         {"join", "us", "as"},
                                                                         {"position", "of"},
                                                                         {"role", "of"},
                                                                         {"be"}};

constexpr std::size_t kMaxNameTokens = 8;

// What separates two tokens (tokenize's marks).
constexpr char kNone = 0;
constexpr char kPause = ',';
constexpr char kStop = '.';

// Words of any kind a cue may pass over on its way to a role, beyond the
// adjectives: a technology, a company, a glued word ("As a C++ Quality
// Assurance Engineer", "as a Demodesk Customer Success Manager").
constexpr int kFreeWords = 1;

// name_tokens(text); with `marks`, what precedes each token: kStop after
// a sentence's end (". ! ? ;", but for the dot of an abbreviated seniority
// word, "Sr."), kPause after a comma or colon, else kNone.
std::vector<std::string> tokenize(std::string_view text, std::vector<char>* marks) {
  // Fold first: lower case, no bracketed asides, joined hyphenations and
  // ".js", apostrophes (ASCII or U+2019) as breaks.
  std::string folded;
  folded.reserve(text.size());
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '(') {
      ++depth;
      continue;
    }
    if (c == ')') {
      if (depth > 0) --depth;
      continue;
    }
    if (depth > 0) continue;
    bool letter_before = i > 0 && is_letter(text[i - 1]);
    bool letter_after = i + 1 < text.size() && is_letter(text[i + 1]);
    if (c == '-' && letter_before && letter_after) continue;  // front-end
    if (c == '.' && letter_before && i + 2 < text.size() &&
        (text[i + 1] == 'j' || text[i + 1] == 'J') && (text[i + 2] == 's' || text[i + 2] == 'S'))
      continue;  // Node.js
    folded += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  std::vector<std::string> tokens;
  std::string word;
  char mark = kNone;
  auto end_word = [&] {
    if (word.empty()) return;
    tokens.push_back(std::move(word));
    word.clear();
    if (marks) marks->push_back(mark);
    mark = kNone;
  };
  for (char c : folded) {
    if (token_char(c)) {
      word += c;
      continue;
    }
    end_word();
    if (c == '.' || c == '!' || c == '?' || c == ';') {
      if (tokens.empty() || c != '.' || !one_of(tokens.back(), kSeniority)) mark = kStop;
    } else if ((c == ',' || c == ':') && mark == kNone) {
      mark = kPause;
    }
  }
  end_word();
  return tokens;
}

// The length of the cue at tokens[i], or 0.
std::size_t cue_at(const std::vector<std::string>& tokens, std::size_t i) {
  for (const auto& cue : kCues) {
    std::size_t n = 0;
    for (const char* w : cue) {
      if (i + n >= tokens.size() || tokens[i + n] != w) break;
      ++n;
    }
    if (n == cue.size()) return n;
  }
  return 0;
}

// tokens[begin, end) as name_key() folds a name: seniority words dropped,
// but for a last "lead" after another word, which is the role ("Product
// Lead" is not "Product").
std::string span_key(const std::vector<std::string>& tokens, std::size_t begin, std::size_t end) {
  std::string key;
  for (std::size_t q = begin; q < end; ++q) {
    if (one_of(tokens[q], kSeniority) && !(q + 1 == end && tokens[q] == "lead" && !key.empty()))
      continue;
    if (!key.empty()) key += ' ';
    key += tokens[q];
  }
  return key;
}

// The owners of tokens[begin, end) as a name (a trailing plural 's'
// allowed when `plural`), with its key.
SelfMention name_at(const std::vector<std::string>& tokens, std::size_t begin, std::size_t end,
                    bool plural,
                    const std::function<std::vector<std::uint32_t>(const std::string&)>& lookup) {
  std::string key = span_key(tokens, begin, end);
  if (key.empty()) return {};
  auto owners = lookup(key);
  if (owners.empty() && plural && key.size() > 1 && key.back() == 's')
    owners = lookup(key.substr(0, key.size() - 1));
  if (owners.empty()) return {};
  return {std::move(key), std::move(owners)};
}

// The longest known name starting at tokens[p] and within its sentence;
// no owners when there is none.
SelfMention longest_name(
    const std::vector<std::string>& tokens, const std::vector<char>& marks, std::size_t p,
    const std::function<std::vector<std::uint32_t>(const std::string&)>& lookup) {
  SelfMention best;
  for (std::size_t end = p + 1; end <= tokens.size() && end <= p + kMaxNameTokens; ++end) {
    if (end > p + 1 && marks[end - 1] == kStop) break;
    SelfMention found = name_at(tokens, p, end, true, lookup);
    if (!found.owners.empty()) best = std::move(found);
  }
  return best;
}

// The longest known name in the singular ending just before tokens[end]
// and in its sentence ("product managers will" are colleagues); no owners
// when there is none.
SelfMention longest_name_before(
    const std::vector<std::string>& tokens, const std::vector<char>& marks, std::size_t end,
    const std::function<std::vector<std::uint32_t>(const std::string&)>& lookup) {
  SelfMention best;
  for (std::size_t n = 1; n <= end && n <= kMaxNameTokens; ++n) {
    if (marks[end - n + 1] == kStop) break;
    SelfMention found = name_at(tokens, end - n, end, false, lookup);
    if (!found.owners.empty()) best = std::move(found);
  }
  return best;
}

}  // namespace

std::vector<std::string> name_tokens(std::string_view text) {
  return tokenize(text, nullptr);
}

std::string name_key(std::string_view name) {
  const std::vector<std::string> tokens = name_tokens(name);
  return span_key(tokens, 0, tokens.size());
}

std::vector<SelfMention> self_mentions(
    std::string_view text,
    const std::function<std::vector<std::uint32_t>(const std::string&)>& lookup) {
  std::vector<char> marks;
  const std::vector<std::string> tokens = tokenize(text, &marks);
  std::vector<SelfMention> out;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    std::size_t n = cue_at(tokens, i);
    if (n == 0) continue;
    std::size_t p = i + n;
    i = p - 1;  // a cue inside this one ("as" in "join us as") is the same naming
    if (p < tokens.size() && one_of(tokens[p], kArticles)) ++p;
    // The first place from which a known name starts, skipping adjectives,
    // seniority words ("an experienced senior technical writer": the name
    // may itself start with one, as "technical writer" does) and
    // kFreeWords others, within the cue's sentence. A free word is not
    // followed by punctuation ("As a result, product managers...").
    for (int free = kFreeWords; p < tokens.size() && marks[p] != kStop; ++p) {
      SelfMention found = longest_name(tokens, marks, p, lookup);
      if (!found.owners.empty()) {
        out.push_back(std::move(found));
        break;
      }
      if (one_of(tokens[p], kSeniority) || one_of(tokens[p], kAdjectives)) continue;
      if (free-- == 0 || (p + 1 < tokens.size() && marks[p + 1] != kNone)) break;
    }
  }
  // The role as the subject of what the job does: "The Customer Support
  // Engineer will be responsible for...".
  for (std::size_t w = 1; w < tokens.size(); ++w) {
    if (tokens[w] != "will" || marks[w] != kNone) continue;
    SelfMention found = longest_name_before(tokens, marks, w, lookup);
    if (!found.owners.empty()) out.push_back(std::move(found));
  }
  return out;
}

}  // namespace otiose::detail
