#!/bin/sh
# PID 1 of the User-Mode Linux guest of the real-kernel test (tests/kernel/run.sh). The root
# is the host's own file system, read-only (hostfs), so the guest runs the host's programs.
# Mounts what the checker needs (nothing over /tmp: the build under test may live there),
# runs it (ktest_check=... on the kernel command line comes here as an environment
# variable), reports, and powers the guest off.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
echo "guest: Linux $(uname -r), checker $ktest_check"
if [ -x "$ktest_check" ]; then
	timeout 120 "$ktest_check"
	echo "guest: checker exited with $?"
else
	echo "guest: FAIL no checker at '$ktest_check'"
	echo "KTEST RESULT FAIL"
fi
echo o >/proc/sysrq-trigger
sleep 10
