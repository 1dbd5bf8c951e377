/* pcapng block parser for our own captures; every length is checked before use. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "reader.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

const char *cap_event_name(uint8_t event)
{
	static const char *const names[] = { "?", "msg", "channel-add", "channel-remove", "control" };

	return event < sizeof(names) / sizeof(names[0]) ? names[event] : "?";
}

const char *cap_transport_name(uint8_t transport)
{
	static const char *const names[] = { "other", "virtio", "glink", "smd", "scp", "loopback" };

	return transport < sizeof(names) / sizeof(names[0]) ? names[transport] : "other";
}

/* Walk options in [p, end): call back for each; false if they overrun. */
static bool options(const uint8_t *p, const uint8_t *end, void (*fn)(uint16_t, const uint8_t *, uint16_t, void *),
		    void *arg)
{
	while (end - p >= 4) {
		uint16_t code = le16(p), n = le16(p + 2);
		size_t padded = ((size_t)n + 3) & ~(size_t)3;

		if (code == 0)
			return true;
		if ((size_t)(end - p - 4) < padded)
			return false;
		fn(code, p + 4, n, arg);
		p += 4 + padded;
	}
	return p == end;
}

struct idb_opts {
	char *name;
};

static void idb_opt(uint16_t code, const uint8_t *v, uint16_t n, void *arg)
{
	struct idb_opts *o = arg;

	if (code == 2) { /* if_name */
		size_t k = n < RPMSG_NAME_SIZE - 1 ? n : RPMSG_NAME_SIZE - 1;

		memcpy(o->name, v, k);
		o->name[k] = 0;
	}
}

static void isb_opt(uint16_t code, const uint8_t *v, uint16_t n, void *arg)
{
	struct cap_event *ev = arg;

	if (n == 8 && code == 4)
		ev->received = le64(v);
	else if (n == 8 && code == 5)
		ev->dropped = le64(v);
}

long cap_parse_block(struct cap_state *st, const uint8_t *buf, size_t len, struct cap_event *ev)
{
	uint32_t type, total;
	const uint8_t *body, *end;

	memset(ev, 0, sizeof(*ev));
	if (len < 12)
		return 0;
	type = le32(buf);
	if (type == 0x0A0D0D0Au && len >= 12 && le32(buf + 8) != 0x1A2B3C4Du)
		return -ENOTSUP; /* a big-endian section: not what we write */
	total = le32(buf + 4);
	if (total < 12 || total % 4 || total > (64u << 20))
		return -EPROTO;
	if (len < total)
		return 0;
	if (le32(buf + total - 4) != total)
		return -EPROTO;
	body = buf + 8;
	end = buf + total - 4;
	if (!st->seen_shb && type != 0x0A0D0D0Au)
		return -EPROTO;
	switch (type) {
	case 0x0A0D0D0Au: /* section header: a new section forgets the interfaces */
		if (end - body < 16 || le16(body + 4) != 1)
			return -EPROTO;
		memset(st, 0, sizeof(*st));
		st->seen_shb = true;
		break;
	case 1: { /* interface description */
		struct idb_opts o;

		if (end - body < 8)
			return -EPROTO;
		if (st->nifaces == CAP_MAX_IFACES)
			return -ENOSPC;
		st->linktype[st->nifaces] = le16(body);
		st->ifname[st->nifaces][0] = 0;
		o.name = st->ifname[st->nifaces];
		if (!options(body + 8, end, idb_opt, &o))
			return -EPROTO;
		if (!o.name[0])
			snprintf(o.name, RPMSG_NAME_SIZE, "if%u", st->nifaces);
		st->nifaces++;
		break;
	}
	case 6: { /* enhanced packet */
		uint32_t id, caplen;
		const uint8_t *h;

		if (end - body < 20)
			return -EPROTO;
		id = le32(body);
		caplen = le32(body + 12);
		if (id >= st->nifaces || caplen > (size_t)(end - body - 20))
			return -EPROTO;
		if (st->linktype[id] != RPMSG_PCAPNG_LINKTYPE)
			return -ENOTSUP;
		if (caplen < RPMSG_CAP_HEADER_SIZE || le32(body + 16) < caplen)
			return -EPROTO;
		h = body + 20;
		ev->kind = CAP_PACKET;
		ev->ifname = st->ifname[id];
		ev->time_ns = (uint64_t)le32(body + 4) << 32 | le32(body + 8);
		ev->event = h[1];
		ev->dir = h[2];
		ev->transport = h[3];
		ev->src = le32(h + 4);
		ev->dst = le32(h + 8);
		ev->flags = le16(h + 12);
		ev->code = le16(h + 14);
		ev->len = le32(h + 16);
		ev->data = h + RPMSG_CAP_HEADER_SIZE;
		ev->caplen = caplen - RPMSG_CAP_HEADER_SIZE;
		if (ev->caplen > ev->len)
			return -EPROTO;
		break;
	}
	case 5: /* interface statistics */
		if (end - body < 12 || le32(body) >= st->nifaces)
			return -EPROTO;
		ev->kind = CAP_STATS;
		ev->ifname = st->ifname[le32(body)];
		ev->time_ns = (uint64_t)le32(body + 4) << 32 | le32(body + 8);
		if (!options(body + 12, end, isb_opt, ev))
			return -EPROTO;
		break;
	default:
		break; /* other blocks are skipped, as pcapng wants */
	}
	return (long)total;
}
