"""Otiose Search for Python: `otiose.Searcher(path)` over an index built by
otiose-index. See README.md, "The library from Python"."""

from ._otiose import Error, Searcher, __version__, resolve_index_path

__all__ = ["Error", "Searcher", "resolve_index_path", "__version__"]
