#!/bin/sh
# Build every tests/fuzz/fuzz_*.c with libFuzzer + ASan + UBSan and run each for $1 seconds,
# starting from its seed corpus in tests/fuzz/corpus/<target>/ when there is one. The
# library is compiled once (with -fsanitize=fuzzer-no-link) and linked into every target.
set -e
secs=${1:-20}
out=build-fuzz
mkdir -p $out/obj
if ! command -v clang >/dev/null 2>&1; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libclang-rt-14-dev
fi
flags="-g -O1 -fno-sanitize-recover=all -D_GNU_SOURCE -Iinclude -Isrc"
objs=
for s in src/*/*.c; do
	o=$out/obj/$(echo "$s" | tr / _ | sed 's/\.c$/.o/')
	if [ ! -e "$o" ] || [ "$s" -nt "$o" ] || [ -n "$(find include src -name '*.h' -newer "$o" | head -1)" ]; then
		clang $flags -fsanitize=fuzzer-no-link,address,undefined -c "$s" -o "$o" &
	fi
	objs="$objs $o"
done
wait
for f in tests/fuzz/fuzz_*.c; do
	[ -e "$f" ] || continue
	name=$(basename "$f" .c)
	clang $flags -fsanitize=fuzzer,address,undefined "$f" $objs -lpthread -o "$out/$name"
	mkdir -p "$out/corpus-$name"
	echo "fuzz: $name for ${secs}s"
	# New inputs go to the first directory; the checked-in seeds (if any) are read too.
	seeds=
	[ -d "tests/fuzz/corpus/$name" ] && seeds="tests/fuzz/corpus/$name"
	"$out/$name" -max_total_time="$secs" -print_final_stats=0 "$out/corpus-$name" $seeds 2>"$out/$name.log" ||
		{ tail -50 "$out/$name.log"; exit 1; }
	grep -E "^#[0-9]+.*(DONE|pulse)" "$out/$name.log" | tail -1
done
