/*
 * pcapng writer for bus captures (see include/rpmsg/capture.h and doc/capture.md).
 * Blocks are written little-endian whatever the host, so captures are the same bytes
 * everywhere.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_ISB 0x00000005u
#define BT_EPB 0x00000006u
#define MAX_IFACES 64

struct iface {
	struct rpmsg_link *link;
	char name[RPMSG_NAME_SIZE];
	uint64_t recv, dropped;
};

struct rpmsg_pcapng {
	FILE *f;
	uint32_t snaplen;
	pthread_mutex_t lock;
	struct iface ifaces[MAX_IFACES];
	unsigned nifaces;
	uint64_t written;
	int error;
};

/* ---- little-endian block building ---- */

struct blk {
	uint8_t *p;
	size_t len, cap;
};

static int put(struct blk *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		uint8_t *np;

		while (cap < b->len + n)
			cap *= 2;
		if (!(np = realloc(b->p, cap)))
			return -ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	if (data)
		memcpy(b->p + b->len, data, n);
	else
		memset(b->p + b->len, 0, n);
	b->len += n;
	return 0;
}

static int put16(struct blk *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	return put(b, x, 2);
}

static int put32(struct blk *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	return put(b, x, 4);
}

static int put64(struct blk *b, uint64_t v)
{
	return put32(b, (uint32_t)v) || put32(b, (uint32_t)(v >> 32));
}

static int pad4(struct blk *b)
{
	return put(b, NULL, (4 - b->len % 4) % 4);
}

static int put_opt(struct blk *b, uint16_t code, const void *data, size_t n)
{
	return put16(b, code) || put16(b, (uint16_t)n) || put(b, data, n) || pad4(b);
}

static int put_opt_str(struct blk *b, uint16_t code, const char *s)
{
	return put_opt(b, code, s, strlen(s));
}

static int put_opt_u64(struct blk *b, uint16_t code, uint64_t v)
{
	uint8_t x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	return put_opt(b, code, x, 8);
}

/* Start a block: type and a length to fill in at the end. */
static int begin(struct blk *b, uint32_t type)
{
	b->len = 0;
	return put32(b, type) || put32(b, 0);
}

static int end(struct rpmsg_pcapng *w, struct blk *b)
{
	uint32_t total;

	if (pad4(b) || put32(b, 0)) {
		free(b->p);
		return -ENOMEM;
	}
	total = (uint32_t)b->len;
	for (int i = 0; i < 4; i++)
		b->p[4 + i] = b->p[b->len - 4 + i] = (uint8_t)(total >> (8 * i));
	if (fwrite(b->p, 1, b->len, w->f) != b->len)
		w->error = errno ? -errno : -EIO;
	free(b->p);
	return w->error;
}

/* ---- the record header ---- */

static uint8_t transport_code(const char *t)
{
	static const char *const names[] = { "virtio", "glink", "smd", "scp", "loopback" };

	for (unsigned i = 0; t && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(t, names[i]))
			return (uint8_t)(i + 1);
	return 0;
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void rpmsg_cap_header_encode(uint8_t out[RPMSG_CAP_HEADER_SIZE], const struct rpmsg_cap_record *rec)
{
	memset(out, 0, RPMSG_CAP_HEADER_SIZE);
	out[0] = 1; /* version */
	out[1] = rec->event;
	out[2] = rec->dir;
	out[3] = transport_code(rec->link ? rec->link->transport : NULL);
	le32(out + 4, rec->src);
	le32(out + 8, rec->dst);
	out[12] = (uint8_t)rec->flags;
	out[13] = (uint8_t)(rec->flags >> 8);
	out[14] = (uint8_t)rec->code;
	out[15] = (uint8_t)(rec->code >> 8);
	le32(out + 16, rec->len);
	/* 20..23 reserved, zero */
}

/* ---- writer ---- */

int rpmsg_pcapng_open(FILE *f, uint32_t snaplen, struct rpmsg_pcapng **out)
{
	struct rpmsg_pcapng *w;
	struct blk b = { 0 };
	int ret;

	if (!f || !out)
		return -EINVAL;
	if (!(w = calloc(1, sizeof(*w))))
		return -ENOMEM;
	w->f = f;
	w->snaplen = snaplen ? snaplen : 65535;
	pthread_mutex_init(&w->lock, NULL);
	if (begin(&b, BT_SHB) || put32(&b, 0x1A2B3C4Du) || put16(&b, 1) || put16(&b, 0) ||
	    put64(&b, UINT64_MAX) || put_opt_str(&b, 4, "librpmsg") || put_opt(&b, 0, NULL, 0)) {
		free(b.p);
		ret = -ENOMEM;
	} else {
		ret = end(w, &b);
	}
	if (ret) {
		pthread_mutex_destroy(&w->lock);
		free(w);
		return ret;
	}
	*out = w;
	return 0;
}

/* The interface of a link, written on first use. Called with w->lock held. */
static int iface_of(struct rpmsg_pcapng *w, struct rpmsg_link *link, uint32_t *id)
{
	const char *name = link ? link->name : "bus";
	const char *transport = link && link->transport ? link->transport : "unknown";
	struct blk b = { 0 };
	uint8_t tsresol = 9; /* nanoseconds */
	char desc[64];
	int ret;

	for (unsigned i = 0; i < w->nifaces; i++) {
		if (w->ifaces[i].link == link && !strcmp(w->ifaces[i].name, name)) {
			*id = i;
			return 0;
		}
	}
	if (w->nifaces == MAX_IFACES)
		return -ENOSPC;
	snprintf(desc, sizeof(desc), "rpmsg over %s", transport);
	if (begin(&b, BT_IDB) || put16(&b, RPMSG_PCAPNG_LINKTYPE) || put16(&b, 0) ||
	    put32(&b, w->snaplen + RPMSG_CAP_HEADER_SIZE) || put_opt_str(&b, 2, name) ||
	    put_opt_str(&b, 3, desc) || put_opt(&b, 9, &tsresol, 1) || put_opt(&b, 0, NULL, 0)) {
		free(b.p);
		return -ENOMEM;
	}
	if ((ret = end(w, &b)))
		return ret;
	w->ifaces[w->nifaces].link = link;
	snprintf(w->ifaces[w->nifaces].name, RPMSG_NAME_SIZE, "%s", name);
	*id = w->nifaces++;
	return 0;
}

int rpmsg_pcapng_write(struct rpmsg_pcapng *w, const struct rpmsg_cap_record *rec)
{
	uint8_t hdr[RPMSG_CAP_HEADER_SIZE];
	uint32_t caplen, id;
	struct blk b = { 0 };
	int ret;

	if (!w || !rec || (rec->len && !rec->data))
		return -EINVAL;
	caplen = rec->len < w->snaplen ? rec->len : w->snaplen;
	rpmsg_cap_header_encode(hdr, rec);
	pthread_mutex_lock(&w->lock);
	if ((ret = w->error) || (ret = iface_of(w, rec->link, &id)))
		goto out;
	if (begin(&b, BT_EPB) || put32(&b, id) || put32(&b, (uint32_t)(rec->time_ns >> 32)) ||
	    put32(&b, (uint32_t)rec->time_ns) || put32(&b, RPMSG_CAP_HEADER_SIZE + caplen) ||
	    put32(&b, RPMSG_CAP_HEADER_SIZE + rec->len) || put(&b, hdr, sizeof(hdr)) ||
	    put(&b, rec->data, caplen)) {
		free(b.p);
		ret = -ENOMEM;
		goto out;
	}
	if (!(ret = end(w, &b))) {
		w->ifaces[id].recv++;
		w->written++;
	}
out:
	pthread_mutex_unlock(&w->lock);
	return ret;
}

void rpmsg_pcapng_drop(struct rpmsg_pcapng *w, struct rpmsg_link *link, uint64_t n)
{
	uint32_t id;

	pthread_mutex_lock(&w->lock);
	if (!iface_of(w, link, &id))
		w->ifaces[id].dropped += n;
	pthread_mutex_unlock(&w->lock);
}

uint64_t rpmsg_pcapng_written(const struct rpmsg_pcapng *w)
{
	return w ? w->written : 0;
}

int rpmsg_pcapng_finish(struct rpmsg_pcapng *w)
{
	struct timespec ts;
	uint64_t now;
	int ret;

	if (!w)
		return -EINVAL;
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	pthread_mutex_lock(&w->lock);
	for (unsigned i = 0; i < w->nifaces && !w->error; i++) {
		struct blk b = { 0 };

		/* isb_ifrecv (4) and isb_ifdrop (5): what the capture saw and lost */
		if (begin(&b, BT_ISB) || put32(&b, i) || put32(&b, (uint32_t)(now >> 32)) ||
		    put32(&b, (uint32_t)now) || put_opt_u64(&b, 4, w->ifaces[i].recv + w->ifaces[i].dropped) ||
		    put_opt_u64(&b, 5, w->ifaces[i].dropped) || put_opt(&b, 0, NULL, 0)) {
			free(b.p);
			w->error = -ENOMEM;
			break;
		}
		end(w, &b);
	}
	if (fflush(w->f) && !w->error)
		w->error = -errno;
	ret = w->error;
	pthread_mutex_unlock(&w->lock);
	pthread_mutex_destroy(&w->lock);
	free(w);
	return ret;
}

/* ---- capture a whole bus to a file ---- */

struct file_capture {
	struct rpmsg_pcapng *w;
	FILE *f;
};

static void file_tap(const struct rpmsg_cap_record *rec, void *arg)
{
	struct file_capture *c = arg;

	if (rpmsg_pcapng_write(c->w, rec))
		rpmsg_pcapng_drop(c->w, rec->link, 1);
}

int rpmsg_capture_start(struct rpmsg_bus *bus, const char *path, uint32_t snaplen)
{
	struct file_capture *c;
	int ret;

	if (!bus || !path)
		return -EINVAL;
	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	if (!(c->f = fopen(path, "wb"))) {
		ret = -errno;
		free(c);
		return ret;
	}
	if ((ret = rpmsg_pcapng_open(c->f, snaplen, &c->w)) || (ret = rpmsg_bus_set_tap(bus, file_tap, c))) {
		if (c->w)
			rpmsg_pcapng_finish(c->w);
		fclose(c->f);
		free(c);
	}
	return ret;
}

long rpmsg_capture_stop(struct rpmsg_bus *bus)
{
	struct file_capture *c;
	long n;
	int ret;

	if (!bus || atomic_load(&bus->tap_fn) != file_tap)
		return -ENOENT;
	c = bus->tap_arg;
	rpmsg_bus_set_tap(bus, NULL, NULL);
	n = (long)rpmsg_pcapng_written(c->w);
	ret = rpmsg_pcapng_finish(c->w);
	if (fclose(c->f) && !ret)
		ret = -errno;
	free(c);
	return ret ? ret : n;
}
