"""The index rebuilt underneath otiose-serve while requests run: no error,
and no page that mixes two generations.

Two corpora differ only in a marker at the end of every tagline; the index
is rebuilt from one and then the other while threads fetch pages whose
parts come from several engine calls (a specimen page: the record and its
related cards; a search page: hits and their related cards). A page must
carry one marker only."""

import os
import re
import threading
import time

from conftest import Server, build_index, make_corpus

PAGES = ["/specimen/sdet", "/specimen/senior-customer-service-manager", "/search?q=meetings",
         "/api/related/sdet?top=5", "/api/search?q=dashboard", "/"]


def test_pages_never_mix_generations_during_rebuilds(workdir):
    a, b = os.path.join(workdir, "corpus-a"), os.path.join(workdir, "corpus-b")
    make_corpus(a, "MARKERAAA")
    make_corpus(b, "MARKERBBB")
    index = os.path.join(workdir, "rebuilt-index")
    build_index(a, index)
    s = Server(index)
    stop = threading.Event()
    problems, counts = [], {"requests": 0, "A": 0, "B": 0}
    lock = threading.Lock()

    def fetch():
        i = 0
        while not stop.is_set():
            path = PAGES[i % len(PAGES)]
            i += 1
            try:
                status, _, body = s.get(path)
            except Exception as e:  # a dropped connection is a failure too
                with lock:
                    problems.append("%s: %r" % (path, e))
                continue
            markers = set(re.findall(rb"MARKER(AAA|BBB)", body))
            with lock:
                counts["requests"] += 1
                if status != 200:
                    problems.append("%s: status %d" % (path, status))
                elif len(markers) != 1:
                    problems.append("%s: markers %r" % (path, markers))
                else:
                    counts["A" if markers == {b"AAA"} else "B"] += 1

    threads = [threading.Thread(target=fetch) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for n in range(6):
            build_index(b if n % 2 == 0 else a, index)
            time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join()
        code, err = s.stop()
    assert not problems, problems[:10]
    assert counts["A"] > 0 and counts["B"] > 0, counts  # both generations were served
    assert code == 0, err
