/* rpmsg: talk to remote processors over RPMsg, or simulate them. */
#include <stdio.h>
#include <string.h>

#include "tool.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{ "demo", cmd_demo, "simulate a SoC and measure every transport (make run)" },
	{ "sim", cmd_sim, "run a simulated SoC that the commands below talk to" },
	{ "ls", cmd_ls, "list links and channels" },
	{ "send", cmd_send, "send one message to a channel" },
	{ "recv", cmd_recv, "print messages the remote sent on a channel" },
	{ "ping", cmd_ping, "round trips through an echo service" },
	{ "bench", cmd_bench, "throughput into a channel, with progress" },
	{ "trace", cmd_trace, "capture bus traffic: pcapng for Wireshark, or text" },
	{ "stop", cmd_stop, "stop a simulator" },
	{ "remote", cmd_remote, "be a simulated remote processor on a shared memory" },
	{ "vhost-user", cmd_vhost_user, "be the remote processor of a VM or UML guest (vhost-user)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: rpmsg <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'rpmsg <command> --help' describes each command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "rpmsg: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
