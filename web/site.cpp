#include "web/site.h"

#include <otiose/error.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>

#include "tools/cli.h"
#include "tools/contracts.h"
#include "web/assets.h"
#include "web/html.h"

namespace otiose::web {
namespace {

constexpr std::size_t kHitsPerPage = 10;
constexpr std::size_t kSpecimensPerPage = 100;
constexpr std::size_t kMaxTop = 100;

const char kPolicy[] =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'";

Response html(int status, std::string body) {
  Response r{status, "text/html; charset=utf-8", std::move(body), {}};
  r.headers.emplace_back("Content-Security-Policy", kPolicy);
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  return r;
}

Response json(int status, const cli::Json& j) {
  return Response{status, "application/json", cli::dump(j) + "\n", {}};
}

using cli::thousands;

std::string money(std::optional<std::int64_t> v, const std::optional<std::string>& currency) {
  if (!v) return "";
  std::string c = currency.value_or("");
  return (c == "USD" ? "$" : c.empty() ? "" : c + " ") + thousands(*v);
}

std::string specimen_href(const std::string& slug) {
  return "/specimen/" + url_encode(slug);
}

// The page around `main`: the search box in the header on every page.
std::string layout(const std::string& title, const std::string& main, const std::string& q = {}) {
  std::string out =
      "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      escape(title) +
      " \xE2\x80\x94 Otiose Search</title>\n"
      "<link rel=\"stylesheet\" href=\"/static/style.css\">\n"
      "<link rel=\"search\" type=\"application/opensearchdescription+xml\" "
      "href=\"/opensearch.xml\" title=\"Otiose Search\">\n</head>\n<body>\n"
      "<header><a class=\"brand\" href=\"/\">OTIOSE SEARCH</a>\n"
      "<form class=\"search\" action=\"/search\" method=\"get\" role=\"search\">"
      "<label for=\"q\">Search the catalogue</label>"
      "<input id=\"q\" name=\"q\" type=\"search\" value=\"" +
      escape(q) +
      "\" placeholder=\"strategic oversight\">"
      "<button type=\"submit\">Search</button></form></header>\n<main>\n" +
      main +
      "</main>\n<footer>Otiose Search: a catalogue of job specimens.</footer>\n</body>\n</html>\n";
  return out;
}

std::string message_page(const std::string& title, const std::string& text_html,
                         const std::string& q = {}) {
  return layout(title, "<h1>" + escape(title) + "</h1>\n" + text_html, q);
}

// A link to /search with these parameters (empty values left out).
std::string search_href(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out = "/search";
  char sep = '?';
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    out += sep + k + "=" + url_encode(v);
    sep = '&';
  }
  return out;
}

std::optional<std::size_t> positive(const std::string& s) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  std::size_t v = std::stoul(s);
  if (v == 0) return std::nullopt;
  return v;
}

// "100000-149999" -> {100000, 149999}; "200000-" -> {200000, none}.
bool parse_band(const std::string& s, std::optional<std::int64_t>& low,
                std::optional<std::int64_t>& high) {
  std::size_t dash = s.find('-');
  if (dash == std::string::npos || dash == 0 || dash > 12 || s.size() - dash > 13) return false;
  std::string a = s.substr(0, dash), b = s.substr(dash + 1);
  if (a.find_first_not_of("0123456789") != std::string::npos ||
      b.find_first_not_of("0123456789") != std::string::npos)
    return false;
  low = std::stoll(a);
  high = b.empty() ? std::nullopt : std::optional<std::int64_t>(std::stoll(b));
  return true;
}

std::string band_label(const std::string& facet, const std::string& value) {
  std::optional<std::int64_t> low, high;
  if (!parse_band(value, low, high)) return value;
  if (facet == "flight_risk")
    return std::to_string(*low) + "\xE2\x80\x93" + std::to_string(*high) + " %";
  auto k = [](std::int64_t v) { return std::to_string((v + 1) / 1000) + "k"; };
  if (!high) return "over " + std::to_string(*low / 1000) + "k";
  return (*low == 0 ? "0" : std::to_string(*low / 1000) + "k") + "\xE2\x80\x93" + k(*high);
}

// The search a /search or /api/search request asks for. Throws Error(kUsage)
// naming a parameter it cannot read.
struct SearchRequest {
  std::string q, type, kind, salary, risk, sort;
  bool all = false, exact = false;
  std::size_t page = 1;
  SearchOptions options;

  explicit SearchRequest(const Request& r, std::size_t per_page) {
    q = r.param("q");
    type = r.param("type");
    kind = r.param("kind");
    salary = r.param("salary");
    risk = r.param("risk");
    sort = r.param("sort");
    all = r.param("all") == "1";
    exact = r.param("exact") == "1";
    if (!r.param("page").empty()) {
      auto p = positive(r.param("page"));
      if (!p || *p > 100000) throw Error(ErrorKind::kUsage, "page must be a number from 1");
      page = *p;
    }
    options.limit = per_page;
    if (!r.param("limit").empty()) {
      auto l = positive(r.param("limit"));
      if (!l || *l > 1000) throw Error(ErrorKind::kUsage, "limit must be a number from 1 to 1000");
      options.limit = *l;
    }
    options.offset = (page - 1) * options.limit;
    if (!r.param("offset").empty()) {
      auto o =
          r.param("offset") == "0" ? std::optional<std::size_t>(0) : positive(r.param("offset"));
      if (!o) throw Error(ErrorKind::kUsage, "offset must be a number from 0");
      options.offset = *o;
    }
    if (!type.empty() && type != "specimen" && type != "role" && type != "quote")
      throw Error(ErrorKind::kUsage, "type must be specimen or quote");
    options.type = type;
    if (!kind.empty()) options.kinds = {kind};
    if (!salary.empty() && !parse_band(salary, options.salary_min, options.salary_max))
      throw Error(ErrorKind::kUsage, "salary must be a range such as 100000-149999");
    if (!risk.empty()) {
      std::optional<std::int64_t> low, high;
      if (!parse_band(risk, low, high) || *low > 100 || (high && *high > 100))
        throw Error(ErrorKind::kUsage, "risk must be a range such as 50-74");
      options.min_flight_risk = static_cast<int>(*low);
      if (high) options.max_flight_risk = static_cast<int>(*high);
    }
    if (sort == "salary")
      options.sort = SearchOptions::Sort::kSalary;
    else if (sort == "flight-risk" || sort == "risk")
      options.sort = SearchOptions::Sort::kFlightRisk;
    else if (!sort.empty() && sort != "relevance")
      throw Error(ErrorKind::kUsage, "sort must be relevance, salary or flight-risk");
    options.group = !all;
    options.exact = exact;
    options.facets = true;
    options.highlight_start = "<mark>";
    options.highlight_end = "</mark>";
  }

  // This search's link with `key` set to `value` (and the page reset).
  std::string with(const std::string& key, const std::string& value) const {
    std::vector<std::pair<std::string, std::string>> p = {
        {"q", q},       {"type", type}, {"kind", kind},          {"salary", salary},
        {"risk", risk}, {"sort", sort}, {"all", all ? "1" : ""}, {"exact", exact ? "1" : ""}};
    for (auto& [k, v] : p)
      if (k == key) v = value;
    if (key == "page") p.emplace_back("page", value);
    return search_href(p);
  }
};

std::string related_cards(const std::vector<RelatedSpecimen>& related,
                          const std::vector<std::vector<TermShare>>* reasons) {
  std::string out = "<ul class=\"cards\">\n";
  for (std::size_t i = 0; i < related.size(); ++i) {
    const auto& r = related[i];
    out += "<li class=\"card\"><a href=\"" + escape(specimen_href(r.slug)) +
           "\"><span class=\"match\">SYSTEM MATCH: " + std::to_string(r.match) +
           "%</span> <strong>" + escape(r.title) + "</strong></a><p>" + escape(r.tagline) + "</p>";
    if (reasons && i < reasons->size()) {
      out += "<div class=\"why\">";
      if (!r.recognised.empty())
        out += "<p>Named as the ad's own role: \xE2\x80\x9C" + escape(r.recognised) +
               "\xE2\x80\x9D</p>";
      if (!(*reasons)[i].empty()) {
        out += "<p>Shared terms (share of the cosine):</p><ul>";
        for (const auto& t : (*reasons)[i]) {
          char share[32];
          std::snprintf(share, sizeof share, "%.1f%%", 100.0 * t.share);
          out += "<li>" + escape(t.term) + " <span class=\"dim\">" + share + "</span></li>";
        }
        out += "</ul>";
      }
      out += "</div>";
    }
    out += "</li>\n";
  }
  return out + "</ul>\n";
}

std::string home_page(const Request& req, const Searcher& s) {
  std::string sort = req.param("sort", "title");
  if (sort != "title" && sort != "salary" && sort != "risk") sort = "title";
  auto all = s.catalogue();
  std::vector<const SpecimenSummary*> list;
  for (const auto& x : *all) list.push_back(&x);
  if (sort == "title")
    std::stable_sort(list.begin(), list.end(),
                     [](auto* a, auto* b) { return a->title < b->title; });
  else if (sort == "salary")
    std::stable_sort(list.begin(), list.end(), [](auto* a, auto* b) {
      return a->salary_average.value_or(-1) > b->salary_average.value_or(-1);
    });
  else
    std::stable_sort(list.begin(), list.end(), [](auto* a, auto* b) {
      return a->flight_risk.value_or(-1) > b->flight_risk.value_or(-1);
    });
  std::size_t pages =
      std::max<std::size_t>(1, (list.size() + kSpecimensPerPage - 1) / kSpecimensPerPage);
  std::size_t page = std::min(positive(req.param("page")).value_or(1), pages);
  std::string m =
      "<h1>The catalogue</h1>\n<p class=\"lede\">" +
      thousands(static_cast<long long>(list.size())) +
      " specimens of the modern workplace, each with its habitat, salary delusion, flight risk and "
      "burn ward.</p>\n"
      "<section class=\"paste\"><h2>Which specimen is this?</h2>\n"
      "<form action=\"/match\" method=\"post\"><label for=\"ad\">Paste the text of a job ad</label>"
      "<textarea id=\"ad\" name=\"ad\" rows=\"8\"></textarea>"
      "<button type=\"submit\">Match</button></form></section>\n"
      "<section><h2>All specimens</h2>\n<table class=\"catalogue\">\n<thead><tr>";
  auto head = [&](const char* key, const char* label) {
    std::string cell =
        std::string("<th scope=\"col\">") +
        (sort == key ? "<span aria-current=\"true\">" + std::string(label) + "</span>"
                     : "<a href=\"/?sort=" + std::string(key) + "\">" + label + "</a>") +
        "</th>";
    return cell;
  };
  m += head("title", "Specimen") + "<th scope=\"col\">In one line</th>" +
       head("salary", "Average salary") + head("risk", "Flight risk") + "</tr></thead>\n<tbody>\n";
  for (std::size_t i = (page - 1) * kSpecimensPerPage;
       i < std::min(list.size(), page * kSpecimensPerPage); ++i) {
    const auto& x = *list[i];
    m += "<tr><td><a href=\"" + escape(specimen_href(x.slug)) + "\">" + escape(x.title) +
         "</a></td><td>" + escape(x.tagline) + "</td><td class=\"num\">" +
         escape(money(x.salary_average, x.currency)) + "</td><td class=\"num\">" +
         (x.flight_risk ? std::to_string(*x.flight_risk) + "%" : "") + "</td></tr>\n";
  }
  m += "</tbody></table>\n";
  if (pages > 1) {
    m += "<nav class=\"pages\" aria-label=\"Pages\">";
    if (page > 1)
      m += "<a rel=\"prev\" href=\"/?sort=" + sort + "&amp;page=" + std::to_string(page - 1) +
           "\">Previous</a> ";
    m += "<span>Page " + std::to_string(page) + " of " + std::to_string(pages) + "</span>";
    if (page < pages)
      m += " <a rel=\"next\" href=\"/?sort=" + sort + "&amp;page=" + std::to_string(page + 1) +
           "\">Next</a>";
    m += "</nav>\n";
  }
  m += "</section>\n";
  return layout("The catalogue", m);
}

std::string facets_html(const SearchRequest& sr, const SearchResults& r) {
  static const std::pair<const char*, const char*> kNames[] = {
      {"type", "Type"}, {"kind", "Kind"}, {"salary", "Salary"}, {"flight_risk", "Flight risk"}};
  std::string out = "<aside class=\"facets\" aria-label=\"Filters\">\n";
  for (const auto& f : r.facets) {
    const char* label = f.name.c_str();
    for (const auto& [n, l] : kNames)
      if (f.name == n) label = l;
    std::string param = f.name == "flight_risk" ? "risk" : f.name;
    const std::string& current = param == "type"     ? sr.type
                                 : param == "kind"   ? sr.kind
                                 : param == "salary" ? sr.salary
                                                     : sr.risk;
    if (f.values.empty() && current.empty()) continue;
    out += "<section><h2>" + std::string(label) + "</h2><ul>";
    for (const auto& v : f.values) {
      std::string value = param == "type" && v.value == "role" ? "specimen" : v.value;
      std::string name = param == "salary" || param == "risk" ? band_label(f.name, v.value) : value;
      bool on = current == value || (param == "type" && current == "role" && value == "specimen");
      out += "<li>" +
             (on ? "<strong>" + escape(name) + "</strong>"
                 : "<a href=\"" + escape(sr.with(param, value)) + "\">" + escape(name) + "</a>") +
             " <span class=\"count\">" + thousands(static_cast<long long>(v.count)) +
             "</span></li>";
    }
    if (!current.empty())
      out += "<li><a href=\"" + escape(sr.with(param, "")) + "\">any " +
             escape(std::string(label)) + "</a></li>";
    out += "</ul></section>\n";
  }
  return out + "</aside>\n";
}

std::string search_page(const SearchRequest& sr, const SearchResults& r) {
  std::string m = "<h1>Search: " + escape(sr.q) + "</h1>\n";
  for (const auto& w : r.warnings) m += "<p class=\"warning\">" + escape(w) + "</p>\n";
  if (r.corrected) {
    m += "<p class=\"suggestion\">Showing results for <a href=\"" +
         escape(sr.with("q", *r.suggestion)) + "\"><strong>" + escape(*r.suggestion) +
         "</strong></a>. No hits for \xE2\x80\x9C" + escape(sr.q) + "\xE2\x80\x9D: <a href=\"" +
         escape(sr.with("exact", "1")) + "\">search it as typed</a>.</p>\n";
  } else if (r.suggestion) {
    m += "<p class=\"suggestion\">Did you mean <a href=\"" + escape(sr.with("q", *r.suggestion)) +
         "\"><strong>" + escape(*r.suggestion) + "</strong></a>?</p>\n";
  }
  const std::size_t shown_total = r.grouped ? r.specimens : r.total;
  auto plural = [&r](std::size_t n, const char* one, const char* many) {
    return (r.exact ? "" : "about ") + thousands(static_cast<long long>(n)) + " " +
           (n == 1 ? one : many);
  };
  std::string counts = plural(r.total, "hit", "hits");
  if (r.grouped) counts += " in " + plural(r.specimens, "specimen", "specimens");
  m += "<div class=\"results\">\n" + facets_html(sr, r) + "<section class=\"hits\">\n";
  m += "<p class=\"counts\">" + counts;
  if (!r.hits.empty())
    m += ", showing " + std::to_string(r.offset + 1) + "\xE2\x80\x93" +
         std::to_string(r.offset + r.hits.size());
  m += " \xC2\xB7 sort: ";
  for (const auto& [key, label] : std::vector<std::pair<std::string, std::string>>{
           {"", "relevance"}, {"salary", "salary"}, {"flight-risk", "flight risk"}}) {
    bool on = sr.sort == key || (key.empty() && sr.sort == "relevance");
    m += on ? "<strong>" + label + "</strong> "
            : "<a href=\"" + escape(sr.with("sort", key)) + "\">" + label + "</a> ";
  }
  m += sr.all ? "\xC2\xB7 <a href=\"" + escape(sr.with("all", "")) + "\">group by specimen</a>"
              : "\xC2\xB7 <a href=\"" + escape(sr.with("all", "1")) + "\">every quote</a>";
  m += "</p>\n";
  if (r.hits.empty())
    m += r.total == 0 ? "<p>No hits for \xE2\x80\x9C" + escape(sr.q) + "\xE2\x80\x9D.</p>\n"
                      : "<p>Nothing after " + std::to_string(shown_total) + ".</p>\n";
  m += "<ol class=\"hits\" start=\"" + std::to_string(r.offset + 1) + "\">\n";
  for (const auto& h : r.hits) {
    m += "<li class=\"hit\"><a class=\"title\" href=\"" + escape(specimen_href(h.slug)) + "\">" +
         escape(h.title) + "</a>";
    if (h.kind) m += " <span class=\"kind\">[" + escape(*h.kind) + "]</span>";
    if (h.type == "role") m += "<p class=\"tagline\">" + escape(h.tagline) + "</p>";
    // The snippet is the engine's, HTML-escaped with <mark> around the words.
    if (!h.snippet.empty())
      m += "<p class=\"snippet\">" + h.snippet + "</p>";
    else if (h.type != "role")
      m += "<p class=\"snippet\">" + escape(h.text) + "</p>";
    if (h.source) m += "<p class=\"source\">\xE2\x80\x94 " + escape(*h.source) + "</p>";
    if (h.more > 0)
      m += "<p class=\"more\"><a href=\"" +
           escape(search_href({{"q", sr.q + " role:" + h.slug}, {"all", "1"}})) + "\">+ " +
           std::to_string(h.more) + " more from this specimen</a></p>";
    if (!h.related.empty()) m += related_cards(h.related, nullptr);
    m += "</li>\n";
  }
  m += "</ol>\n";
  const std::size_t page = sr.page;
  bool prev = r.offset > 0, next = r.offset + r.hits.size() < shown_total && !r.hits.empty();
  if (prev || next) {
    m += "<nav class=\"pages\" aria-label=\"Pages\">";
    if (prev)
      m += "<a rel=\"prev\" href=\"" +
           escape(sr.with("page", std::to_string(page > 1 ? page - 1 : 1))) + "\">Previous</a> ";
    if (next)
      m += "<a rel=\"next\" href=\"" + escape(sr.with("page", std::to_string(page + 1))) +
           "\">Next</a>";
    m += "</nav>\n";
  }
  m += "</section>\n</div>\n";
  return layout("Search: " + sr.q, m, sr.q);
}

std::string list_section(const std::string& heading, const std::string& body) {
  return "<section class=\"record-section\"><h2>" + heading + "</h2>\n" + body + "</section>\n";
}

std::string record_page(const Record& r, const std::vector<RelatedSpecimen>& related,
                        const std::vector<std::vector<TermShare>>* reasons) {
  std::string upper = r.slug;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string m = "<article class=\"record\">\n<p class=\"file\">FILE RECORD: " + escape(upper) +
                  "</p>\n<h1>" + escape(r.title) + "</h1>\n<p class=\"tagline\">" +
                  escape(r.tagline) + "</p>\n";
  auto items = [](const std::vector<std::string>& v) {
    std::string out = "<ul>";
    for (const auto& x : v) {
      out += "<li>";
      append_escaped(out, x);
      out += "</li>";
    }
    return out + "</ul>\n";
  };
  auto named = [](const std::optional<std::vector<NamedItem>>& v) {
    std::string out = "<dl>";
    if (v)
      for (const auto& x : *v) {
        out += "<dt>";
        append_escaped(out, x.name);
        out += "</dt><dd>";
        append_escaped(out, x.description);
        out += "</dd>";
      }
    return out + "</dl>\n";
  };
  std::string org;
  if (r.org_chart && r.org_chart->summary) org += "<p>" + escape(*r.org_chart->summary) + "</p>";
  if (r.org_chart && !r.org_chart->reports_to.empty())
    org += "<p>Reports to:</p>" + items(r.org_chart->reports_to);
  if (r.org_chart && !r.org_chart->manages.empty())
    org += "<p>Manages:</p>" + items(r.org_chart->manages);
  org +=
      "<h3>KNOWN ALIASES / DISGUISES:</h3>" + items(r.aliases.value_or(std::vector<std::string>{}));
  m += list_section("[01] THE ORG-CHART ARCHITECTURE", org);
  m += list_section("[02] THE HABITAT (NATURAL RANGE)",
                    items(r.habitat.value_or(std::vector<std::string>{})));
  std::string salary;
  if (r.salary) {
    const auto& s = *r.salary;
    salary += "<p class=\"figure\"><span class=\"dim\">MARKET AVERAGE</span> " +
              escape(money(s.average, s.currency)) + "</p>";
    if (s.low && s.high)
      salary += "<p>Typical range " + escape(money(s.low, s.currency)) + " to " +
                escape(money(s.high, s.currency)) + ".</p>";
    if (s.note) salary += "<p>" + escape(*s.note) + "</p>";
    if (s.quote) salary += "<blockquote>" + escape(*s.quote) + "</blockquote>";
  }
  m += list_section("[03] SALARY DELUSION", salary);
  std::string risk;
  if (r.flight_risk) {
    const auto& f = *r.flight_risk;
    risk +=
        "<p class=\"figure\">FLIGHT RISK: " + (f.percent ? std::to_string(*f.percent) + "%" : "") +
        " " + escape(f.label.value_or("")) + "</p>";
    if (f.diagnosis) risk += "<p><strong>[DIAGNOSIS]</strong> " + escape(*f.diagnosis) + "</p>";
  }
  m += list_section("[04] THE FLIGHT RISK", risk);
  m += list_section("[05] THE BULLSHIT METRICS", named(r.metrics));
  m += list_section("[06] SIGNATURE WEAPONRY", named(r.weaponry));
  std::string survival = "<dl>";
  if (r.survival)
    for (const auto& t : *r.survival)
      add(survival, "<dt>[", Esc{t.when}, ":]</dt><dd>", Esc{t.advice}, "</dd>");
  m += list_section("[07] SURVIVAL / ENCOUNTER GUIDE", survival + "</dl>\n");
  std::string autopsy;
  if (r.jd_autopsy)
    for (const auto& p : *r.jd_autopsy)
      add(autopsy, "<div class=\"autopsy\"><div><h3>LINKEDIN ILLUSION</h3><p class=\"dim\">[",
          Esc{p.source ? *p.source : "SOURCE REDACTED"}, "]</p><blockquote>", Esc{p.illusion},
          "</blockquote></div><div><h3>OTIOSE TRANSLATION</h3><p>", Esc{p.translation},
          "</p></div></div>\n");
  m += list_section("[08] THE JD AUTOPSY: WHAT DO THEY ACTUALLY DO?", autopsy);
  std::string log = "<dl>";
  if (r.day_log)
    for (const auto& e : *r.day_log)
      add(log, "<dt>[", Esc{e.start}, " - ", Esc{e.end}, "] ", Esc{e.title}, "</dt><dd>",
          Esc{e.description}, "</dd>");
  m += list_section("[09] DAY-IN-THE-LIFE LOG", log + "</dl>\n");
  std::string burn;
  if (r.burn_ward)
    for (const auto& c : *r.burn_ward) {
      add(burn, "<blockquote>", Esc{c.text});
      if (c.source) add(burn, "<footer>\xE2\x80\x94 ", Esc{*c.source}, "</footer>");
      burn += "</blockquote>\n";
    }
  m += list_section("[10] THE BURN WARD (UNFILTERED COMPLAINTS)", burn);
  std::string rel = related_cards(related, reasons);
  rel += reasons ? "<p><a href=\"" + escape(specimen_href(r.slug)) + "\">Hide why</a></p>"
                 : "<p><a href=\"" + escape(specimen_href(r.slug)) + "?why=1\">Why these?</a></p>";
  m += list_section("[11] RELATED SPECIMENS", rel);
  m += "</article>\n";
  return layout(r.title, m);
}

std::string match_form(const std::string& text) {
  return "<form action=\"/match\" method=\"post\"><label for=\"ad\">Paste the text of a job "
         "ad</label><textarea id=\"ad\" name=\"ad\" rows=\"10\">" +
         escape(text) + "</textarea><button type=\"submit\">Match</button></form>\n";
}

// The text a /match or /api/match request carries: a form's "ad" (or
// "text") field, a JSON {"text": ...}, or the body as is. A form with
// neither field is an error, not an empty ad: it is what `curl -d @ad.txt`
// sends (a form's content type over the raw text), and an empty answer
// would hide that.
std::string posted_text(const Request& req) {
  std::string type = req.header("content-type");
  if (type.rfind("application/x-www-form-urlencoded", 0) == 0) {
    auto form = parse_form(req.body);
    auto it = form.find("ad");
    if (it == form.end()) it = form.find("text");
    if (it == form.end())
      throw Error(ErrorKind::kUsage,
                  "the form has no \"ad\" or \"text\" field (to post the ad as it is, send it "
                  "as Content-Type: text/plain)");
    return it->second;
  }
  if (type.rfind("application/json", 0) == 0) {
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    if (!j.is_object() || !j.contains("text") || !j["text"].is_string())
      throw Error(ErrorKind::kUsage, "the JSON body must be an object with a \"text\" string");
    return j["text"].get<std::string>();
  }
  return req.body;
}

std::size_t top_param(const Request& req, std::size_t fallback) {
  if (req.param("top").empty()) return fallback;
  auto t = positive(req.param("top"));
  if (!t || *t > kMaxTop) throw Error(ErrorKind::kUsage, "top must be a number from 1 to 100");
  return *t;
}

bool not_modified(const Request& req, const std::string& etag) {
  std::string inm = req.header("if-none-match");
  return !inm.empty() && (inm == etag || inm == "*" || inm.find(etag) != std::string::npos);
}

}  // namespace

Site::Site(const std::string& index_dir, const SearcherOptions& options)
    : searcher_(index_dir, options) {}

Response Site::handle(const Request& req) const {
  const bool api = req.path.rfind("/api/", 0) == 0 || req.path == "/healthz";
  auto failure = [&](int status, const std::string& message) {
    if (api) return json(status, cli::Json{{"error", message}});
    return html(status, message_page(status == 404 ? "Not found" : "Cannot answer",
                                     "<p>" + escape(message) + "</p>"));
  };
  for (int attempt = 0;; ++attempt) {
    try {
      // One generation for the whole answer.
      Searcher pinned = searcher_.pin();
      return route(req, pinned);
    } catch (const Error& e) {
      switch (e.kind()) {
        case ErrorKind::kQuery:
        case ErrorKind::kUsage:
          return failure(400, e.what());  // about the request, in its own words
        case ErrorKind::kNotFound: return failure(404, e.what());
        default:
          // The generation went away under the page: once more on the new one.
          if (e.kind() == ErrorKind::kIndex && attempt == 0) continue;
          std::cerr << "otiose-serve: " << req.method << " " << req.path << ": " << e.what()
                    << "\n";
          Response r = failure(503, "the index is not available; try again shortly");
          r.headers.emplace_back("Retry-After", "5");
          return r;
      }
    } catch (const std::exception& e) {
      std::cerr << "otiose-serve: " << req.method << " " << req.path << ": " << e.what() << "\n";
      return failure(500, "internal error");
    }
  }
}

Response Site::route(const Request& req, const Searcher& s) const {
  const std::string& path = req.path;
  const bool get = req.method == "GET" || req.method == "HEAD";
  const bool post = req.method == "POST";
  auto method_not_allowed = [](const char* allow) {
    Response r{405, "text/plain; charset=utf-8", "method not allowed\n", {{"Allow", allow}}};
    return r;
  };
  // What only changes with the index: revalidated against its generation.
  std::string generation = s.generation();
  std::string etag = "\"" + generation.substr(generation.find_last_of('/') + 1) + "\"";
  auto cached = [&](Response r) {
    r.headers.emplace_back("ETag", etag);
    r.headers.emplace_back("Cache-Control", "no-cache");
    if (r.status == 200 && not_modified(req, etag)) {
      r.status = 304;
      r.body.clear();
    }
    return r;
  };
  auto slug_after = [&](std::string_view prefix) { return path.substr(prefix.size()); };

  if (path == "/static/style.css") {
    if (!get) return method_not_allowed("GET, HEAD");
    Response r{200, "text/css; charset=utf-8", std::string(kStyleCss), {}};
    r.headers.emplace_back("Cache-Control", "public, max-age=86400");
    return r;
  }
  if (path == "/opensearch.xml") {
    if (!get) return method_not_allowed("GET, HEAD");
    // The Host header is the client's: used only when it is a plain host[:port].
    std::string host = req.header("host");
    if (host.empty() || host.size() > 255 ||
        host.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") !=
            std::string::npos)
      host = "localhost";
    return Response{200,
                    "application/opensearchdescription+xml; charset=utf-8",
                    opensearch_xml("http://" + host),
                    {}};
  }
  if (path == "/healthz") {
    if (!get) return method_not_allowed("GET, HEAD");
    Response r = json(200, cli::Json{{"status", "ok"},
                                     {"specimens", s.size()},
                                     {"generation", etag.substr(1, etag.size() - 2)}});
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }
  if (path == "/") {
    if (!get) return method_not_allowed("GET, HEAD");
    return cached(html(200, home_page(req, s)));
  }
  if (path == "/search") {
    if (!get) return method_not_allowed("GET, HEAD");
    SearchRequest sr(req, kHitsPerPage);
    if (sr.q.empty() && sr.type.empty() && sr.kind.empty() && sr.salary.empty() && sr.risk.empty())
      return Response{303, "text/plain; charset=utf-8", "see /\n", {{"Location", "/"}}};
    return cached(html(200, search_page(sr, s.search(sr.q, sr.options))));
  }
  if (path.rfind("/specimen/", 0) == 0) {
    if (!get) return method_not_allowed("GET, HEAD");
    std::string slug = slug_after("/specimen/");
    Record record;
    try {
      record = s.get(slug);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kNotFound) throw;
      // A title or an alias names it: its one address. Else the closest.
      try {
        std::string resolved = s.resolve(slug);
        return Response{
            301, "text/plain; charset=utf-8", "moved\n", {{"Location", specimen_href(resolved)}}};
      } catch (const Error& e2) {
        if (e2.kind() != ErrorKind::kNotFound) throw;
      }
      std::string list;
      for (const auto& c : s.closest(slug, 5))
        list += "<li><a href=\"" + escape(specimen_href(c)) + "\">" + escape(c) + "</a></li>";
      return html(404,
                  message_page("No such specimen",
                               "<p>No specimen is called \xE2\x80\x9C" + escape(slug) +
                                   "\xE2\x80\x9D.</p>" +
                                   (list.empty() ? "<p>None has a name near it: <a href=\"/\">the "
                                                   "catalogue</a> lists them all.</p>"
                                                 : "<p>The closest:</p><ul>" + list + "</ul>")));
    }
    bool why = req.param("why") == "1";
    auto related = s.related(record.slug, 3);
    std::vector<std::vector<TermShare>> reasons;
    if (why)
      for (const auto& r : related) reasons.push_back(s.explain(record.slug, r.slug, 5));
    return cached(html(200, record_page(record, related, why ? &reasons : nullptr)));
  }
  if (path == "/match") {
    if (get)
      return html(200, layout("Which specimen is this?",
                              "<h1>Which specimen is this?</h1>\n" + match_form("")));
    if (!post) return method_not_allowed("GET, HEAD, POST");
    std::string text = posted_text(req);
    std::string m = "<h1>Which specimen is this?</h1>\n";
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
      m += "<p class=\"warning\">Paste the text of a job ad first.</p>\n" + match_form("");
      return html(400, layout("Which specimen is this?", m));
    }
    AdMatches found = s.match_text(text, 5);
    std::vector<std::vector<TermShare>> reasons;
    for (const auto& r : found.related) reasons.push_back(s.explain_text(text, r.slug, 5));
    if (found.related.empty())
      m += "<p class=\"warning\">Nothing in the catalogue shares a word with this text.</p>\n";
    else if (!found.confident)
      m += "<p class=\"warning\"><strong>No close specimen:</strong> " +
           escape(cli::no_close_specimen(found.reads_like)) + ".</p>\n";
    m += "<section class=\"matches\"><h2>RELATED SPECIMENS</h2>\n" +
         related_cards(found.related, &reasons) + "</section>\n" + match_form(text);
    return html(200, layout("Which specimen is this?", m));
  }
  if (path == "/api/search") {
    if (!get) return method_not_allowed("GET, HEAD");
    SearchRequest sr(req, kHitsPerPage);
    sr.options.highlight_start = "<b>";
    sr.options.highlight_end = "</b>";
    if (req.param("group") == "0") sr.options.group = false;
    return cached(json(200, cli::search_json(s.search(sr.q, sr.options))));
  }
  if (path.rfind("/api/related/", 0) == 0) {
    if (!get) return method_not_allowed("GET, HEAD");
    std::string slug = s.resolve(slug_after("/api/related/"));
    auto related = s.related(slug, top_param(req, 3));
    std::vector<std::vector<TermShare>> reasons;
    bool explain = req.param("explain") == "1";
    if (explain)
      for (const auto& r : related) reasons.push_back(s.explain(slug, r.slug, 5));
    return cached(json(200, cli::related_answer_json(slug, s.title(slug), related, false,
                                                     explain ? &reasons : nullptr)));
  }
  if (path.rfind("/api/specimens/", 0) == 0) {
    if (!get) return method_not_allowed("GET, HEAD");
    Record r = s.get(slug_after("/api/specimens/"));
    return cached(Response{200, "application/json", to_json(r, -1) + "\n", {}});
  }
  if (path == "/api/match") {
    if (!post) return method_not_allowed("POST");
    std::string text = posted_text(req);
    AdMatches found = s.match_text(text, top_param(req, 3));
    std::vector<std::vector<TermShare>> reasons;
    bool explain = req.param("explain") == "1";
    if (explain)
      for (const auto& r : found.related) reasons.push_back(s.explain_text(text, r.slug, 5));
    return json(200, cli::ad_answer_json(found, explain ? &reasons : nullptr));
  }
  if (path.rfind("/api/", 0) == 0) {
    return json(404, cli::Json{{"error", "no such route"}});
  }
  return html(404, message_page("Not found",
                                "<p>There is no page at this address. Try the <a "
                                "href=\"/\">catalogue</a>.</p>"));
}

}  // namespace otiose::web
