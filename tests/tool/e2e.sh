#!/bin/sh
# End to end: start a simulator, drive it with every client command, check output and
# exit codes (including the error cases), stop it, check that nothing is left behind.
# usage: e2e.sh path/to/rpmsg
set -u
RPMSG=$1
export RPMSG_RUNTIME_DIR=$(mktemp -d /tmp/rpmsg-e2e.XXXXXX)
export RPMSG_SIM=e2e$$
fails=0
checks=0

cleanup() {
	"$RPMSG" stop >/dev/null 2>&1
	rm -rf "$RPMSG_RUNTIME_DIR"
}
trap cleanup EXIT INT TERM

ok() { checks=$((checks + 1)); }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

# expect CODE PATTERN -- command...: exit code CODE and stdout+stderr matching PATTERN (grep -E)
expect() {
	code=$1; pat=$2; shift 3
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" != "$code" ]; then
		bad "$* -> exit $rc, want $code; output: $out"
	elif ! printf '%s\n' "$out" | grep -Eq -- "$pat"; then
		bad "$* -> output does not match '$pat': $out"
	else
		ok
	fi
}

# no simulator yet
expect 3 "no simulator 'e2e$$' is running" -- "$RPMSG" ls
expect 2 "usage: rpmsg" -- "$RPMSG"
expect 2 "unknown command" -- "$RPMSG" frobnicate
expect 2 "unknown transport 'nope'" -- "$RPMSG" sim --remote nope
expect 2 "unknown service 'bogus'" -- "$RPMSG" sim --remote virtio:bogus
expect 2 "unknown service 'bogus'" -- "$RPMSG" vhost-user --services bogus /tmp/never.sock
for c in sim ls send recv ping bench stop demo remote vhost-user; do
	expect 0 "usage: rpmsg $c" -- "$RPMSG" $c --help
done

# a config file: one remote with two services, another with all
cat > "$RPMSG_RUNTIME_DIR/soc.conf" <<CONF
# test SoC
remote virtio:echo,source   # an audio DSP
remote virtio
remote virtio:sink
CONF
expect 0 "'e2e$$' running" -- "$RPMSG" sim --config "$RPMSG_RUNTIME_DIR/soc.conf" --daemon
expect 1 "already listens" -- "$RPMSG" sim --daemon

expect 0 "virtio0 \(virtio, up\)" -- "$RPMSG" ls
expect 0 "virtio1 \(virtio, up\)" -- "$RPMSG" ls
expect 0 "rpmsg-source +src 1025 +dst 1025" -- "$RPMSG" ls
expect 0 '"name":"virtio1","transport":"virtio","up":true' -- "$RPMSG" ls --json
n=$("$RPMSG" ls | grep -c '^  rpmsg-')
[ "$n" = 7 ] && ok || bad "ls shows $n channels, want 7"

# send / recv through the echo service of one link
expect 4 "ambiguous" -- "$RPMSG" send echo hi
expect 0 "" -- "$RPMSG" send virtio0/echo "hello world"
expect 0 "^hello world$" -- "$RPMSG" recv virtio0/rpmsg-echo
expect 0 "" -- "$RPMSG" send --hex virtio1/echo 00ff10
expect 0 "^00ff10$" -- "$RPMSG" recv virtio1/echo
expect 0 "" -- "$RPMSG" send virtio0/echo first
expect 0 "" -- "$RPMSG" send virtio0/echo second
expect 0 "^first$" -- "$RPMSG" recv virtio0/echo
expect 0 '"src":1024,"len":6,"hex":"7365636f6e64"' -- "$RPMSG" recv --json virtio0/echo
expect 5 "timed out" -- "$RPMSG" recv --timeout 100 virtio0/echo
expect 0 "" -- "$RPMSG" send virtio0/source 3
out=$("$RPMSG" recv --count 3 virtio0/source 2>&1)
[ "$out" = "source 0
source 1
source 2" ] && ok || bad "source gave: $out"
expect 4 "no channel 'virtio0/sink'" -- "$RPMSG" send virtio0/sink x
expect 4 "no channel 'nosuch'" -- "$RPMSG" recv nosuch
expect 2 "hex digits" -- "$RPMSG" send --hex virtio0/echo 0g
expect 2 "expected CHANNEL DATA" -- "$RPMSG" send virtio0/echo
expect 2 "does not apply" -- "$RPMSG" ls --count 3
big=$(head -c 600 /dev/zero | tr '\0' a)
expect 1 "larger than the link's MTU" -- "$RPMSG" send virtio0/echo "$big"

# ping and bench
expect 0 "^200 round trips of 16 bytes: min [0-9.]+ us, median [0-9.]+ us, p99" -- "$RPMSG" ping -c 200 virtio0/echo
expect 0 '"count":50,"size":496' -- "$RPMSG" ping --json -c 50 -s 496 virtio1/sample
expect 1 "larger than the link's MTU" -- "$RPMSG" ping -s 497 virtio0/echo
expect 0 "^5000 messages of 496 bytes in [0-9.]+ s: [0-9]+ msgs/s" -- "$RPMSG" bench -c 5000 virtio1/sink
expect 0 '"messages":2000,"size":16' -- "$RPMSG" bench --json -c 2000 -s 16 virtio0/echo
expect 0 "^10 messages" -- "$RPMSG" bench -c 10 virtio0/source
expect 1 "needs an echo service" -- "$RPMSG" bench -c 10 virtio2/sink
# bench --burst: rpmsg_trysend_burst (virtio's burst path; SCP's below takes the core's
# one-by-one fallback); an echo must return every message, a sink have all before the ping
expect 0 "^5000 messages of 16 bytes" -- "$RPMSG" bench -b 16 -c 5000 -s 16 virtio1/sink
expect 0 '"messages":3001,"size":16' -- "$RPMSG" bench --json --burst 64 -c 3001 -s 16 virtio0/echo
expect 2 "burst must be 1 to 64" -- "$RPMSG" bench -b 0 virtio0/sink
expect 2 "burst must be 1 to 64" -- "$RPMSG" bench -b 65 virtio0/sink
expect 2 "does not apply" -- "$RPMSG" ping -b 4 virtio0/echo
# bench --plot: a well-formed SVG showing this run's numbers
expect 0 "^3000 messages of 64 bytes" -- "$RPMSG" bench --plot "$RPMSG_RUNTIME_DIR/b.svg" -c 3000 -s 64 virtio0/echo
if command -v python3 >/dev/null 2>&1; then
	out=$(python3 - "$RPMSG_RUNTIME_DIR/b.svg" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
assert root.tag == ns + "svg", root.tag
bins = [e for e in root.iter(ns + "rect") if e.get("class") == "bin"]
total = sum(int(b.find(ns + "title").text.rsplit(": ", 1)[1]) for b in bins)
texts = " ".join(t.text or "" for t in root.iter(ns + "text"))
lines = [e for e in root.iter(ns + "polyline") if e.get("class") == "rate"]
print(len(bins), total <= 2000 and total >= 1900, "3000 messages of 64 bytes" in texts,
      "Round trip: 2000 samples" in texts, len(lines), len(lines[0].get("points").split()) >= 1)
PY
)
	same_out="40 True True True 1 True"
	[ "$out" = "$same_out" ] && ok || bad "svg check: $out"
elif command -v xmllint >/dev/null 2>&1; then
	xmllint --noout "$RPMSG_RUNTIME_DIR/b.svg" && ok || bad "svg not well-formed"
fi
rm -f "$RPMSG_RUNTIME_DIR/b.svg"
expect 1 "needs an echo service" -- "$RPMSG" bench --plot "$RPMSG_RUNTIME_DIR/c.svg" -c 10 virtio2/sink

# the channel still works after the measurements
expect 0 "" -- "$RPMSG" send virtio1/echo after
expect 0 "^after$" -- "$RPMSG" recv virtio1/echo

expect 0 "" -- "$RPMSG" stop
expect 3 "no simulator" -- "$RPMSG" ls
left=$(ls /dev/shm | grep -c "rpmsg-sim-e2e$$-")
[ "$left" = 0 ] && ok || bad "$left shared memories left behind"
[ -z "$(ls "$RPMSG_RUNTIME_DIR" | grep -v soc.conf)" ] && ok || bad "runtime files left: $(ls "$RPMSG_RUNTIME_DIR")"

# every transport behind the same commands
expect 0 "running" -- "$RPMSG" sim --daemon --remote smd:echo,source --remote scp:echo,sink --remote glink:echo
expect 0 "smd0 \(smd, up\)" -- "$RPMSG" ls
expect 0 "scp0 \(scp, up\)" -- "$RPMSG" ls
for l in smd0 scp0 glink0; do
	expect 0 "" -- "$RPMSG" send $l/echo "via $l"
	expect 0 "^via $l$" -- "$RPMSG" recv $l/echo
	expect 0 "^20 round trips" -- "$RPMSG" ping -c 20 $l/echo
done
expect 0 "" -- "$RPMSG" send smd0/source 2
expect 0 "^source 1$" -- "$RPMSG" recv -c 2 smd0/source
expect 0 "^500 messages" -- "$RPMSG" bench -c 500 -s 64 scp0/sink
expect 0 "^500 messages of 64 bytes" -- "$RPMSG" bench -b 8 -c 500 -s 64 scp0/sink
expect 0 "" -- "$RPMSG" stop

# the demo: a table with a row per transport, exit 0
expect 0 "^virtio +4 +[0-9.]+ us" -- "$RPMSG" demo --pings 100 --messages 2000
expect 0 "^smd +4 +[0-9.]+ us" -- "$RPMSG" demo --pings 100 --messages 2000
expect 0 "^glink +4 +[0-9.]+ us" -- "$RPMSG" demo --pings 100 --messages 2000
expect 0 "^scp +4 +[0-9.]+ us" -- "$RPMSG" demo --pings 100 --messages 200

echo "$checks checks, $fails failed"
[ "$fails" = 0 ]
