/*
 * libFuzzer: a hostile GLINK remote against the main CPU's parser. The input is a program
 * for the remote: write commands (any id, channel id, parameters and trailing bytes) or raw
 * bytes into FIFO_1, scribble over the descriptor's indices, and let the main CPU poll,
 * trysend, signal and read its FIFO_0. Any out-of-bounds access, hang or leak is a finding.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rpmsg/glink.h>
#include <rpmsg/rpmsg.h>

#include "../glink/gpeer.h"

#define FZ_SHM (96u * 1024u)

static uint8_t shm[FZ_SHM] __attribute__((aligned(4096)));
static struct rpmsg_channel *chan;

static int cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	volatile uint8_t sum = 0;

	(void)src; (void)priv;
	for (size_t i = 0; i < len; i++) /* touch every byte the transport claims is there */
		sum += ((uint8_t *)data)[i];
	(void)sum;
	if (len && ((uint8_t *)data)[0] == 'R')
		rpmsg_trysend(ept, data, len > 8 ? 8 : len); /* answer from the callback */
	return 0;
}

static int probe(struct rpmsg_channel *ch) { chan = ch; return 0; }
static void removed(struct rpmsg_channel *ch) { if (chan == ch) chan = NULL; }

static const char *const names[] = { "fuzz", "fuzz2", NULL };
static const struct rpmsg_driver drv = { .name = "f", .id_table = names, .probe = probe,
					 .remove = removed, .callback = cb };

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint32_t u32(struct in *in)
{
	uint32_t v = u8(in);

	v |= (uint32_t)u8(in) << 8;
	v |= (uint32_t)u8(in) << 16;
	return v | (uint32_t)u8(in) << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpmsg_glink_config cfg = { .role = RPMSG_GLINK_MAIN, .format_smem = true,
					  .remote_host = 1, .fifo_size = 1024, .max_rx_size = 8192,
					  .intent_count = 2, .intent_size = 256 };
	static const uint16_t ids[] = { 0, 1, 2, 7, 8, 0xFFFF };
	struct rpmsg_platform plat = memplat(shm, sizeof(shm), 0);
	struct in in = { data, size };
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	struct gpeer g;
	uint8_t b[600];

	memset(shm, 0, sizeof(shm));
	chan = NULL;
	if (rpmsg_bus_create(&bus))
		return 0;
	rpmsg_register_driver(bus, &drv);
	if (rpmsg_glink_create(bus, &plat, &cfg, &link)) {
		rpmsg_bus_destroy(bus);
		return 0;
	}
	if (gpeer_attach(&g, shm, sizeof(shm), 1024))
		goto out;
	/* A sane start most inputs build on: version, channel "fuzz" open both ways. */
	gpeer_cmd(&g, GLINK_VERSION, 1, 1);
	gpeer_write(&g, b, glink_encode_open(b, 7, "fuzz"));
	rpmsg_bus_poll(bus, 0);
	gpeer_cmd(&g, GLINK_OPEN_ACK, 1, 0);
	glink_encode_intent(b, 7, 512, 1);
	gpeer_write(&g, b, 16);
	rpmsg_bus_poll(bus, 0);
	gpeer_read(&g, b, sizeof(b));

	for (int steps = 0; in.n && steps < 256; steps++) {
		uint8_t op = u8(&in);

		switch (op % 8) {
		case 0: { /* a command with trailing bytes */
			uint16_t cmd = u8(&in) % 18, p1 = ids[u8(&in) % 6];
			uint32_t p2 = u32(&in), extra = u8(&in) % 80;

			glink_encode_hdr(b, cmd, p1, p2);
			for (uint32_t i = 0; i < extra; i++)
				b[8 + i] = u8(&in);
			gpeer_write(&g, b, 8 + extra);
			break;
		}
		case 1: { /* data to an intent, maybe continued */
			uint32_t iid = u8(&in) % 8, chunk = u8(&in) * 2u, left = u8(&in) * 3u;

			glink_encode_data_hdr(b, (op & 8) ? GLINK_TX_DATA_CONT : GLINK_TX_DATA,
					      ids[u8(&in) % 6], iid, chunk, left);
			memset(b + 16, 'R', chunk);
			gpeer_write(&g, b, 16 + chunk);
			break;
		}
		case 2: /* scribble a descriptor word */
			glink_put32(g.desc + 4 * (u8(&in) % 8), u32(&in));
			break;
		case 3:
			rpmsg_bus_poll(bus, 0);
			break;
		case 4:
			if (chan && rpmsg_channel_ept(chan))
				rpmsg_trysend(rpmsg_channel_ept(chan), b, u8(&in) * 2u);
			break;
		case 5:
			if (chan && rpmsg_channel_ept(chan))
				rpmsg_set_flow_control(rpmsg_channel_ept(chan), op & 8, 0);
			break;
		case 6:
			gpeer_read(&g, b, sizeof(b));
			break;
		case 7: /* an OPEN with any name bytes */
			gpeer_write(&g, b, glink_encode_open(b, ids[u8(&in) % 6], (op & 8) ? "fuzz2" : "fuzz"));
			break;
		}
	}
	rpmsg_bus_poll(bus, 0);
out:
	rpmsg_bus_destroy(bus);
	return 0;
}
