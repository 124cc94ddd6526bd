#include "tools/jit_listing.hpp"

#include <Zydis/Zydis.h>

#include <cstdio>
#include <cstring>
#include <sstream>

#include "jit/kernel_publish.hpp"

namespace sparsetrain {
namespace jit {

disassembly disassemble(const uint8_t *code, size_t size) {
    disassembly d;
    size_t off = 0;
    // One instruction at a time so that an undecodable byte does not hide the rest: it is
    // reported as "(bad)" and skipped.
    while (off < size) {
        ZydisDisassembledInstruction insn;
        if (ZYAN_SUCCESS(ZydisDisassembleIntel(ZYDIS_MACHINE_MODE_LONG_64, off, code + off, size - off, &insn))) {
            const std::string text = insn.text;
            const size_t sp = text.find(' ');
            d.insns.push_back({off, insn.info.length, text.substr(0, sp),
                    sp == std::string::npos ? std::string() : text.substr(sp + 1)});
            d.decoded_bytes += insn.info.length;
            off += insn.info.length;
        } else {
            char b[16];
            std::snprintf(b, sizeof(b), "0x%02x", code[off]);
            d.insns.push_back({off, 1, "(bad)", b});
            ++off;
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
    const size_t code_bytes = g.instruction_bytes();
    const disassembly d = disassemble(g.code(), code_bytes);
    std::ostringstream os;
    os << "; kernel    " << g.kind() << "\n";
    os << "; problem   " << g.problem() << "\n";
    os << "; config    " << g.config() << "\n";
    os << "; dump name " << dump_basename(g) << "\n";
    os << "; code size " << g.code_size() << " bytes (" << code_bytes << " of instructions), " << d.insns.size()
       << " instructions, " << d.decoded_bytes << " bytes decoded\n";
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
    // Constant data after the code, as 32-bit words.
    for (size_t off = code_bytes; off < g.code_size(); off += 16) {
        char b[32];
        std::snprintf(b, sizeof(b), "  %06zx:  .long", off);
        os << b;
        for (size_t k = off; k < off + 16 && k + 4 <= g.code_size(); k += 4) {
            uint32_t v;
            std::memcpy(&v, g.code() + k, 4);
            std::snprintf(b, sizeof(b), " 0x%08x", v);
            os << b;
        }
        os << "\n";
    }
    return os.str();
}

} // namespace jit
} // namespace sparsetrain
