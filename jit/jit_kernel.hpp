// The frame every kernel generated from one descriptor shares: the call with its argument
// struct, the descriptor it was generated from, and the process-wide cached instance for a
// descriptor (kernel_cache, keyed by Desc::key(): every parameter the generator reads).
#pragma once

#include <memory>
#include <string>

#include "jit/jit_generator.hpp"
#include "jit/kernel_cache.hpp"

namespace sparsetrain {
namespace jit {

// `Kernel` derives from jit_kernel<Kernel, Desc, Args> and is constructible from (Desc, extra...);
// Args is the argument struct the code reads (const-qualified when the code only reads it).
template <class Kernel, class Desc, class Args>
class jit_kernel : public jit_generator {
public:
    void operator()(Args *a) const { entry<void (*)(Args *)>()(a); }
    const Desc &desc() const { return d_; }

    // The cached kernel for `d` (generated on first use as Kernel(d, extra...)).
    template <class... Extra>
    static std::shared_ptr<const Kernel> get(const Desc &d, const Extra &...extra) {
        return kernel_cache::instance().get_created<Kernel>(d.key(), d, extra...);
    }

protected:
    // `kind` and `problem` as for jit_generator; the configuration string is d.key().
    jit_kernel(const std::string &kind, const Desc &d, const std::string &problem)
        : jit_generator(kind, d.key(), problem), d_(d) {}

    const Desc d_;
};

} // namespace jit
} // namespace sparsetrain
