#!/bin/sh
# Cross builds run under qemu-user, so 32-bit pointers and the other byte order are tested
# for real: armhf (32-bit, little-endian) and s390x (64-bit, big-endian). For each: build
# everything, run the test suite under the emulator, and the interop test in which the
# cross-built tool and this machine's own take the two roles of every transport.
# usage: scripts/cross.sh [ARCH...]   (default: armhf s390x)
set -eu
cd "$(dirname "$0")/.."
ARCHES=${*:-armhf s390x}
JOBS=$(nproc 2>/dev/null || echo 2)

need=""
for a in $ARCHES; do
	case $a in
	armhf) tri=arm-linux-gnueabihf ;;
	s390x) tri=s390x-linux-gnu ;;
	*) echo "cross.sh: unknown arch '$a' (armhf, s390x)" >&2; exit 2 ;;
	esac
	command -v "$tri-gcc" >/dev/null || need="$need gcc-$tri libc6-dev-$a-cross"
done
command -v qemu-s390x >/dev/null && command -v qemu-arm >/dev/null || need="$need qemu-user"
if [ -n "$need" ]; then
	echo "== installing:$need"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi

cmake -S . -B build >/dev/null
cmake --build build -j"$JOBS" --target rpmsg
native=$(pwd)/build/tools/rpmsg

for a in $ARCHES; do
	echo "== cross: $a under qemu-user"
	cmake -S . -B "build-$a" -DCMAKE_TOOLCHAIN_FILE="cmake/toolchains/$a-linux.cmake" \
		-DRPMSG_BUILD_BENCH=OFF -DRPMSG_NATIVE_TOOL="$native" >/dev/null
	cmake --build "build-$a" -j"$JOBS"
	# Emulation is slow: the stress tests stream fewer messages. Left out: the vhost-user
	# check that a message with too many fds is refused (qemu-user does not pass on the
	# kernel's MSG_CTRUNC, so the backend cannot see it under emulation).
	(cd "build-$a" && RPMSG_STRESS_MESSAGES=100000 RPMSG_SMD_STRESS_MESSAGES=10000 RPMSG_GLINK_STRESS_MESSAGES=20000 \
		ctest --output-on-failure -j"$JOBS" -E 'vhost_user_hostile_mt')
done
