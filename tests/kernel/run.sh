#!/bin/sh
# make test-kernel: a real Linux kernel (User-Mode Linux 6.1, scripts/kernel/build.sh) drives
# our remote role through its own virtio_rpmsg_bus, over our vhost-user device backend.
#
# 1. The real run: kernel_remote (host) announces channels; inside the guest, guest_check
#    talks to them through the kernel's rpmsg_char and rpmsg_ctrl devices, and through our
#    library's chrdev transport. Both sides' logs are checked.
# 2. The negative run: the remote announces nothing; the guest check must fail, or this
#    test could not fail either.
#
# usage: tests/kernel/run.sh [BUILD_DIR]   (exit 0 only if both runs went as they must)
#        tests/kernel/run.sh BUILD_DIR --bench   (round trips and a stream, beside a pipe)
#        tests/kernel/run.sh BUILD_DIR --qcom    (make test-kernel-qcom: see qcom_run below)
#        tests/kernel/run.sh BUILD_DIR --qcom-bench
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
remote=$build/tests/kernel_remote
check=$build/tests/kernel_guest_check
qremote=$build/tests/kernel_qcom_remote
qcheck=$build/tests/kernel_guest_qcom
[ -x "$remote" ] && [ -x "$check" ] && [ -x "$qremote" ] && [ -x "$qcheck" ] ||
	{ echo "test-kernel: build first (make build)"; exit 2; }

kernel=$(sh "$repo/scripts/kernel/build.sh" | tail -n 1)
[ -x "$kernel" ] || { echo "test-kernel: no kernel"; exit 2; }
command -v setarch >/dev/null || { echo "test-kernel: setarch (util-linux) missing"; exit 2; }

work=$(mktemp -d /tmp/rpmsg-ktest.XXXXXX)
host_pid=
uml_pid=
memdir=
cleanup() {
	[ -n "$host_pid" ] && kill "$host_pid" 2>/dev/null && wait "$host_pid" 2>/dev/null
	[ -n "$uml_pid" ] && kill "$uml_pid" 2>/dev/null && wait "$uml_pid" 2>/dev/null
	[ -n "$memdir" ] && rm -rf "$memdir"
	# RPMSG_KTEST_KEEP=1 keeps the logs, devicetrees and FIFOs for a look
	[ -n "${RPMSG_KTEST_KEEP:-}" ] && echo "test-kernel: kept $work" || rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Show a boot's guest and host lines; the guest's checks must have passed: $1 = test name,
# $2 = run name.
guest_passed() {
	grep -E '^(guest|host|KTEST)' "$work/$2.guest.log" | sed 's/^/  /' || true
	sed 's/^/  /' "$work/$2.host.log"
	if ! grep -q '^KTEST RESULT PASS' "$work/$2.guest.log"; then
		echo "$1: FAIL: the guest's checks failed; kernel log follows"
		tail -n 80 "$work/$2.guest.log"
		fail=1
	fi
}

# A negative boot must fail, and for its reason: $1 = test name, $2 = run name, $3 = a
# pattern of the guest's log that names the reason, $4 = what the run broke, $5 (optional)
# = a pattern the host's log must hold (that the breaking was done).
negative_failed() {
	if grep -q '^KTEST RESULT FAIL' "$work/$2.guest.log" && grep -q "$3" "$work/$2.guest.log" &&
		{ [ -z "${5:-}" ] || grep -q "$5" "$work/$2.host.log"; }; then
		echo "$1: negative run failed as it must ($4)"
	else
		echo "$1: FAIL: the negative run did not fail as it must; the checks cannot be trusted"
		tail -n 30 "$work/$2.guest.log"
		cat "$work/$2.host.log"
		fail=1
	fi
}

# The last line and the exit status: $1 = test name, $2 = what was tested.
verdict() {
	if [ "$fail" = 0 ]; then
		echo "$1: PASS (UML Linux $(basename "$(dirname "$kernel")" | sed s/^build-//), $2)"
	else
		echo "$1: FAILED"
	fi
	exit "$fail"
}

# One boot: $1 = run name, $2 = the guest's checker, then the remote's command (the socket
# path is appended to it).
boot() {
	name=$1
	guest_check=$2
	shift 2
	sock=$work/$name.sock
	"$@" "$sock" >"$work/$name.host.log" 2>&1 &
	host_pid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	[ -S "$sock" ] || { cat "$work/$name.host.log"; echo "test-kernel: remote did not listen"; exit 1; }
	start=$(date +%s)
	# -R: no address-space randomisation (UML's memory layout needs it on this kind of host)
	timeout 180 setarch "$(uname -m)" -R "$kernel" mem=192M uml_dir="$work" umid="$name" \
		root=/dev/root rootfstype=hostfs rootflags=/ ro \
		init="$repo/tests/kernel/guest-init.sh" ktest_check="$guest_check" ktest_mode="$mode" \
		virtio_uml.device="$sock:7" con=null con0=null,fd:1 \
		</dev/null >"$work/$name.guest.log" 2>&1 || true
	echo "test-kernel: $name boot took $(($(date +%s) - start)) s"
	kill "$host_pid" 2>/dev/null || true
	wait "$host_pid" 2>/dev/null || true
	host_pid=
}

# One boot of the Qualcomm test: $1 = run name, then extra arguments of qcom_remote. The
# guest starts first (its RAM is the shared memory); once its boot-time probing is over
# ("guest: waiting for the host"), our remote maps that RAM, lays SMEM out and starts its
# GLINK and SMD edges; the guest then probes SMEM, and the edges follow.
boot_qcom() {
	name=$1
	shift
	dir=$work/$name.files # not $work/$name: UML owns that (umid) and clears it
	mkdir -p "$dir"
	# UML's RAM file goes to TMPDIR: a directory of its own on tmpfs, found by our remote
	memdir=$(mktemp -d /dev/shm/rpmsg-kqcom.XXXXXX)
	mkfifo "$dir/irq.fifo"
	sed "s|@IRQ_FIFO@|$dir/irq.fifo|" "$repo/tests/kernel/qcom.dts" >"$dir/qcom.dts"
	dtc -q -I dts -O dtb -o "$dir/qcom.dtb" "$dir/qcom.dts"
	start=$(date +%s)
	TMPDIR=$memdir timeout 180 setarch "$(uname -m)" -R "$kernel" mem=192M uml_dir="$work" \
		umid="$name" dtb="$dir/qcom.dtb" root=/dev/root rootfstype=hostfs rootflags=/ ro \
		init="$repo/tests/kernel/guest-init.sh" ktest_check="$qcheck" ktest_mode="$mode" \
		ktest_ready="$dir/ready" con=null con0=null,fd:1 \
		</dev/null >"$work/$name.guest.log" 2>&1 &
	uml_pid=$!
	for _ in $(seq 1200); do
		grep -q '^guest: waiting for the host' "$work/$name.guest.log" 2>/dev/null && break
		kill -0 "$uml_pid" 2>/dev/null || break
		sleep 0.05
	done
	"$qremote" "$@" "$memdir" "$dir/irq.fifo" "$dir/ready" >"$work/$name.host.log" 2>&1 &
	host_pid=$!
	wait "$uml_pid" || true
	uml_pid=
	echo "test-kernel-qcom: $name boot took $(($(date +%s) - start)) s"
	kill "$host_pid" 2>/dev/null || true
	wait "$host_pid" 2>/dev/null || true
	host_pid=
	rm -rf "$memdir"
	memdir=
}

# make test-kernel-qcom: the kernel's qcom_smem, qcom_glink_smem and qcom_smd against our
# remote role (qcom_remote.c, guest_qcom.c), then a negative run with SMEM broken on purpose.
qcom_run() {
	command -v dtc >/dev/null || {
		echo "test-kernel-qcom: installing device-tree-compiler"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q device-tree-compiler >/dev/null ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -q device-tree-compiler >/dev/null; } ||
			{ echo "test-kernel-qcom: dtc missing"; exit 2; }
	}
	fail=0
	boot_qcom qcom
	guest_passed test-kernel-qcom qcom
	for want in 'glink channel guest-ept up' 'glink channel guest-ept removed' \
		'glink channel bye closed by us: ok' 'smd channel smd-ept up' \
		"smd channel smd-ept: the kernel's side is OPENED" \
		"smd channel smd-ept: the kernel's side is CLOSED" 'echo failures 0, out of order 0' \
		'glink echoed [0-9]*, .*rx_bad 0, .*version done' \
		'glink-rpm echoed [0-9]*, .*rx_bad 0, version done' 'smd echoed [0-9]*, .*rx_bad 0'; do
		grep -q "^host: $want" "$work/qcom.host.log" ||
			{ echo "test-kernel-qcom: FAIL: the host never reported '$want'"; fail=1; }
	done
	echoed=$(sed -n 's/^host: glink echoed \([0-9]*\),.*/\1/p' "$work/qcom.host.log")
	[ "${echoed:-0}" -ge 1201 ] ||
		{ echo "test-kernel-qcom: FAIL: GLINK echoed ${echoed:-0}, expected at least 1201"; fail=1; }
	echoed=$(sed -n 's/^host: glink-rpm echoed \([0-9]*\),.*/\1/p' "$work/qcom.host.log")
	[ "${echoed:-0}" -ge 1000 ] ||
		{ echo "test-kernel-qcom: FAIL: GLINK RPM echoed ${echoed:-0}, expected at least 1000"; fail=1; }
	echoed=$(sed -n 's/^host: smd echoed \([0-9]*\),.*/\1/p' "$work/qcom.host.log")
	[ "${echoed:-0}" -ge 1200 ] ||
		{ echo "test-kernel-qcom: FAIL: SMD echoed ${echoed:-0}, expected at least 1200"; fail=1; }

	# negative runs: the kernel must refuse what we break, and the checks must say so
	boot_qcom negative --corrupt-smem
	negative_failed test-kernel-qcom negative 'SMEM not accepted' \
		"SMEM header broken: $(grep -o 'Unsupported SMEM version.*' "$work/negative.guest.log" | head -n 1)" \
		'SMEM header corrupted on purpose'
	boot_qcom negative-glink --corrupt-glink
	negative_failed test-kernel-qcom negative-glink 'glink: our rpmsg-raw channel never appeared' \
		"GLINK command broken: $(grep -o 'unhandled rx cmd.*' "$work/negative-glink.guest.log" | head -n 1)" \
		'GLINK command corrupted on purpose'
	verdict test-kernel-qcom \
		'qcom_smem + qcom_glink_smem + qcom_glink_rpm + qcom_smd + rpmsg_char + rpmsg_ctrl against our remote'
}

mode=check
if [ "${2:-}" = --qcom ]; then
	qcom_run
fi
if [ "${2:-}" = --qcom-bench ]; then
	mode=bench
	boot_qcom qcom-bench
	grep -E '^(bench|KTEST)' "$work/qcom-bench.guest.log"
	grep -q '^KTEST RESULT PASS' "$work/qcom-bench.guest.log" ||
		{ tail -n 40 "$work/qcom-bench.guest.log"; exit 1; }
	exit 0
fi
if [ "${2:-}" = --bench ]; then
	mode=bench
	boot bench "$check" "$remote"
	grep -E '^(bench|KTEST)' "$work/bench.guest.log"
	grep -q '^KTEST RESULT PASS' "$work/bench.guest.log" || { tail -n 40 "$work/bench.guest.log"; exit 1; }
	exit 0
fi

fail=0
boot real "$check" "$remote"
guest_passed test-kernel real
grep -q 'host: guest channel rpmsg-raw at 0x500, greeting sent' "$work/real.host.log" ||
	{ echo "test-kernel: FAIL: the guest's CREATE_DEV announcement never reached our remote"; fail=1; }
echoed=$(sed -n 's/^host: echoed \([0-9]*\),.*/\1/p' "$work/real.host.log")
[ "${echoed:-0}" -ge 1501 ] ||
	{ echo "test-kernel: FAIL: our remote echoed ${echoed:-0} messages, expected at least 1501"; fail=1; }
grep -q 'rx_bad 0, rejected 0' "$work/real.host.log" ||
	{ echo "test-kernel: FAIL: our backend refused or found bad buffers"; fail=1; }

boot negative "$check" "$remote" --no-announce
negative_failed test-kernel negative 'announced channels missing' \
	'no announcements, no channels'


# 3. The tool's own command, 'rpmsg vhost-user', with its default services.
boot tool "$repo/tests/kernel/guest-tool.sh" "$build/tools/rpmsg" vhost-user
grep -E '^(guest|KTEST)' "$work/tool.guest.log" | sed 's/^/  /' || true
if grep -q '^KTEST RESULT PASS' "$work/tool.guest.log"; then
	echo "test-kernel: 'rpmsg vhost-user' served the guest (rpmsg-raw echoed through /dev/rpmsgN)"
else
	echo "test-kernel: FAIL: the guest could not use 'rpmsg vhost-user'"
	cat "$work/tool.host.log"
	tail -n 30 "$work/tool.guest.log"
	fail=1
fi

verdict test-kernel 'virtio_rpmsg_bus + rpmsg_char + rpmsg_ctrl against our remote'
