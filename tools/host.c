/* The main CPU's side of the tool: channel bookkeeping, receive queues, measurements. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host.h"
#include "services.h"

static struct host *g_host; /* driver callbacks get no context of their own */

double host_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool host_is_echo(const struct hchan *c)
{
	return !strcmp(c->info.name, "rpmsg-echo") || !strcmp(c->info.name, "rpmsg-client-sample");
}

/* Called with h->lock held. */
static struct hchan *by_ept(struct host *h, struct rpmsg_endpoint *ept)
{
	for (int i = 0; i < h->nchans; i++)
		if (h->chans[i]->ept == ept)
			return h->chans[i];
	return NULL;
}

static int host_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	struct host *h = priv ? priv : g_host;
	struct hchan *c;
	struct hmsg *m;

	pthread_mutex_lock(&h->lock);
	c = by_ept(h, ept);
	if (c && c->measuring) {
		c->replies++;
	} else if (c && (m = malloc(sizeof(*m) + len))) {
		m->src = src;
		m->len = (uint32_t)len;
		memcpy(m->data, data, len);
		if (c->qcount == HOST_QUEUE_MAX) {
			free(c->queue[c->qhead]);
			c->qhead = (c->qhead + 1) % HOST_QUEUE_MAX;
			c->qcount--;
			c->dropped++;
		}
		c->queue[(c->qhead + c->qcount++) % HOST_QUEUE_MAX] = m;
		pthread_cond_broadcast(&h->cond);
	}
	pthread_mutex_unlock(&h->lock);
	return 0;
}

static int host_probe(struct rpmsg_channel *ch)
{
	struct host *h = g_host;
	struct hchan *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->link = rpmsg_channel_link(ch);
	c->ch = ch;
	c->ept = rpmsg_channel_ept(ch);
	c->info = *rpmsg_channel_info(ch);
	pthread_mutex_lock(&h->lock);
	if (h->nchans == HOST_MAX_CHANNELS) {
		pthread_mutex_unlock(&h->lock);
		free(c);
		return -ENOSPC;
	}
	h->chans[h->nchans++] = c;
	rpmsg_channel_set_drvdata(ch, c);
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	return 0;
}

static void host_remove(struct rpmsg_channel *ch)
{
	struct host *h = g_host;
	struct hchan *c = rpmsg_channel_drvdata(ch);

	if (!c)
		return;
	pthread_mutex_lock(&h->lock);
	c->gone = true;
	c->ch = NULL;
	c->ept = NULL;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

/* The names of the built-in services; other channels get an endpoint on demand. */
static const char *const host_ids[] = { "rpmsg-echo", "rpmsg-sink", "rpmsg-source",
					"rpmsg-client-sample", NULL };
static const struct rpmsg_driver host_drv = {
	.name = "rpmsg-tool", .id_table = host_ids, .probe = host_probe, .remove = host_remove,
	.callback = host_cb,
};

int host_init(struct host *h)
{
	int ret;

	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	g_host = h;
	if ((ret = rpmsg_bus_create(&h->bus)))
		return ret;
	if ((ret = rpmsg_register_driver(h->bus, &host_drv))) {
		rpmsg_bus_destroy(h->bus);
		h->bus = NULL;
	}
	return ret;
}

void host_fini(struct host *h)
{
	host_stop_thread(h);
	if (h->bus)
		rpmsg_bus_destroy(h->bus); /* removes channels and own endpoints */
	h->bus = NULL;
	for (int i = 0; i < h->nchans; i++) {
		struct hchan *c = h->chans[i];

		while (c->qcount) {
			free(c->queue[c->qhead]);
			c->qhead = (c->qhead + 1) % HOST_QUEUE_MAX;
			c->qcount--;
		}
		free(c);
	}
	h->nchans = 0;
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	g_host = NULL;
}

int host_start_thread(struct host *h)
{
	int ret = h->threaded ? 0 : rpmsg_bus_start_thread(h->bus);

	if (!ret)
		h->threaded = true;
	return ret;
}

void host_stop_thread(struct host *h)
{
	if (h->threaded)
		rpmsg_bus_stop_thread(h->bus);
	h->threaded = false;
}

/* Let the bus run while we wait on the condition: its thread or our own polls. */
static void host_wait(struct host *h, double deadline)
{
	if (h->threaded) {
		struct timespec ts;
		double now = host_now_s(), left = deadline - now;

		if (left <= 0)
			return;
		if (left > 0.1)
			left = 0.1;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)left;
		ts.tv_nsec += (long)((left - (double)(time_t)left) * 1e9);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->cond, &h->lock, &ts);
	} else {
		pthread_mutex_unlock(&h->lock);
		rpmsg_bus_poll(h->bus, 10);
		pthread_mutex_lock(&h->lock);
	}
}

/* Channels on the links that no driver of ours binds: adopt them with our own endpoint. */
static void adopt_unbound(struct host *h)
{
	struct rpmsg_link *links[16];
	int nl = rpmsg_bus_links(h->bus, links, 16);

	for (int l = 0; l < nl && l < 16; l++) {
		struct rpmsg_channel_info infos[HOST_MAX_CHANNELS];
		int n = rpmsg_link_channels(links[l], infos, HOST_MAX_CHANNELS);

		for (int i = 0; i < n && i < HOST_MAX_CHANNELS; i++) {
			bool known = false;

			for (int k = 0; k < h->nchans && !known; k++)
				known = h->chans[k]->link == links[l] && !h->chans[k]->gone &&
					!strcmp(h->chans[k]->info.name, infos[i].name) &&
					h->chans[k]->info.dst == infos[i].dst;
			if (!known && h->nchans < HOST_MAX_CHANNELS) {
				struct hchan *c = calloc(1, sizeof(*c));

				if (!c)
					return;
				c->link = links[l];
				c->info = infos[i];
				h->chans[h->nchans++] = c;
			}
		}
	}
}

int host_find(struct host *h, const char *spec, struct hchan **out)
{
	const char *slash = strchr(spec, '/');
	size_t llen = slash ? (size_t)(slash - spec) : 0;
	const char *name = slash ? slash + 1 : spec;
	struct hchan *found = NULL;
	int matches = 0;

	pthread_mutex_lock(&h->lock);
	adopt_unbound(h);
	for (int i = 0; i < h->nchans; i++) {
		struct hchan *c = h->chans[i];
		const char *ln = rpmsg_link_name(c->link);
		const char *cn = c->info.name;

		if (c->gone)
			continue;
		if (slash && (strlen(ln) != llen || strncmp(ln, spec, llen)))
			continue;
		/* "echo" finds "rpmsg-echo": the built-in services' short names */
		if (strcmp(cn, name) && !(service_find(name) && !strcmp(service_find(name)->name, cn)))
			continue;
		found = c;
		matches++;
	}
	pthread_mutex_unlock(&h->lock);
	if (!matches)
		return -ENOENT;
	if (matches > 1)
		return -EEXIST;
	*out = found;
	return 0;
}

static bool counts(const struct hchan *c, struct rpmsg_link *link)
{
	return !c->gone && (!link || c->link == link);
}

int host_count_channels(struct host *h, struct rpmsg_link *link)
{
	int n = 0;

	pthread_mutex_lock(&h->lock);
	for (int i = 0; i < h->nchans; i++)
		n += counts(h->chans[i], link);
	pthread_mutex_unlock(&h->lock);
	return n;
}

int host_wait_channels(struct host *h, struct rpmsg_link *link, int n, int timeout_ms)
{
	double deadline = host_now_s() + timeout_ms / 1e3;
	int have = 0;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		have = 0;
		for (int i = 0; i < h->nchans; i++)
			have += counts(h->chans[i], link);
		if (have >= n || host_now_s() >= deadline)
			break;
		host_wait(h, deadline);
	}
	pthread_mutex_unlock(&h->lock);
	return have >= n ? 0 : -ETIMEDOUT;
}

int host_ept(struct host *h, struct hchan *c, struct rpmsg_endpoint **out)
{
	int ret = 0;

	pthread_mutex_lock(&h->lock);
	if (c->gone) {
		ret = -EPIPE;
	} else if (!c->ept) {
		struct rpmsg_channel_info info = c->info;

		info.src = RPMSG_ADDR_ANY;
		ret = rpmsg_create_ept(c->link, &info, host_cb, h, &c->ept);
		c->own_ept = ret == 0;
	}
	*out = c->ept;
	pthread_mutex_unlock(&h->lock);
	return ret;
}

int host_recv(struct host *h, struct hchan *c, int timeout_ms, struct hmsg **out)
{
	double deadline = host_now_s() + (timeout_ms < 0 ? 1e9 : timeout_ms / 1e3);
	int ret = 0;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		if (c->qcount) {
			*out = c->queue[c->qhead];
			c->qhead = (c->qhead + 1) % HOST_QUEUE_MAX;
			c->qcount--;
			break;
		}
		if (c->gone) {
			ret = -EPIPE;
			break;
		}
		if (h->stopping) {
			ret = -ESHUTDOWN;
			break;
		}
		if (host_now_s() >= deadline) {
			ret = -ETIMEDOUT;
			break;
		}
		host_wait(h, deadline);
	}
	pthread_mutex_unlock(&h->lock);
	return ret;
}

/*
 * Measurements run with the bus polled from this thread (the bus thread, if any, is
 * paused): a round trip then costs what the bus costs, not a thread hand-off.
 */
struct exclusive {
	bool was_threaded;
};

static void measure_begin(struct host *h, struct hchan *c, struct exclusive *x)
{
	x->was_threaded = h->threaded;
	host_stop_thread(h);
	pthread_mutex_lock(&h->lock);
	c->measuring = true;
	c->replies = 0;
	pthread_mutex_unlock(&h->lock);
}

static void measure_end(struct host *h, struct hchan *c, struct exclusive *x)
{
	pthread_mutex_lock(&h->lock);
	c->measuring = false;
	pthread_mutex_unlock(&h->lock);
	if (x->was_threaded)
		host_start_thread(h);
}

static unsigned long replies_of(struct host *h, struct hchan *c)
{
	unsigned long r;

	pthread_mutex_lock(&h->lock);
	r = c->replies;
	pthread_mutex_unlock(&h->lock);
	return r;
}

/* Poll until `c` has `want` replies; 0, -ETIMEDOUT (2 s without progress) or -EPIPE. */
#define ECHO_WINDOW 128 /* echo stream: messages in flight at most */

static int await_replies(struct host *h, struct hchan *c, unsigned long want)
{
	double last = host_now_s();
	unsigned long seen = replies_of(h, c);

	while (seen < want) {
		int n = rpmsg_bus_poll(h->bus, 0);
		unsigned long now_seen;

		if (n < 0)
			return n;
		if (c->gone)
			return -EPIPE;
		now_seen = replies_of(h, c);
		if (now_seen != seen) {
			seen = now_seen;
			last = host_now_s();
		} else if (n == 0) {
			if (host_now_s() - last > 2.0)
				return -ETIMEDOUT;
			/* spin briefly for low latency, then let the bus block a little */
			if (host_now_s() - last > 0.001)
				rpmsg_bus_poll(h->bus, 1);
		}
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int host_ping(struct host *h, struct hchan *echo, int count, size_t size, struct ping_stats *out)
{
	struct rpmsg_endpoint *ept;
	struct exclusive x;
	uint8_t *buf;
	double *rtt;
	int ret, mtu;

	if (count < 1)
		return -EINVAL;
	if ((ret = host_ept(h, echo, &ept)))
		return ret;
	mtu = rpmsg_get_mtu(ept);
	if (mtu > 0 && size > (size_t)mtu)
		return -EMSGSIZE;
	buf = calloc(1, size ? size : 1);
	rtt = calloc((size_t)count, sizeof(double));
	if (!buf || !rtt) {
		free(buf);
		free(rtt);
		return -ENOMEM;
	}
	measure_begin(h, echo, &x);
	double start = host_now_s();

	for (int i = 0; i < count; i++) {
		double t0 = host_now_s();

		if (h->budget_s > 0 && i >= 10 && t0 - start > h->budget_s) {
			count = i; /* out of time: report what we have */
			break;
		}

		memcpy(buf, &i, size < sizeof(i) ? size : sizeof(i));
		if ((ret = rpmsg_send(ept, buf, size)) || (ret = await_replies(h, echo, (unsigned long)i + 1)))
			break;
		rtt[i] = (host_now_s() - t0) * 1e6;
	}
	measure_end(h, echo, &x);
	if (!ret) {
		qsort(rtt, (size_t)count, sizeof(double), cmp_double);
		if (out->samples)
			memcpy(out->samples, rtt, (size_t)count * sizeof(double));
		out->count = count;
		out->min_us = rtt[0];
		out->median_us = rtt[count / 2];
		out->p99_us = rtt[(int)((count - 1) * 0.99)];
		out->max_us = rtt[count - 1];
	}
	free(buf);
	free(rtt);
	return ret;
}

int host_stream(struct host *h, struct hchan *target, struct hchan *sync, long count, size_t size,
		int burst, progress_fn progress, void *arg, struct stream_stats *out)
{
	struct rpmsg_msg msgs[HOST_BURST_MAX];
	struct rpmsg_endpoint *ept;
	struct exclusive x;
	bool echo = host_is_echo(target);
	double t0, last_report;
	uint8_t *buf;
	size_t stride = size ? size : 1;
	int ret = 0, mtu;

	if (count < 1 || burst < 1 || burst > HOST_BURST_MAX)
		return -EINVAL;
	if (!echo && !sync)
		return -EOPNOTSUPP; /* no way to know when the remote has it all */
	if ((ret = host_ept(h, target, &ept)))
		return ret;
	mtu = rpmsg_get_mtu(ept);
	if (mtu > 0 && size > (size_t)mtu)
		return -EMSGSIZE;
	if (!(buf = calloc((size_t)burst, stride)))
		return -ENOMEM;
	for (int k = 0; k < burst; k++)
		msgs[k] = (struct rpmsg_msg){ .data = buf + (size_t)k * stride, .len = size };
	measure_begin(h, target, &x);
	t0 = last_report = host_now_s();
	for (long i = 0, next_clock = 256; i < count;) {
		double stuck_since = 0;
		int n = count - i < burst ? (int)(count - i) : burst;

		/* The clock every 256 messages or so, not per message. */
		if (h->budget_s > 0 && i >= next_clock) {
			next_clock = i + 256;
			if (host_now_s() - t0 > h->budget_s) {
				count = i; /* out of time: report what was sent */
				break;
			}
		}
		/* An echo answers from its callback and drops what it cannot send at once: keep
		 * no more in flight than any remote can hold for its replies. */
		if (echo && i + n - (long)replies_of(h, target) > ECHO_WINDOW) {
			ret = await_replies(h, target, (unsigned long)(i + n - ECHO_WINDOW / 2));
			if (ret < 0)
				break;
		}
		for (int k = 0; k < n; k++) {
			long seq = i + k;

			memcpy(buf + (size_t)k * stride, &seq, size < sizeof(seq) ? size : sizeof(seq));
		}
		/* One message per call, or a burst: what went, the rest next time round. */
		while ((ret = burst == 1 ? rpmsg_trysend(ept, buf, size)
					 : rpmsg_trysend_burst(ept, rpmsg_ept_dst(ept), msgs, n)) == -ENOMEM ||
		       ret == -EAGAIN || ret == -EBUSY) {
			/* transmit ring full: let the bus run (echoes, returned buffers) */
			if ((ret = rpmsg_bus_poll(h->bus, 1)) < 0)
				break;
			if (target->gone) {
				ret = -EPIPE;
				break;
			}
			if (stuck_since == 0) {
				stuck_since = host_now_s();
			} else if (host_now_s() - stuck_since > 5.0) {
				ret = -ETIMEDOUT; /* the remote stopped taking messages */
				break;
			}
		}
		if (ret < 0)
			break;
		/* trysend: 0 for the one message; a burst: how many went (from the first). */
		n = burst == 1 ? 1 : ret;
		ret = 0;
		if ((i & 63) + n >= 64)
			rpmsg_bus_poll(h->bus, 0);
		i += n;
		if (progress && host_now_s() - last_report > 0.02) {
			last_report = host_now_s();
			progress(i, count, last_report - t0, arg);
		}
	}
	if (!ret)
		ret = echo ? await_replies(h, target, (unsigned long)count) : 0;
	measure_end(h, target, &x);
	if (!ret && !echo) {
		struct ping_stats ps = { 0 };

		ret = host_ping(h, sync, 1, 4, &ps); /* in order behind the stream */
	}
	free(buf);
	if (ret)
		return ret;
	out->messages = count;
	out->size = size;
	out->seconds = host_now_s() - t0;
	out->msgs_per_s = (double)count / out->seconds;
	out->mb_per_s = (double)count * (double)size / out->seconds / 1e6;
	if (progress)
		progress(count, count, out->seconds, arg);
	return 0;
}
