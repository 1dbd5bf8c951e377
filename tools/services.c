/* Remote-side services: what a simulated DSP or MCU answers on its channels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services.h"

static int echo_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)priv;
	/* Answer the sender (point-to-point links have no addresses: the channel's peer). */
	if (src == RPMSG_ADDR_ANY)
		rpmsg_send(ept, data, len);
	else
		rpmsg_sendto(ept, data, len, src);
	return 0;
}

static int sink_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept;
	(void)data;
	(void)len;
	(void)src;
	(void)priv;
	return 0;
}

/* A message with a decimal count N (1 if none, at most 10000) asks for N messages back. */
static int source_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	char num[16] = { 0 }, out[32];
	long n;

	(void)priv;
	memcpy(num, data, len < sizeof(num) - 1 ? len : sizeof(num) - 1);
	n = strtol(num, NULL, 10);
	if (n < 1)
		n = 1;
	if (n > 10000)
		n = 10000;
	for (long i = 0; i < n; i++) {
		int k = snprintf(out, sizeof(out), "source %ld", i);

		if (src == RPMSG_ADDR_ANY ? rpmsg_send(ept, out, (size_t)k) : rpmsg_sendto(ept, out, (size_t)k, src))
			break;
	}
	return 0;
}

static const struct service services[] = {
	{ "rpmsg-echo", echo_cb },
	{ "rpmsg-sink", sink_cb },
	{ "rpmsg-source", source_cb },
	{ "rpmsg-client-sample", echo_cb },
};

const struct service *service_find(const char *name)
{
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		const char *short_name = services[i].name + strlen("rpmsg-");

		if (!strcmp(name, services[i].name) || !strcmp(name, short_name))
			return &services[i];
	}
	if (!strcmp(name, "sample"))
		return &services[3];
	return NULL;
}

const char *service_names(void)
{
	return "echo, sink, source, sample (rpmsg-client-sample)";
}

void service_all(const char **out, int max)
{
	int n = 0;

	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]) && n < max; i++)
		out[n++] = services[i].name;
	out[n] = NULL;
}

int service_start(struct rpmsg_link *link, const struct service *svc, struct rpmsg_endpoint **out)
{
	struct rpmsg_channel_info info = { .src = RPMSG_ADDR_ANY, .dst = RPMSG_ADDR_ANY };
	int ret;

	strncpy(info.name, svc->name, RPMSG_NAME_SIZE - 1);
	ret = rpmsg_create_ept(link, &info, svc->cb, NULL, out);
	if (ret)
		return ret;
	ret = rpmsg_ept_announce(*out);
	if (ret) {
		rpmsg_destroy_ept(*out);
		*out = NULL;
	}
	return ret;
}
