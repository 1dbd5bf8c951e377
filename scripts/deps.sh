#!/bin/sh
# Install what the build needs on a fresh Debian machine (we are root there); quiet when present.
set -e
need=""
command -v cmake >/dev/null 2>&1 || need="$need cmake"
command -v cc >/dev/null 2>&1 || need="$need gcc"
command -v make >/dev/null 2>&1 || need="$need make"
if [ -n "$need" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need
	else
		echo "please install:$need" >&2
		exit 1
	fi
fi

# Test tools (optional: their tests are skipped without them): tshark decodes our captures.
if ! command -v tshark >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
	(apt-get install -y -qq tshark >/dev/null 2>&1 ||
		{ apt-get update -qq && apt-get install -y -qq tshark >/dev/null 2>&1; }) ||
		echo "deps: tshark not installed; the capture test will be skipped" >&2
fi
