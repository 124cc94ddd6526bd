#include "tools/jit_listing.hpp"

#include <capstone/capstone.h>

#include <cstdio>
#include <sstream>

#include "jit/kernel_publish.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace jit {

disassembly disassemble(const uint8_t *code, size_t size) {
    csh h;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) throw error("capstone: cannot open an x86-64 handle");
    struct closer {
        csh &h;
        cs_insn *insn = nullptr;
        ~closer() {
            if (insn) cs_free(insn, 1);
            cs_close(&h);
        }
    } guard {h};
    cs_option(h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_INTEL);
    disassembly d;
    cs_insn *insn = guard.insn = cs_malloc(h);
    if (!insn) throw error("capstone: out of memory");
    const uint8_t *p = code;
    size_t left = size;
    uint64_t addr = 0;
    // Iterate so that one undecodable byte does not hide the rest: it is reported and skipped.
    while (left > 0) {
        if (cs_disasm_iter(h, &p, &left, &addr, insn)) {
            d.insns.push_back({(size_t)insn->address, insn->size, insn->mnemonic, insn->op_str});
            d.decoded_bytes += insn->size;
        } else {
            char b[16];
            std::snprintf(b, sizeof(b), "0x%02x", *p);
            d.insns.push_back({(size_t)addr, 1, "(bad)", b});
            ++p;
            --left;
            ++addr;
        }
    }
    return d;
}

std::map<std::string, size_t> instruction_mix(const disassembly &d) {
    std::map<std::string, size_t> mix;
    for (const auto &i : d.insns) {
        const std::string &m = i.mnemonic;
        std::string cls = "other";
        auto starts = [&](const char *p) { return m.rfind(p, 0) == 0; };
        if (m == "(bad)") cls = "undecoded";
        else if (starts("vfmadd") || starts("vfnmadd") || starts("vfmsub")) cls = "fma";
        else if (starts("vbroadcast") || starts("vpbroadcast")) cls = "broadcast";
        else if (starts("vcompress") || starts("vpcompress")) cls = "compress";
        else if (starts("vcmp") || starts("vpcmp")) cls = "compare";
        else if (m[0] == 'k') cls = "mask";
        else if (m[0] == 'j' || m == "call" || m == "ret") cls = "branch";
        else if (starts("prefetch")) cls = "prefetch";
        else if (starts("vmov") || starts("mov")) cls = i.operands.find('[') != std::string::npos ? "load/store" : "move";
        else if (m == "popcnt" || m == "tzcnt" || m == "blsr" || m == "shlx" || m == "shrx") cls = "bit";
        ++mix[cls];
    }
    return mix;
}

std::string annotated_listing(const jit_generator &g) {
    const disassembly d = disassemble(g.code(), g.code_size());
    std::ostringstream os;
    os << "; kernel    " << g.kind() << "\n";
    os << "; problem   " << g.problem() << "\n";
    os << "; config    " << g.config() << "\n";
    os << "; dump name " << dump_basename(g) << "\n";
    os << "; code size " << g.code_size() << " bytes, " << d.insns.size() << " instructions, "
       << d.decoded_bytes << " bytes decoded\n";
    os << "; mix      ";
    for (const auto &kv : instruction_mix(d)) os << " " << kv.first << "=" << kv.second;
    os << "\n";
    size_t next_mark = 0;
    const auto &marks = g.marks();
    for (const auto &i : d.insns) {
        while (next_mark < marks.size() && marks[next_mark].offset <= i.offset) {
            os << "        ; ---- " << marks[next_mark].what << "\n";
            ++next_mark;
        }
        char b[64];
        std::snprintf(b, sizeof(b), "  %06zx:  ", i.offset);
        os << b << i.mnemonic;
        if (!i.operands.empty()) os << " " << i.operands;
        os << "\n";
    }
    for (; next_mark < marks.size(); ++next_mark) os << "        ; ---- " << marks[next_mark].what << "\n";
    return os.str();
}

} // namespace jit
} // namespace sparsetrain
