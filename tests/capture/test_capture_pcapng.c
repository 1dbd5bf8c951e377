/*
 * Capture a loopback session to pcapng and read the file back: the section header, one
 * interface per link (name, link type 147, nanosecond resolution), and enhanced packet
 * blocks whose record header and payload are exactly what crossed the bus, including the
 * name-service announcement and the channel it created; snap length; statistics.
 */
#include <stdlib.h>
#include <unistd.h>

#include <rpmsg/capture.h>
#include <rpmsg/loopback.h>

#include "testlib.h"

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int echo_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)priv;
	rpmsg_sendto(ept, data, len, src);
	return 0;
}

static int got;
static int reply_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept; (void)data; (void)len; (void)src; (void)priv;
	got++;
	return 0;
}

struct block {
	uint32_t type, len;
	const uint8_t *body; /* after type and length */
};

static int next_block(const uint8_t *buf, size_t size, size_t *off, struct block *b)
{
	if (*off + 12 > size)
		return 0;
	b->type = rd32(buf + *off);
	b->len = rd32(buf + *off + 4);
	if (b->len < 12 || b->len % 4 || *off + b->len > size || rd32(buf + *off + b->len - 4) != b->len)
		return -1;
	b->body = buf + *off + 8;
	*off += b->len;
	return 1;
}

int main(void)
{
	char path[] = "/tmp/rpmsg-cap-XXXXXX";
	struct rpmsg_bus *a, *b;
	struct rpmsg_link *la, *lb;
	struct rpmsg_endpoint *echo, *client;
	struct rpmsg_channel_info si = { .name = "cap-echo", .src = 1030, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_channel_info ci = { .name = "", .src = 1031, .dst = 1030 };
	uint8_t big[300];
	static uint8_t buf[1 << 16];
	size_t size, off = 0;
	int fd, epbs = 0, idbs = 0, isbs = 0, ns_seen = 0, add_seen = 0, hello_tx = 0, hello_rx = 0;
	int big_seen = 0;
	struct block blk;
	FILE *f;
	long n;

	t_timeout(20);
	fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(rpmsg_bus_create(&a), 0);
	CHECK_EQ(rpmsg_bus_create(&b), 0);
	CHECK_EQ(rpmsg_loopback_create(a, b, NULL, &la, &lb), 0);
	CHECK_EQ(rpmsg_capture_stop(b), -ENOENT);
	CHECK_EQ(rpmsg_capture_start(b, path, 256), 0);
	CHECK_EQ(rpmsg_capture_start(b, path, 256), -EBUSY);

	CHECK_EQ(rpmsg_create_ept(la, &si, echo_cb, NULL, &echo), 0);
	CHECK_EQ(rpmsg_ept_announce(echo), 0);
	CHECK_EQ(rpmsg_create_ept(lb, &ci, reply_cb, NULL, &client), 0);
	for (int i = 0; i < 20; i++)
		rpmsg_bus_poll(b, 5), rpmsg_bus_poll(a, 5);
	CHECK_EQ(rpmsg_send(client, "hello", 5), 0);
	memset(big, 0xab, sizeof(big));
	CHECK_EQ(rpmsg_send(client, big, sizeof(big)), 0);
	for (int i = 0; i < 50 && got < 2; i++)
		rpmsg_bus_poll(a, 5), rpmsg_bus_poll(b, 5);
	CHECK_EQ(got, 2);
	n = rpmsg_capture_stop(b);
	/* ns create rx, channel add, hello tx, hello rx, big tx, big rx */
	CHECK_EQ(n, 6);

	f = fopen(path, "rb");
	CHECK(f != NULL);
	size = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	if (!getenv("RPMSG_KEEP_CAPTURE"))
		unlink(path);
	else
		printf("capture kept in %s\n", path);

	/* Section header: magic, byte-order magic, version 1.0, unknown section length. */
	CHECK_EQ(next_block(buf, size, &off, &blk), 1);
	CHECK_EQ(blk.type, 0x0A0D0D0A);
	CHECK_EQ(rd32(blk.body), 0x1A2B3C4D);
	CHECK_EQ(rd32(blk.body + 4), 1); /* major 1, minor 0 */
	CHECK_EQ(rd32(blk.body + 8), 0xFFFFFFFF);
	for (int r; (r = next_block(buf, size, &off, &blk)) != 0;) {
		CHECK_EQ(r, 1);
		if (r < 0)
			break;
		if (blk.type == 1) {
			idbs++;
			CHECK_EQ(blk.body[0] | blk.body[1] << 8, 147);
			CHECK_EQ(rd32(blk.body + 4), 256 + 24);
			/* the link's name (the loopback names its links loopback0/1) */
			CHECK(memmem(blk.body, blk.len, "loopback", 8) != NULL);
			CHECK(memmem(blk.body, blk.len, "rpmsg over loopback", 19) != NULL);
		} else if (blk.type == 6) {
			const uint8_t *h = blk.body + 20;
			uint32_t caplen = rd32(blk.body + 12), origlen = rd32(blk.body + 16);

			epbs++;
			CHECK_EQ(rd32(blk.body), 0); /* interface 0: the only link on bus b */
			CHECK_EQ(h[0], 1);           /* version */
			CHECK_EQ(h[3], 5);           /* loopback */
			CHECK_EQ(rd32(h + 16) + 24, origlen);
			if (h[1] == 1 && rd32(h + 8) == 53) {
				/* the announcement as received: name, address, flags = CREATE */
				ns_seen++;
				CHECK_EQ(h[2], 1);
				CHECK_EQ(rd32(h + 4), 1030);
				CHECK_EQ(origlen, 24 + 40);
				CHECK_MEM(h + 24, "cap-echo\0\0", 10);
				CHECK_EQ(rd32(h + 24 + 32), 1030);
				CHECK_EQ(rd32(h + 24 + 36), 0);
			} else if (h[1] == 2) {
				add_seen++;
				CHECK_EQ(rd32(h + 8), 1030);
				CHECK_EQ(rd32(h + 16), 32);
				CHECK_MEM(h + 24, "cap-echo", 9);
			} else if (h[1] == 1 && rd32(h + 16) == 5) {
				static const uint8_t hdr_tx[24] = { 1, 1, 0, 5, 0x07, 0x04, 0, 0, 0x06, 0x04, 0, 0,
								    0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0 };

				CHECK_EQ(caplen, 29);
				CHECK_MEM(h + 24, "hello", 5);
				if (h[2] == 0) {
					hello_tx++;
					CHECK_MEM(h, hdr_tx, 24); /* src 1031 -> dst 1030 */
				} else {
					hello_rx++;
					CHECK_EQ(rd32(h + 4), 1030);
					CHECK_EQ(rd32(h + 8), 1031);
				}
			} else if (h[1] == 1 && rd32(h + 16) == 300) {
				big_seen++;
				CHECK_EQ(caplen, 24 + 256); /* the snap length */
				CHECK_EQ(origlen, 24 + 300);
				CHECK_EQ(h[24 + 255], 0xab);
			}
		} else if (blk.type == 5) {
			isbs++;
			CHECK(memmem(blk.body, blk.len, "\x04\x00\x08\x00\x06\x00\x00\x00\x00\x00\x00\x00", 12) != NULL);
		}
	}
	CHECK_EQ(idbs, 1);
	CHECK_EQ(epbs, 6);
	CHECK_EQ(isbs, 1);
	CHECK_EQ(ns_seen, 1);
	CHECK_EQ(add_seen, 1);
	CHECK_EQ(hello_tx, 1);
	CHECK_EQ(hello_rx, 1);
	CHECK_EQ(big_seen, 2);

	rpmsg_bus_destroy(a);
	rpmsg_bus_destroy(b);
	return t_done();
}
