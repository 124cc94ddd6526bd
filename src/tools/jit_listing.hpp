// Annotated listings of generated kernels: Zydis disassembly (Intel syntax; Zydis 4 decodes
// all of AVX-512, which Debian's capstone 4.0 does not) with the
// generator's own markers (zero check, list loop, FMA block, edges ...), code size and
// instruction-mix counts. Works on any x86-64 CPU: nothing is executed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "jit/jit_generator.hpp"

namespace sparsetrain {
namespace jit {

struct decoded_insn {
    size_t offset;
    size_t size;
    std::string mnemonic, operands;
};

struct disassembly {
    std::vector<decoded_insn> insns;
    size_t decoded_bytes = 0; // == code size when the whole kernel decodes
};

disassembly disassemble(const uint8_t *code, size_t size);

// Instruction classes counted in listings: fma, broadcast, compress, compare, mask, load/store
// moves, branch, other.
std::map<std::string, size_t> instruction_mix(const disassembly &d);

// The full listing text of one kernel.
std::string annotated_listing(const jit_generator &g);

} // namespace jit
} // namespace sparsetrain
