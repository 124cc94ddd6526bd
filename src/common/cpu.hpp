// Run-time CPU feature detection, capped by SPARSETRAIN_MAX_CPU_ISA (or oneDNN's own
// ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA when ours is unset), the way oneDNN caps its ISA.
#pragma once

#include <string>

namespace sparsetrain {

enum class cpu_isa { none = 0, avx2 = 1, avx512_core = 2 };
const char *to_string(cpu_isa isa);

// What the hardware supports (ignores the cap).
cpu_isa hw_isa();
// What sparsetrain may use: min(hardware, environment cap). Read once per process.
cpu_isa max_isa();
// Why max_isa() is below avx512_core, empty when it is not: used as a decline reason.
std::string isa_limit_reason();

} // namespace sparsetrain
