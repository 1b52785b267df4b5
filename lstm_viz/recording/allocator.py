"""Keep freed memory for reuse, so that recording again does not fault fresh pages in.

A recording allocates tens of megabytes (the trace; oneDNN's workspace) and frees most of it
soon after. glibc's malloc hands blocks that large back to the kernel (mmap/munmap, or trimming
the heap), so the next recording touches brand-new pages: measured here, that page faulting
cost as much as the recording itself and made its time swing by 1.5x from run to run
(T=1000, B=1, 2 x 256 units: record 32-44 ms without, 25 ms with this setting, against a
19-21 ms forward). ``tune_allocator`` raises both thresholds, so freed blocks stay in the
process for the next call. The app, the command line and the benchmarks call it; a library user
may call it once at start-up. It changes only this process, and only under glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1  # glibc mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # blocks up to this come from the heap (glibc's maximum)
TRIM_THRESHOLD = 512 * 1024 * 1024  # free memory kept at the heap's top before returning it

_tuned: bool | None = None


def tune_allocator() -> bool:
    """Raise glibc's mmap and trim thresholds for this process (once); True if in effect."""
    global _tuned
    if _tuned is None:
        _tuned = False
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                mallopt = libc.mallopt
            except (OSError, AttributeError):  # not glibc (musl has no mallopt)
                return False
            _tuned = bool(
                mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
            )
    return _tuned
