#!/bin/sh
# Build every tests/fuzz/fuzz_*.c with libFuzzer + ASan + UBSan and run each for $1 seconds,
# starting from its seed corpus in tests/fuzz/corpus/<target>/ when there is one.
set -e
secs=${1:-20}
out=build-fuzz
mkdir -p $out
if ! command -v clang >/dev/null 2>&1; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libclang-rt-14-dev
fi
srcs=$(ls src/*/*.c)
for f in tests/fuzz/fuzz_*.c; do
	[ -e "$f" ] || continue
	name=$(basename "$f" .c)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-D_GNU_SOURCE -Iinclude -Isrc "$f" $srcs -lpthread -o "$out/$name"
	mkdir -p "$out/corpus-$name"
	echo "fuzz: $name for ${secs}s"
	# New inputs go to the first directory; the checked-in seeds (if any) are read too.
	seeds=
	[ -d "tests/fuzz/corpus/$name" ] && seeds="tests/fuzz/corpus/$name"
	"$out/$name" -max_total_time="$secs" -print_final_stats=0 "$out/corpus-$name" $seeds 2>"$out/$name.log" ||
		{ tail -50 "$out/$name.log"; exit 1; }
	grep -E "^#[0-9]+.*(DONE|pulse)" "$out/$name.log" | tail -1
done
