#!/bin/sh
# Install into a temporary prefix, then build a program against it twice: with pkg-config
# and with CMake's find_package(rpmsg). Both must compile with -Werror, link and run.
# usage: install.sh BUILD_DIR
set -eu
B=$1
T=$(mktemp -d /tmp/rpmsg-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
cmake --install "$B" --prefix "$T/prefix" >/dev/null
cat > "$T/use.c" <<'C'
#include <rpmsg/capture.h>
#include <rpmsg/loopback.h>
#include <rpmsg/rpmsg.h>
#include <rpmsg/virtio.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
	struct rpmsg_bus *a, *b;
	struct rpmsg_link *la, *lb;
	if (rpmsg_bus_create(&a) || rpmsg_bus_create(&b) || rpmsg_loopback_create(a, b, NULL, &la, &lb))
		return 1;
	printf("%s %d\n", rpmsg_link_transport(la), rpmsg_send(NULL, "x", 1));
	rpmsg_bus_destroy(a);
	rpmsg_bus_destroy(b);
	return 0;
}
C
if command -v pkg-config >/dev/null 2>&1; then
	PKG_CONFIG_PATH=$(dirname "$(find "$T/prefix" -name librpmsg.pc)")
	export PKG_CONFIG_PATH
	cc -std=c11 -Wall -Wextra -Werror "$T/use.c" $(pkg-config --cflags --libs librpmsg) -lpthread \
		-Wl,-rpath,"$(pkg-config --variable=libdir librpmsg)" -o "$T/use-pc"
	out=$("$T/use-pc")
	[ "$out" = "loopback -22" ] || { echo "pkg-config build printed: $out"; exit 1; }
	echo "pkg-config: ok"
fi
mkdir -p "$T/cm"
cat > "$T/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.16)
project(use C)
find_package(rpmsg REQUIRED)
add_executable(use ../use.c)
target_link_libraries(use PRIVATE rpmsg::rpmsg_static)
CM
cmake -S "$T/cm" -B "$T/cm/b" -DCMAKE_PREFIX_PATH="$T/prefix" >/dev/null
cmake --build "$T/cm/b" >/dev/null
out=$("$T/cm/b/use")
[ "$out" = "loopback -22" ] || { echo "CMake build printed: $out"; exit 1; }
echo "find_package: ok"
