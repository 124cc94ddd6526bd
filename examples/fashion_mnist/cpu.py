"""Whether sparsetrain's sparse kernels can run on this machine, read from /proc/cpuinfo and the
ISA caps, independently of the library: the smoke test and the sparsetrain.torch tests
(tests/python/conftest.py) check the paths that ran against it."""
import os
import re


def sparse_expected():
    """Whether the sparse kernels can run: AVX-512 (F, BW, VL, DQ) here and no ISA cap below it
    (SPARSETRAIN_MAX_CPU_ISA / ONEDNN_MAX_CPU_ISA; CI's second pass sets avx2: everything must
    then run oneDNN dense)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = set(re.search(r"^flags\s*:(.*)$", f.read(), re.M).group(1).split())
    except (OSError, AttributeError):
        return False
    if not {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        return False
    for var in ("SPARSETRAIN_MAX_CPU_ISA", "ONEDNN_MAX_CPU_ISA"):
        cap = os.environ.get(var, "").lower()
        if cap and not cap.startswith("avx512") and cap != "all":
            return False
    return True
