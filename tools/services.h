/* Built-in services a simulated remote processor offers, and the main side's view of them. */
#ifndef RPMSG_TOOL_SERVICES_H
#define RPMSG_TOOL_SERVICES_H

#include <rpmsg/rpmsg.h>

/* The services a remote can announce: echo, sink (drops), source (answers "N" with N
 * numbered messages), sample (Linux's rpmsg-client-sample peer: echoes). */
struct service {
	const char *name;    /* channel name announced */
	rpmsg_rx_cb cb;
};

const struct service *service_find(const char *name);
const char *service_names(void); /* "echo, sink, ..." for help texts */
/* Fill `out` (max entries + NULL) with every built-in service name. */
void service_all(const char **out, int max);

/* Create the service's endpoint on a link (address ANY) and announce it. */
int service_start(struct rpmsg_link *link, const struct service *svc, struct rpmsg_endpoint **out);

#endif
