/*
 * rpmsg sim: a simulated SoC that keeps running, and the server behind the client
 * commands (ls, send, recv, ping, bench, stop). One thread per client connection; the
 * bus runs on its own thread, paused while a ping or bench measures.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rpmsg/capture.h>

#include "proto.h"
#include "services.h"
#include "soc.h"
#include "tool.h"

struct server {
	struct soc soc;
	int lfd;
	atomic_bool stop;
	atomic_int clients;
	pthread_mutex_t measure; /* one ping/bench at a time */
};

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	(void)sig;
	got_signal = 1;
}

struct client {
	struct server *srv;
	FILE *f;
};

static void reply_err(FILE *f, int err, const char *what)
{
	fprintf(f, "err %d %s%s%s\n", err < 0 ? -err : err, what ? what : "", what ? ": " : "",
		rpmsg_strerror(err));
}

static int find_chan(struct server *s, FILE *f, const char *spec, struct hchan **out)
{
	int ret = host_find(&s->soc.host, spec, out);

	if (ret == -ENOENT)
		fprintf(f, "err %d no channel '%s'\n", ENOENT, spec);
	else if (ret == -EEXIST)
		fprintf(f, "err %d channel name '%s' is ambiguous: use link/name\n", EEXIST, spec);
	return ret;
}

static void do_ls(struct server *s, FILE *f)
{
	struct host *h = &s->soc.host;
	struct rpmsg_link *links[SOC_MAX_REMOTES];
	int nl = rpmsg_bus_links(h->bus, links, SOC_MAX_REMOTES);

	for (int l = 0; l < nl && l < SOC_MAX_REMOTES; l++) {
		struct rpmsg_channel_info infos[HOST_MAX_CHANNELS];
		int n = rpmsg_link_channels(links[l], infos, HOST_MAX_CHANNELS);

		fprintf(f, "link %s %s %s\n", rpmsg_link_name(links[l]), rpmsg_link_transport(links[l]),
			rpmsg_link_is_up(links[l]) ? "up" : "down");
		for (int i = 0; i < n && i < HOST_MAX_CHANNELS; i++) {
			uint32_t src = infos[i].src, dst = infos[i].dst;
			struct hchan *c;
			pthread_mutex_lock(&h->lock);
			for (int k = 0; k < h->nchans; k++) {
				c = h->chans[k];
				if (c->link == links[l] && !c->gone && c->ept &&
				    !strcmp(c->info.name, infos[i].name) && c->info.dst == dst)
					src = rpmsg_ept_addr(c->ept);
			}
			pthread_mutex_unlock(&h->lock);
			fprintf(f, "chan %s %s ", rpmsg_link_name(links[l]), infos[i].name[0] ? infos[i].name : "-");
			fprintf(f, src == RPMSG_ADDR_ANY ? "- " : "%u ", src);
			fprintf(f, dst == RPMSG_ADDR_ANY ? "-\n" : "%u\n", dst);
		}
	}
	fprintf(f, "ok\n");
}

static void do_send(struct server *s, FILE *f, const char *spec, const char *hex)
{
	static uint8_t buf[PROTO_LINE_MAX / 2];
	struct rpmsg_endpoint *ept;
	struct hchan *c;
	long n = proto_hex_decode(buf, sizeof(buf), hex ? hex : "");
	int ret;

	if (n < 0) {
		fprintf(f, "err %d malformed data\n", EINVAL);
		return;
	}
	if (find_chan(s, f, spec, &c))
		return;
	if ((ret = host_ept(&s->soc.host, c, &ept)) || (ret = rpmsg_send(ept, buf, (size_t)n)))
		reply_err(f, ret, "send");
	else
		fprintf(f, "ok\n");
}

static void do_recv(struct server *s, FILE *f, const char *spec, long count, int ms)
{
	struct hchan *c;

	if (find_chan(s, f, spec, &c))
		return;
	for (long i = 0; i < count; i++) {
		struct hmsg *m;
		int ret = host_recv(&s->soc.host, c, ms, &m);
		char *hex;

		if (ret) {
			reply_err(f, ret, i ? "recv (after some messages)" : "recv");
			return;
		}
		hex = malloc(2 * (size_t)m->len + 1);
		if (hex) {
			proto_hex_encode(hex, m->data, m->len);
			fprintf(f, "msg %u %s\n", m->src, hex);
			fflush(f);
		}
		free(hex);
		free(m);
	}
	fprintf(f, "ok\n");
}

static void bench_progress(long done, long total, double seconds, void *arg)
{
	FILE *f = arg;

	fprintf(f, "progress %ld %ld %.3f\n", done, total, seconds);
	fflush(f);
}

/* The echo channel on the same link, for bench's completion marker. */
static struct hchan *sync_for(struct host *h, struct hchan *target)
{
	struct hchan *best = NULL;

	pthread_mutex_lock(&h->lock);
	for (int i = 0; i < h->nchans && !best; i++)
		if (h->chans[i]->link == target->link && !h->chans[i]->gone && host_is_echo(h->chans[i]))
			best = h->chans[i];
	pthread_mutex_unlock(&h->lock);
	return best;
}

/* bench with plot: round-trip samples first (for the histogram), as "rtt" lines. */
static int send_rtt_samples(struct server *s, FILE *f, struct hchan *echo, long count)
{
	int n = count < 2000 ? (int)count : 2000, ret;
	struct ping_stats ps = { .samples = calloc((size_t)n, sizeof(double)) };

	if (!ps.samples)
		return -ENOMEM;
	ret = host_ping(&s->soc.host, echo, n, 16, &ps);
	for (int i = 0; !ret && i < n; i += 100) {
		fprintf(f, "rtt");
		for (int k = i; k < n && k < i + 100; k++)
			fprintf(f, " %.2f", ps.samples[k]);
		fprintf(f, "\n");
	}
	free(ps.samples);
	return ret;
}

static void do_measure(struct server *s, FILE *f, bool bench, const char *spec, long count, long size,
		       int burst, bool plot)
{
	struct hchan *c;
	int ret = 0;

	if (find_chan(s, f, spec, &c))
		return;
	pthread_mutex_lock(&s->measure);
	if (bench) {
		struct hchan *sync = sync_for(&s->soc.host, c);
		struct stream_stats st;

		if (plot)
			ret = host_is_echo(c) || sync ? send_rtt_samples(s, f, host_is_echo(c) ? c : sync, count)
						      : -EOPNOTSUPP;
		if (!ret)
			ret = host_stream(&s->soc.host, c, sync, count, (size_t)size, burst, bench_progress,
					  f, &st);
		if (!ret)
			fprintf(f, "bench %ld %zu %.6f %.0f %.3f\n", st.messages, st.size, st.seconds,
				st.msgs_per_s, st.mb_per_s);
	} else {
		struct ping_stats ps = { 0 };

		ret = host_ping(&s->soc.host, c, (int)count, (size_t)size, &ps);
		if (!ret)
			fprintf(f, "ping %d %.2f %.2f %.2f %.2f\n", ps.count, ps.min_us, ps.median_us,
				ps.p99_us, ps.max_us);
	}
	pthread_mutex_unlock(&s->measure);
	if (ret == -EOPNOTSUPP)
		fprintf(f, "err %d bench needs an echo service on the same link to know when the remote has everything\n",
			EOPNOTSUPP);
	else if (ret)
		reply_err(f, ret, bench ? "bench" : "ping");
	else
		fprintf(f, "ok\n");
}

/*
 * trace: the bus tap copies each record (payload cut at the snap length) into a bounded
 * queue; this client's thread writes them as pcapng to the socket. A client that reads
 * too slowly loses records, counted and reported in the closing statistics block.
 */
#define TRACE_QUEUE 4096

struct trace_rec {
	struct rpmsg_cap_record rec;
	uint8_t data[];
};

struct trace {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct trace_rec *q[TRACE_QUEUE];
	unsigned head, count;
	uint32_t snaplen;
	char link[RPMSG_NAME_SIZE]; /* filter: "" = any */
	uint32_t addr[2];           /* filter: src or dst is one of these (ANY = no filter) */
	struct { struct rpmsg_link *link; uint64_t n; } drops[SOC_MAX_REMOTES + 1];
};

static bool trace_wants(const struct trace *t, const struct rpmsg_cap_record *rec)
{
	if (t->link[0] && (!rec->link || strcmp(rpmsg_link_name(rec->link), t->link)))
		return false;
	if (t->addr[0] == RPMSG_ADDR_ANY)
		return true;
	for (int i = 0; i < 2; i++)
		if (t->addr[i] != RPMSG_ADDR_ANY && (rec->src == t->addr[i] || rec->dst == t->addr[i]))
			return true;
	return false;
}

static void trace_tap(const struct rpmsg_cap_record *rec, void *arg)
{
	struct trace *t = arg;
	uint32_t n = rec->len < t->snaplen ? rec->len : t->snaplen;
	struct trace_rec *r;

	if (!trace_wants(t, rec))
		return;
	r = malloc(sizeof(*r) + n);
	pthread_mutex_lock(&t->lock);
	if (!r || t->count == TRACE_QUEUE) {
		for (int i = 0; i <= SOC_MAX_REMOTES; i++) {
			if (!t->drops[i].link || t->drops[i].link == rec->link) {
				t->drops[i].link = rec->link;
				t->drops[i].n++;
				break;
			}
		}
		free(r);
	} else {
		r->rec = *rec;
		memcpy(r->data, rec->data, n);
		r->rec.data = r->data;
		t->q[(t->head + t->count++) % TRACE_QUEUE] = r;
		pthread_cond_signal(&t->cond);
	}
	pthread_mutex_unlock(&t->lock);
}

/* The client stops a trace by shutting down its side (or going away). */
static bool client_done(FILE *f)
{
	struct pollfd p = { .fd = fileno(f), .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

static void do_trace(struct server *s, FILE *f, char *args)
{
	struct trace *t = calloc(1, sizeof(*t));
	struct rpmsg_pcapng *w = NULL;
	char *save = NULL;
	int ret = 0;

	if (!t) {
		reply_err(f, -ENOMEM, "trace");
		return;
	}
	t->snaplen = 65535;
	t->addr[0] = t->addr[1] = RPMSG_ADDR_ANY;
	for (char *kv = strtok_r(args, " \r\n", &save); kv && !ret; kv = strtok_r(NULL, " \r\n", &save)) {
		if (!strncmp(kv, "snaplen=", 8)) {
			t->snaplen = (uint32_t)strtoul(kv + 8, NULL, 10);
		} else if (!strncmp(kv, "link=", 5)) {
			snprintf(t->link, sizeof(t->link), "%s", kv + 5);
		} else if (!strncmp(kv, "addr=", 5)) {
			t->addr[0] = (uint32_t)strtoul(kv + 5, NULL, 10);
		} else if (!strncmp(kv, "channel=", 8)) {
			struct hchan *c;

			if (find_chan(s, f, kv + 8, &c)) {
				ret = -ENOENT;
				break;
			}
			snprintf(t->link, sizeof(t->link), "%s", rpmsg_link_name(c->link));
			t->addr[0] = c->info.dst;
			t->addr[1] = c->ept ? rpmsg_ept_addr(c->ept) : c->info.src;
		} else {
			fprintf(f, "err %d bad trace option '%s'\n", EINVAL, kv);
			ret = -EINVAL;
		}
	}
	if (!ret && t->snaplen == 0)
		t->snaplen = 65535;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	if (!ret && (ret = rpmsg_bus_set_tap(s->soc.host.bus, trace_tap, t)))
		fprintf(f, "err %d another trace is running\n", -ret);
	if (ret)
		goto out;
	/* From here on the answer is the pcapng stream itself. */
	if ((ret = rpmsg_pcapng_open(f, t->snaplen, &w)) == 0) {
		fflush(f);
		while (!atomic_load(&s->stop) && !s->soc.host.stopping && !client_done(f) && !ferror(f)) {
			struct trace_rec *r = NULL;
			struct timespec ts;

			pthread_mutex_lock(&t->lock);
			if (!t->count) {
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_nsec += 100000000L;
				if (ts.tv_nsec >= 1000000000L) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000L;
				}
				pthread_cond_timedwait(&t->cond, &t->lock, &ts);
			}
			if (t->count) {
				r = t->q[t->head];
				t->head = (t->head + 1) % TRACE_QUEUE;
				t->count--;
			}
			pthread_mutex_unlock(&t->lock);
			if (r) {
				rpmsg_pcapng_write(w, &r->rec);
				free(r);
				if (!t->count)
					fflush(f);
			}
		}
	}
	rpmsg_bus_set_tap(s->soc.host.bus, NULL, NULL); /* no tap runs after this */
	while (t->count) {
		struct trace_rec *r = t->q[t->head];

		t->head = (t->head + 1) % TRACE_QUEUE;
		t->count--;
		if (w)
			rpmsg_pcapng_write(w, &r->rec);
		free(r);
	}
	for (int i = 0; w && i <= SOC_MAX_REMOTES && t->drops[i].link; i++)
		rpmsg_pcapng_drop(w, t->drops[i].link, t->drops[i].n);
	if (w)
		rpmsg_pcapng_finish(w);
	fflush(f);
out:
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static void handle(struct server *s, FILE *f, char *line)
{
	char *save = NULL, *cmd;

	if (!strncmp(line, "trace", 5) && (line[5] == ' ' || line[5] == '\n' || line[5] == '\r')) {
		do_trace(s, f, line + 5);
		return;
	}
	cmd = strtok_r(line, " \r\n", &save);
	char *a1 = strtok_r(NULL, " \r\n", &save), *a2 = strtok_r(NULL, " \r\n", &save);
	char *a3 = strtok_r(NULL, " \r\n", &save);
	bool plot = false, opts_ok = true;
	int burst = 1;

	/* bench's optional words, in any order: plot, burst=N (host_stream takes them all). */
	_Static_assert(PROTO_BURST_MAX <= HOST_BURST_MAX, "burst=N beyond host_stream's");
	for (char *w; (w = strtok_r(NULL, " \r\n", &save));) {
		if (!strcmp(w, "plot"))
			plot = true;
		else if (!strncmp(w, "burst=", 6) && atoi(w + 6) >= 1 && atoi(w + 6) <= PROTO_BURST_MAX)
			burst = atoi(w + 6);
		else
			opts_ok = false;
	}

	if (!cmd) {
		fprintf(f, "err %d empty request\n", EINVAL);
	} else if (!strcmp(cmd, "ls")) {
		do_ls(s, f);
	} else if (!strcmp(cmd, "send") && a1) {
		do_send(s, f, a1, a2);
	} else if (!strcmp(cmd, "recv") && a1 && a2 && a3 && atol(a2) > 0) {
		do_recv(s, f, a1, atol(a2), atoi(a3));
	} else if ((!strcmp(cmd, "ping") || !strcmp(cmd, "bench")) && a1 && a2 && a3 && atol(a2) > 0 &&
		   atol(a3) >= 0 && opts_ok) {
		do_measure(s, f, cmd[0] == 'b', a1, atol(a2), atol(a3), burst, plot);
	} else if (!strcmp(cmd, "stop")) {
		atomic_store(&s->stop, true);
		fprintf(f, "ok\n");
	} else {
		fprintf(f, "err %d bad request '%s'\n", EINVAL, cmd);
	}
}

static void *client_thread(void *arg)
{
	struct client *c = arg;
	char *line = malloc(PROTO_LINE_MAX);

	if (line && fgets(line, PROTO_LINE_MAX, c->f))
		handle(c->srv, c->f, line);
	free(line);
	fclose(c->f);
	atomic_fetch_sub(&c->srv->clients, 1);
	free(c);
	return NULL;
}

static int listen_on(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket %s: %s", path, fd < 0 ? strerror(errno) : "path too long");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		snprintf(err, errlen, "a simulator already listens on %s", path);
		close(fd);
		return -1;
	}
	unlink(path); /* stale: nobody answers there */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		snprintf(err, errlen, "socket %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* A daemon's output goes to <runtime dir>/rpmsg-sim-<name>.log (removed on a clean stop). */
static void log_path(char *buf, size_t len, const char *name)
{
	char sock[256];

	proto_socket_path(sock, sizeof(sock), name);
	snprintf(buf, len, "%.*s.log", (int)(strlen(sock) - strlen(".sock")), sock);
}

static int redirect_stdio(const char *logp)
{
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int out = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		return -1;
	close(in);
	close(out);
	return 0;
}

static void copy_log(const char *logp)
{
	FILE *f = fopen(logp, "r");
	char line[512];

	if (!f) {
		fprintf(stderr, "rpmsg sim: the simulator failed to start\n");
		return;
	}
	while (fgets(line, sizeof(line), f))
		fputs(line, stderr);
	fclose(f);
	unlink(logp);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rpmsg sim [--name NAME] [--remote TRANSPORT[:SERVICES]]... [--config FILE]\n"
		"                 [--daemon]\n"
		"Run a simulated SoC: this process is the main CPU, each remote processor a child\n"
		"process on its own link. Other rpmsg commands (ls, send, recv, ping, bench, stop)\n"
		"talk to it through a Unix socket.\n\n"
		"  -n, --name NAME      simulator name (default: $RPMSG_SIM or soc0)\n"
		"  -r, --remote SPEC    add a remote: TRANSPORT[:svc,svc,...] or TRANSPORT:external\n"
		"                       (external: wait for your own program to attach in the remote\n"
		"                       role to the shared memory the simulator prints)\n"
		"  -c, --config FILE    read 'name NAME' and 'remote SPEC' lines ('#' comments)\n"
		"  -d, --daemon         go to the background once every channel is up\n\n"
		"transports:");
	for (int i = 0; tool_transport_at(i); i++)
		fprintf(f, " %s", tool_transport_at(i)->name);
	fprintf(f, "\nservices: %s (default: all)\n", service_names());
}

int cmd_sim(int argc, char **argv)
{
	static const struct option opts[] = { { "name", required_argument, 0, 'n' },
					      { "remote", required_argument, 0, 'r' },
					      { "config", required_argument, 0, 'c' },
					      { "daemon", no_argument, 0, 'd' },
					      { "help", no_argument, 0, 'h' },
					      { 0, 0, 0, 0 } };
	static struct server srv;
	char err[512] = "", path[256], logp[256] = "";
	bool daemon = false;
	int c, ready[2] = { -1, -1 }, ret = 0;

	memset(&srv, 0, sizeof(srv));
	snprintf(srv.soc.name, sizeof(srv.soc.name), "%s", proto_default_sim());
	while ((c = getopt_long(argc, argv, "n:r:c:dh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!*optarg || strlen(optarg) >= sizeof(srv.soc.name) || strchr(optarg, '/')) {
				fprintf(stderr, "rpmsg sim: bad name '%s'\n", optarg);
				return EXIT_USAGE;
			}
			snprintf(srv.soc.name, sizeof(srv.soc.name), "%s", optarg);
			break;
		case 'r': ret = soc_parse_remote(&srv.soc, optarg, err, sizeof(err)); break;
		case 'c': ret = soc_load_config(&srv.soc, optarg, err, sizeof(err)); break;
		case 'd': daemon = true; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
		if (ret) {
			fprintf(stderr, "rpmsg sim: %s\n", err);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rpmsg sim: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (srv.soc.nremotes == 0)
		soc_parse_remote(&srv.soc, "virtio", err, sizeof(err));

	if (daemon) {
		pid_t pid;
		char ok;

		if (pipe(ready) < 0) {
			perror("rpmsg sim: pipe");
			return EXIT_FAIL;
		}
		fflush(NULL);
		if ((pid = fork()) < 0) {
			perror("rpmsg sim: fork");
			return EXIT_FAIL;
		}
		log_path(logp, sizeof(logp), srv.soc.name);
		if (pid > 0) {
			close(ready[1]);
			/* The child writes one byte when it serves, or closes the pipe on failure. */
			if (read(ready[0], &ok, 1) == 1) {
				proto_socket_path(path, sizeof(path), srv.soc.name);
				printf("rpmsg sim: '%s' running (pid %d), socket %s\n", srv.soc.name, (int)pid, path);
				return EXIT_OK;
			}
			copy_log(logp); /* the child said why there */
			return EXIT_FAIL;
		}
		close(ready[0]);
		setsid();
		/* Nothing of ours (nor the remotes we fork) may hold the caller's terminal or pipes. */
		if (redirect_stdio(logp) < 0)
			return EXIT_FAIL;
	}

	proto_socket_path(path, sizeof(path), srv.soc.name);
	srv.lfd = listen_on(path, err, sizeof(err));
	if (srv.lfd < 0) {
		fprintf(stderr, "rpmsg sim: %s\n", err);
		return EXIT_FAIL;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	pthread_mutex_init(&srv.measure, NULL);
	if ((ret = soc_start(&srv.soc, err, sizeof(err)))) {
		fprintf(stderr, "rpmsg sim: %s\n", err);
		goto out;
	}
	for (int i = 0; i < srv.soc.nremotes && !ret; i++) {
		struct soc_remote *r = &srv.soc.remotes[i];
		int n = 0;

		while (r->services[n])
			n++;
		if (!r->external && (ret = host_wait_channels(&srv.soc.host, r->link, n, 5000)))
			fprintf(stderr, "rpmsg sim: %s: only %d of %d channels announced\n", r->link_name,
				host_count_channels(&srv.soc.host, r->link), n);
	}
	if (ret || (ret = host_start_thread(&srv.soc.host)))
		goto out;
	if (daemon) {
		(void)!write(ready[1], "", 1);
		close(ready[1]);
		ready[1] = -1;
	} else {
		printf("rpmsg sim: '%s' running, socket %s (Ctrl-C or 'rpmsg stop' ends it)\n",
		       srv.soc.name, path);
		fflush(stdout);
	}
	while (!atomic_load(&srv.stop) && !got_signal) {
		struct pollfd pfd = { .fd = srv.lfd, .events = POLLIN };
		struct client *cl;
		pthread_t t;
		int fd;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		fd = accept4(srv.lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		cl = calloc(1, sizeof(*cl));
		if (!cl || !(cl->f = fdopen(fd, "r+"))) {
			free(cl);
			close(fd);
			continue;
		}
		cl->srv = &srv;
		atomic_fetch_add(&srv.clients, 1);
		if (pthread_create(&t, NULL, client_thread, cl)) {
			atomic_fetch_sub(&srv.clients, 1);
			fclose(cl->f);
			free(cl);
			continue;
		}
		pthread_detach(t);
	}
out:
	close(srv.lfd); /* new clients are refused from here on */
	/* Let clients finish (a recv waits at most its own timeout; stop after 10 s anyway). */
	srv.soc.host.stopping = true;
	for (int i = 0; i < 1000 && atomic_load(&srv.clients) > 0; i++)
		usleep(10000);
	soc_stop(&srv.soc);
	if (logp[0] && !ret)
		unlink(logp);
	unlink(path); /* last: 'rpmsg stop' returns once this is gone */
	if (ready[1] >= 0)
		close(ready[1]);
	return ret ? EXIT_FAIL : EXIT_OK;
}

int cmd_remote(int argc, char **argv)
{
	static const struct option opts[] = { { "transport", required_argument, 0, 't' },
					      { "shm", required_argument, 0, 'm' },
					      { "link", required_argument, 0, 'l' },
					      { "services", required_argument, 0, 's' },
					      { "help", no_argument, 0, 'h' },
					      { 0, 0, 0, 0 } };
	const char *tname = "virtio", *shm = NULL, *link = NULL, *svcs = NULL;
	struct soc tmp = { .nremotes = 0 };
	char spec[300], err[256];
	int c;

	while ((c = getopt_long(argc, argv, "t:m:l:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 't': tname = optarg; break;
		case 'm': shm = optarg; break;
		case 'l': link = optarg; break;
		case 's': svcs = optarg; break;
		case 'h':
			printf("usage: rpmsg remote --shm NAME [--transport T] [--link NAME] [--services svc,...]\n"
			       "Be a remote processor: attach to the shared memory a main CPU created (for\n"
			       "example 'rpmsg sim --remote virtio:external'), announce the services, serve\n"
			       "until the main CPU resets the link.\nservices: %s\n", service_names());
			return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (!shm) {
		fprintf(stderr, "rpmsg remote: --shm NAME is required\n");
		return EXIT_USAGE;
	}
	snprintf(spec, sizeof(spec), "%s%s%s", tname, svcs ? ":" : "", svcs ? svcs : "");
	if (soc_parse_remote(&tmp, spec, err, sizeof(err))) {
		fprintf(stderr, "rpmsg remote: %s\n", err);
		return EXIT_USAGE;
	}
	return soc_remote_main(tmp.remotes[0].tp, shm, link ? link : tmp.remotes[0].link_name,
			       tmp.remotes[0].services) ? EXIT_FAIL : EXIT_OK;
}
