/* The simulated SoC: remote processors as child processes, one link each. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rpmsg/capture.h>
#include <rpmsg/glink.h>
#include <rpmsg/scp.h>
#include <rpmsg/smd.h>
#include <rpmsg/virtio.h>

#include "services.h"
#include "soc.h"

/* ---- transports the tool knows ---- */

static int virtio_create_order(struct rpmsg_bus *bus, struct rpmsg_platform *plat,
			       const char *link_name, bool remote, int timeout_ms, bool big_endian,
			       struct rpmsg_link **out)
{
	struct rpmsg_virtio_config cfg = {
		.role = remote ? RPMSG_VIRTIO_DEVICE : RPMSG_VIRTIO_DRIVER,
		.name = link_name,
		.big_endian = big_endian,
		.attach_timeout_ms = timeout_ms,
	};

	return rpmsg_virtio_create(bus, plat, &cfg, out);
}

static int virtio_create(struct rpmsg_bus *bus, struct rpmsg_platform *plat, const char *link_name,
			 bool remote, int timeout_ms, const char *const *services, struct rpmsg_link **out)
{
	(void)services;
	return virtio_create_order(bus, plat, link_name, remote, timeout_ms, false, out);
}

/* Legacy virtio as a big-endian main CPU drives it: rings, headers and table big-endian. */
static int virtio_be_create(struct rpmsg_bus *bus, struct rpmsg_platform *plat,
			    const char *link_name, bool remote, int timeout_ms,
			    const char *const *services, struct rpmsg_link **out)
{
	(void)services;
	return virtio_create_order(bus, plat, link_name, remote, timeout_ms, true, out);
}

/* The SCP's channels are IPI ids, announced on the name-service IPI. */
#define SCP_FIRST_IPI 0x10u

static int scp_create(struct rpmsg_bus *bus, struct rpmsg_platform *plat, const char *link_name,
		      bool remote, int timeout_ms, const char *const *services, struct rpmsg_link **out)
{
	struct rpmsg_scp_config cfg = {
		.role = remote ? RPMSG_SCP_REMOTE : RPMSG_SCP_HOST,
		.name = link_name,
	};

	(void)timeout_ms;
	(void)services;
	return rpmsg_scp_create(bus, plat, &cfg, out);
}

static int scp_serve(struct rpmsg_link *link, int i, const struct service *svc,
		     struct rpmsg_endpoint **out)
{
	struct rpmsg_channel_info info = { .src = SCP_FIRST_IPI + (uint32_t)i, .dst = RPMSG_ADDR_ANY };
	int ret;

	snprintf(info.name, sizeof(info.name), "%s", svc->name);
	if ((ret = rpmsg_create_ept(link, &info, svc->cb, NULL, out)))
		return ret;
	if ((ret = rpmsg_scp_announce(link, svc->name, info.src))) {
		rpmsg_destroy_ept(*out);
		*out = NULL;
	}
	return ret;
}

/* SMD: the remote creates its channels in SMEM; the main CPU lays SMEM out, as a boot loader. */
static int smd_create(struct rpmsg_bus *bus, struct rpmsg_platform *plat, const char *link_name,
		      bool remote, int timeout_ms, const char *const *services, struct rpmsg_link **out)
{
	struct rpmsg_smd_config cfg = {
		.role = remote ? RPMSG_SMD_REMOTE : RPMSG_SMD_MAIN,
		.name = link_name,
		.format_smem = !remote,
		.attach_timeout_ms = timeout_ms,
		.channels = remote ? services : NULL,
	};

	return rpmsg_smd_create(bus, plat, &cfg, out);
}

/* Point-to-point (SMD, GLINK): an endpoint named after the channel opens it. */
static int p2p_serve(struct rpmsg_link *link, int i, const struct service *svc,
		     struct rpmsg_endpoint **out)
{
	struct rpmsg_channel_info info = { .src = RPMSG_ADDR_ANY, .dst = RPMSG_ADDR_ANY };

	(void)i;
	snprintf(info.name, sizeof(info.name), "%s", svc->name);
	return rpmsg_create_ept(link, &info, svc->cb, NULL, out);
}

/* GLINK over SMEM: the remote opens its channels at start; the main CPU formats SMEM. */
static int glink_create(struct rpmsg_bus *bus, struct rpmsg_platform *plat, const char *link_name,
			bool remote, int timeout_ms, const char *const *services, struct rpmsg_link **out)
{
	struct rpmsg_glink_config cfg = {
		.role = remote ? RPMSG_GLINK_REMOTE : RPMSG_GLINK_MAIN,
		.name = link_name,
		.format_smem = !remote,
		.attach_timeout_ms = timeout_ms,
		.channels = remote ? services : NULL,
	};

	return rpmsg_glink_create(bus, plat, &cfg, out);
}

static const struct tool_transport transports[] = {
	{ "virtio", 1u << 20, virtio_create, NULL, false },
	{ "glink", 1u << 20, glink_create, p2p_serve, false },
	{ "smd", 1u << 20, smd_create, p2p_serve, false },
	{ "scp", 1u << 16, scp_create, scp_serve, false },
	{ "virtio-be", 1u << 20, virtio_be_create, NULL, true },
};

const struct tool_transport *tool_transport_at(int i)
{
	return i >= 0 && i < (int)(sizeof(transports) / sizeof(transports[0])) ? &transports[i] : NULL;
}

const struct tool_transport *tool_transport_find(const char *name)
{
	for (int i = 0; tool_transport_at(i); i++)
		if (!strcmp(transports[i].name, name))
			return &transports[i];
	return NULL;
}

/* ---- configuration ---- */

int soc_parse_remote(struct soc *s, const char *spec, char *err, size_t errlen)
{
	char tname[32];
	const char *colon = strchr(spec, ':');
	size_t tlen = colon ? (size_t)(colon - spec) : strlen(spec);
	struct soc_remote *r;
	int nsame = 0;

	if (s->nremotes == SOC_MAX_REMOTES) {
		snprintf(err, errlen, "too many remotes (at most %d)", SOC_MAX_REMOTES);
		return -ENOSPC;
	}
	if (tlen == 0 || tlen >= sizeof(tname)) {
		snprintf(err, errlen, "bad remote '%s': expected transport[:service,...]", spec);
		return -EINVAL;
	}
	memcpy(tname, spec, tlen);
	tname[tlen] = 0;
	r = &s->remotes[s->nremotes];
	memset(r, 0, sizeof(*r));
	if (!(r->tp = tool_transport_find(tname))) {
		snprintf(err, errlen, "unknown transport '%s' (have:", tname);
		for (int i = 0; tool_transport_at(i); i++)
			snprintf(err + strlen(err), errlen - strlen(err), " %s", tool_transport_at(i)->name);
		snprintf(err + strlen(err), errlen - strlen(err), ")");
		return -EINVAL;
	}
	if (colon && !strcmp(colon + 1, "external")) {
		r->external = true;
	} else if (colon && colon[1]) {
		char list[256], *save = NULL;
		int n = 0;

		snprintf(list, sizeof(list), "%s", colon + 1);
		for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			const struct service *svc = service_find(tok);

			if (!svc) {
				snprintf(err, errlen, "unknown service '%s' (have: %s)", tok, service_names());
				return -EINVAL;
			}
			if (n == SOC_MAX_SERVICES) {
				snprintf(err, errlen, "too many services (at most %d)", SOC_MAX_SERVICES);
				return -EINVAL;
			}
			r->services[n++] = svc->name;
		}
	} else {
		service_all(r->services, SOC_MAX_SERVICES);
	}
	for (int i = 0; i < s->nremotes; i++)
		nsame += s->remotes[i].tp == r->tp;
	snprintf(r->link_name, sizeof(r->link_name), "%s%d", r->tp->name, nsame);
	s->nremotes++;
	return 0;
}

int soc_load_config(struct soc *s, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int lineno = 0, ret = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (!ret && fgets(line, sizeof(line), f)) {
		char *p = line, *word, *arg, *save = NULL;

		lineno++;
		if (strchr(p, '#'))
			*strchr(p, '#') = 0;
		word = strtok_r(p, " \t\r\n", &save);
		if (!word)
			continue;
		arg = strtok_r(NULL, " \t\r\n", &save);
		if (!strcmp(word, "remote") && arg && !strtok_r(NULL, " \t\r\n", &save)) {
			char sub[256];

			ret = soc_parse_remote(s, arg, sub, sizeof(sub));
			if (ret)
				snprintf(err, errlen, "%s:%d: %s", path, lineno, sub);
		} else if (!strcmp(word, "name") && arg && strlen(arg) < sizeof(s->name)) {
			snprintf(s->name, sizeof(s->name), "%s", arg);
		} else {
			snprintf(err, errlen, "%s:%d: expected 'remote transport[:services]' or 'name NAME'",
				 path, lineno);
			ret = -EINVAL;
		}
	}
	fclose(f);
	return ret;
}

/* ---- the remote processor ---- */

int soc_remote_main(const struct tool_transport *tp, const char *shm_name, const char *link_name,
		    const char *const *services)
{
	struct rpmsg_endpoint *epts[SOC_MAX_SERVICES] = { 0 };
	struct rpmsg_platform *plat;
	struct rpmsg_bus *bus = NULL;
	struct rpmsg_link *link;
	bool was_up = false;
	int ret, n = 0;

	if ((ret = rpmsg_posix_attach(shm_name, &plat))) {
		fprintf(stderr, "remote %s: attach %s: %s\n", link_name, shm_name, rpmsg_strerror(ret));
		return 1;
	}
	if ((ret = rpmsg_bus_create(&bus)) ||
	    (ret = tp->create(bus, plat, link_name, true, 5000, services, &link))) {
		fprintf(stderr, "remote %s: %s\n", link_name, rpmsg_strerror(ret));
		if (bus)
			rpmsg_bus_destroy(bus);
		return 1;
	}
	/*
	 * Serve until the main CPU resets the link (or 30 s pass without it coming up). Spin
	 * while busy, as firmware polling its rings would, and sleep once idle for a moment.
	 */
	double last_busy = host_now_s();

	for (int idle = 0; was_up || idle < 600;) {
		bool spinning = host_now_s() - last_busy < 0.002;
		int got = rpmsg_bus_poll(bus, spinning ? 0 : 50);

		if (got < 0)
			break;
		if (got > 0)
			last_busy = host_now_s();
		else if (!spinning)
			idle++;
		if (rpmsg_link_is_up(link)) {
			if (!was_up) {
				for (const char *const *s = services; *s && n < SOC_MAX_SERVICES; s++, n++) {
					const struct service *svc = service_find(*s);

					ret = tp->serve ? tp->serve(link, n, svc, &epts[n])
							: service_start(link, svc, &epts[n]);
					if (ret)
						fprintf(stderr, "remote %s: %s: %s\n", link_name, *s,
							rpmsg_strerror(ret));
				}
			}
			was_up = true;
		} else if (was_up) {
			break;
		}
	}
	for (int i = 0; i < n; i++)
		rpmsg_destroy_ept(epts[i]);
	rpmsg_bus_destroy(bus);
	return 0;
}

/* ---- the main CPU ---- */

int soc_start(struct soc *s, char *err, size_t errlen)
{
	int ret;

	if (!s->name[0])
		snprintf(s->name, sizeof(s->name), "soc0");
	if ((ret = host_init(&s->host))) {
		snprintf(err, errlen, "bus: %s", rpmsg_strerror(ret));
		return ret;
	}
	if (s->capture && (ret = rpmsg_capture_start(s->host.bus, s->capture, 0))) {
		snprintf(err, errlen, "capture to %s: %s", s->capture, rpmsg_strerror(ret));
		return ret;
	}
	for (int i = 0; i < s->nremotes; i++) {
		struct soc_remote *r = &s->remotes[i];
		struct rpmsg_platform *plat;

		snprintf(r->shm_name, sizeof(r->shm_name), "sim-%s-%s-%d", s->name, r->link_name, (int)getpid());
		rpmsg_posix_unlink(r->shm_name);
		if ((ret = rpmsg_posix_create(r->shm_name, r->tp->shm_size, &plat))) {
			snprintf(err, errlen, "%s: shared memory %s: %s", r->link_name, r->shm_name,
				 rpmsg_strerror(ret));
			return ret;
		}
		if (r->external) {
			fprintf(stderr, "%s: waiting up to 60 s for a remote to attach to '%s' (%s, remote role)\n",
				r->link_name, r->shm_name, r->tp->name);
		} else {
			pid_t parent = getpid();

			fflush(NULL);
			r->pid = fork();
			if (r->pid < 0) {
				ret = -errno;
				plat->ops->destroy(plat);
				snprintf(err, errlen, "fork: %s", strerror(errno));
				return ret;
			}
			if (r->pid == 0) {
				signal(SIGINT, SIG_DFL);
				signal(SIGTERM, SIG_DFL);
				signal(SIGHUP, SIG_DFL);
				prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the main CPU */
				if (getppid() != parent)
					_exit(1);
				plat->ops->destroy(plat); /* the child attaches on its own */
				_exit(soc_remote_main(r->tp, r->shm_name, r->link_name, r->services));
			}
		}
		ret = r->tp->create(s->host.bus, plat, r->link_name, false, r->external ? 60000 : 5000,
				    r->services, &r->link);
		if (ret) {
			snprintf(err, errlen, "%s: %s", r->link_name, rpmsg_strerror(ret));
			return ret;
		}
	}
	return 0;
}

/* On SIGINT/SIGTERM: leave nothing behind (children, shared memory, FIFOs), then go. */
static struct soc *g_soc;

static void soc_on_signal(int sig)
{
	for (int i = 0; g_soc && i < g_soc->nremotes; i++) {
		if (g_soc->remotes[i].pid > 0)
			kill(g_soc->remotes[i].pid, SIGKILL);
		if (g_soc->remotes[i].shm_name[0])
			rpmsg_posix_unlink(g_soc->remotes[i].shm_name);
	}
	_exit(128 + sig);
}

void soc_cleanup_on_signals(struct soc *s)
{
	struct sigaction sa = { .sa_handler = soc_on_signal };

	g_soc = s;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

void soc_stop(struct soc *s)
{
	if (s->capture && s->host.bus) {
		long n = rpmsg_capture_stop(s->host.bus);

		if (n < 0)
			fprintf(stderr, "capture to %s: %s\n", s->capture, rpmsg_strerror((int)n));
		else
			fprintf(stderr, "%ld records captured to %s\n", n, s->capture);
	}
	host_fini(&s->host); /* destroys the links: each remote sees the reset and exits */
	for (int i = 0; i < s->nremotes; i++) {
		struct soc_remote *r = &s->remotes[i];
		int status;

		if (r->pid > 0) {
			for (int t = 0; t < 50 && waitpid(r->pid, &status, WNOHANG) == 0; t++)
				usleep(20000);
			if (waitpid(r->pid, &status, WNOHANG) == 0) {
				kill(r->pid, SIGKILL);
				waitpid(r->pid, &status, 0);
			}
			r->pid = 0;
		}
		if (r->shm_name[0])
			rpmsg_posix_unlink(r->shm_name);
	}
}
