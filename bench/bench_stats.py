"""Latency summary shared by the peer benchmark scripts (peer_xapian.py,
peer_fts5.py, peer_quest.py), so that every peer reports the same statistics
computed the same way.

Percentiles use the nearest-rank method on the sorted samples: the p-th
percentile of n samples is the k-th smallest, k = ceil(p / 100 * n), so it is
always one of the measured values (no interpolation).
"""

PERCENTILES = (50, 95, 99)


def percentiles(samples_ms):
    """Returns {"p50", "p95", "p99", "mean", "min", "max"} of the samples
    (milliseconds), each rounded to 0.1 microsecond. Raises ValueError when
    there are no samples."""
    if not samples_ms:
        raise ValueError("percentiles of no samples")
    ordered = sorted(samples_ms)
    n = len(ordered)
    out = {}
    for p in PERCENTILES:
        rank = max(1, -(-p * n // 100))  # ceil(p * n / 100) in integers
        out[f"p{p}"] = round(ordered[rank - 1], 4)
    out["mean"] = round(sum(ordered) / n, 4)
    out["min"] = round(ordered[0], 4)
    out["max"] = round(ordered[-1], 4)
    return out
