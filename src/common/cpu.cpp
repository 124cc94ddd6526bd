#include "common/cpu.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <xbyak/xbyak_util.h>

#include "common/enum_names.hpp"
#include "common/env.hpp"

namespace sparsetrain {

constexpr enum_names<cpu_isa::avx512_core> isa_names({"none", "avx2", "avx512_core"});

const char *to_string(cpu_isa isa) { return isa_names(isa); }

cpu_isa hw_isa() {
    static const cpu_isa isa = [] {
        Xbyak::util::Cpu cpu;
        using C = Xbyak::util::Cpu;
        if (cpu.has(C::tAVX512F) && cpu.has(C::tAVX512BW) && cpu.has(C::tAVX512VL)
                && cpu.has(C::tAVX512DQ) && cpu.has(C::tBMI1) && cpu.has(C::tBMI2)
                && cpu.has(C::tPOPCNT))
            return cpu_isa::avx512_core;
        if (cpu.has(C::tAVX2) && cpu.has(C::tFMA)) return cpu_isa::avx2;
        return cpu_isa::none;
    }();
    return isa;
}

namespace {

struct isa_cap {
    cpu_isa isa;
    std::string source; // which variable set it, empty if none
    std::string value;
};

isa_cap read_cap() {
    for (const char *var : {"SPARSETRAIN_MAX_CPU_ISA", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"}) {
        std::string v = env::get_string(var, "");
        if (v.empty()) continue;
        std::string low = v;
        std::transform(low.begin(), low.end(), low.begin(),
                [](unsigned char c) { return (char)std::tolower(c); });
        cpu_isa cap = cpu_isa::avx512_core;
        // oneDNN names: SSE41, AVX, AVX2, AVX2_VNNI, AVX512_CORE, AVX512_CORE_VNNI, ..., ALL.
        if (low == "all" || low.rfind("avx512_core", 0) == 0 || low.rfind("amx", 0) == 0)
            cap = cpu_isa::avx512_core;
        else if (low.rfind("avx512", 0) == 0) // avx512_mic etc: no AVX512BW/VL/DQ implied
            cap = cpu_isa::avx2;
        else if (low.rfind("avx2", 0) == 0)
            cap = cpu_isa::avx2;
        else
            cap = cpu_isa::none;
        return {cap, var, v};
    }
    return {cpu_isa::avx512_core, "", ""};
}

const isa_cap &cap() {
    static const isa_cap c = read_cap();
    return c;
}

} // namespace

cpu_isa max_isa() {
    return std::min(hw_isa(), cap().isa);
}

std::string isa_limit_reason() {
    if (max_isa() >= cpu_isa::avx512_core) return {};
    if (hw_isa() < cpu_isa::avx512_core)
        return "this CPU lacks AVX-512 (F/BW/VL/DQ), the sparse kernels need it";
    return "AVX-512 disabled by " + cap().source + "=" + cap().value;
}

} // namespace sparsetrain
