#!/bin/sh
# Two byte orders or word sizes on one shared memory: the rpmsg tool built for this machine
# and the same tool cross-built (run under qemu-user) take the two roles of every transport,
# each way round, and must agree on every byte: channels announced, payloads echoed intact,
# a ring's worth of round trips, a stream with flow control, and messages the remote starts.
# usage: interop.sh NATIVE_RPMSG 'EMULATOR ARGS... CROSS_RPMSG' [TRANSPORT...]
set -u
NATIVE=$1
CROSS=$2 # a command line: word-split on purpose
shift 2
TRANSPORTS=${*:-virtio virtio-be glink smd scp}
export RPMSG_RUNTIME_DIR=$(mktemp -d /tmp/rpmsg-cross.XXXXXX)
fails=0
checks=0
sim_pid=
rem_pid=

cleanup() {
	[ -n "$rem_pid" ] && kill "$rem_pid" 2>/dev/null
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null
	wait 2>/dev/null
	rm -f /dev/shm/rpmsg-sim-xo$$-* 2>/dev/null
	rm -rf "$RPMSG_RUNTIME_DIR"
}
trap cleanup EXIT INT TERM

ok() { checks=$((checks + 1)); }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

# expect PATTERN command...: exit 0 and output matching PATTERN (grep -E)
expect() {
	pat=$1; shift
	out=$(timeout 120 "$@" 2>&1); rc=$?
	if [ "$rc" != 0 ]; then
		bad "$* -> exit $rc: $out"
	elif ! printf '%s\n' "$out" | grep -Eq -- "$pat"; then
		bad "$* -> output does not match '$pat': $out"
	else
		ok; [ -n "${VERBOSE:-}" ] && printf "%s\n" "$out"
	fi
}

# one transport, MAIN (the simulator and its clients) against REMOTE
run_pair() {
	t=$1 main=$2 remote=$3 label=$4
	export RPMSG_SIM=xo$$-$(echo "$t" | tr -d -)
	log=$RPMSG_RUNTIME_DIR/sim.log
	# shellcheck disable=SC2086
	$main sim --remote "$t:external" >"$log" 2>&1 &
	sim_pid=$!
	shm=
	for _ in $(seq 200); do
		shm=$(sed -n "s/.*attach to '\([^']*\)'.*/\1/p" "$log")
		[ -n "$shm" ] && break
		sleep 0.1
	done
	if [ -z "$shm" ]; then
		bad "$label: the simulator printed no shared memory name: $(cat "$log")"
		kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null; sim_pid=
		return
	fi
	# shellcheck disable=SC2086
	$remote remote --shm "$shm" --transport "$t" >"$RPMSG_RUNTIME_DIR/remote.log" 2>&1 &
	rem_pid=$!
	n=0
	for _ in $(seq 300); do
		# shellcheck disable=SC2086
		n=$($main ls 2>/dev/null | grep -c '^  rpmsg-')
		[ "$n" = 4 ] && break
		sleep 0.1
	done
	[ "$n" = 4 ] && ok || bad "$label: $n of 4 channels came up; remote said: $(cat "$RPMSG_RUNTIME_DIR/remote.log")"
	# shellcheck disable=SC2086
	if [ "$n" = 4 ]; then
		expect "^hello from the other byte order$" sh -c "$main send echo 'hello from the other byte order' && $main recv echo"
		expect "^00010203fffefdfc80$" sh -c "$main send --hex echo 00010203fffefdfc80 && $main recv echo"
		expect "300 round trips" $main ping --count 300 --size 64 echo
		expect "2000 messages" $main bench --count 2000 --size 96 sink
		out=$(timeout 60 sh -c "$main send source 3 && $main recv --count 3 source" 2>&1)
		[ "$(printf '%s\n' "$out" | grep -c '^source [0-9]')" = 3 ] && ok || bad "$label: source: $out"
	fi
	# shellcheck disable=SC2086
	$main stop >/dev/null 2>&1
	for _ in $(seq 100); do kill -0 "$sim_pid" 2>/dev/null || break; sleep 0.1; done
	kill "$rem_pid" "$sim_pid" 2>/dev/null
	wait "$rem_pid" "$sim_pid" 2>/dev/null
	rem_pid= sim_pid=
	echo "$label: done"
}

for t in $TRANSPORTS; do
	run_pair "$t" "$NATIVE" "$CROSS" "$t: native main, cross remote"
	run_pair "$t" "$CROSS" "$NATIVE" "$t: cross main, native remote"
done

echo "$checks checks, $fails failed"
[ "$fails" = 0 ]
