"""A second process for window layouts, so a stream's windows use two cores.

Most of a window's time is its layout (UMAP) and clustering, and both run on one thread to
be reproducible. When :class:`~socialnlp.cluster.IncidentDetector` may use two processes
(``n_jobs``), this helper lays out and clusters each window while the detector alerts on
the window before and groups the next slot's posts into reports. Labels are a function of
the window's vectors and the parameters alone (:func:`~socialnlp.cluster.detector.window_labels`),
so they are the same whichever process computed them (tested).

The helper is a fresh interpreter (loky's process start, like the embedding workers and the
tokenising helper): nothing is forked from a process that holds BLAS or numba threads. One
helper process serves every detector of a thread, so its start (imports and UMAP's compiled
code) is paid once per process, not once per detector. It talks over one pipe, written and
read by the caller's own thread: with an executor, whose feeder threads wait for the
interpreter lock while this process works in Python, each window's layout started late and
the overlap was lost. If the helper cannot start or dies, the detector warns once and lays
out every window itself.
"""
from __future__ import annotations

import threading
import warnings


class LayoutHelper:
    """One detector's handle on its thread's helper process.

    ``submit(function, *args)`` sends a call and returns a ticket; ``result(ticket, here)``
    waits for its value. Calls run one at a time, in order. When the helper fails (or cannot
    take this detector's arguments), ``result`` returns ``here()``, ``broken`` is True and
    the detector stops submitting; when the call itself raised, ``here()`` raises it again in
    this process, with its own traceback.
    """

    def __init__(self):
        self.broken = False
        self.n_done = 0   # results that came from the helper
        self._process = None

    def start(self) -> "LayoutHelper":
        """Start the process if this thread has none (it loads the layout's compiled code while
        the detector is still reading and embedding)."""
        try:
            self._process = _process()
        except Exception as err:   # no processes allowed here
            self._fail(err)
        return self

    def submit(self, function, *args) -> int | None:
        if self.broken or self._process is None:
            return None
        try:
            return self._process.send(function, args)
        except Exception as err:   # the arguments do not pickle, or the helper is gone
            self._fail(err)
            return None

    def result(self, ticket: int | None, here):
        if ticket is not None and not self.broken:
            try:
                ok, value = self._process.receive(ticket)
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


def _process() -> _HelperProcess:
    """This thread's helper process, started (again) when it has none (or it died)."""
    helper = getattr(_LOCAL, "helper", None)
    if helper is None or not helper.alive():
        import weakref

        helper = _LOCAL.helper = _HelperProcess()
        weakref.finalize(helper, helper.stop)
    return helper


def _warm_up() -> None:
    """Load UMAP's and hdbscan's compiled code with a small layout (not the tokeniser's jieba)."""
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
