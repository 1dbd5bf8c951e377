/*
 * Acks and timeouts, with the SCP in a child process: a send whose ack comes returns 0; a
 * missing ack fails cleanly after ack_timeout_ms (-ETIMEDOUT from rpmsg_send, Linux's -EIO
 * from the raw IPI send) and the link keeps working; a slot the SCP does not take makes a
 * send fail after busy_timeout_ms (-ETIMEDOUT) and trysend fail at once (-EAGAIN); an AP
 * send before the SCP's INIT is -ENOTCONN.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "testlib.h"
#include "scp_util.h"

#define ID 20

static struct rpmsg_channel *ch;
static int naps;

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SCP: 'R' -> reply (the ack); 'N' -> no reply; 'S' -> reply, then stop taking messages for 1 s. */
static int scp_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	const char *m = data;

	(void)src; (void)priv;
	if (len < 1)
		return 0;
	if (m[0] == 'R' || m[0] == 'S')
		rpmsg_send(ept, "ack", 3);
	if (m[0] == 'S')
		naps++;
	return 0;
}

static int host_rx;

static int host_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept; (void)data; (void)len; (void)src; (void)priv;
	host_rx++;
	return 0;
}

static int on_probe(struct rpmsg_channel *c)
{
	ch = c;
	return 0;
}

static const char *const ids[] = { "ack-svc", NULL };

static int scp_side(const char *name)
{
	struct rpmsg_scp_config cfg = { .role = RPMSG_SCP_REMOTE };
	struct rpmsg_driver drv = { .name = "scp", .id_table = ids, .callback = scp_cb };
	struct rpmsg_channel_info ci = { .name = "ack-svc", .src = ID, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	int seen_naps = 0;

	usleep(200 * 1000); /* let the AP try a send before INIT */
	if (rpmsg_posix_attach(name, &plat) || rpmsg_bus_create(&bus) ||
	    rpmsg_register_driver(bus, &drv) || rpmsg_scp_create(bus, plat, &cfg, &link))
		return 10;
	if (rpmsg_create_channel(link, &ci, NULL))
		return 11;
	while (rpmsg_link_is_up(link)) {
		rpmsg_bus_poll(bus, 10);
		if (naps != seen_naps) {
			seen_naps = naps;
			usleep(1000 * 1000); /* a busy SCP: the AP's doorbell stays set */
		}
	}
	rpmsg_bus_destroy(bus);
	return 0;
}

int main(void)
{
	struct rpmsg_scp_config cfg = { .role = RPMSG_SCP_HOST, .ack_timeout_ms = 300,
					.busy_timeout_ms = 200 };
	struct rpmsg_driver drv = { .name = "ap", .id_table = ids, .probe = on_probe, .callback = host_cb };
	struct rpmsg_channel_info early = { .name = "", .src = ID + 1, .dst = RPMSG_ADDR_ANY };
	struct rpmsg_endpoint *ept, *early_ept;
	struct rpmsg_platform *plat;
	struct rpmsg_scp_stats s;
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	char name[48];
	int status = -1;
	int64_t t0, dt;
	pid_t pid;

	t_timeout(60);
	snprintf(name, sizeof(name), "t-scp-ack-%d", (int)getpid());
	rpmsg_posix_unlink(name);
	CHECK_EQ(rpmsg_posix_create(name, 64 * 1024, &plat), 0);
	CHECK_EQ(rpmsg_bus_create(&bus), 0);
	CHECK_EQ(rpmsg_register_driver(bus, &drv), 0);
	CHECK_EQ(rpmsg_scp_create(bus, plat, &cfg, &link), 0);
	pid = fork();
	if (pid == 0)
		_exit(scp_side(name));

	/* Before INIT: not up, sends refused. */
	CHECK_EQ(rpmsg_create_ept(link, &early, host_cb, NULL, &early_ept), 0);
	CHECK(!rpmsg_link_is_up(link));
	CHECK_EQ(rpmsg_send(early_ept, "x", 1), -ENOTCONN);
	rpmsg_destroy_ept(early_ept);

	for (int i = 0; i < 500 && !ch; i++)
		rpmsg_bus_poll(bus, 10);
	CHECK(ch != NULL);
	if (!ch)
		goto out;
	CHECK(rpmsg_link_is_up(link));
	ept = rpmsg_channel_ept(ch);

	/* An acknowledged send. */
	t0 = ms_now();
	CHECK_EQ(rpmsg_send(ept, "R", 1), 0);
	CHECK(ms_now() - t0 < 300);
	CHECK_EQ(host_rx, 1); /* the ack was delivered too */

	/* No ack: -ETIMEDOUT after about ack_timeout_ms, counted, and nothing stuck. */
	t0 = ms_now();
	CHECK_EQ(rpmsg_send(ept, "N", 1), -ETIMEDOUT);
	dt = ms_now() - t0;
	CHECK(dt >= 290 && dt < 1500);
	CHECK_EQ(rpmsg_scp_get_stats(link, &s), 0);
	CHECK_EQ(s.ack_timeouts, 1);
	CHECK_EQ(rpmsg_send(ept, "R", 1), 0);
	CHECK_EQ(host_rx, 2);

	/* The raw IPI send: Linux's -EIO when the ack does not come; 0 when it does. */
	t0 = ms_now();
	CHECK_EQ(rpmsg_scp_ipi_send(link, ID, "N", 1, 100), -EIO);
	dt = ms_now() - t0;
	CHECK(dt >= 95 && dt < 1000);
	CHECK_EQ(rpmsg_scp_ipi_send(link, ID, "R", 1, 1000), 0);
	CHECK_EQ(rpmsg_scp_ipi_send(link, ID, "N", 1, 0), 0); /* wait 0: no ack wanted */
	/* trysend never waits for the ack either. */
	for (int i = 0; i < 200 && rpmsg_trysend(ept, "N", 1) == -EAGAIN; i++)
		rpmsg_bus_poll(bus, 5);

	/* The SCP stops taking messages for a second after 'S'. */
	CHECK_EQ(rpmsg_send(ept, "S", 1), 0);
	usleep(50 * 1000);
	CHECK_EQ(rpmsg_trysend(ept, "x", 1), 0); /* fills the slot; the SCP naps */
	CHECK_EQ(rpmsg_trysend(ept, "y", 1), -EAGAIN);
	t0 = ms_now();
	CHECK_EQ(rpmsg_send(ept, "y", 1), -ETIMEDOUT);
	dt = ms_now() - t0;
	CHECK(dt >= 190 && dt < 1000);
	CHECK_EQ(rpmsg_scp_ipi_send(link, ID, "y", 1, 0), -ETIMEDOUT);
	CHECK_EQ(rpmsg_scp_get_stats(link, &s), 0);
	CHECK_EQ(s.busy_timeouts, 2);
	/* After the nap the SCP takes it again. */
	t0 = ms_now();
	while (rpmsg_send(ept, "R", 1) != 0 && ms_now() - t0 < 3000)
		;
	CHECK(ms_now() - t0 < 3000);
	CHECK_EQ(rpmsg_scp_get_stats(link, &s), 0);
	CHECK_EQ(s.rx_bad + s.ns_bad + s.rx_dropped, 0);
out:
	rpmsg_bus_destroy(bus);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	rpmsg_posix_unlink(name);
	return t_done();
}
