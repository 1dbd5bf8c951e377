/*
 * Helpers shared by the core tests: two buses joined by a loopback link, a recording receive
 * callback, pumping the buses from one thread, a recording driver, a monotonic clock.
 * Everything is static inline so a test that does not use a helper does not warn.
 */
#ifndef RPMSG_TESTS_CORE_UTIL_H
#define RPMSG_TESTS_CORE_UTIL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rpmsg/loopback.h>
#include <rpmsg/rpmsg.h>

#include "testlib.h"

/* Bus a and bus b joined by one loopback link (la on a, lb on b). */
struct pair {
	struct rpmsg_bus *a, *b;
	struct rpmsg_link *la, *lb;
};

/* cfg NULL: loopback defaults (mtu 496, depth 64, name service on). Aborts on failure. */
static inline void pair_open(struct pair *p, const struct rpmsg_loopback_config *cfg)
{
	memset(p, 0, sizeof(*p));
	if (rpmsg_bus_create(&p->a) || rpmsg_bus_create(&p->b) ||
	    rpmsg_loopback_create(p->a, p->b, cfg, &p->la, &p->lb)) {
		fprintf(stderr, "FAIL: cannot set up two buses and a loopback link\n");
		exit(1);
	}
}

static inline void pair_close(struct pair *p)
{
	rpmsg_bus_destroy(p->a);
	rpmsg_bus_destroy(p->b);
	memset(p, 0, sizeof(*p));
}

/* Poll both buses (without waiting) until neither has work; returns the messages handled. */
static inline int pump(struct pair *p)
{
	int total = 0;

	for (int round = 0; round < 100000; round++) {
		int n = 0, r;

		if (p->a) {
			r = rpmsg_bus_poll(p->a, 0);
			n += r > 0 ? r : 0;
		}
		if (p->b) {
			r = rpmsg_bus_poll(p->b, 0);
			n += r > 0 ? r : 0;
		}
		if (!n)
			break;
		total += n;
	}
	return total;
}

/* What a recording endpoint received. */
#define REC_MAX_MSG 1024
struct rec {
	atomic_int count;
	uint32_t last_src;
	size_t last_len;
	struct rpmsg_endpoint *last_ept;
	unsigned char last[REC_MAX_MSG];
};

static inline int rec_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src,
			 void *priv)
{
	struct rec *r = priv;

	r->last_src = src;
	r->last_len = len;
	r->last_ept = ept;
	memcpy(r->last, data, len < REC_MAX_MSG ? len : REC_MAX_MSG);
	atomic_fetch_add(&r->count, 1);
	return 0;
}

static inline struct rpmsg_channel_info chinfo(const char *name, uint32_t src, uint32_t dst)
{
	struct rpmsg_channel_info info;

	memset(&info, 0, sizeof(info));
	if (name)
		strncpy(info.name, name, RPMSG_NAME_SIZE - 1);
	info.src = src;
	info.dst = dst;
	return info;
}

/* Create an endpoint or fail the test. */
static inline struct rpmsg_endpoint *mkept(struct rpmsg_link *link, const char *name,
					   uint32_t src, uint32_t dst, rpmsg_rx_cb cb,
					   void *priv)
{
	struct rpmsg_channel_info info = chinfo(name, src, dst);
	struct rpmsg_endpoint *ept = NULL;
	int ret = rpmsg_create_ept(link, &info, cb, priv, &ept);

	if (ret) {
		fprintf(stderr, "FAIL: rpmsg_create_ept(%s, %#x): %d\n", name ? name : "",
			(unsigned)src, ret);
		exit(1);
	}
	return ept;
}

/* Number of channels on a link, and whether one with this name and dst exists. */
static inline int nchannels(struct rpmsg_link *link)
{
	return rpmsg_link_channels(link, NULL, 0);
}

static inline bool find_channel(struct rpmsg_link *link, const char *name, uint32_t dst,
				struct rpmsg_channel_info *found)
{
	struct rpmsg_channel_info infos[64];
	int n = rpmsg_link_channels(link, infos, 64);

	for (int i = 0; i < n && i < 64; i++) {
		if (!strncmp(infos[i].name, name, RPMSG_NAME_SIZE) &&
		    (dst == RPMSG_ADDR_ANY || infos[i].dst == dst)) {
			if (found)
				*found = infos[i];
			return true;
		}
	}
	return false;
}

/*
 * A recording driver: counts probes and removes, remembers the last channel, receives into
 * `rx` when it has a callback; probe returns `refuse` (0: accept). A test declares one with
 * TDRV(name) at file scope (it gets its own probe/remove functions) and sets it up with
 * TDRV_INIT(name, with_callback, "id", ...).
 */
struct tdrv {
	struct rpmsg_driver drv;
	const char *ids[8];
	atomic_int probes, removes;
	int refuse;
	struct rpmsg_channel *last_ch;
	struct rpmsg_channel_info probed_info; /* the channel's info as probe saw it */
	uint32_t probed_ept_addr;              /* its default endpoint's address, or ANY */
	bool ept_in_remove;                    /* the default endpoint still existed in remove */
	void *drvdata_in_remove;
	struct rec rx;
};

static inline int tdrv_probe_impl(struct tdrv *d, struct rpmsg_channel *ch)
{
	atomic_fetch_add(&d->probes, 1);
	d->last_ch = ch;
	d->probed_info = *rpmsg_channel_info(ch);
	d->probed_ept_addr = rpmsg_ept_addr(rpmsg_channel_ept(ch));
	if (!d->refuse)
		rpmsg_channel_set_drvdata(ch, d);
	return d->refuse;
}

static inline void tdrv_remove_impl(struct tdrv *d, struct rpmsg_channel *ch)
{
	atomic_fetch_add(&d->removes, 1);
	d->ept_in_remove = rpmsg_channel_ept(ch) != NULL;
	d->drvdata_in_remove = rpmsg_channel_drvdata(ch);
}

static inline void tdrv_init(struct tdrv *d, const char *name, int (*probe)(struct rpmsg_channel *),
			     void (*remove)(struct rpmsg_channel *), bool with_callback,
			     const char *const *ids)
{
	int i;

	memset(d, 0, sizeof(*d));
	for (i = 0; ids[i] && i < 7; i++)
		d->ids[i] = ids[i];
	d->ids[i] = NULL;
	d->drv.name = name;
	d->drv.id_table = d->ids;
	d->drv.probe = probe;
	d->drv.remove = remove;
	d->drv.callback = with_callback ? rec_cb : NULL;
	d->drv.priv = &d->rx;
	d->probed_ept_addr = RPMSG_ADDR_ANY;
}

#define TDRV(n)                                                                                    \
	static struct tdrv n;                                                                      \
	static int n##_probe(struct rpmsg_channel *ch) { return tdrv_probe_impl(&n, ch); }         \
	static void n##_remove(struct rpmsg_channel *ch) { tdrv_remove_impl(&n, ch); }

#define TDRV_INIT(n, with_callback, ...)                                                           \
	tdrv_init(&n, #n, n##_probe, n##_remove, with_callback,                                    \
		  (const char *const[]){ __VA_ARGS__, NULL })

/* Milliseconds on the monotonic clock. */
static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

#endif
