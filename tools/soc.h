/*
 * A simulated SoC: the main CPU (this process, one bus) and remote processors, each a
 * separate process on its own link and transport, joined by POSIX shared memory.
 */
#ifndef RPMSG_TOOL_SOC_H
#define RPMSG_TOOL_SOC_H

#include <stdbool.h>
#include <sys/types.h>

#include <rpmsg/platform.h>
#include <rpmsg/rpmsg.h>

#include "host.h"
#include "services.h"

#define SOC_MAX_REMOTES 8
#define SOC_MAX_SERVICES 8

/* How the tool brings up one transport, in either role. */
struct tool_transport {
	const char *name;
	size_t shm_size;
	/*
	 * remote = the remote processor's role (virtio device, SCP side, ...); services = the
	 * names the remote will serve (SMD creates its channels with the link).
	 */
	int (*create)(struct rpmsg_bus *bus, struct rpmsg_platform *plat, const char *link_name,
		      bool remote, int timeout_ms, const char *const *services, struct rpmsg_link **out);
	/* Remote role: offer service number i on the link (NULL: an endpoint announced by NS). */
	int (*serve)(struct rpmsg_link *link, int i, const struct service *svc,
		     struct rpmsg_endpoint **out);
	bool variant; /* a byte-order or layout variant of the one above: not in the demo */
};

const struct tool_transport *tool_transport_find(const char *name);
/* "virtio, ..." for help texts; iterate with index until NULL. */
const struct tool_transport *tool_transport_at(int i);

struct soc_remote {
	const struct tool_transport *tp;
	char link_name[32];
	const char *services[SOC_MAX_SERVICES + 1]; /* NULL-terminated; built-in names */
	bool external;          /* no process of ours: a user program attaches */
	char shm_name[96];
	pid_t pid;
	struct rpmsg_link *link; /* main side */
};

struct soc {
	char name[32];
	const char *capture;    /* pcapng file of the main CPU's bus, or NULL */
	struct host host;
	struct soc_remote remotes[SOC_MAX_REMOTES];
	int nremotes;
};

/* Parse "transport[:svc,svc,...]" (services default to all; "external" = none of ours). */
int soc_parse_remote(struct soc *s, const char *spec, char *err, size_t errlen);
/* Read "remote <spec>" lines ('#' comments) from a file. */
int soc_load_config(struct soc *s, const char *path, char *err, size_t errlen);
/* Fork the remotes and connect the main side to each; err gets a message on failure. */
int soc_start(struct soc *s, char *err, size_t errlen);
/* Kill the remotes and remove the shared memory if a signal ends this process. */
void soc_cleanup_on_signals(struct soc *s);
/* Reset every link (the remotes exit), reap them, remove the shared memory. */
void soc_stop(struct soc *s);

/* The remote processor's main loop (also what `rpmsg remote` runs). */
int soc_remote_main(const struct tool_transport *tp, const char *shm_name, const char *link_name,
		    const char *const *services);

#endif
