#!/bin/bash
# Generates the JIT dumps (SPARSETRAIN_JIT_DUMP: code bytes + description of every kernel) of
# every conv layer of VGG16, ResNet-34 and ResNet-50 v1.5 (perf/data/shapes), in all three
# directions (forward also with a fused ReLU), in both activation layouts (nchw16c, nhwc), with
# sparsetrain-jit (generation only: no AVX-512 needed), and compares them byte for byte with a
# reference set. A refactoring that must not change the generated code runs this against the
# dumps of the commit before it.
#
#   tests/tools/compare_jit_dumps.sh BUILD_DIR OUT_DIR [REF_DIR]
#
# OUT_DIR gets one folder per case (<net>/<line>.<dir>.<layout>) holding the dumps, the
# tool's --summary output and its exit status (the first layers, ic = 3, are declined: their
# message is compared too). With REF_DIR: exit 0 iff both trees are identical.
# Plans depend on the thread count and the minibatch: both are fixed here (2 threads, mb 16).
set -eu -o pipefail
[ $# -ge 2 ] || { echo "usage: $0 BUILD_DIR OUT_DIR [REF_DIR]" >&2; exit 2; }
build=$(cd "$1" && pwd)
out=$2
ref=${3:-}
root=$(cd "$(dirname "$0")/../.." && pwd)
tool="$build/src/sparsetrain-jit"
[ -x "$tool" ] || { echo "$0: $tool not built (needs libzydis-dev)" >&2; exit 2; }
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
export OMP_NUM_THREADS=2
unset SPARSETRAIN_VERBOSE SPARSETRAIN_JIT_PROFILE || true

cases="$out/cases.txt"
: > "$cases"
for net in vgg_16 resnet_34 resnet_50_v1_5; do
    n=0
    grep -v '^#' "$root/perf/data/shapes/$net" | grep -v '^[[:space:]]*$' | sed 's/n".*$//' | while read -r prob; do
        n=$((n + 1))
        for layout in nchw16c nhwc; do
            for dir in fwd fwd_relu bwd_d bwd_w; do
                echo "$net/$(printf %02d $n).$dir.$layout $dir $layout $prob" >> "$cases"
            done
        done
    done
done

run_case() { # name dir layout problem
    d="$out/$1"
    mkdir -p "$d/dump"
    relu=""
    dir=$2
    if [ "$dir" = fwd_relu ]; then dir=fwd; relu=--relu; fi
    rc=0
    SPARSETRAIN_JIT_DUMP="$d/dump" "$tool" --summary --mb=16 --dir="$dir" --layout="$3" $relu "$4" \
        > "$d/summary.txt" 2> "$d/stderr.txt" || rc=$?
    echo "$rc" > "$d/rc"
}
export out tool
# Two at a time (the machine's two cores; run this under `cpu build`).
while read -r name dir layout prob; do
    run_case "$name" "$dir" "$layout" "$prob" &
    [ "$(jobs -p | wc -l)" -lt 2 ] || wait -n
done < "$cases"
wait

ncase=$(wc -l < "$cases")
nbin=$(find "$out" -name '*.bin' | wc -l)
nuniq=$(find "$out" -name '*.bin' -exec basename {} \; | sort -u | wc -l)
ndecl=$( (grep -lv "^0$" "$out"/*/*/rc || true) | wc -l)
echo "compare_jit_dumps: $ncase cases ($ndecl declined), $nbin kernel dumps ($nuniq distinct names) in $out"
[ -n "$ref" ] || exit 0
# The generated code (dumps: code bytes + descriptions, listings' headers, exit codes) must be
# identical; the decline messages of the cases that decline are only reported (their wording
# is the planners' vocabulary, not generated code).
nmsg=0
for f in "$ref"/*/*/stderr.txt; do
    cmp -s "$f" "$out/${f#"$ref"/}" || nmsg=$((nmsg + 1))
done
if [ "$nmsg" != 0 ]; then
    echo "compare_jit_dumps: $nmsg decline message(s) differ (not compared as code), e.g.:"
    for f in "$ref"/*/*/stderr.txt; do
        cmp -s "$f" "$out/${f#"$ref"/}" || { echo "  before: $(cat "$f")"; echo "  after:  $(cat "$out/${f#"$ref"/}")"; break; }
    done
fi
if diff -r -x stderr.txt -x cases.txt "$ref" "$out" > "$out.diff" 2>&1; then
    echo "compare_jit_dumps: IDENTICAL to $ref ($nbin kernel dumps, $ncase cases)"
    rm -f "$out.diff"
else
    echo "compare_jit_dumps: DIFFERENT from $ref ($(grep -c '' "$out.diff") diff lines, see $out.diff)"
    head -20 "$out.diff"
    exit 1
fi
