// Printing per-problem benchmark results: a readable table on stdout, CSV and JSON files.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "bench/problem_bench.hpp"
#include "bench/text_util.hpp"

namespace sparsetrain {
namespace bench {

// The CSV header every per-problem CSV starts with.
const char *csv_header();
std::string csv_row(const measurement &m);

void print_table_header(std::ostream &os);
void print_table_row(std::ostream &os, const measurement &m);
// A problem that could not be run (bad string, no implementation, an error while running):
// its name, direction ("-" when none applies) and the reason, in place of a table row.
void print_error_row(std::ostream &os, const std::string &problem, const std::string &dir, const std::string &why);

void write_csv(const std::string &path, const std::vector<measurement> &ms);
void write_json(const std::string &path, const std::vector<measurement> &ms);

} // namespace bench
} // namespace sparsetrain
