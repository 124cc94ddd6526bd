// Base class of every sparsetrain JIT kernel: System V ABI preamble/postamble, W^X code
// memory (written while RW, executed only after it is turned read+exec), named markers for
// annotated listings, and the hook that publishes finished kernels (dumps, perf map).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <xbyak/xbyak.h>

namespace sparsetrain {
namespace jit {

// A named position in the generated code ("zero check", "bit loop", "fma block", ...),
// recorded by the generator so that listings and dumps can be annotated.
struct code_mark {
    size_t offset;
    std::string what;
    bool data = false; // constants from here on (tables after the code), not instructions
};

class jit_generator : public Xbyak::CodeGenerator {
public:
    // `kind` names the implementation and direction ("sparse_fwd_row"), `config` the
    // configuration string of this instance (blocking, unrolling, ...), `problem` the benchdnn
    // string of the layer it was generated for; all three appear in dumps and listings.
    jit_generator(std::string kind, std::string config, std::string problem = "");
    ~jit_generator() override = default;
    jit_generator(const jit_generator &) = delete;
    jit_generator &operator=(const jit_generator &) = delete;

    // Runs generate(), makes the code read+exec and publishes it. Call once.
    void create();

    const uint8_t *code() const { return getCode(); }
    size_t code_size() const { return getSize(); }
    template <typename F>
    F entry() const { return reinterpret_cast<F>(const_cast<uint8_t *>(getCode())); }

    const std::string &kind() const { return kind_; }
    const std::string &config() const { return config_; }
    const std::string &problem() const { return problem_; }
    const std::vector<code_mark> &marks() const { return marks_; }
    bool created() const { return created_; }

protected:
    virtual void generate() = 0;

    // Saves the callee-saved GPRs (rbx, rbp, r12-r15). zmm registers are caller-saved in
    // the System V ABI, so nothing else needs saving.
    void preamble();
    void postamble(); // restores them, vzeroupper, ret

    // A prologue's loads of the kernel's argument struct: mov(reg, [args + offset]) for each
    // field, in the order given.
    struct arg_field {
        Xbyak::Reg64 reg;
        size_t offset; // offsetof(args struct, field)
    };
    void load_args(const Xbyak::Reg64 &args, std::initializer_list<arg_field> fields) {
        for (const auto &f : fields) mov(f.reg, ptr[args + f.offset]);
    }
public:
    // Named positions for listings; public so that shared emitters (zero_skip) can mark too.
    void mark(const std::string &what) { marks_.push_back({getSize(), what, false}); }
    // Marks the start of constant data emitted into the code buffer (after all code).
    void mark_data(const std::string &what) { marks_.push_back({getSize(), what, true}); }

    // Bytes of instructions: the code size up to the first data mark.
    size_t instruction_bytes() const {
        for (const auto &m : marks_)
            if (m.data) return m.offset;
        return getSize();
    }

protected:

    // System V argument registers.
    const Xbyak::Reg64 abi_param1 {Xbyak::Operand::RDI};
    const Xbyak::Reg64 abi_param2 {Xbyak::Operand::RSI};
    const Xbyak::Reg64 abi_param3 {Xbyak::Operand::RDX};
    const Xbyak::Reg64 abi_param4 {Xbyak::Operand::RCX};

private:
    std::string kind_, config_, problem_;
    std::vector<code_mark> marks_;
    bool created_ = false;
};

// Called by create() for every finished kernel; dumps and profiler symbols hang off it.
void publish_kernel(const jit_generator &g);

} // namespace jit
} // namespace sparsetrain
