#include "jit/jit_generator.hpp"

#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace jit {

// AutoGrow keeps the buffer read+write while code is emitted; readyRE() then resolves the
// labels and switches it to read+exec, so no page is ever writable and executable at once.
jit_generator::jit_generator(std::string kind, std::string config, std::string problem)
    : Xbyak::CodeGenerator(64 * 1024, Xbyak::AutoGrow)
    , kind_(std::move(kind))
    , config_(std::move(config))
    , problem_(std::move(problem)) {}

void jit_generator::create() {
    if (created_) throw error("jit: kernel " + kind_ + " created twice");
    try {
        generate();
        readyRE();
    } catch (const Xbyak::Error &e) {
        throw error("jit: generating " + kind_ + " [" + config_ + "] failed: " + e.what());
    }
    created_ = true;
    publish_kernel(*this);
}

void jit_generator::preamble() {
    push(rbx); push(rbp);
    push(r12); push(r13); push(r14); push(r15);
}

void jit_generator::postamble() {
    pop(r15); pop(r14); pop(r13); pop(r12);
    pop(rbp); pop(rbx);
    vzeroupper();
    ret();
}

} // namespace jit
} // namespace sparsetrain
