#include "web/assets.h"

#include "web/html.h"

namespace otiose::web {

const std::string_view kStyleCss = R"css(:root {
  --ink: #1b1b1b; --paper: #fbfaf7; --dim: #595959; --line: #d6d3cc;
  --accent: #8a1c1c; --mark: #ffe58a; --card: #fff;
  font-family: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: var(--paper); line-height: 1.5;
}
body { margin: 0; }
header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center;
  padding: .75rem 1.25rem; border-bottom: 2px solid var(--ink); background: var(--card); }
.brand { font-weight: 800; letter-spacing: .12em; color: var(--ink); text-decoration: none; }
form.search { display: flex; gap: .5rem; flex: 1; max-width: 40rem; }
form.search label { position: absolute; left: -10000px; }
input[type=search] { flex: 1; padding: .45rem .6rem; font-size: 1rem; border: 1px solid var(--dim); }
button { padding: .45rem .9rem; font-size: 1rem; background: var(--ink); color: #fff; border: 0; cursor: pointer; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
footer { color: var(--dim); text-align: center; padding: 1rem; font-size: .85rem; }
a { color: var(--accent); }
h1 { margin: .5rem 0 1rem; }
h2 { font-size: 1.05rem; letter-spacing: .06em; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
.lede, .dim, .count, .counts, .source { color: var(--dim); }
.paste textarea, form textarea { width: 100%; box-sizing: border-box; font: inherit; padding: .5rem; }
.paste label, form label { display: block; margin-bottom: .25rem; }
table.catalogue { border-collapse: collapse; width: 100%; }
table.catalogue th, table.catalogue td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num { text-align: right; white-space: nowrap; }
.results { display: grid; grid-template-columns: 14rem 1fr; gap: 2rem; }
@media (max-width: 44rem) { .results { grid-template-columns: 1fr; } }
.facets ul { list-style: none; padding: 0; margin: 0 0 1rem; }
.facets li { padding: .1rem 0; }
ol.hits { padding-left: 1.5rem; }
li.hit { margin-bottom: 1.25rem; }
li.hit .title { font-weight: 700; font-size: 1.05rem; }
.kind { color: var(--dim); font-size: .9rem; }
.snippet, .tagline { margin: .2rem 0; }
mark { background: var(--mark); color: inherit; padding: 0 .1em; }
ul.cards { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: .75rem; }
li.card { background: var(--card); border: 1px solid var(--line); padding: .6rem .75rem; }
li.card p { margin: .3rem 0 0; font-size: .92rem; }
.match { display: block; font-family: ui-monospace, monospace; font-size: .85rem; color: var(--accent); }
.why ul { padding-left: 1.1rem; }
.record .file { font-family: ui-monospace, monospace; color: var(--dim); margin: 0; }
.record-section { margin: 1.5rem 0; }
.figure { font-size: 1.3rem; font-weight: 700; }
blockquote { margin: .5rem 0; padding: .4rem .8rem; border-left: 3px solid var(--line); background: var(--card); }
blockquote footer { text-align: left; padding: .2rem 0 0; }
dt { font-weight: 700; margin-top: .5rem; }
dd { margin: 0 0 .25rem; }
.autopsy { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; margin-bottom: 1rem; }
@media (max-width: 44rem) { .autopsy { grid-template-columns: 1fr; } }
.autopsy h3 { font-size: .85rem; letter-spacing: .08em; margin: 0; }
.warning, .suggestion { background: #fff4d6; border: 1px solid #e0c36c; padding: .5rem .75rem; }
nav.pages { margin: 1rem 0; display: flex; gap: 1rem; }
)css";

std::string opensearch_xml(const std::string& base) {
  std::string b = escape_xml(base);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<OpenSearchDescription xmlns=\"http://a9.com/-/spec/opensearch/1.1/\">\n"
         "  <ShortName>Otiose Search</ShortName>\n"
         "  <Description>Search the Otiose catalogue of job specimens</Description>\n"
         "  <InputEncoding>UTF-8</InputEncoding>\n"
         "  <Url type=\"text/html\" method=\"get\" template=\"" +
         b +
         "/search?q={searchTerms}\"/>\n"
         "  <Url type=\"application/json\" method=\"get\" template=\"" +
         b + "/api/search?q={searchTerms}\"/>\n</OpenSearchDescription>\n";
}

}  // namespace otiose::web
