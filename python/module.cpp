// python/: `import otiose`, the library for Python frontends (pybind11).
// A Searcher's methods return plain dicts and lists with the keys of the
// tools' JSON contracts (tools/contracts.h: the same code makes both); the
// GIL is released while the engine works; an otiose::Error becomes an
// otiose.Error carrying its kind. Every call reads one generation of the
// index (Searcher::pin), so a call never mixes two.
#include <otiose/error.h>
#include <otiose/index.h>
#include <otiose/search.h>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "tools/contracts.h"

namespace py = pybind11;

namespace {

using otiose::cli::Json;

// nlohmann's JSON -> Python objects, with the GIL held.
py::object to_python(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return py::none();
    case Json::value_t::boolean: return py::bool_(j.get<bool>());
    case Json::value_t::number_integer: return py::int_(j.get<std::int64_t>());
    case Json::value_t::number_unsigned: return py::int_(j.get<std::uint64_t>());
    case Json::value_t::number_float: return py::float_(j.get<double>());
    case Json::value_t::string: {
      const auto& s = j.get_ref<const std::string&>();
      // Text the engine holds is UTF-8; a damaged byte is replaced, not thrown on.
      PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
      if (!o) throw py::error_already_set();
      return py::reinterpret_steal<py::object>(o);
    }
    case Json::value_t::array: {
      py::list out;
      for (const auto& x : j) out.append(to_python(x));
      return out;
    }
    case Json::value_t::object: {
      py::dict out;
      for (auto it = j.begin(); it != j.end(); ++it) out[py::str(it.key())] = to_python(it.value());
      return out;
    }
    default: return py::none();
  }
}

// Runs `f` (engine work, building JSON) without the GIL, then converts.
template <typename F>
py::object released(F f) {
  Json out;
  {
    py::gil_scoped_release release;
    out = f();
  }
  return to_python(out);
}

class PySearcher {
 public:
  PySearcher(const std::string& path, unsigned remote_timeout_ms)
      : searcher_(path, otiose::SearcherOptions{remote_timeout_ms}) {}

  py::object search(const std::string& query, std::size_t limit, std::size_t offset,
                    const std::string& type, const std::vector<std::string>& kinds,
                    const std::string& sort, std::optional<int> min_flight_risk,
                    std::optional<int> max_flight_risk, std::optional<std::int64_t> salary_min,
                    std::optional<std::int64_t> salary_max, std::size_t related, bool any,
                    bool group, bool exact, bool facets, bool html, bool partial) const {
    otiose::SearchOptions o;
    o.limit = limit;
    o.offset = offset;
    o.type = type;
    o.kinds = kinds;
    if (sort == "salary")
      o.sort = otiose::SearchOptions::Sort::kSalary;
    else if (sort == "flight-risk" || sort == "flight_risk")
      o.sort = otiose::SearchOptions::Sort::kFlightRisk;
    else if (sort != "relevance")
      throw otiose::Error(otiose::ErrorKind::kUsage,
                          "sort \"" + sort + "\" is not relevance, salary or flight-risk");
    o.min_flight_risk = min_flight_risk;
    o.max_flight_risk = max_flight_risk;
    o.salary_min = salary_min;
    o.salary_max = salary_max;
    o.related = related;
    o.match_any = any;
    o.group = group;
    o.exact = exact;
    o.facets = facets;
    o.html = html;
    o.partial = partial;
    if (!html) o.highlight_start = o.highlight_end = "";
    return released([&] { return otiose::cli::search_json(searcher_.pin().search(query, o)); });
  }

  py::object related(const std::string& specimen, std::size_t top, bool explain,
                     std::size_t terms) const {
    return released([&] {
      otiose::Searcher s = searcher_.pin();
      std::string slug = s.resolve(specimen);
      auto list = s.related(slug, top);
      std::vector<std::vector<otiose::TermShare>> reasons;
      if (explain)
        for (const auto& r : list) reasons.push_back(s.explain(slug, r.slug, terms));
      return otiose::cli::related_answer_json(slug, s.title(slug), list, false,
                                              explain ? &reasons : nullptr);
    });
  }

  py::object related_text(const std::string& text, std::size_t top, bool explain,
                          std::size_t terms) const {
    return released([&] {
      otiose::Searcher s = searcher_.pin();
      otiose::AdMatches found = s.match_text(text, top);
      std::vector<std::vector<otiose::TermShare>> reasons;
      if (explain)
        for (const auto& r : found.related) reasons.push_back(s.explain_text(text, r.slug, terms));
      return otiose::cli::ad_answer_json(found, explain ? &reasons : nullptr);
    });
  }

  py::object explain(const std::string& a, const std::string& b, std::size_t terms) const {
    return released([&] {
      otiose::Searcher s = searcher_.pin();
      return otiose::cli::terms_json(s.explain(s.resolve(a), s.resolve(b), terms));
    });
  }

  py::object get(const std::string& slug) const {
    return released([&] { return Json::parse(otiose::to_json(searcher_.pin().get(slug), -1)); });
  }

  std::string resolve(const std::string& name) const {
    py::gil_scoped_release release;
    return searcher_.resolve(name);
  }

  std::size_t size() const {
    py::gil_scoped_release release;
    return searcher_.size();
  }

  std::string generation() const {
    py::gil_scoped_release release;
    std::string g = searcher_.generation();
    return g.substr(g.find_last_of('/') + 1);
  }

 private:
  otiose::Searcher searcher_;
};

}  // namespace

PYBIND11_MODULE(_otiose, m) {
  m.doc() = "Otiose Search: the embedded engine behind the catalogue of job specimens.";
  m.attr("__version__") = OTIOSE_VERSION;

  static py::exception<otiose::Error> error(m, "Error");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const otiose::Error& e) {
      py::object instance = py::reinterpret_borrow<py::object>(error)(py::str(e.what()));
      instance.attr("kind") = otiose::to_string(e.kind());
      PyErr_SetObject(error.ptr(), instance.ptr());
    }
  });

  m.def(
      "resolve_index_path",
      [](const std::string& flag) { return otiose::resolve_index_path(flag); },
      py::arg("path") = "",
      "The index directory: `path` if given, else $OTIOSE_INDEX, else "
      "~/.local/share/otiose/index.");

  py::class_<PySearcher>(m, "Searcher", R"(An open index, read-only, safe to share between threads.

Searcher(path) opens the index directory `path` (see resolve_index_path).
It follows the index when otiose-index replaces it: each call answers from
one generation, never a mix of two. Raises otiose.Error (kind "index") when
there is no index or it is damaged. A sharded index's remote shards may take
remote_timeout_ms a step; one that does not answer raises otiose.Error
(kind "unavailable") naming it.)")
      .def(py::init<const std::string&, unsigned>(), py::arg("path"), py::kw_only(),
           py::arg("remote_timeout_ms") = 10000)
      .def("search", &PySearcher::search, py::arg("query"), py::kw_only(), py::arg("limit") = 10,
           py::arg("offset") = 0, py::arg("type") = "",
           py::arg("kinds") = std::vector<std::string>{}, py::arg("sort") = "relevance",
           py::arg("min_flight_risk") = py::none(), py::arg("max_flight_risk") = py::none(),
           py::arg("salary_min") = py::none(), py::arg("salary_max") = py::none(),
           py::arg("related") = 3, py::arg("any") = false, py::arg("group") = true,
           py::arg("exact") = false, py::arg("facets") = false, py::arg("html") = true,
           py::arg("partial") = false,
           R"(Ranked hits over specimens and quotes: a dict with the keys of `otiose-search --json`
(README.md, "JSON contracts"), plus "facets" when facets=True. partial=True: a sharded
index answers from the shards that answer ("partial", "missing_shards"). Query syntax is
Xapian's, as the tool's. Raises otiose.Error (kind "query") for a query it cannot parse.)")
      .def("related", &PySearcher::related, py::arg("specimen"), py::kw_only(), py::arg("top") = 3,
           py::arg("explain") = false, py::arg("terms") = 5,
           R"(The specimens most like `specimen` (a slug, title or alias): a dict with the keys of
`otiose-related SPECIMEN --json`. Raises otiose.Error (kind "not found") listing the closest.)")
      .def(
          "related_text", &PySearcher::related_text, py::arg("text"), py::kw_only(),
          py::arg("top") = 3, py::arg("explain") = false, py::arg("terms") = 5,
          R"(Which specimen is this job ad? A dict with the keys of `otiose-related --file - --json`:
"confident" (False: no close specimen) and, on each related item, "recognised".)")
      .def("explain", &PySearcher::explain, py::arg("a"), py::arg("b"), py::arg("terms") = 5,
           R"(Why two specimens match: [{"term", "contribution", "share"}], largest first.)")
      .def("get", &PySearcher::get, py::arg("slug"),
           R"(The record, as data/roles/SLUG.json holds it (SCHEMA.md).)")
      .def("resolve", &PySearcher::resolve, py::arg("name"),
           R"(The slug a slug, title or alias names, any case.)")
      .def("__len__", &PySearcher::size)
      .def_property_readonly("generation", &PySearcher::generation,
                             "The generation answering now (\"gen-0000000042\").");
}
