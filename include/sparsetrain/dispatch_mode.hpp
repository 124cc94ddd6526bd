// How a primitive chooses between its sparse kernel and oneDNN dense at each execute.
#pragma once

namespace sparsetrain {

enum class dispatch_mode {
    from_env, // SPARSETRAIN_DISPATCH=auto|sparse|dense (default auto)
    automatic, // measure the sparse operand's zeros, pick the faster path per call
    sparse,    // always the sparse kernel when one accepted the problem
    dense,     // always oneDNN dense
};

struct dispatch_options {
    dispatch_mode mode = dispatch_mode::from_env;
};

} // namespace sparsetrain
