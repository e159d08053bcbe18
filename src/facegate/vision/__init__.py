"""One model per module: detection, dense landmarks, identity templates."""

import os

# MediaPipe's C++ side logs through glog; keep its informational chatter out of our logs.
os.environ.setdefault("GLOG_minloglevel", "2")


class PerThread:
    """One instance of a model per thread: MediaPipe graphs must not be shared across threads.
    ``factory`` builds it on a thread's first use."""

    def __init__(self, factory):  # type: ignore[no-untyped-def]
        import threading

        self._factory = factory
        self._local = threading.local()

    def get(self):  # type: ignore[no-untyped-def]
        instance = getattr(self._local, "instance", None)
        if instance is None:
            instance = self._local.instance = self._factory()
        return instance
