/*
 * A hostile or broken peer writing the share buffers and registers by hand: bad ids and
 * lengths, malformed name-service messages, messages for ids nobody handles, a watchdog
 * status. Each is dropped and counted, the register is cleared (so the peer can go on), no
 * callback sees it, and the link keeps working. Both roles.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "testlib.h"
#include "scp_util.h"

#define S RPMSG_SCP_SHARE_BUF_SIZE
#define BASE RPMSG_SCP_DEFAULT_IPI_BASE

static int rx_count, rx_len, probes, removes;
static uint8_t rx_data[S];

static int cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept; (void)src; (void)priv;
	rx_count++;
	rx_len = (int)len;
	memcpy(rx_data, data, len);
	return 0;
}

static int on_probe(struct rpmsg_channel *ch) { (void)ch; probes++; return 0; }
static void on_remove(struct rpmsg_channel *ch) { (void)ch; removes++; }

static const char *const ids[] = { "svc", "0123456789012345678901234567890", NULL };

/* The fake SCP: fill the receive object, raise the status, let the AP poll. */
/* A register or share-buffer word as the SCP stores it: little-endian in memory. */
static uint32_t le(uint32_t v)
{
	uint8_t b[4];
	uint32_t w;

	sp_p32(b, v);
	memcpy(&w, b, 4);
	return w;
}

static void scp_put(struct spair *p, uint32_t id, uint32_t len, const void *data, size_t n)
{
	uint8_t *o = p->shm + BASE;

	sp_p32(o, id);
	sp_p32(o + 4, len);
	if (n)
		memcpy(o + 8, data, n);
	__atomic_store_n((uint32_t *)(void *)(p->shm + RPMSG_SCP_REG_SCP_TO_HOST), le(1u), __ATOMIC_RELEASE);
	rpmsg_bus_poll(p->bh, 0);
}

static void ns(struct spair *p, const char *name, size_t name_len, uint32_t addr, uint32_t len)
{
	uint8_t m[64];

	memset(m, 0, sizeof(m));
	memcpy(m, name, name_len);
	sp_p32(m + 32, addr);
	scp_put(p, 0xFF, len, m, sizeof(m));
}

/* A peer that never stops: junk messages as fast as the AP takes them. */
static atomic_bool flooding;

static void *flood(void *arg)
{
	uint8_t *shm = arg;
	uint32_t *st = (uint32_t *)(void *)(shm + RPMSG_SCP_REG_SCP_TO_HOST);

	while (atomic_load(&flooding)) {
		__atomic_store_n((uint32_t *)(void *)(shm + BASE), le(300u), __ATOMIC_RELAXED);
		__atomic_store_n(st, le(1u), __ATOMIC_RELEASE);
	}
	return NULL;
}

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct rpmsg_scp_stats stats(struct rpmsg_link *l)
{
	struct rpmsg_scp_stats s;

	rpmsg_scp_get_stats(l, &s);
	return s;
}

static void host_side(void)
{
	struct rpmsg_driver drv = { .name = "ap", .id_table = ids, .probe = on_probe,
				    .remove = on_remove, .callback = cb };
	struct rpmsg_channel_info list[8];
	struct spair p;
	uint8_t init[44] = { 1 }, big[S + 8];
	uint32_t *st;

	CHECK_EQ(spair_open(&p, "hh", NULL, NULL, 0, 0), 0);
	CHECK_EQ(rpmsg_register_driver(p.bh, &drv), 0);
	st = (uint32_t *)(void *)(p.shm + RPMSG_SCP_REG_SCP_TO_HOST);

	/* INIT with signaled = 0 does not bring the link up; 1 does. */
	init[0] = 0;
	scp_put(&p, 0, 44, init, 44);
	CHECK(!rpmsg_link_is_up(p.lh));
	CHECK_EQ(*st, 0);
	init[0] = 1;
	memset(init + 4, 'v', 32); /* an unterminated version string */
	scp_put(&p, 0, 44, init, 44);
	CHECK(rpmsg_link_is_up(p.lh));
	{
		struct rpmsg_scp_info info;

		rpmsg_scp_get_info(p.lh, &info);
		CHECK_EQ(strlen(info.fw_version), 31);
	}

	/* Bad lengths and ids: dropped, counted, status cleared. */
	memset(big, 0x41, sizeof(big));
	scp_put(&p, 5, S + 1, big, 0);
	scp_put(&p, 5, 0xFFFFFFFFu, big, 0);
	scp_put(&p, 256, 4, big, 0);
	scp_put(&p, 0xFFFFFFFFu, 0xFFFFFFFFu, big, 0);
	CHECK_EQ(stats(p.lh).rx_bad, 4);
	CHECK_EQ(*st, 0);
	CHECK_EQ(rx_count, 0);

	/* Name service: only 36 bytes, a name, an id in 1..254. */
	ns(&p, "svc", 3, 7, 35);
	ns(&p, "svc", 3, 7, 37);
	ns(&p, "svc", 3, 7, 0);
	ns(&p, "", 0, 7, 36);
	ns(&p, "svc", 3, 0, 36);
	ns(&p, "svc", 3, 0xFF, 36);
	ns(&p, "svc", 3, 300, 36);
	ns(&p, "svc", 3, RPMSG_ADDR_ANY, 36);
	CHECK_EQ(stats(p.lh).ns_bad, 8);
	CHECK_EQ(rpmsg_link_channels(p.lh, NULL, 0), 0);
	CHECK_EQ(probes, 0);
	/* A valid one, then the same again (refused as a duplicate), then a 32-character
	 * name with no NUL: cut to 31. */
	ns(&p, "svc", 3, 7, 36);
	ns(&p, "svc", 3, 7, 36);
	ns(&p, "0123456789012345678901234567890X", 32, 9, 36);
	CHECK_EQ(rpmsg_link_channels(p.lh, list, 8), 2);
	CHECK(!strcmp(list[0].name, "svc"));
	CHECK_EQ(list[0].src, 7);
	CHECK_EQ(list[0].dst, RPMSG_ADDR_ANY);
	CHECK(!strcmp(list[1].name, "0123456789012345678901234567890"));
	CHECK_EQ(list[1].src, 9);
	CHECK_EQ(probes, 2);

	/* Data for a bound id arrives; bytes after len are not shown (a zeroed local copy). */
	scp_put(&p, 7, 3, "abcdef", 6);
	CHECK_EQ(rx_count, 1);
	CHECK_EQ(rx_len, 3);
	CHECK_MEM(rx_data, "abc", 3);
	/* A zero-length message is fine. */
	scp_put(&p, 7, 0, NULL, 0);
	CHECK_EQ(rx_count, 2);
	CHECK_EQ(rx_len, 0);
	/* Data for an id nobody handles: dropped and counted. */
	scp_put(&p, 8, 3, "abc", 3);
	CHECK_EQ(stats(p.lh).rx_dropped, 1);
	CHECK_EQ(rx_count, 2);

	/* The peer changes the object after raising the status: only one read counts. */
	scp_put(&p, 7, S, big, S);
	CHECK_EQ(rx_len, S);

	/* Watchdog: channels go, link down; a new INIT brings it back. */
	__atomic_store_n(st, le(RPMSG_SCP_WDT_BIT), __ATOMIC_RELEASE);
	rpmsg_bus_poll(p.bh, 0);
	CHECK_EQ(*st, 0);
	CHECK_EQ(stats(p.lh).watchdogs, 1);
	CHECK(!rpmsg_link_is_up(p.lh));
	CHECK_EQ(removes, 2);
	CHECK_EQ(rpmsg_link_channels(p.lh, NULL, 0), 0);
	scp_put(&p, 0, 44, init, 44);
	CHECK(rpmsg_link_is_up(p.lh));
	ns(&p, "svc", 3, 7, 36);
	CHECK_EQ(probes, 3);
	CHECK_EQ(stats(p.lh).rx_msgs, 19);

	/* Announcements without end: at most 256 channels, the rest refused. */
	for (int i = 0; i < 300; i++) {
		char nm[16];

		snprintf(nm, sizeof(nm), "flood%d", i);
		ns(&p, nm, strlen(nm), 1 + (uint32_t)i % 250, 36);
	}
	CHECK_EQ(rpmsg_link_channels(p.lh, NULL, 0), 256);
	CHECK_EQ(stats(p.lh).ns_bad, 8 + 45);

	/* A send waiting for its ack while the peer floods junk still ends on time. */
	{
		pthread_t th;
		int64_t t0;

		atomic_store(&flooding, true);
		pthread_create(&th, NULL, flood, p.shm);
		t0 = ms_now();
		CHECK_EQ(rpmsg_scp_ipi_send(p.lh, 7, "x", 1, 100), -EIO);
		CHECK(ms_now() - t0 < 1000);
		atomic_store(&flooding, false);
		pthread_join(th, NULL);
		CHECK(stats(p.lh).rx_bad > 4);
	}
	spair_close(&p);
}

/* The SCP role against a hand-written AP. */
static void remote_side(void)
{
	struct rpmsg_scp_config rc = { .role = RPMSG_SCP_REMOTE };
	struct rpmsg_driver drv = { .name = "scp", .id_table = ids, .callback = cb };
	struct rpmsg_channel_info ci = { .name = "svc", .src = 7, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_platform *pr;
	struct rpmsg_bus *br;
	struct rpmsg_link *lr;
	char name[48];
	uint8_t *shm, *tx;
	uint32_t *h2s, *s2h;

	rx_count = 0;
	snprintf(name, sizeof(name), "t-scp-hr-%d", (int)getpid());
	rpmsg_posix_unlink(name);
	CHECK_EQ(rpmsg_posix_create(name, 64 * 1024, &pr), 0);
	shm = pr->shm.va;
	tx = shm + BASE + 8 + S; /* AP -> SCP */
	h2s = (uint32_t *)(void *)(shm + RPMSG_SCP_REG_HOST_TO_SCP);
	s2h = (uint32_t *)(void *)(shm + RPMSG_SCP_REG_SCP_TO_HOST);
	CHECK_EQ(rpmsg_bus_create(&br), 0);
	CHECK_EQ(rpmsg_register_driver(br, &drv), 0);
	CHECK_EQ(rpmsg_scp_create(br, pr, &rc, &lr), 0);
	CHECK(rpmsg_link_is_up(lr));
	CHECK_EQ(*s2h, le(1)); /* INIT */
	CHECK_EQ(rpmsg_create_channel(lr, &ci, NULL), 0);
	/* The announcement waits in the queue while INIT has not been taken. */
	CHECK_EQ(sp_g32(shm + BASE), 0);
	*s2h = le(0);
	rpmsg_bus_poll(br, 0);
	CHECK_EQ(sp_g32(shm + BASE), 0xFF);
	CHECK_EQ(*s2h, le(1));
	*s2h = le(0);

	/* Bad length / id from the AP. */
	sp_p32(tx, 7);
	sp_p32(tx + 4, S + 4);
	*h2s = le(1);
	rpmsg_bus_poll(br, 0);
	sp_p32(tx, 1000);
	sp_p32(tx + 4, 4);
	*h2s = le(1);
	rpmsg_bus_poll(br, 0);
	CHECK_EQ(*h2s, le(0));
	CHECK_EQ(stats(lr).rx_bad, 2);
	CHECK_EQ(rx_count, 0);
	/* A good one. */
	sp_p32(tx, 7);
	sp_p32(tx + 4, 2);
	memcpy(tx + 8, "hi", 2);
	*h2s = le(1);
	rpmsg_bus_poll(br, 0);
	CHECK_EQ(rx_count, 1);
	CHECK_MEM(rx_data, "hi", 2);
	/* Only the IPC bit counts as a message on the SCP side. */
	*h2s = le(0x10);
	rpmsg_bus_poll(br, 0);
	CHECK_EQ(rx_count, 1);
	*h2s = le(0);
	/* Endpoints are IPI ids 1..254 only. */
	{
		struct rpmsg_channel_info e = { .name = "", .src = RPMSG_ADDR_ANY, .dst = RPMSG_ADDR_ANY };
		struct rpmsg_endpoint *ept;

		CHECK_EQ(rpmsg_create_ept(lr, &e, cb, NULL, &ept), -EINVAL);
		e.src = 0;
		CHECK_EQ(rpmsg_create_ept(lr, &e, cb, NULL, &ept), -EADDRINUSE);
		e.src = 0xFF;
		CHECK_EQ(rpmsg_create_ept(lr, &e, cb, NULL, &ept), -EADDRINUSE);
		e.src = 256;
		CHECK_EQ(rpmsg_create_ept(lr, &e, cb, NULL, &ept), -EINVAL);
		e.src = 100;
		CHECK_EQ(rpmsg_create_ept(lr, &e, cb, NULL, &ept), 0);
		CHECK_EQ(rpmsg_ept_dst(ept), 100);
		CHECK_EQ(rpmsg_scp_announce(lr, "late", 100), 0);
		CHECK_EQ(rpmsg_scp_announce(lr, "", 100), -EINVAL);
		rpmsg_bus_poll(br, 0);
		CHECK_EQ(sp_g32(shm + BASE), 0xFF);
		CHECK_MEM(shm + BASE + 8, "late", 5);
		rpmsg_destroy_ept(ept);
	}
	/* The AP goes away (reset): down, channels removed, sends refused. */
	*(uint32_t *)(void *)(shm + RPMSG_SCP_REG_SIM_RESET) = le(1);
	rpmsg_bus_poll(br, 0);
	CHECK(!rpmsg_link_is_up(lr));
	CHECK_EQ(rpmsg_link_channels(lr, NULL, 0), 0);
	CHECK_EQ(rpmsg_scp_ipi_send(lr, 7, "x", 1, 0), -EPIPE);
	rpmsg_bus_destroy(br);
	rpmsg_posix_unlink(name);
}

int main(void)
{
	t_timeout(30);
	host_side();
	remote_side();
	return t_done();
}
