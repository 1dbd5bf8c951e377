/*
 * The simulator's control protocol, over a Unix stream socket: one request line per
 * connection, answered by lines, the last one "ok" or "err <errno> <text>".
 *
 *   ls                            -> link <name> <transport> <up|down>
 *                                    chan <link> <name> <src|-> <dst|->
 *   send  <chan> <hex>            -> (nothing)
 *   recv  <chan> <count> <ms>     -> msg <src> <hex>        (count lines, or err on timeout)
 *   ping  <chan> <count> <size>   -> ping <count> <min> <median> <p99> <max>   (microseconds)
 *   bench <chan> <count> <size> [plot] [burst=N]
 *                                 -> rtt <us> <us> ...       (with plot: round trips, sorted)
 *                                    progress <done> <total> <seconds>   (every ~20 ms)
 *                                    bench <messages> <size> <seconds> <msgs/s> <MB/s>
 *   trace [snaplen=N] [link=L] [channel=C] [addr=N]
 *                                 -> a pcapng stream, until the client shuts down its side
 *   stop                          -> (the simulator stops after answering)
 *
 * <chan> is "name" or "link/name"; built-in services also answer to their short name.
 */
#ifndef RPMSG_TOOL_PROTO_H
#define RPMSG_TOOL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_LINE_MAX 8192
#define PROTO_BURST_MAX 64 /* bench's burst=N: 1..PROTO_BURST_MAX */
#define PROTO_STR_(x) #x
#define PROTO_STR(x) PROTO_STR_(x) /* a constant above, as a string (usage texts) */

/* Exit codes of the client commands. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,       /* anything not below */
	EXIT_USAGE = 2,
	EXIT_NO_SIM = 3,     /* no simulator (or link) by that name */
	EXIT_NO_CHANNEL = 4, /* no such channel, or the name is ambiguous */
	EXIT_TIMEOUT = 5,
	EXIT_PEER_GONE = 6,  /* the remote went away */
};

/* Where simulator `name` listens: $RPMSG_RUNTIME_DIR (default /tmp)/rpmsg-sim-<name>.sock */
void proto_socket_path(char *buf, size_t len, const char *name);
/* The simulator name: --sim, else $RPMSG_SIM, else "soc0". */
const char *proto_default_sim(void);
void proto_hex_encode(char *out, const uint8_t *data, size_t len); /* out: 2*len+1 */
/* Returns the byte count or -1 on a malformed string. */
long proto_hex_decode(uint8_t *out, size_t max, const char *hex);
int proto_exit_code(int err);

#endif
