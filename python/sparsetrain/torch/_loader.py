"""Loads the C++ extension with a message that says what to do when it is missing."""

try:
    from . import _ext  # noqa: F401  (built by the project's CMake next to this file)
except ImportError as e:  # pragma: no cover - depends on the build
    raise ImportError(
        "sparsetrain.torch: the C++ extension sparsetrain/torch/_ext*.so could not be loaded "
        f"({e}). Build the project with PyTorch installed (apt-get install python3-torch "
        "libtorch-dev python3-dev) and put build/python (or the installed site-packages "
        "directory) on PYTHONPATH; use Debian's /usr/bin/python3, the interpreter the "
        "extension was built for.") from e

ext = _ext
