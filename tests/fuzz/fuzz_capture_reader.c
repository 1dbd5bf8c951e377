/* Hostile capture bytes into the pcapng reader: whatever comes, no out-of-bounds access. */
#include <stddef.h>
#include <stdint.h>

#include "capture/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t shb[28] = { 0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a,
					 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					 28, 0, 0, 0 };
	struct cap_state st = { 0 };
	struct cap_event ev;
	size_t off = 0;
	long n;
	volatile uint32_t sink = 0;

	/* Half the inputs start after a valid section header, to reach the other blocks. */
	if (size && (data[0] & 1)) {
		cap_parse_block(&st, shb, sizeof(shb), &ev);
		data++;
		size--;
	}
	while ((n = cap_parse_block(&st, data + off, size - off, &ev)) > 0) {
		if (ev.kind == CAP_PACKET) {
			for (uint32_t i = 0; i < ev.caplen; i++)
				sink += ev.data[i];
			sink += (uint32_t)ev.ifname[0];
		}
		off += (size_t)n;
	}
	(void)sink;
	return 0;
}
