#!/bin/sh
# run.sh: the whole test suite from a clean checkout.  Installs what it
# needs, then builds twice out of tree: once plain with -Werror, once with
# AddressSanitizer and UBSan, and runs `make check` in both.  Ends with one
# line "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/packaging/install-deps.sh" || exit 1
cd "$top" && autoreconf -fi >/dev/null 2>&1 || { echo "autoreconf failed"; exit 1; }
if [ -f "$top/config.status" ]; then
	echo "the source tree is configured in place; run 'make distclean' there first (builds go to build/)"
	exit 1
fi
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="abort_on_error=0:detect_leaks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

pass=0
fail=0
for variant in plain sanitizers; do
	b="$top/build/$variant"
	rm -rf "$b" && mkdir -p "$b" && cd "$b" || exit 1
	flags=
	[ "$variant" = sanitizers ] && flags=--enable-sanitizers
	echo "=== $variant build"
	if ! "$top/configure" -q $flags || ! make -s -j"$(nproc)" >build.log 2>&1; then
		cat build.log 2>/dev/null | tail -40
		echo "$variant: build failed"
		fail=$((fail + 1))
		continue
	fi
	make -s check >check.log 2>&1
	grep -E '^(PASS|FAIL|XPASS|ERROR|SKIP)' check.log | grep -v '^PASS' || true
	p=$(sed -n 's/^# PASS: *//p' check.log | tail -1)
	f=$(sed -n 's/^# FAIL: *//p' check.log | tail -1)
	e=$(sed -n 's/^# ERROR: *//p' check.log | tail -1)
	echo "$variant: ${p:-0} passed, ${f:-0} failed, ${e:-0} errors"
	if [ "${f:-0}" != 0 ] || [ "${e:-0}" != 0 ] || [ -z "$p" ]; then
		find . -name '*.log' -path '*tests*' | while read -r l; do
			grep -q -E '^(not ok|Bail out)|ERROR' "$l" && { echo "--- $l"; tail -60 "$l"; }
		done
	fi
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-0} + ${e:-0}))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
