/* The 40-byte name-service message: name NUL-padded to 32 bytes, addr and flags little-endian
 * (or big-endian when asked); empty and 32-character names are refused. */
#include <rpmsg/transport.h>

#include "core_util.h"

int main(void)
{
	unsigned char msg[48], want[40];
	char name31[32], name32[33];

	t_timeout(10);

	memset(msg, 0xAA, sizeof(msg));
	CHECK_EQ(rpmsg_ns_encode(msg, "rpmsg-tty", 0x01020304u, RPMSG_NS_CREATE, false), 40);
	memset(want, 0, sizeof(want));
	memcpy(want, "rpmsg-tty", 9);
	want[32] = 0x04, want[33] = 0x03, want[34] = 0x02, want[35] = 0x01;
	CHECK_MEM(msg, want, 40);
	CHECK_EQ(msg[40], 0xAA); /* nothing written past 40 bytes */

	memset(msg, 0xAA, sizeof(msg));
	CHECK_EQ(rpmsg_ns_encode(msg, "rpmsg-tty", 0x01020304u, RPMSG_NS_DESTROY, false), 40);
	want[36] = 0x01;
	CHECK_MEM(msg, want, 40);

	memset(msg, 0xAA, sizeof(msg));
	CHECK_EQ(rpmsg_ns_encode(msg, "rpmsg-tty", 0x01020304u, RPMSG_NS_DESTROY, true), 40);
	want[32] = 0x01, want[33] = 0x02, want[34] = 0x03, want[35] = 0x04;
	want[36] = 0x00, want[39] = 0x01;
	CHECK_MEM(msg, want, 40);

	/* A typical dynamic address, little-endian. */
	CHECK_EQ(rpmsg_ns_encode(msg, "a", 1024, RPMSG_NS_CREATE, false), 40);
	memset(want, 0, sizeof(want));
	want[0] = 'a';
	want[33] = 0x04;
	CHECK_MEM(msg, want, 40);

	/* 31 characters: the longest name; byte 31 is the NUL. */
	memset(name31, 'n', 31);
	name31[31] = '\0';
	memset(msg, 0xAA, sizeof(msg));
	CHECK_EQ(rpmsg_ns_encode(msg, name31, 53, RPMSG_NS_CREATE, false), 40);
	memset(want, 0, sizeof(want));
	memset(want, 'n', 31);
	want[32] = 53;
	CHECK_MEM(msg, want, 40);

	/* 32 characters (no room for the NUL), empty, NULL: refused, buffer untouched. */
	memset(name32, 'n', 32);
	name32[32] = '\0';
	memset(msg, 0xAA, sizeof(msg));
	CHECK_EQ(rpmsg_ns_encode(msg, name32, 53, RPMSG_NS_CREATE, false), -EINVAL);
	CHECK_EQ(rpmsg_ns_encode(msg, "", 53, RPMSG_NS_CREATE, false), -EINVAL);
	CHECK_EQ(rpmsg_ns_encode(msg, NULL, 53, RPMSG_NS_CREATE, false), -EINVAL);
	CHECK_EQ(rpmsg_ns_encode(NULL, "x", 53, RPMSG_NS_CREATE, false), -EINVAL);
	CHECK_EQ(msg[0], 0xAA);

	return t_done();
}
