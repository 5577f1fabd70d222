# Type stubs for `import otiose` (the compiled _otiose module): editors
# complete Searcher's methods from here. Keep in step with python/module.cpp.
from typing import Any, Optional, Sequence

__version__: str

class Error(Exception):
    """An engine error; `kind` is "io", "index", "model", "query",
    "not found", "usage", "corpus" or "unavailable" (otiose::ErrorKind)."""

    kind: str

def resolve_index_path(path: str = "") -> str:
    """`path` if given, else $OTIOSE_INDEX, else ~/.local/share/otiose/index."""

class Searcher:
    """An open index, read-only, safe to share between threads; each call
    answers from one generation of the index."""

    def __init__(self, path: str, *, remote_timeout_ms: int = 10000) -> None: ...
    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        offset: int = 0,
        type: str = "",
        kinds: Sequence[str] = (),
        sort: str = "relevance",
        min_flight_risk: Optional[int] = None,
        max_flight_risk: Optional[int] = None,
        salary_min: Optional[int] = None,
        salary_max: Optional[int] = None,
        related: int = 3,
        any: bool = False,
        group: bool = True,
        exact: bool = False,
        facets: bool = False,
        html: bool = True,
        partial: bool = False,
    ) -> dict[str, Any]:
        """Ranked hits: the keys of `otiose-search --json` (and "facets")."""
    def related(self, specimen: str, *, top: int = 3, explain: bool = False, terms: int = 5) -> dict[str, Any]:
        """The specimens most like `specimen`: the keys of `otiose-related --json`."""
    def related_text(self, text: str, *, top: int = 3, explain: bool = False, terms: int = 5) -> dict[str, Any]:
        """Which specimen is this job ad: the keys of `otiose-related --file - --json`."""
    def explain(self, a: str, b: str, terms: int = 5) -> list[dict[str, Any]]:
        """Why two specimens match: [{"term", "contribution", "share"}]."""
    def get(self, slug: str) -> dict[str, Any]:
        """The record (SCHEMA.md)."""
    def resolve(self, name: str) -> str:
        """The slug a slug, title or alias names."""
    def __len__(self) -> int: ...
    @property
    def generation(self) -> str: ...
