"""Processes of a benchmark run: CPU pinning and CPU time per process, read from /proc.

CPU share = CPU seconds a process used during a measurement / the measurement's wall
seconds (1.0 = one core fully busy). Linux only; elsewhere the figures are left out.
"""

import contextlib
import os
import subprocess
import time
from dataclasses import dataclass, field

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as file:
            stat = file.read()
    except OSError:
        return None
    # The command name (field 2) may contain spaces: split after its closing parenthesis.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as file:
            return [int(p) for p in file.read().split()]
    except OSError:
        return []


def pin(pids, cores: set[int] | None) -> None:
    """Restrict processes to these cores (no-op when cores is None or a process is gone)."""
    if cores is None:
        return
    for pid in pids:
        with contextlib.suppress(OSError, AttributeError):  # gone, or not Linux
            os.sched_setaffinity(pid, cores)


def cores_plan() -> dict:
    """Which cores the load generator and the server side get.

    With two or more cores the load generator (wrk, bench.loadgen, pgbench, the task
    producer) gets core 0 and everything serving (gunicorn, its PostgreSQL backends,
    the Celery worker) the others; with one core nothing is pinned.
    """
    available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(available) < 2:
        return {"client": None, "server": None, "note": "one core: nothing pinned"}
    client, server = {available[0]}, set(available[1:])
    return {
        "client": client,
        "server": server,
        "note": (
            f"load generator pinned to core {available[0]}; gunicorn, its PostgreSQL backends and "
            f"the Celery worker to core(s) {','.join(map(str, available[1:]))}; "
            "Redis and PostgreSQL's background processes are shared services and not pinned"
        ),
    }


@dataclass
class CpuMeter:
    """CPU seconds per named group of processes over one measurement."""

    groups: dict[str, list[int]]
    start: dict[int, float] = field(default_factory=dict)
    started_at: float = 0.0

    def __enter__(self) -> "CpuMeter":
        self.started_at = time.perf_counter()
        self.start = {pid: cpu_seconds(pid) or 0.0 for pids in self.groups.values() for pid in pids}
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.started_at
        self.used = {}
        for name, pids in self.groups.items():
            total = 0.0
            for pid in pids:
                now = cpu_seconds(pid)
                if now is not None:
                    total += now - self.start.get(pid, 0.0)
            self.used[name] = total

    def shares(self) -> dict[str, float]:
        return {name: round(used / self.wall, 3) for name, used in self.used.items()}

    def add(self, name: str, seconds: float) -> None:
        """CPU of a process measured elsewhere (e.g. a subprocess's own rusage)."""
        self.used[name] = self.used.get(name, 0.0) + seconds


def load_average() -> float:
    try:
        with open("/proc/loadavg", encoding="ascii") as file:
            return float(file.read().split()[0])
    except OSError:
        return 0.0


def wait_for_quiet(limit: float, max_wait: float, log) -> float:
    """Wait (polling) until the 1-minute load is at most `limit`, up to max_wait seconds.

    Returns the load measured last, which the results record either way.
    """
    deadline = time.monotonic() + max_wait
    load = load_average()
    while load > limit and time.monotonic() < deadline:
        log(f"  load {load:.2f} > {limit}: waiting for other work to finish…")
        time.sleep(15)
        load = load_average()
    return load


def redis_pid(client) -> int | None:
    try:
        return int(client.info("server")["process_id"])
    except Exception:  # a Redis elsewhere (no pid here) only loses its CPU figure
        return None


def postgres_helpers() -> list[int]:
    """PostgreSQL's background processes (checkpointer, WAL writer, …) on this machine."""
    pids = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as file:
                cmd = file.read().decode(errors="replace")
        except OSError:
            continue
        if cmd.startswith("postgres: ") and any(
            word in cmd for word in ("checkpointer", "background writer", "walwriter", "autovacuum")
        ):
            pids.append(int(entry))
    return pids


class PinnedProcess:
    """A server process of the benchmark, pinned to `cores`, its output appended to
    VAR_DIR/<log_name>; `with` starts it and returns once `ready()` says so."""

    name = "process"
    log_name = "process.log"
    ready_within = 60.0

    def __init__(self, env: dict, *, cores: set[int] | None, cwd) -> None:
        self.env, self.cores, self.cwd = env, cores, cwd
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def __enter__(self):
        cores = self.cores
        self.log = open(os.path.join(self.env["VAR_DIR"], self.log_name), "ab")  # closed in __exit__
        self.process = subprocess.Popen(
            self.command(),
            env=self.env,
            cwd=self.cwd,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None,
        )
        deadline = time.monotonic() + self.ready_within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}: see {self.log_name}")
            if self.ready():
                return self
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} was not ready within {self.ready_within:g} s: see {self.log_name}")

    def pids(self) -> list[int]:
        return [self.process.pid, *children(self.process.pid)] if self.process else []

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
