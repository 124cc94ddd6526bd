"""sparsetrain: faster CNN training convolutions on CPUs by skipping the zeros ReLU leaves.

The C++ library has a oneDNN-shaped API; PyTorch users use the subpackage
``sparsetrain.torch``::

    import sparsetrain.torch as st
    model = st.convert(model)          # every nn.Conv2d becomes a st.SparseConv2d
"""
