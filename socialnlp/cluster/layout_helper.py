"""A second process for window layouts, so a stream's windows use two cores.

Most of a window's time is its layout (UMAP) and clustering, and both run on one thread to
be reproducible. When :class:`~socialnlp.cluster.IncidentDetector` may use two processes
(``n_jobs``), this helper lays out and clusters each window while the detector alerts on
the window before and groups the next slot's posts into reports. Labels are a function of
the window's vectors and the parameters alone (:func:`~socialnlp.cluster.detector.window_labels`),
so they are the same whichever process computed them (tested).

The helper is a fresh interpreter (loky's process start, like the embedding workers and the
tokenising helper): nothing is forked from a process that holds BLAS or numba threads. It
talks over one pipe, written and read by the caller's own thread: an executor's feeder
threads would wait for the interpreter lock while this process works in Python, and start
each window's layout up to 25 ms late. If the helper cannot start or dies, the detector
warns once and lays out every window itself.
"""
from __future__ import annotations

import warnings
import weakref


class LayoutHelper:
    """``submit(function, *args)`` sends a call and returns a ticket; ``result(ticket, here)``
    waits for its value. Calls run one at a time, in order. When the helper fails, ``result``
    returns ``here()`` (``broken`` is then True and the caller stops submitting); when the call
    itself raised, ``here()`` raises it again in this process, with its own traceback."""

    def __init__(self, reducer="umap", clusterer="hdbscan"):
        self.reducer = reducer
        self.clusterer = clusterer
        self.broken = False
        self.n_done = 0   # results that came from the helper
        self._conn = None
        self._sent = 0    # tickets handed out
        self._received = 0

    def start(self) -> "LayoutHelper":
        """Start the process now and load the layout's compiled code there (a few seconds),
        while the detector is still reading and embedding."""
        try:
            from joblib.externals.loky.backend import get_context

            ctx = get_context("loky")
            self._conn, theirs = ctx.Pipe()
            process = ctx.Process(target=_serve, args=(theirs,), daemon=True, name="socialnlp-layout")
            process.start()
            theirs.close()
            weakref.finalize(self, _stop, self._conn, process)
        except Exception as err:   # no processes allowed here
            self._fail(err)
            return self
        if isinstance(self.reducer, str) and isinstance(self.clusterer, str):
            from socialnlp.cluster.stages import warm_up

            self.submit(warm_up, self.reducer, self.clusterer)
        return self

    def submit(self, function, *args) -> int | None:
        if self.broken or self._conn is None:
            return None
        try:
            self._conn.send((function, args))
        except Exception as err:   # the arguments do not pickle, or the helper is gone
            self._fail(err)
            return None
        self._sent += 1
        return self._sent - 1

    def result(self, ticket: int | None, here):
        if ticket is not None and not self.broken:
            try:
                while self._received <= ticket:   # replies come in order; earlier ones are not wanted
                    ok, value = self._conn.recv()
                    self._received += 1
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
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _serve(conn) -> None:
    """The helper's loop: call, reply (ok, value); ends when the other end closes or sends None."""
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        function, args = message
        try:
            reply = (True, function(*args))
        except Exception as err:   # the caller redoes the call and raises it there
            reply = (False, repr(err))
        conn.send(reply)


def _stop(conn, process) -> None:
    try:
        conn.send(None)
        conn.close()
    except Exception:
        pass
    process.join(timeout=1)
    if process.is_alive():
        process.terminate()
