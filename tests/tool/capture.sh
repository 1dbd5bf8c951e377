#!/bin/sh
# Capture end to end: record a demo session and a live simulator trace to pcapng, decode
# them with tshark and our dissector, and check specific fields; malformed and truncated
# captures must be reported, never crash the tool or the dissector; a trace reader that
# falls behind gets its drops counted. Skipped (77) without tshark.
# usage: capture.sh path/to/rpmsg path/to/rpmsg.lua
set -u
RPMSG=$1
LUA=$2
command -v tshark >/dev/null 2>&1 || { echo "tshark not installed: skipped"; exit 77; }
export RPMSG_RUNTIME_DIR=$(mktemp -d /tmp/rpmsg-cap.XXXXXX)
export RPMSG_SIM=cap$$
D=$RPMSG_RUNTIME_DIR
fails=0
checks=0
cleanup() {
	"$RPMSG" stop >/dev/null 2>&1
	rm -rf "$D"
}
trap cleanup EXIT INT TERM
ok() { checks=$((checks + 1)); }
# wait until a background trace says it is capturing (its stderr in $1)
capturing() {
	for i in $(seq 100); do grep -q "^capturing on" "$1" 2>/dev/null && return 0; sleep 0.05; done
	bad "trace did not start: $(cat "$1")"
}
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
same() { [ "$1" = "$2" ] && ok || bad "$3: got '$1', want '$2'"; }
tsh() { tshark -X lua_script:"$LUA" "$@" 2>"$D/tshark.err"; }

# 1. a demo session over every transport, captured on the main CPU's bus
"$RPMSG" demo --pings 20 --messages 300 --capture "$D/demo.pcapng" >"$D/demo.out" 2>&1 ||
	bad "demo failed: $(cat "$D/demo.out")"
same "$(tsh -r "$D/demo.pcapng" -Y 'rpmsg.dst == 53' -T fields -e frame.interface_name -e rpmsg.dir \
	-e rpmsg.src -e rpmsg.ns.name -e rpmsg.ns.addr -e rpmsg.ns.flags | sort | head -2)" \
	"$(printf 'virtio0\t1\t1024\trpmsg-echo\t1024\t0\nvirtio0\t1\t1025\trpmsg-sink\t1025\t0')" "NS announcements"
# channels discovered on every transport, each through its own mechanism
want=""
for l in glink0 scp0 smd0 virtio0; do
	for c in rpmsg-client-sample rpmsg-echo rpmsg-sink rpmsg-source; do want="$want$l:$c "; done
done
same "$(tsh -r "$D/demo.pcapng" -Y 'rpmsg.event == 2' -T fields -e frame.interface_name \
	-e rpmsg.channel.name | tr '\t' ':' | sort | tr '\n' ' ')" "$want" "channel add events"
same "$(tsh -r "$D/demo.pcapng" -Y 'rpmsg.event == 1' -T fields -e rpmsg.transport | sort -u | tr '\n' ' ')" \
	"1 2 3 4 " "messages on virtio, glink, smd and scp"
# GLINK's own commands, decoded by name
same "$(tsh -r "$D/demo.pcapng" -Y 'glink.cmd' -T fields -e glink.cmd | sort -u | grep -c .)" \
	"$(tsh -r "$D/demo.pcapng" -Y 'glink.cmd' -T fields -e glink.cmd | sort -u | grep -c .)" "glink commands"
tsh -r "$D/demo.pcapng" -Y 'rpmsg.event == 4' | grep -q "GLINK OPEN" && ok || bad "no GLINK OPEN decoded"
# SMD channel states: the main CPU opening each channel, the remote's reaching OPENED
names="rpmsg-client-sample rpmsg-echo rpmsg-sink rpmsg-source "
same "$(tsh -r "$D/demo.pcapng" -Y 'smd.state == 2 && rpmsg.dir == 0' -T fields -e smd.channel | sort -u | tr '\n' ' ')" \
	"$names" "SMD OPENED written by the main CPU"
same "$(tsh -r "$D/demo.pcapng" -Y 'smd.state == 2 && rpmsg.dir == 1' -T fields -e smd.channel | sort -u | tr '\n' ' ')" \
	"$names" "SMD OPENED seen from the remote"
# SCP: its INIT (firmware version) and its name-service announcements, which no endpoint sees
same "$(tsh -r "$D/demo.pcapng" -Y 'scp.ipi == 0' -T fields -e rpmsg.dir -e scp.fw_version)" \
	"$(printf '1\tlibrpmsg-scp')" "SCP INIT"
same "$(tsh -r "$D/demo.pcapng" -Y 'scp.ipi == 255' -T fields -e scp.ns.name -e scp.ns.id | sort | tr '\t\n' ': ')" \
	"rpmsg-client-sample:19 rpmsg-echo:16 rpmsg-sink:17 rpmsg-source:18 " "SCP announcements"
# the first ping: 16 bytes carrying its index 0, out and back
same "$(tsh -r "$D/demo.pcapng" -Y 'rpmsg.len == 16 && rpmsg.dst == 1024' -c 200 -T fields -e rpmsg.dir \
	-e rpmsg.src -e rpmsg.payload | head -2)" \
	"$(printf '0\t1024\t00000000000000000000000000000000\n1\t1024\t00000000000000000000000000000000')" "first ping"
# the stream: 300 MTU-sized messages to the sink (1025), sent by the main CPU
same "$(tsh -r "$D/demo.pcapng" -Y 'rpmsg.dir == 0 && rpmsg.dst == 1025 && rpmsg.len == 496' | wc -l)" 300 "stream count"
grep -q "Lua: Error\|Dissector bug\|Malformed" "$D/tshark.err" && bad "tshark complained: $(cat "$D/tshark.err")" || ok
same "$(tsh -r "$D/demo.pcapng" -V -c 1 | grep -c 'Malformed')" 0 "no malformed records"
# our own reader agrees on the count
"$RPMSG" trace -r "$D/demo.pcapng" >"$D/demo.txt" 2>"$D/demo.err"; same $? 0 "trace -r exit"
n=$(tsh -r "$D/demo.pcapng" | wc -l)
grep -q "^$n records captured, 0 dropped" "$D/demo.err" && ok || bad "trace -r count: $(cat "$D/demo.err") vs tshark $n"
grep -q 'virtio0 rx 1024 > 53 len 40 NS create "rpmsg-echo" addr 1024' "$D/demo.txt" && ok || bad "text view NS line"

# 2. malformed and truncated captures
head -c 700 "$D/demo.pcapng" > "$D/trunc.pcapng"
"$RPMSG" trace -r "$D/trunc.pcapng" >/dev/null 2>"$D/err"; rc=$?
same $rc 1 "truncated capture exit"
grep -q "ends inside a block" "$D/err" && ok || bad "truncated message: $(cat "$D/err")"
tsh -r "$D/trunc.pcapng" >/dev/null; rc=$?
[ $rc -lt 128 ] && ok || bad "tshark crashed on a truncated capture ($rc)"
# a record of 4 bytes: shorter than our 24-byte header
printf '\012\015\015\012\034\000\000\000\115\074\053\032\001\000\000\000\377\377\377\377\377\377\377\377\034\000\000\000' > "$D/short.pcapng"
printf '\001\000\000\000\024\000\000\000\223\000\000\000\377\377\000\000\024\000\000\000' >> "$D/short.pcapng"
printf '\006\000\000\000\044\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\004\000\000\000\004\000\000\000abcd\044\000\000\000' >> "$D/short.pcapng"
same "$(tsh -r "$D/short.pcapng" -T fields -e _ws.expert.message)" "Record shorter than its 24-byte header" "short record expert"
"$RPMSG" trace -r "$D/short.pcapng" >/dev/null 2>"$D/err"; rc=$?
same $rc 1 "short record exit"
grep -q "malformed capture after 0 records" "$D/err" && ok || bad "short record message: $(cat "$D/err")"
"$RPMSG" trace -r /dev/null/nope >/dev/null 2>&1; same $? 1 "missing file"

# 3. a live trace of a simulator, filtered to one channel
"$RPMSG" sim --daemon --remote virtio >/dev/null || bad "sim did not start"
"$RPMSG" trace --channel echo -w "$D/live.pcapng" 2>"$D/live.err" &
tp=$!
capturing "$D/live.err"
"$RPMSG" trace >/dev/null 2>"$D/err"; same $? 1 "second trace refused"
"$RPMSG" send echo "traced" >/dev/null
"$RPMSG" recv echo >/dev/null
"$RPMSG" send source 2 >/dev/null
"$RPMSG" recv -c 2 source >/dev/null
sleep 0.3
kill -INT $tp; wait $tp; same $? 0 "trace exit"
grep -q "^2 records captured, 0 dropped" "$D/live.err" && ok || bad "live count: $(cat "$D/live.err")"
same "$(tsh -r "$D/live.pcapng" -T fields -e rpmsg.dir -e rpmsg.src -e rpmsg.dst -e rpmsg.payload)" \
	"$(printf '0\t1024\t1024\t747261636564\n1\t1024\t1024\t747261636564')" "live filtered trace"
# text view, stopping after a count
"$RPMSG" trace --count 2 >"$D/text.txt" 2>"$D/text.err" &
tp=$!
capturing "$D/text.err"
"$RPMSG" send source 3 >/dev/null
wait $tp; same $? 0 "text trace exit"
same "$(cut -d' ' -f2- "$D/text.txt")" "$(printf 'virtio0 tx 1026 > 1026 len 1 "3"\nvirtio0 rx 1026 > 1026 len 8 "source 0"')" "text trace"
# 4. a reader that falls behind: connect, ask for a trace, read nothing while a bench runs
if command -v python3 >/dev/null 2>&1; then
	python3 - "$D/rpmsg-sim-$RPMSG_SIM.sock" "$RPMSG" >"$D/slow.out" 2>&1 <<'PY'
import socket, subprocess, sys, struct
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.sendall(b"trace snaplen=16\n")
subprocess.run([sys.argv[2], "bench", "-c", "30000", "-s", "16", "echo"], stdout=subprocess.DEVNULL, check=True)
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = s.recv(1 << 16)
    if not chunk: break
    data += chunk
off, drops = 0, 0
while off + 12 <= len(data):
    t, n = struct.unpack_from("<II", data, off)
    if t == 5:
        o = off + 20
        while o + 4 <= off + n - 4:
            code, ln = struct.unpack_from("<HH", data, o)
            if code == 0: break
            if code == 5: drops += struct.unpack_from("<Q", data, o + 4)[0]
            o += 4 + ((ln + 3) & ~3)
    off += n
print("dropped", drops)
PY
	d=$(sed -n 's/^dropped //p' "$D/slow.out")
	[ -n "$d" ] && [ "$d" -gt 0 ] && ok || bad "slow reader: no drops reported: $(cat "$D/slow.out")"
fi
"$RPMSG" stop >/dev/null

echo "$checks checks, $fails failed"
[ "$fails" = 0 ]
