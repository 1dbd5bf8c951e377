#!/bin/sh
# In the UML guest, against 'rpmsg vhost-user' (the tool's command, default services):
# its echo and raw channels appear, and rpmsg_char's node for rpmsg-raw echoes.
for _ in $(seq 200); do
	ls /sys/bus/rpmsg/devices | grep -q rpmsg-raw && ls /sys/bus/rpmsg/devices | grep -q rpmsg-echo && break
	sleep 0.05
done
echo "guest: devices: $(ls /sys/bus/rpmsg/devices | tr '\n' ' ')"
raw=$(ls -d /sys/bus/rpmsg/devices/*.rpmsg-raw.*/rpmsg/rpmsg* 2>/dev/null | head -n 1)
[ -n "$raw" ] || { echo "KTEST RESULT FAIL (no rpmsg-raw node)"; exit 1; }
node=/dev/$(basename "$raw")
exec 3<>"$node"
printf 'hello from the guest' >&3
reply=$(timeout 5 dd bs=512 count=1 <&3 2>/dev/null)
echo "guest: $node answered '$reply'"
[ "$reply" = "hello from the guest" ] && echo "KTEST RESULT PASS" || echo "KTEST RESULT FAIL"
