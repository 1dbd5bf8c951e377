# Thin wrapper over CMake. `make run` runs the simulated SoC demo, `make test` every test.
MAKEFLAGS += --no-print-directory
BUILD      ?= build
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all build run test asan tsan fuzz bench install clean deps footprint cross soak test-kernel test-kernel-qcom bench-kernel

all: build

deps:
	@sh scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	@sh scripts/deps.sh
	cmake -S . -B $(BUILD) $(CMAKE_ARGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

run: build
	$(BUILD)/tools/rpmsg demo

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# Sanitizer runs (CI runs both): every test under ASan+UBSan, the threaded ones under TSan.
asan:
	cmake -S . -B build-asan -DRPMSG_SANITIZE=address,undefined -DRPMSG_BUILD_BENCH=OFF
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ctest --output-on-failure -j$(JOBS)

tsan:
	cmake -S . -B build-tsan -DRPMSG_SANITIZE=thread -DRPMSG_BUILD_BENCH=OFF -DRPMSG_BUILD_TOOLS=OFF
	cmake --build build-tsan -j$(JOBS)
	cd build-tsan && ctest --output-on-failure -L threaded

# libFuzzer targets (clang); FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 20
fuzz:
	sh scripts/fuzz.sh $(FUZZ_SECONDS)

# Firmware sizes: the remote role of each transport for Cortex-M4 -Os (and an R5 build).
footprint:
	sh scripts/footprint.sh

# Minutes of full-rate traffic on every transport, every message checked (not in CI).
soak:
	sh scripts/soak.sh

# Cross builds under qemu-user (armhf: 32-bit, s390x: big-endian), against this machine's.
cross:
	sh scripts/cross.sh

# A real Linux kernel (User-Mode Linux 6.1, built once into /var/cache/librpmsg-kernel) drives
# our remote through its own virtio_rpmsg_bus, rpmsg_char and rpmsg_ctrl (tests/kernel/run.sh).
test-kernel: build
	sh tests/kernel/run.sh $(BUILD)

# The same kernel's qcom_smem, qcom_glink_smem and qcom_smd against our SMEM, GLINK and SMD
# remote role, over the guest's own RAM (tests/kernel/run.sh --qcom, doc/kernel.md).
test-kernel-qcom: build
	sh tests/kernel/run.sh $(BUILD) --qcom

# Round trips and a stream between a guest program on /dev/rpmsgN and our remotes
# (virtio behind vhost-user; GLINK and SMD over the guest's RAM).
bench-kernel: build
	sh tests/kernel/run.sh $(BUILD) --bench
	sh tests/kernel/run.sh $(BUILD) --qcom-bench

bench: build
	$(BUILD)/bench/rpmsg-bench

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz build-armhf build-s390x build-fw-*
