"""The search reference: the API's own search SQL, run directly with pgbench.

The SQL is captured from the API itself (one request per term, in-process, parameters
bound as sent): every statement the search runs (word statistics, BM25 ranking, typos, names,
the page), authentication left out. Each term's statements make one pgbench script, so both
sides run exactly the same statements on the same terms. pgbench picks one script (term) at
random per transaction, logs every transaction, and we read the percentiles from its log;
with a rate (-R) latency counts from the scheduled start, as bench.loadgen does for HTTP.
"""

import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench import procs

# The token lookups authenticate the request; they are not the search's.
AUTHENTICATION = 'FROM "knox_authtoken"'


def api_search_statements(client, term: str) -> list[str]:
    """The statements that answer `q=term` in a warm process, in the order the API runs them.

    A ranked search runs several (the first reading search_vector is only the word
    statistics): comparing the API with one of them would measure the others as overhead.
    The search is asked twice and the second one captured, as the server answers it under load:
    with the process's embeddings loaded and the page's papers' JSON cached by the first.
    """
    from urllib.parse import quote

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    path = f"/api/v1/papers/?q={quote(term)}"
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"search for {term!r} answered {response.status_code}")
    statements = [q["sql"] for q in queries.captured_queries]
    if not any("search_vector" in sql for sql in statements):
        raise RuntimeError(
            f"no full-text query captured for {term!r}: does this host have a text index "
            "(SEARCH_INDEX_PATH)? bench.run measures the database path; use bench.search_latency"
        )
    return [sql for sql in statements if AUTHENTICATION not in sql]


def _script(statements: list[str]) -> str:
    """The statements as they were sent, each ended by a semicolon: pgbench reads a command over
    several lines, and its lexer (psql's) knows comments and quotes, so none is rewritten."""
    return "".join(sql.strip() + ";\n" for sql in statements)


def _pin_backends(dsn: str, cores: set[int] | None, expected: int) -> None:
    import psycopg

    if cores is None:
        return
    deadline = time.monotonic() + 3
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE application_name = 'pgbench' AND datname = current_database()"
            ).fetchall()
            procs.pin([r[0] for r in rows], cores)
            if len(rows) >= expected:
                return
            time.sleep(0.05)


def _percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, round(pct / 100 * (len(values) - 1)))], 2)


def pgbench(
    dsn: str,
    sqls: dict[str, list[str]],
    *,
    clients: int,
    duration: float,
    rate: float | None = None,
    client_cores: set[int] | None = None,
    server_cores: set[int] | None = None,
    warmup: float = 1.0,
) -> dict:
    """Run each term's statements (one pgbench script per term) and report throughput and
    latency per script.

    The first `warmup` seconds of the log are left out (backends get pinned meanwhile).
    """
    with tempfile.TemporaryDirectory() as tmp:
        names = list(sqls)
        command = ["pgbench", "-n", "-c", str(clients), "-j", "1", "-T", str(round(duration + warmup))]
        command += ["-l", "--log-prefix", f"{tmp}/log"]
        if rate:
            command += ["-R", f"{rate:.1f}"]
        for index, name in enumerate(names):
            script = Path(tmp) / f"term{index}.sql"
            script.write_text(_script(sqls[name]))
            command += ["-f", str(script)]
        command.append(dsn)
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=(lambda: __import__("os").sched_setaffinity(0, client_cores))
            if client_cores
            else None,
        )
        _pin_backends(dsn, server_cores, clients)
        out, err = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"pgbench failed: {err or out}")
        rows = []
        for log in Path(tmp).glob("log*"):
            for line in log.read_text().splitlines():
                parts = line.split()
                # client, transaction, time µs, script, epoch s, epoch µs[, lag µs]
                lag = int(parts[6]) if len(parts) > 6 else 0
                rows.append(
                    (int(parts[4]) + int(parts[5]) / 1e6, int(parts[3]), (int(parts[2]) + lag) / 1000)
                )
    if not rows:
        return {"tool": "pgbench", "clients": clients, "target_rate": rate, "transactions": 0, "tps": 0}
    start = min(r[0] for r in rows) + warmup
    kept = [r for r in rows if r[0] >= start]
    span = max(r[0] for r in kept) - start if kept else 0
    latencies = [r[2] for r in kept]
    per_term = {
        names[i]: _percentile([r[2] for r in kept if r[1] == i], 95) for i in sorted({r[1] for r in kept})
    }
    return {
        "tool": "pgbench",
        "clients": clients,
        "target_rate": rate,
        "transactions": len(kept),
        "tps": round(len(kept) / span, 1) if span else None,
        "p50_ms": _percentile(latencies, 50),
        "p95_ms": _percentile(latencies, 95),
        "p99_ms": _percentile(latencies, 99),
        "mean_ms": round(statistics.fmean(latencies), 2) if latencies else None,
        "p95_ms_per_term": per_term,
    }
