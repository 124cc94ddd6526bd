// SPARSETRAIN_VERBOSE=1: one line per primitive creation and per execute on stdout, in the
// spirit of ONEDNN_VERBOSE:
//   sparsetrain_verbose,create,<dir>,<impl>,<problem>,<formats>,<attrs>,<declined...>
//   sparsetrain_verbose,exec,<dir>,<impl>,<problem>,<formats>,<dispatch>,<ms>
// Level 2 adds kernel generation lines. Read once per process.
#pragma once

#include <string>

namespace sparsetrain {

int verbose_level();
void verbose_print(const std::string &line); // thread-safe, whole lines
double now_ms(); // monotonic clock

} // namespace sparsetrain
