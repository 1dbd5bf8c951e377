/* SVG output for `rpmsg bench --plot`: two panels, drawn with plain rects and polylines. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"

#define W 800
#define PANEL_H 300
#define ML 70 /* margins: left, right, top, bottom within a panel */
#define MR 20
#define MT 40
#define MB 45
#define BINS 40

static void text_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void axes(FILE *f, int y0, const char *title, const char *xlabel, const char *ylabel, double xmax,
		 double ymax)
{
	int px = W - ML - MR, py = PANEL_H - MT - MB;

	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"15\" font-weight=\"bold\">", ML, y0 + 22);
	text_escaped(f, title);
	fprintf(f, "</text>\n");
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", ML, y0 + MT + py,
		ML + px, y0 + MT + py);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", ML, y0 + MT, ML,
		y0 + MT + py);
	for (int i = 0; i <= 4; i++) {
		int x = ML + px * i / 4, y = y0 + MT + py - py * i / 4;

		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%.3g</text>\n", x,
			y0 + MT + py + 16, xmax * i / 4);
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%.3g</text>\n", ML - 6,
			y + 4, ymax * i / 4);
		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n", ML + 1, y,
			ML + px, y);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>\n",
		ML + px / 2, y0 + PANEL_H - 8, xlabel);
	fprintf(f, "<text x=\"14\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 %d)\">%s</text>\n",
		y0 + MT + py / 2, y0 + MT + py / 2, ylabel);
}

static void histogram(FILE *f, const struct plot_data *d, int y0)
{
	int px = W - ML - MR, py = PANEL_H - MT - MB, counts[BINS] = { 0 }, cmax = 1;
	double p99 = d->rtt_us[(int)((d->nrtt - 1) * 0.99)], hi = p99 * 1.25, median = d->rtt_us[d->nrtt / 2];
	char title[160];
	int over = 0;

	if (hi <= 0)
		hi = 1;
	for (int i = 0; i < d->nrtt; i++) {
		int b = (int)(d->rtt_us[i] / hi * BINS);

		if (b >= BINS) {
			over++;
			continue;
		}
		if (++counts[b < 0 ? 0 : b] > cmax)
			cmax = counts[b < 0 ? 0 : b];
	}
	snprintf(title, sizeof(title), "Round trip: %d samples, median %.1f us, p99 %.1f us%s", d->nrtt,
		 median, p99, over ? " (slowest 1% beyond the axis)" : "");
	axes(f, y0, title, "round trip (us)", "round trips", hi, cmax);
	for (int b = 0; b < BINS; b++) {
		int h = py * counts[b] / cmax;

		fprintf(f, "<rect class=\"bin\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#4a7fb5\"><title>%.2f-%.2f us: %d</title></rect>\n",
			ML + px * b / BINS + 1, y0 + MT + py - h, px / BINS - 2, h, hi * b / BINS,
			hi * (b + 1) / BINS, counts[b]);
	}
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#c33\" stroke-dasharray=\"4 3\"/>\n",
		ML + (int)(px * median / hi), y0 + MT, ML + (int)(px * median / hi), y0 + MT + py);
}

static void throughput(FILE *f, const struct plot_data *d, int y0)
{
	int px = W - ML - MR, py = PANEL_H - MT - MB;
	double tmax = d->t_s[d->nt - 1], rmax = 1, *rate = calloc((size_t)d->nt, sizeof(double));
	char title[160];

	if (!rate)
		return;
	for (int i = 1; i < d->nt; i++) {
		double dt = d->t_s[i] - d->t_s[i - 1];

		rate[i] = dt > 0 ? (double)(d->done[i] - d->done[i - 1]) / dt : 0;
		if (rate[i] > rmax)
			rmax = rate[i];
	}
	snprintf(title, sizeof(title), "Throughput: %ld messages of %ld bytes in %.3f s (%.0f msgs/s overall)",
		 d->done[d->nt - 1], d->size, tmax, tmax > 0 ? d->done[d->nt - 1] / tmax : 0.0);
	if (tmax <= 0)
		tmax = 1;
	axes(f, y0, title, "time (s)", "messages/s", tmax, rmax);
	fprintf(f, "<polyline class=\"rate\" fill=\"none\" stroke=\"#2a9d4a\" stroke-width=\"2\" points=\"");
	for (int i = 1; i < d->nt; i++)
		fprintf(f, "%s%d,%d", i > 1 ? " " : "", ML + (int)(px * d->t_s[i] / tmax),
			y0 + MT + py - (int)(py * rate[i] / rmax));
	fprintf(f, "\"/>\n");
	free(rate);
}

int plot_svg(const char *path, const struct plot_data *d)
{
	int panels = (d->nrtt > 0) + (d->nt > 1), y = 30;
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (!f)
		return -errno;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n",
		W, 30 + panels * PANEL_H, W, 30 + panels * PANEL_H);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<text x=\"%d\" y=\"20\" font-size=\"16\">", ML);
	text_escaped(f, d->title);
	fprintf(f, "</text>\n");
	if (d->nrtt > 0) {
		histogram(f, d, y);
		y += PANEL_H;
	}
	if (d->nt > 1)
		throughput(f, d, y);
	fprintf(f, "</svg>\n");
	if (ferror(f))
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}
