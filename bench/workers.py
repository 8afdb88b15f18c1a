"""Worker throughput: a real Celery worker on the benchmark's Redis, no-op tasks against real ones.

One worker process (prefork, concurrency 1, pinned to the server core) consumes a queue
of its own; the producer (this process, on the client core) queues N tasks at once and
the clock stops when the queue is empty and nothing is left unacknowledged (the tasks
use acks_late, so a message is acknowledged only after its task ran).
"""

import os
import sys
import time

from bench import procs
from bench.server import ROOT


class Worker(procs.PinnedProcess):
    """One Celery worker (prefork, concurrency 1) consuming the benchmark's queue."""

    name, log_name = "the Celery worker", "worker.log"

    def __init__(self, env: dict, *, queue: str, cores: set[int] | None) -> None:
        super().__init__(env, cores=cores, cwd=ROOT)
        self.queue = queue

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "celery", "-A", "readinggroup", "worker", "-Q", self.queue]
        command += ["--concurrency=1", "--pool=prefork", "--loglevel=WARNING", "--without-gossip"]
        return command + ["--without-mingle", "--without-heartbeat", f"--hostname=bench-{os.getpid()}@%h"]

    def ready(self) -> bool:
        from celery import current_app

        return bool(current_app.control.ping(timeout=0.5))


def _drained(redis, queue: str) -> bool:
    return redis.llen(queue) == 0 and redis.hlen("unacked") == 0


def timed_batch(redis, queue: str, publish, count: int, groups: dict, timeout: float = 600) -> dict:
    """Queue `count` tasks with publish(i) and wait until all ran; tasks/second end to end."""
    with procs.CpuMeter(groups) as meter:
        started = time.perf_counter()
        for i in range(count):
            publish(i)
        published = time.perf_counter() - started
        deadline = time.monotonic() + timeout
        while not _drained(redis, queue):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{queue}: tasks still queued after {timeout} s")
            time.sleep(0.005)
        seconds = time.perf_counter() - started
    return {
        "tasks": count,
        "seconds": round(seconds, 3),
        "tasks_per_second": round(count / seconds, 1),
        "publish_seconds": round(published, 3),
        "cpu_share": meter.shares(),
    }


def measure(
    env: dict, *, queue: str, cores: dict, noop_count: int, paper_ids: list[int], log, pin_backends
) -> dict:
    """No-op tasks, then summarise_paper (one paper per task), then summarise_papers (20 per task)."""
    from celery import current_app

    from bench.tasks import noop
    from papers.tasks import summarise_paper, summarise_papers

    redis = current_app.connection_for_write().default_channel.client
    redis.delete(queue, "unacked", "unacked_index")
    results = {}
    with Worker(env, queue=queue, cores=cores["server"]) as worker:
        groups = {"worker": worker.pids(), "redis": [p for p in [procs.redis_pid(redis)] if p]}
        log(f"  workers: {noop_count} no-op tasks")
        timed_batch(redis, queue, lambda i: noop.delay(), 50, groups)  # warm up the pool
        timed_batch(
            redis, queue, lambda i: summarise_paper.delay(paper_ids[0]), 2, groups
        )  # and its connection
        pin_backends()
        results["noop"] = timed_batch(redis, queue, lambda i: noop.delay(), noop_count, groups)
        one = paper_ids[: max(1, len(paper_ids) // 4)]
        log(f"  workers: summarise_paper × {len(one)}")
        results["summarise_paper"] = timed_batch(
            redis, queue, lambda i: summarise_paper.delay(one[i]), len(one), groups
        )
        batches = [paper_ids[i : i + 20] for i in range(0, len(paper_ids), 20)]
        log(f"  workers: summarise_papers × {len(batches)} (20 papers each)")
        batched = timed_batch(
            redis, queue, lambda i: summarise_papers.delay(batches[i]), len(batches), groups
        )
        batched["papers_per_second"] = round(len(paper_ids) / batched["seconds"], 1)
        results["summarise_papers_20"] = batched
    noop_rate = results["noop"]["tasks_per_second"]
    results["ratios"] = {
        "summarise_paper_to_noop": round(results["summarise_paper"]["tasks_per_second"] / noop_rate, 3),
        "summarise_papers_20_to_noop": round(batched["tasks_per_second"] / noop_rate, 3),
    }
    return results
