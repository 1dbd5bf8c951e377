#!/bin/sh
# make footprint: the remote role of each transport as firmware builds it (Cortex-M4, -Os,
# arm-none-eabi-gcc), text/data/bss; the example image (examples/baremetal) linked with
# --gc-sections and checked for undefined symbols and for malloc; the same on Cortex-R5.
# "tiny" is rpmsg tiny (include/rpmsg/tiny.h): virtio's remote role with the name service
# and nothing else (no core bus), its example image is examples/tiny.
# usage: scripts/footprint.sh [TRANSPORT...]   (default: virtio glink smd scp tiny)
set -eu
cd "$(dirname "$0")/.."
TRANSPORTS=${*:-virtio glink smd scp tiny}
if ! command -v arm-none-eabi-gcc >/dev/null; then
	echo "== installing the Arm bare-metal toolchain"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		gcc-arm-none-eabi libnewlib-arm-none-eabi >/dev/null
fi
fail=0

build() { # dir toolchain transport
	mkdir -p "$1"
	cmake -S . -B "$1" -DCMAKE_TOOLCHAIN_FILE="cmake/toolchains/$2.cmake" \
		-DRPMSG_TRANSPORTS="$3" -DRPMSG_ROLES=remote >"$1/cmake.log" 2>&1 || {
		cat "$1/cmake.log"; return 1; }
	cmake --build "$1" -j"$(nproc 2>/dev/null || echo 2)" >"$1/build.log" 2>&1 || {
		cat "$1/build.log"; return 1; }
}

# An image must link with nothing left undefined (the linker refuses that) and no heap.
check_image() { # elf map
	if arm-none-eabi-nm "$1" | grep -Eq ' [TtWw] (malloc|free|calloc|realloc|_malloc_r|_sbrk)$'; then
		echo "FAIL: $1 contains a heap allocator"; fail=1
	fi
	libs=$(grep -E "^/.*lib(c|c_nano|g_nano|gcc)\.a\(" "$2" |
		sed -E 's|.*/(lib[a-z_]+)\.a\((lib_a-)?([^)]*)\.o\).*|\1:\3|' | sort -u | tr '\n' ' ')
	echo "   from libc/libgcc: ${libs:-nothing}"
}

printf '%-8s %-22s %7s %6s %6s\n' transport "remote role, M4 -Os" text data bss
for t in $TRANSPORTS; do
	d=build-fw-m4-$t
	if ! build "$d" cortex-m4 "$t"; then
		echo "FAIL: $t does not build for Cortex-M4"; fail=1; continue
	fi
	set -- $(arm-none-eabi-size -t "$d/librpmsg.a" | tail -1)
	printf '%-8s %-22s %7s %6s %6s\n' "$t" "library (all of it)" "$1" "$2" "$3"
	if [ -f "$d/rpmsg_fw.elf" ]; then
		# .bss without the .shm window (the memory shared with the main CPU, not ours)
		set -- $(arm-none-eabi-size -A "$d/rpmsg_fw.elf" | awk '$1 == ".text" || $1 == ".data" || $1 == ".bss" { print $2 }')
		printf '%-8s %-22s %7s %6s %6s\n' "$t" "example image" "$1" "$2" "$3"
		# what the image took from the library alone (text: functions and read-only data)
		arm-none-eabi-nm --defined-only "$d/librpmsg.a" | awk 'NF == 3 { print $3 }' >"$d/lib.syms"
		lib=$(arm-none-eabi-nm -S -t d "$d/rpmsg_fw.elf" |
			awk -v syms="$d/lib.syms" 'BEGIN { while ((getline s < syms) > 0) mine[s] = 1 }
			     $3 ~ /^[TtRr]$/ && ($4 in mine) { total += $2 + 0 } END { print total + 0 }')
		printf '%-8s %-22s %7s\n' "$t" "  of it from librpmsg" "$lib"
		check_image "$d/rpmsg_fw.elf" "$d/rpmsg_fw.map"
	fi
done
echo "(bss includes the static arena that replaces malloc: RPMSG_ARENA_SIZE, default 8192 (not tiny: no arena);"
echo " the image is the example echo firmware: library, vectors, main and libc's mem*/str*;"
echo " RPMSG_ROLES=remote leaves the main role out of virtio (of GLINK only its restart handling); the others carry both)"

echo "== Cortex-R5"
for t in $TRANSPORTS; do
	d=build-fw-r5-$t
	if build "$d" cortex-r5 "$t"; then
		set -- $(arm-none-eabi-size -t "$d/librpmsg.a" | tail -1)
		printf '%-8s %-22s %7s %6s %6s\n' "$t" "library, R5 -Os" "$1" "$2" "$3"
		[ -f "$d/rpmsg_fw.elf" ] && check_image "$d/rpmsg_fw.elf" "$d/rpmsg_fw.map"
	else
		echo "FAIL: $t does not build for Cortex-R5"; fail=1
	fi
done
exit $fail
