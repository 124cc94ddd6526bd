"""Fashion-MNIST from Debian's dataset-fashion-mnist (IDX files, gzip), with numpy only.

The batch order of every epoch is a permutation drawn from (seed, epoch) alone, so two runs with
the same seed see exactly the same batches in the same order, whatever else they do.
"""
import gzip
import os
import struct

import numpy as np

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
# IDX magic numbers: 0x00000803 = unsigned bytes, 3 dimensions; 0x00000801 = 1 dimension.
_MAGIC = {3: 0x00000803, 1: 0x00000801}
# Mean and standard deviation of the training images (pixels scaled to [0, 1]).
MEAN, STD = 0.2860, 0.3530


class DatasetMissing(RuntimeError):
    """The IDX files are not where they should be (package dataset-fashion-mnist)."""


def read_idx(path, ndim, limit=None):
    """An IDX file of unsigned bytes as a numpy array (the first `limit` items only, if given:
    only those are decompressed); checks the magic number and the size."""
    with gzip.open(path, "rb") as f:
        header = f.read(4 + 4 * ndim)
        if len(header) < 4 + 4 * ndim:
            raise ValueError(f"{path}: too short for an IDX header")
        magic = struct.unpack(">I", header[:4])[0]
        if magic != _MAGIC[ndim]:
            raise ValueError(f"{path}: magic 0x{magic:08x}, expected 0x{_MAGIC[ndim]:08x}")
        dims = list(struct.unpack(f">{ndim}I", header[4:]))
        if limit is not None:
            dims[0] = min(dims[0], limit)
        want = int(np.prod(dims))
        body = np.frombuffer(f.read(want), dtype=np.uint8)
    if body.size != want:
        raise ValueError(f"{path}: {body.size} bytes of data, header says {dims}")
    return body.reshape(dims)


def dataset_dir(path=None):
    return path or os.environ.get("FASHION_MNIST_DIR", DEFAULT_DIR)


def missing_files(path=None):
    d = dataset_dir(path)
    return [os.path.join(d, f) for f in FILES.values() if not os.path.isfile(os.path.join(d, f))]


class FashionMNIST:
    """Normalised float32 images (N, 1, 28, 28) and int64 labels, train and test."""

    def __init__(self, path=None, train_limit=None, test_limit=None):
        d = dataset_dir(path)
        missing = missing_files(d)
        if missing:
            raise DatasetMissing("Fashion-MNIST not found: " + ", ".join(missing)
                                 + " (apt-get install dataset-fashion-mnist, or FASHION_MNIST_DIR)")
        load = lambda key, ndim, limit: read_idx(os.path.join(d, FILES[key]), ndim, limit)
        self.train_x = self._images(load("train_images", 3, train_limit))
        self.train_y = load("train_labels", 1, train_limit).astype(np.int64)
        self.test_x = self._images(load("test_images", 3, test_limit))
        self.test_y = load("test_labels", 1, test_limit).astype(np.int64)

    @staticmethod
    def _images(raw):
        x = (raw.astype(np.float32) / 255.0 - MEAN) / STD
        return x[:, None, :, :]

    def batch_order(self, seed, epoch, batch_size):
        """Index arrays of the epoch's full batches (the incomplete last batch is dropped)."""
        rng = np.random.default_rng([seed, epoch])
        perm = rng.permutation(len(self.train_x))
        n = len(perm) // batch_size
        return [perm[i * batch_size:(i + 1) * batch_size] for i in range(n)]

    def test_batches(self, batch_size):
        for i in range(0, len(self.test_x), batch_size):
            yield self.test_x[i:i + batch_size], self.test_y[i:i + batch_size]
