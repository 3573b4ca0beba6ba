"""Processes for window layouts, so a stream's windows use every core.

Most of a window's time is its layout (UMAP) and clustering, and both run on one thread to
be reproducible. When :class:`~socialnlp.cluster.IncidentDetector` may use two processes
(``n_jobs``), two helpers lay out two windows at once (a window's layout does not wait for
the link of the window before: see ``IncidentDetector._close_slots``) while the detector links
and alerts. Each helper keeps its layout until the detector sends the window's pool, then
clusters it. Labels are a function of the window's vectors and the parameters alone
(:func:`~socialnlp.cluster.detector.window_clusters`), so they are the same whichever
process computed them (tested).

Each helper is a fresh interpreter (loky's process start, like the embedding workers):
nothing is forked from a process that holds BLAS or numba threads. One
set of helper processes serves every detector of a thread, so their start (imports and UMAP's
compiled code) is paid once per process, not once per detector. Each talks over one pipe, written and
read by the caller's own thread: with an executor, whose feeder threads wait for the
interpreter lock while this process works in Python, each window's layout started late and
the overlap was lost. If the helper cannot start or dies, the detector warns once and lays
out every window itself.
"""
from __future__ import annotations

import threading
import warnings


class LayoutHelper:
    """One detector's handle on its thread's ``n_processes`` helper processes.

    ``submit(function, *args)`` sends a call to the next process in turn (``after=ticket``: to
    the process of an earlier call) and returns a ticket; ``result(ticket, here)`` waits for
    its value. A process runs its calls one at a time, in order. When a helper fails (or cannot
    take this detector's arguments), ``result`` returns ``here()``, ``broken`` is True and the
    detector stops submitting; when the call itself raised, ``here()`` raises it again in this
    process, with its own traceback.
    """

    def __init__(self, n_processes: int = 2):
        self.n_processes = n_processes
        self.broken = False
        self.n_done = 0   # results that came from the helpers
        self._processes: list = []
        self._turn = 0

    def start(self) -> "LayoutHelper":
        """Start the processes this thread lacks (they load the layout's compiled code while
        the detector is still reading and embedding)."""
        try:
            self._processes = _processes(self.n_processes)
        except Exception as err:   # no processes allowed here
            self._fail(err)
        return self

    def submit(self, function, *args, after: tuple[int, int] | None = None) -> tuple[int, int] | None:
        if self.broken or not self._processes:
            return None
        if after is None:
            which = self._turn
            self._turn = (self._turn + 1) % len(self._processes)
        else:
            which = after[0]
        try:
            return which, self._processes[which].send(function, args)
        except Exception as err:   # the arguments do not pickle, or the helper is gone
            self._fail(err)
            return None

    def result(self, ticket: tuple[int, int] | None, here):
        if ticket is not None and not self.broken:
            try:
                ok, value = self._processes[ticket[0]].receive(ticket[1])
            except Exception as err:   # the helper died
                self._fail(err)
            else:
                if ok:
                    self.n_done += 1
                    return value
        return here()

    def _fail(self, err: Exception) -> None:
        if not self.broken:
            warnings.warn(f"window layouts run in this process only: the layout helper failed ({err!r})",
                          RuntimeWarning, stacklevel=4)
        self.broken = True


class _HelperProcess:
    """The process and its pipe; replies come in the order of the calls."""

    def __init__(self):
        from joblib.externals.loky.backend import get_context

        ctx = get_context("loky")
        self.conn, theirs = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(theirs,), daemon=True, name="socialnlp-layout")
        self.process.start()
        theirs.close()
        self.sent = self.received = 0
        self.send(_warm_up, ())

    def send(self, function, args) -> int:
        self.conn.send((function, args))   # pickles first: arguments that do not pickle leave the pipe as it was
        self.sent += 1
        return self.sent - 1

    def receive(self, ticket: int):
        while self.received <= ticket:   # replies to calls whose caller stopped waiting are dropped
            reply = self.conn.recv()
            self.received += 1
        return reply

    def alive(self) -> bool:
        return self.process.is_alive() and not self.conn.closed

    def stop(self) -> None:
        try:
            self.conn.send(None)
            self.conn.close()
        except Exception:
            pass
        self.process.join(timeout=1)
        if self.process.is_alive():   # still busy (a layout, or its start): it has nothing to save
            self.process.terminate()
            self.process.join(timeout=1)


_LOCAL = threading.local()


def _processes(n: int) -> list[_HelperProcess]:
    """This thread's first ``n`` helper processes, started (again) where it has fewer (or one died)."""
    import weakref

    helpers = getattr(_LOCAL, "helpers", None)
    if helpers is None:
        helpers = _LOCAL.helpers = []
    helpers[:] = [h for h in helpers if h.alive()]
    while len(helpers) < n:
        helper = _HelperProcess()
        weakref.finalize(helper, helper.stop)
        helpers.append(helper)
    return helpers[:n]


def _warm_up() -> None:
    """Load UMAP's and hdbscan's compiled code with a small layout."""
    import numpy as np

    from socialnlp.cluster.stages import cluster_labels, make_clusterer, make_reducer

    X = np.random.default_rng(0).normal(size=(300, 32)).astype(np.float32)
    cluster_labels(make_clusterer("hdbscan", 10), make_reducer("umap").fit_transform(X))


def _serve(conn) -> None:
    """The helper's loop: call, reply (ok, value); ends when the other end closes or sends None."""
    import os

    # numba's OpenMP threads (UMAP's parallel graph code) spin for a while after each parallel
    # region: in one process that burns a core no one uses, but here it is the core the detector
    # works on; two processes of layouts had 1.03x the throughput of one, and 1.94x with passive
    # threads, which sleep at once (benchmarks/stream.py cores). OpenMP reads this when it loads,
    # so before the first layout.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from socialnlp.cluster import stages

    stages.KNN_THREADS = 1   # two helpers and the detector keep both cores busy: a second thread only adds work
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            _exit_now()
        function, args = message
        try:
            reply = (True, function(*args))
        except Exception as err:   # the caller redoes the call and raises it there
            reply = (False, repr(err))
        conn.send(reply)


def _exit_now() -> None:
    """End the helper at once: what a process does when its target returns (flush, then
    multiprocessing's exit finalizers, which give back the semaphores numba and tqdm made), but
    without the interpreter's teardown of numba and umap, which kept a CLI waiting 0.6 s at its exit."""
    import os
    import sys
    from multiprocessing import util

    try:
        sys.stdout.flush()
        sys.stderr.flush()
        util._exit_function()
    finally:
        os._exit(0)
