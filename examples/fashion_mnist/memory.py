"""Keep freed memory in the process (glibc malloc), so that a training step does not pay page
faults for memory the previous step gave back.

By default glibc returns large freed blocks to the kernel (mmap'ed blocks at once, the top of
the heap beyond a trim threshold), and PyTorch frees and re-allocates the same activation and
gradient buffers every step; every re-allocation then faults its pages in again. On the
development VM a fault costs so much (~3.7 ms per MB touched) that a stock VGG step spent about
40 % of its time in faults, varying from step to step with glibc's adaptive thresholds.
retain() raises the mmap threshold to its maximum (32 MiB on 64-bit: larger blocks are still
mmap'ed) and the trim threshold to 2 GiB, the effect jemalloc / tcmalloc users get. It applies
to stock and sparsetrain runs alike.
"""
import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_MAX = 32 << 20
TRIM_THRESHOLD = (1 << 31) - 1


def retain():
    """True when both settings took effect (glibc), False otherwise (other C libraries)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
