#!/bin/sh
# Build (or reuse) the User-Mode Linux kernel of the real-kernel tests.
#
# Debian's linux-source-6.1, our patches (kernel/patches) and options (kernel/uml.config)
# on top of the UML defconfig. The source tree and the object tree live in a cache outside
# the checkout (RPMSG_KERNEL_CACHE, default /var/cache/librpmsg-kernel), so a clean clone
# reuses them: a cold build takes minutes, a warm one seconds. Prints the kernel's path last.
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${RPMSG_KERNEL_CACHE:-/var/cache/librpmsg-kernel}
jobs=$(nproc 2>/dev/null || echo 2)

say() { echo "kernel: $*" >&2; }
die() { echo "kernel: error: $*" >&2; exit 1; }

need_pkgs=""
dpkg-query -W -f='${Status}' linux-source-6.1 2>/dev/null | grep -q "ok installed" ||
	need_pkgs="$need_pkgs linux-source-6.1"
for tool in bc flex bison; do
	command -v $tool >/dev/null 2>&1 || need_pkgs="$need_pkgs $tool"
done
if [ -n "$need_pkgs" ]; then
	say "installing$need_pkgs"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q $need_pkgs >&2 ||
		{ apt-get update -qq && apt-get install -y -q $need_pkgs >&2; } ||
		die "could not install$need_pkgs"
fi

ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
tarball=/usr/src/linux-source-6.1.tar.xz
[ -f "$tarball" ] || die "$tarball missing (package linux-source-6.1 $ver)"
src=$cache/linux-source-$ver
obj=$cache/build-$ver
mkdir -p "$cache"

# Everything that decides the result; a match means the kernel there is the one we want.
key=$( (echo "$ver"; cat "$repo/kernel/uml.config" "$repo"/kernel/patches/*.patch \
	"$0") | sha256sum | cut -c1-16)
if [ -x "$obj/linux" ] && [ "$(cat "$obj/.librpmsg-key" 2>/dev/null)" = "$key" ]; then
	say "cached build $obj/linux ($ver, key $key)"
	echo "$obj/linux"
	exit 0
fi

if [ ! -f "$src/Makefile" ]; then
	say "extracting $tarball"
	rm -rf "$src.tmp"
	mkdir -p "$src.tmp"
	tar -C "$src.tmp" -xf "$tarball"
	mv "$src.tmp/linux-source-6.1" "$src"
	rmdir "$src.tmp"
fi

# Patches: take back the ones applied before (kept beside the tree), apply the current
# ones. Only the files they touch change, so the rebuild stays incremental; when they are
# the ones applied already, nothing is touched (a patched header such as asm/io.h would
# otherwise rebuild nearly everything).
applied=$src/.librpmsg-patches
same_patches() {
	[ -d "$applied" ] || return 1
	[ "$(ls "$applied")" = "$(cd "$repo/kernel/patches" && ls -- *.patch)" ] || return 1
	for p in "$repo"/kernel/patches/*.patch; do
		cmp -s "$p" "$applied/$(basename "$p")" || return 1
	done
}
# an interrupted run: take back what it had applied (the copies it made)
if [ -d "$applied.tmp" ]; then
	for p in $(ls "$applied.tmp"/*.patch 2>/dev/null | sort -r); do
		patch -s -R -p1 -d "$src" <"$p" || die "could not revert $(basename "$p")"
	done
	rm -rf "$applied.tmp"
fi
if same_patches; then
	say "patches already applied"
elif [ -d "$applied" ]; then
	for p in $(ls "$applied"/*.patch 2>/dev/null | sort -r); do
		patch -s -R -p1 -d "$src" <"$p" || die "could not revert $(basename "$p")"
	done
	rm -rf "$applied"
fi
if [ ! -d "$applied" ]; then
	mkdir -p "$applied.tmp"
	for p in "$repo"/kernel/patches/*.patch; do
		patch -s -p1 -d "$src" <"$p" || die "patch $(basename "$p") does not apply to $ver"
		cp "$p" "$applied.tmp/"
	done
	mv "$applied.tmp" "$applied"
fi

# Config: defconfig plus our options; an unchanged result keeps the old file (and its time).
mkdir -p "$obj"
[ -f "$obj/.config" ] && cp -p "$obj/.config" "$obj/.config.prev"
make -s -C "$src" O="$obj" ARCH=um KCONFIG_CONFIG=.config.base defconfig >&2
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config.base" \
	"$repo/kernel/uml.config" >/dev/null
make -s -C "$src" O="$obj" ARCH=um olddefconfig >&2
grep '^CONFIG_' "$repo/kernel/uml.config" | while read -r want; do
	grep -qx "$want" "$obj/.config" ||
		die "option $want did not survive olddefconfig (a dependency is missing)"
done
if [ -f "$obj/.config.prev" ] && cmp -s "$obj/.config" "$obj/.config.prev"; then
	mv "$obj/.config.prev" "$obj/.config"
fi
rm -f "$obj/.config.prev" "$obj/.config.base"

say "building UML $ver in $obj (-j$jobs; a cold build takes several minutes)"
rm -f "$obj/.librpmsg-key"
if ! make -C "$src" O="$obj" ARCH=um -j"$jobs" linux >"$obj/build.log" 2>&1; then
	tail -40 "$obj/build.log" >&2
	die "kernel build failed (log: $obj/build.log)"
fi
echo "$key" >"$obj/.librpmsg-key"
say "built $obj/linux"
echo "$obj/linux"
