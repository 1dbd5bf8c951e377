#!/bin/sh
# What the capture tap costs: the same virtio cases from a library built without the tap
# (rpmsg-bench-notap, RPMSG_NO_TAP), with the tap compiled in but off, and capturing to a
# pcapng file, interleaved REPEAT times in one run so that drift hits all three alike.
# Prints the median of each and the ratios to the build without the tap.
# usage: scripts/tap-overhead.sh [REPEAT]   (default 7)
set -eu
cd "$(dirname "$0")/.."
REPEAT=${1:-7}
B=${BUILD:-build}
cmake -S . -B "$B" >/dev/null
cmake --build "$B" -j"$(nproc 2>/dev/null || echo 2)" --target rpmsg-bench rpmsg-bench-notap >/dev/null
CASES="virtio_busy_rtt_16 virtio_block_rtt_16 virtio_busy_tput_16"
out=$(mktemp -d /tmp/rpmsg-tapcost.XXXXXX)
trap 'rm -rf "$out"' EXIT
# value CASE FILE: the median RTT (us) or messages/s of CASE in a --json result
value() {
	grep "\"$1\": {" "$2" | head -1 | sed -E 's/.*"(median_us|msgs_per_s)": ([0-9.]+).*/\2/'
}
for i in $(seq "$REPEAT"); do
	for v in notap off on; do
		case $v in
		notap) cmd="$B/bench/rpmsg-bench-notap" ;;
		off) cmd="$B/bench/rpmsg-bench" ;;
		on) cmd="$B/bench/rpmsg-bench --capture $out/cap.pcapng" ;;
		esac
		for c in $CASES; do
			$cmd --json --rounds 1 --seconds 0.5 --filter "$c" >"$out/r.json" 2>/dev/null ||
				{ echo "tap-overhead: $v $c failed" >&2; exit 1; }
			echo "$(value "$c" "$out/r.json")" >>"$out/$v.$c"
		done
	done
done
median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf '%-22s %12s %12s %12s %9s %9s\n' case "no tap" "tap off" "capturing" "off/none" "on/none"
for c in $CASES; do
	n=$(median "$out/notap.$c"); f=$(median "$out/off.$c"); o=$(median "$out/on.$c")
	printf '%-22s %12s %12s %12s %9s %9s\n' "$c" "$n" "$f" "$o" \
		"$(awk -v a="$f" -v b="$n" 'BEGIN { printf "%.3f", a / b }')" \
		"$(awk -v a="$o" -v b="$n" 'BEGIN { printf "%.3f", a / b }')"
done
echo "(RTT cases: median microseconds, lower is better; tput: messages/s, higher is better;"
echo " median of $REPEAT interleaved runs of 0.5 s each)"
