/*
 * libFuzzer target: the name-service receive path (40-byte CREATE/DESTROY announcements to
 * address 53) as a hostile peer drives it, over a stub transport so that nothing but the
 * parser, the channel table and driver binding runs. The input is a list of messages, each
 * one length byte (0..63) and that many bytes, delivered to address 53 in order; a few
 * length values instead register/unregister a driver or create/destroy a named local
 * endpoint, so announcements race with binding. Every channel left must have a non-empty,
 * terminated name and a real remote address; tearing the link down must free everything.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Isrc \
 *         tests/fuzz/fuzz_ns.c src/core/[a-z]*.c -lpthread -o /tmp/fzns && /tmp/fzns tests/fuzz/corpus/fuzz_ns
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rpmsg/rpmsg.h>
#include <rpmsg/transport.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NEED(c)                                                                                    \
	do {                                                                                       \
		if (!(c))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

static int stub_send(struct rpmsg_link *link, struct rpmsg_endpoint *ept, uint32_t src,
		     uint32_t dst, const void *data, size_t len, int timeout_ms)
{
	(void)link; (void)ept; (void)src; (void)dst; (void)data; (void)len; (void)timeout_ms;
	return 0;
}

static const struct rpmsg_transport_ops stub_ops = { .send = stub_send };

static int probes, removes;

static int on_probe(struct rpmsg_channel *ch)
{
	const struct rpmsg_channel_info *i = rpmsg_channel_info(ch);

	NEED(memchr(i->name, 0, RPMSG_NAME_SIZE) && i->name[0]);
	probes++;
	return i->name[1] == 'x' ? -EINVAL : 0; /* some probes refuse */
}

static void on_remove(struct rpmsg_channel *ch)
{
	(void)ch;
	removes++;
}

static int rx(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv)
{
	(void)ept; (void)data; (void)len; (void)src; (void)priv;
	return 0;
}

static const char *const ids[] = { "svc", "a", "ax", "rpmsg-raw", "0123456789012345678901234567890",
				   NULL };
static const struct rpmsg_driver drv = { .name = "fz", .id_table = ids, .probe = on_probe,
					 .remove = on_remove, .callback = rx };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpmsg_link_desc desc = { .name = "fz", .transport = "stub", .ops = &stub_ops,
					.flags = RPMSG_LINK_F_NS };
	struct rpmsg_channel_info infos[64];
	struct rpmsg_endpoint *epts[4] = { 0 };
	struct rpmsg_bus *bus;
	struct rpmsg_link *link;
	bool registered = false;
	int n;

	if (size && (data[0] & 1))
		desc.flags |= RPMSG_LINK_F_BIG_ENDIAN;
	if (size) {
		data++;
		size--;
	}
	probes = removes = 0;
	NEED(!rpmsg_bus_create(&bus));
	NEED(!rpmsg_link_register(bus, &desc, &link));
	while (size) {
		size_t len = data[0];
		data++;
		size--;
		if (len >= 64) { /* control ops */
			unsigned op = (unsigned)len & 7, k = ((unsigned)len >> 3) & 3;

			if (op == 0 && !registered)
				registered = !rpmsg_register_driver(bus, &drv);
			else if (op == 1 && registered) {
				rpmsg_unregister_driver(bus, &drv);
				registered = false;
			} else if (op == 2 && !epts[k]) {
				struct rpmsg_channel_info i = { .src = RPMSG_ADDR_ANY,
								.dst = RPMSG_ADDR_ANY };

				memcpy(i.name, k & 1 ? "svc" : "a", k & 1 ? 4 : 2);
				rpmsg_create_ept(link, &i, rx, NULL, &epts[k]);
			} else if (op == 3 && epts[k]) {
				rpmsg_destroy_ept(epts[k]);
				epts[k] = NULL;
			}
			continue;
		}
		if (len > size)
			len = size;
		/* An exact-size heap copy: ASan sees any read past what the peer sent. */
		uint8_t *m = malloc(len ? len : 1);

		NEED(m);
		memcpy(m, data, len);
		rpmsg_link_deliver(link, 1024, RPMSG_NS_ADDR, m, len);
		free(m);
		data += len;
		size -= len;
	}
	n = rpmsg_link_channels(link, infos, 64);
	NEED(n >= 0);
	for (int i = 0; i < n && i < 64; i++) {
		NEED(memchr(infos[i].name, 0, RPMSG_NAME_SIZE) && infos[i].name[0]);
		NEED(infos[i].dst != RPMSG_ADDR_ANY);
	}
	for (int k = 0; k < 4; k++)
		rpmsg_destroy_ept(epts[k]);
	rpmsg_link_destroy(link);
	rpmsg_bus_destroy(bus);
	NEED(removes <= probes);
	return 0;
}
