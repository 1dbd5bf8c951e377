/* Self-contained SVG charts of a bench run: a latency histogram and throughput over time. */
#ifndef RPMSG_TOOL_PLOT_H
#define RPMSG_TOOL_PLOT_H

struct plot_data {
	const char *title;
	const double *rtt_us; /* sorted round trips */
	int nrtt;
	const double *t_s;    /* progress samples: seconds since start ... */
	const long *done;     /* ... and messages sent by then */
	int nt;
	long size;            /* payload bytes */
};

/* Write the SVG; 0 or -errno. */
int plot_svg(const char *path, const struct plot_data *d);

#endif
