/* Small helpers shared by the simulator and its clients. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

void proto_socket_path(char *buf, size_t len, const char *name)
{
	const char *dir = getenv("RPMSG_RUNTIME_DIR");

	snprintf(buf, len, "%s/rpmsg-sim-%s.sock", dir && *dir ? dir : "/tmp", name);
}

const char *proto_default_sim(void)
{
	const char *e = getenv("RPMSG_SIM");

	return e && *e ? e : "soc0";
}

void proto_hex_encode(char *out, const uint8_t *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 15];
	}
	out[2 * len] = 0;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long proto_hex_decode(uint8_t *out, size_t max, const char *hex)
{
	size_t n = strlen(hex);

	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

int proto_exit_code(int err)
{
	switch (err) {
	case 0: return EXIT_OK;
	case -ENOENT:
	case -EEXIST: return EXIT_NO_CHANNEL;
	case -ETIMEDOUT: return EXIT_TIMEOUT;
	case -EPIPE:
	case -ENOTCONN:
	case -ECONNRESET: return EXIT_PEER_GONE;
	default: return EXIT_FAIL;
	}
}
