"""otiose-serve over HTTP: every route, its status and content type, the
JSON contracts beside the CLI's, caching, and the hostile inputs of issue
16's table (escaping, limits, timeouts, overload, no leaks, SIGTERM)."""

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.parse

import pytest

from conftest import HOSTILE, SOURCE, Server

SEARCH = os.environ.get("OTIOSE_SEARCH", "otiose-search")
RELATED = os.environ.get("OTIOSE_RELATED", "otiose-related")
SEED = "senior-customer-service-manager"
HEADINGS = ["[01] THE ORG-CHART ARCHITECTURE", "[02] THE HABITAT (NATURAL RANGE)",
            "[03] SALARY DELUSION", "[04] THE FLIGHT RISK", "[05] THE BULLSHIT METRICS",
            "[06] SIGNATURE WEAPONRY", "[07] SURVIVAL / ENCOUNTER GUIDE",
            "[08] THE JD AUTOPSY: WHAT DO THEY ACTUALLY DO?", "[09] DAY-IN-THE-LIFE LOG",
            "[10] THE BURN WARD (UNFILTERED COMPLAINTS)", "[11] RELATED SPECIMENS"]


def seed_jd():
    return open(os.path.join(SOURCE, "tests", "data", "pages", "seed-job-description.txt"),
                encoding="utf-8").read()


def cli_json(tool, index, *args, stdin=None):
    out = subprocess.run([tool, "--index", index, *args, "--json"], input=stdin, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def q(s):
    return urllib.parse.quote(s)


# --- routes, statuses, content types ---------------------------------------

@pytest.mark.parametrize("path,status,ctype", [
    ("/", 200, "text/html; charset=utf-8"),
    ("/?sort=salary", 200, "text/html; charset=utf-8"),
    ("/search?q=strategic+oversight", 200, "text/html; charset=utf-8"),
    ("/specimen/" + SEED, 200, "text/html; charset=utf-8"),
    ("/match", 200, "text/html; charset=utf-8"),
    ("/static/style.css", 200, "text/css; charset=utf-8"),
    ("/opensearch.xml", 200, "application/opensearchdescription+xml; charset=utf-8"),
    ("/healthz", 200, "application/json"),
    ("/api/search?q=strategic+oversight", 200, "application/json"),
    ("/api/related/enterprise-architect", 200, "application/json"),
    ("/api/specimens/sdet", 200, "application/json"),
    ("/specimen/no-such-thing", 404, "text/html; charset=utf-8"),
    ("/api/specimens/no-such-thing", 404, "application/json"),
    ("/api/related/no-such-thing", 404, "application/json"),
    ("/api/nothing-here", 404, "application/json"),
    ("/nothing-here", 404, "text/html; charset=utf-8"),
    ("/static/../../etc/passwd", 404, "text/html; charset=utf-8"),
    ("/api/search?q=%22unclosed+title:(", 200, "application/json"),
    ("/api/search?q=x&page=abc", 400, "application/json"),
    ("/api/search?q=x&limit=100000", 400, "application/json"),
    ("/api/search?q=x&type=bogus", 400, "application/json"),
    ("/api/search?q=x&salary=lots", 400, "application/json"),
    ("/api/search?q=x&risk=60-50", 400, "application/json"),
    ("/search?q=x&sort=sideways", 400, "text/html; charset=utf-8"),
    ("/api/related/sdet?top=0", 400, "application/json"),
])
def test_route(server, path, status, ctype):
    got, headers, body = server.get(path)
    assert (got, headers["content-type"]) == (status, ctype), body[:300]
    assert headers["x-content-type-options"] == "nosniff"
    if ctype.startswith("application/json"):
        json.loads(body)


def test_wrong_method_is_405_with_allow(server):
    status, headers, _ = server.request("POST", "/search?q=x", body="")
    assert status == 405 and "GET" in headers["allow"]
    status, headers, _ = server.request("GET", "/api/match")
    assert status == 405 and headers["allow"] == "POST"
    status, headers, _ = server.request("DELETE", "/specimen/sdet")
    assert status == 405


def test_head_has_the_headers_and_no_body(server):
    status, headers, body = server.request("HEAD", "/specimen/sdet")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 1000


def test_a_title_or_alias_redirects_to_the_one_address(server):
    status, headers, _ = server.get("/specimen/" + q("Software Development Engineer in Test"))
    assert status == 301 and headers["location"] == "/specimen/sdet"


def test_unknown_slug_offers_the_closest(server):
    status, _, body = server.get("/specimen/sdett")
    assert status == 404
    assert b'href="/specimen/sdet"' in body
    # Nothing near: no list of strangers, the way to the catalogue instead.
    status, _, body = server.get("/specimen/nope")
    assert status == 404
    assert b"/specimen/" not in body and b'<a href="/">the catalogue</a>' in body


# --- the JSON API has the CLI's contracts -------------------------------------

def test_api_search_is_the_cli_contract(server, index):
    _, _, body = server.get("/api/search?q=" + q("strategic oversight"))
    api = json.loads(body)
    cli = cli_json(SEARCH, index, "strategic oversight")
    facets = api.pop("facets")
    assert api == cli
    assert set(facets) == {"type", "kind", "salary", "flight_risk"}
    assert sum(v["count"] for v in facets["type"]) == api["total"]


def test_api_related_is_the_cli_contract(server, index):
    _, _, body = server.get("/api/related/enterprise-architect?top=3")
    assert json.loads(body) == cli_json(RELATED, index, "enterprise-architect", "--top", "3")
    _, _, body = server.get("/api/related/sdet?top=2&explain=1")
    assert json.loads(body) == cli_json(RELATED, index, "sdet", "--top", "2", "--explain")


def test_api_match_is_the_cli_contract(server, index):
    text = seed_jd()
    cli = cli_json(RELATED, index, "--file", "-", "--top", "3", stdin=text)
    for body, ctype in [(text, "text/plain; charset=utf-8"),
                        (json.dumps({"text": text}), "application/json")]:
        status, _, got = server.request("POST", "/api/match?top=3", body=body.encode(),
                                        headers={"Content-Type": ctype})
        assert status == 200
        assert json.loads(got) == cli
    assert cli["related"][0]["slug"] == SEED and cli["confident"]
    status, _, got = server.request("POST", "/api/match", body=b"{}",
                                    headers={"Content-Type": "application/json"})
    assert status == 400 and "text" in json.loads(got)["error"]
    # `curl -d @ad.txt` labels the raw ad a form: an error that says so,
    # not an empty answer; a form's "ad" or "text" field is the ad.
    status, _, got = server.request("POST", "/api/match", body=text.encode(),
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and "text/plain" in json.loads(got)["error"]
    for field in ("ad", "text"):
        status, _, got = server.request(
            "POST", "/api/match?top=3", body=urllib.parse.urlencode({field: text}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 200 and json.loads(got) == cli


def test_api_specimen_is_the_record(server):
    _, _, body = server.get("/api/specimens/sdet")
    with open(os.path.join(SOURCE, "data", "roles", "sdet.json"), encoding="utf-8") as f:
        assert json.loads(body) == json.load(f)


def test_healthz(server):
    _, headers, body = server.get("/healthz")
    h = json.loads(body)
    assert h["status"] == "ok" and h["specimens"] > 60
    assert re.fullmatch(r"gen-\d+", h["generation"])
    assert headers["cache-control"] == "no-store"


# --- caching ------------------------------------------------------------------

def test_etag_revalidates_to_304(server):
    status, headers, body = server.get("/specimen/sdet")
    etag = headers["etag"]
    assert status == 200 and headers["cache-control"] == "no-cache"
    status, headers, body = server.get("/specimen/sdet", headers={"If-None-Match": etag})
    assert status == 304 and body == b""
    status, _, _ = server.get("/specimen/sdet", headers={"If-None-Match": '"gen-0"'})
    assert status == 200
    _, headers, _ = server.get("/static/style.css")
    assert "max-age" in headers["cache-control"]


# --- the pages ----------------------------------------------------------------

def test_search_page_highlights_groups_and_pages(server):
    _, _, body = server.get("/search?q=" + q("strategic oversight"))
    page = body.decode()
    assert "<mark>strategic</mark> <mark>oversight</mark>" in page
    assert 'href="/specimen/' + SEED + '"' in page
    assert re.search(r"\d+ hits? in \d+ specimens?", page)
    assert 'rel="next"' not in page  # one specimen: no next page
    # A query with many specimens pages, and the last page has no "next".
    _, _, body = server.get("/api/search?q=meetings")
    specimens = json.loads(body)["specimens"]
    assert specimens > 10
    last = (specimens + 9) // 10
    _, _, first = server.get("/search?q=meetings")
    assert b'rel="next"' in first
    _, _, end = server.get("/search?q=meetings&page=%d" % last)
    assert b'rel="next"' not in end and b'rel="prev"' in end
    _, _, past = server.get("/search?q=meetings&page=%d" % (last + 5))
    assert b'rel="next"' not in past and b"Nothing after" in past


def test_did_you_mean_is_a_link(server):
    _, _, body = server.get("/search?q=" + q("stratgic oversite"))
    m = re.search(rb'(Did you mean|Showing results for) <a href="([^"]+)"', body)
    assert m, body[:2000]
    assert b"strategic" in m.group(2)


def test_facets_count_and_filter(server):
    _, _, body = server.get("/search?q=meetings&all=1")
    page = body.decode()
    m = re.search(r'<a href="([^"]*kind=complaint[^"]*)">complaint</a> <span class="count">(\d+)</span>', page)
    assert m, page[:3000]
    href, count = m.group(1).replace("&amp;", "&"), int(m.group(2))
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(href).query))
    params["limit"] = "1000"
    _, _, body = server.get("/api/search?" + urllib.parse.urlencode(params))
    r = json.loads(body)
    assert r["total"] == count and len(r["hits"]) == count
    assert all(h["kind"] == "complaint" for h in r["hits"])
    for facet in ("Type", "Kind", "Salary", "Flight risk"):
        assert "<h2>%s</h2>" % facet in page


def test_catalogue_lists_and_sorts(server):
    _, _, body = server.get("/")
    page = body.decode()
    assert page.count('<tr><td><a href="/specimen/') > 60
    assert 'action="/match"' in page and 'name="ad"' in page
    _, _, body = server.get("/?sort=salary")
    salaries = [int(x.replace(",", "")) for x in re.findall(r'class="num">\$([\d,]+)<', body.decode())]
    assert salaries == sorted(salaries, reverse=True) and len(salaries) > 60


def test_specimen_page_has_the_eleven_sections_in_order(server):
    _, _, body = server.get("/specimen/" + SEED)
    page = body.decode()
    positions = [page.find("<h2>" + h + "</h2>") for h in HEADINGS]
    assert -1 not in positions and positions == sorted(positions)
    assert page.count('class="card"') == 3
    assert page.count("LINKEDIN ILLUSION") == page.count("OTIOSE TRANSLATION") >= 1
    assert "SYSTEM MATCH:" in page
    _, _, why = server.get("/specimen/" + SEED + "?why=1")
    assert b"Shared terms" in why


def test_match_page_names_the_seed_first(server):
    status, _, body = server.request("POST", "/match", body=urllib.parse.urlencode({"ad": seed_jd()}),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200
    titles = re.findall(r'<li class="card"><a href="/specimen/([^"]+)"', body.decode())
    assert titles[0] == SEED
    assert b"No close specimen" not in body
    status, _, body = server.request(
        "POST", "/match", body=urllib.parse.urlencode({"ad": open(os.path.join(SOURCE, "tests", "data", "ads", "pastry-chef.txt"),
                                                encoding="utf-8").read()}),
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and b"No close specimen" in body
    status, _, body = server.request(
        "POST", "/match", body=urllib.parse.urlencode({"ad": open(os.path.join(SOURCE, "tests", "data", "ads", "accountant.txt"),
                                                encoding="utf-8").read()}),
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and b"it reads most like Accountants and Auditors (O*NET)" in body
    status, _, body = server.request("POST", "/match", body="ad=",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400


def test_opensearch_description(server):
    _, _, body = server.get("/opensearch.xml")
    assert b'template="http://127.0.0.1:%d/search?q={searchTerms}"' % server.port in body
    _, _, body = server.get("/opensearch.xml", headers={"Host": '"><x y="'})
    assert b'"><x' not in body


# --- hostile input --------------------------------------------------------------

def assert_escaped(page):
    """No value of the hostile record reaches a page as markup."""
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "</textarea><script" not in page.lower()
    assert not re.search(r'(href|src|action)="\s*javascript:', page, re.I)


def test_hostile_record_is_escaped_on_every_page(server):
    pages = ["/specimen/hostile-specimen", "/specimen/hostile-specimen?why=1",
             "/search?q=zyzzyva", "/search?q=feedback+form&all=1", "/search?q=alert", "/", "/?sort=risk"]
    for path in pages:
        status, headers, body = server.get(path)
        page = body.decode()
        assert status == 200, path
        assert_escaped(page)
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp
    _, _, body = server.get("/specimen/hostile-specimen")
    page = body.decode()
    assert "Chief &lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt; Officer" in page
    assert "javascript:alert(&#39;source&#39;)" in page  # shown as text, never as a link


def test_hostile_requests_are_escaped(server):
    for path in ["/search?q=" + q('"><script>alert(1)</script>'),
                 "/specimen/" + q("<script>alert(1)</script>"),
                 "/search?q=" + q("</textarea><script>x</script>") + "&kind=" + q('"><b>'),
                 "/nothing/" + q("<script>")]:
        status, _, body = server.get(path)
        assert_escaped(body.decode())
    status, _, body = server.request("POST", "/match", body=urllib.parse.urlencode(
        {"ad": "</textarea><script>alert(1)</script> scrum master"}),
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200
    assert_escaped(body.decode())
    assert b"&lt;/textarea&gt;&lt;script&gt;" in body


def raw(port, data, timeout=10, read=True):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        if not read:
            return s
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                break
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out and b"Content-Length" in out:
                head, _, rest = out.partition(b"\r\n\r\n")
                n = int(re.search(rb"Content-Length: (\d+)", head, re.I).group(1))
                if len(rest) >= n:
                    break
        return out
    finally:
        if read:
            s.close()


def status_of(response):
    return int(response.split(b" ", 2)[1]) if response else None


def test_a_one_mib_job_ad_is_fine(server):
    text = (seed_jd() + "\n") * (1024 * 1024 // len(seed_jd()))
    assert len(text.encode()) <= 1024 * 1024
    status, _, body = server.request("POST", "/api/match", body=text.encode(),
                                     headers={"Content-Type": "text/plain"})
    assert status == 200 and json.loads(body)["related"][0]["slug"] == SEED


def test_a_100_mib_body_is_413_before_it_is_sent(server):
    r = raw(server.port, b"POST /api/match HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                         b"Content-Length: 104857600\r\n\r\n" + b"x" * 1000)
    assert status_of(r) == 413


def test_an_oversized_chunked_body_is_413(server):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    s.sendall(b"POST /api/match HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"x" * 65536
    try:
        for _ in range(100):  # 6.4 MiB, past the 4 MiB cap
            s.sendall(b"10000\r\n" + chunk + b"\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    data = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            data += c
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    assert status_of(data) == 413


def test_long_uri_is_414_and_big_headers_431(server):
    r = raw(server.port, b"GET /search?q=" + b"a" * 10000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status_of(r) == 414
    r = raw(server.port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 40000 + b"\r\n\r\n")
    assert status_of(r) == 431
    r = raw(server.port, b"NONSENSE\r\n\r\n")
    assert status_of(r) == 400


def test_a_slow_client_is_cut_off_and_holds_no_worker(index):
    s = Server(index, "--threads", "1", "--read-timeout", "1")
    try:
        slow = raw(s.port, b"GET / HTTP/1.1\r\nHost: x\r\n", read=False)
        t0 = time.monotonic()
        # The one worker still answers others while the slow one dawdles.
        for _ in range(5):
            status, _, _ = s.get("/healthz")
            assert status == 200
        assert time.monotonic() - t0 < 1.0
        slow.settimeout(5)
        data = b""
        try:
            while True:
                c = slow.recv(4096)
                if not c:
                    break
                data += c
        except ConnectionResetError:
            pass
        assert time.monotonic() - t0 < 4.0  # closed at the read deadline
        slow.close()
    finally:
        code, err = s.stop()
    assert code == 0


def test_past_the_connection_cap_is_503_with_retry_after(index):
    s = Server(index, "--max-connections", "2")
    try:
        held = [raw(s.port, b"", read=False) for _ in range(2)]
        time.sleep(0.2)
        r = raw(s.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status_of(r) == 503 and b"Retry-After: 1" in r
        for h in held:
            h.close()
        time.sleep(0.3)
        assert s.get("/healthz")[0] == 200
    finally:
        code, _ = s.stop()
    assert code == 0


def test_a_broken_index_is_503_without_paths_or_exception_text(workdir, index):
    copy = os.path.join(workdir, "broken-index")
    shutil.copytree(index, copy, symlinks=True)
    s = Server(copy)
    try:
        assert s.get("/specimen/sdet")[0] == 200
        generation = os.path.realpath(os.path.join(copy, "current"))
        for name in os.listdir(os.path.join(generation, "xapian")):
            if name.startswith("postlist") or name.startswith("docdata") or name.startswith("termlist"):
                with open(os.path.join(generation, "xapian", name), "r+b") as f:
                    f.seek(0)
                    f.write(b"\xff" * 4096)
        for path in ["/specimen/sdet", "/api/search?q=meetings", "/search?q=meetings", "/"]:
            status, _, body = s.get(path)
            assert status == 503, (path, body[:200])
            assert copy.encode() not in body and b"/tmp" not in body and b"Xapian" not in body
            assert b"xapian" not in body.lower()
    finally:
        code, err = s.stop()
    assert code == 0
    assert "sdet" in err or "index" in err  # the operator's log says what happened


def test_sigterm_lets_a_request_in_flight_finish(index):
    s = Server(index)
    body = b"scrum master sprint planning retrospectives"
    c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    c.sendall(b"POST /api/match HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
              % len(body) + body[:10])
    time.sleep(0.3)
    s.proc.send_signal(15)
    time.sleep(0.3)
    c.sendall(body[10:])
    data = b""
    while True:
        chunk = c.recv(65536)
        if not chunk:
            break
        data += chunk
    c.close()
    assert status_of(data) == 200 and b'"related"' in data
    assert s.proc.wait(timeout=15) == 0
