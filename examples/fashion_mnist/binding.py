"""The few calls into sparsetrain.torch this example makes, in one place."""


class BindingMissing(RuntimeError):
    """sparsetrain.torch cannot be imported (not built, or PYTHONPATH lacks build/python)."""


def load():
    try:
        import sparsetrain.torch as st
    except ImportError as e:
        raise BindingMissing(f"sparsetrain.torch: {e} (build the project with PyTorch present and put "
                             "build/python on PYTHONPATH)") from e
    return st


def convert(model, dispatch, example_input, relu_mask=True):
    """Swaps the model's convs for SparseConv2d in place (same Parameter objects) with the
    given dispatch mode, with the ReLU-backward mask (ReLUs fused into the convs that are
    their only readers) unless relu_mask is False; returns the binding's summary as text."""
    st = load()
    st.convert(model, inplace=True, options=st.ConvOptions(dispatch=dispatch), relu_mask=relu_mask)
    return str(st.summary(model, example_input=example_input))


def layer_stats(model):
    """Per SparseConv2d: the binding's counters (runs, sparse / dense paths per direction)."""
    st = load()
    out = {}
    for name, m in model.named_modules():
        if isinstance(m, st.SparseConv2d):
            s = m.sparse_stats()
            out[name] = {d: {k: s[d].get(k) for k in ("runs", "sparse_runs", "dense_runs", "impl")}
                         for d in ("forward", "backward_data", "backward_weights")}
    return out


def reset_stats(model):
    st = load()
    for m in model.modules():
        if isinstance(m, st.SparseConv2d):
            m.reset_sparse_stats()

