"""HTTP measurements: peak requests/second with wrk, latency at a fixed rate with bench.loadgen.

Both run as separate processes pinned to the client core; each measurement records
the CPU share of every process group that served it (procs.CpuMeter) and of the
client itself (its rusage).
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench import procs

HERE = Path(__file__).resolve().parent


@dataclass
class Endpoint:
    name: str
    label: str
    requests: list[tuple[str, str, dict]]  # (method, path, headers of this request), sent in turn
    headers: dict[str, str] = field(default_factory=dict)  # on every request

    def write_requests(self, directory: Path) -> Path:
        """The bench.loadgen / wrk_requests.lua format: METHOD /path, then tab-separated headers."""
        path = directory / f"{self.name}.requests"
        lines = []
        for method, target, extra in self.requests:
            lines.append("\t".join([f"{method} {target}", *(f"{k}: {v}" for k, v in extra.items())]) + "\n")
        path.write_text("".join(lines))
        return path


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _pinned(cores: set[int] | None):
    return (lambda: os.sched_setaffinity(0, cores)) if cores else None


def _summarise(meter: procs.CpuMeter, client_cpu: float, requests: int) -> dict:
    meter.add("client", client_cpu)
    shares = meter.shares()
    served = sum(v for k, v in meter.used.items() if k not in ("client", "postgres_other"))
    return {
        "cpu_share": shares,
        # Server-side CPU (gunicorn, its PostgreSQL backends, Redis) per request.
        "cpu_ms_per_request": round(served / requests * 1000, 3) if requests else None,
    }


def wrk_peak(
    endpoint: Endpoint,
    base: str,
    *,
    duration: float,
    connections: int,
    groups: dict[str, list[int]],
    client_cores: set[int] | None,
) -> dict:
    """Closed-loop peak throughput (wrk keeps `connections` requests in flight)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "WRK_REQUESTS": str(endpoint.write_requests(Path(tmp)))}
        command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "10s"]
        command += ["-s", str(HERE / "wrk_requests.lua")]
        for name, value in endpoint.headers.items():
            command += ["-H", f"{name}: {value}"]
        command.append(base + "/")
        before = _children_cpu()
        with procs.CpuMeter(groups) as meter:
            done = subprocess.run(
                command, env=env, capture_output=True, text=True, preexec_fn=_pinned(client_cores)
            )
        client_cpu = _children_cpu() - before
    if done.returncode != 0 or "WRK_JSON" not in done.stdout:
        raise RuntimeError(f"wrk failed for {endpoint.name}: {done.stderr or done.stdout}")
    data = json.loads(done.stdout.split("WRK_JSON", 1)[1].strip().splitlines()[0])
    seconds = data["duration_us"] / 1e6
    errors = sum(data[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return {
        "tool": "wrk",
        "connections": connections,
        "seconds": round(seconds, 2),
        "requests": data["requests"],
        "rps": round(data["requests"] / seconds, 1),
        "errors": errors,
        "non_2xx_3xx": data["status_errors"],
        "latency_mean_ms": data["latency_mean_ms"],
        **_summarise(meter, client_cpu, data["requests"]),
    }


def fixed_rate(
    endpoint: Endpoint,
    base: str,
    *,
    rate: float,
    duration: float,
    groups: dict[str, list[int]],
    client_cores: set[int] | None,
    connections: int = 64,
) -> dict:
    """Open-loop latency at a fixed rate (bench.loadgen: latency counted from the scheduled time)."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "bench.loadgen", base + "/", "--requests"]
        command += [str(endpoint.write_requests(Path(tmp))), f"--rate={rate:.1f}", f"--duration={duration}"]
        command += [f"--connections={connections}"]
        for name, value in endpoint.headers.items():
            command += ["--header", f"{name}: {value}"]
        before = _children_cpu()
        with procs.CpuMeter(groups) as meter:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                cwd=HERE.parent,
                preexec_fn=_pinned(client_cores),
            )
        client_cpu = _children_cpu() - before
    if done.returncode != 0:
        raise RuntimeError(f"loadgen failed for {endpoint.name}: {done.stderr}")
    data = json.loads(done.stdout)
    return {"tool": "bench.loadgen", **data, **_summarise(meter, client_cpu, data["requests"])}
