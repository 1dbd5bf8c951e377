#!/bin/sh
# make soak: every transport at full rate for a few minutes, sequence-numbered and
# checksummed messages both ways (the stress tests, with many more messages): none lost,
# duplicated, reordered or corrupted. Not part of `make test`. SOAK_SCALE multiplies the
# counts (default 1: about two minutes per transport on a quiet 2-core machine).
set -eu
cd "$(dirname "$0")/.."
SCALE=${SOAK_SCALE:-1}
BUILD=${BUILD:-build}
cmake -S . -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
t=$BUILD/tests
export RPMSG_TEST_TIMEOUT=$((900 * SCALE))
fail=0
run() { # name env=count binary
	echo "== soak: $1 ($2)"
	start=$(date +%s)
	if env "$2" "$3"; then
		echo "== soak: $1 passed in $(( $(date +%s) - start )) s"
	else
		echo "== soak: $1 FAILED"; fail=1
	fi
}
run virtio RPMSG_STRESS_MESSAGES=$((30000000 * SCALE)) "$t/virtio_test_virtio_stress"
run glink RPMSG_GLINK_STRESS_MESSAGES=$((1000000 * SCALE)) "$t/glink_test_glink_stress"
run smd RPMSG_SMD_STRESS_MESSAGES=$((3000000 * SCALE)) "$t/smd_test_smd_stress"
run scp RPMSG_STRESS_MESSAGES=$((1000000 * SCALE)) "$t/scp_test_scp_stress"
exit $fail
