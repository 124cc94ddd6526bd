"""Fashion-MNIST training through stock nn.Conv2d or sparsetrain.torch (examples/train_fashion_mnist.py).

cpu       whether the sparse kernels can run here (AVX-512, ISA caps)
data      IDX files of Debian's dataset-fashion-mnist, fixed batch order per (seed, epoch)
models    the VGG-style (no BatchNorm) and ResNet-style (BatchNorm) nets
probes    per-conv hooks: time of forward / backward, sparsity of input and output gradient,
          capture of the real tensors
capture   the versioned capture format read by `sparsetrain-bench --replay=DIR`
train     one run (a model, a mode, a thread count) and its records
records   CSV / JSON files of a run, and reading them back
compare   parity (noise floor) and speedups between runs
plots     PNG plots (matplotlib)
"""
