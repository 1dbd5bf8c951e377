/* Channel identity (Linux's rule): a new channel equal in name and in src/dst, where the new
 * one's ANY matches anything, is refused with -EEXIST; release finds its victim with the same
 * rule and says -ENOENT when there is none. */
#include "core_util.h"

static struct pair p;

static int create(const char *name, uint32_t src, uint32_t dst)
{
	struct rpmsg_channel_info ci = chinfo(name, src, dst);

	return rpmsg_create_channel(p.lb, &ci, NULL);
}

static int release(const char *name, uint32_t src, uint32_t dst)
{
	struct rpmsg_channel_info ci = chinfo(name, src, dst);

	return rpmsg_release_channel(p.lb, &ci);
}

int main(void)
{
	const uint32_t ANY = RPMSG_ADDR_ANY;
	struct rpmsg_channel_info ci;
	struct rpmsg_channel *ch = (struct rpmsg_channel *)&ci;

	t_timeout(30);
	pair_open(&p, NULL);

	CHECK_EQ(create("dup", 2000, 3000), 0);
	CHECK_EQ(create("dup", 2000, 3000), -EEXIST);
	CHECK_EQ(create("dup", ANY, 3000), -EEXIST);
	CHECK_EQ(create("dup", 2000, ANY), -EEXIST);
	CHECK_EQ(create("dup", ANY, ANY), -EEXIST);
	CHECK_EQ(nchannels(p.lb), 1);
	/* Different in one field that is not ANY: a distinct channel. */
	CHECK_EQ(create("dup", 2001, 3000), 0);
	CHECK_EQ(create("dup", 2000, 3001), 0);
	CHECK_EQ(create("dup2", 2000, 3000), 0);
	CHECK_EQ(create("Dup", 2000, 3000), 0);
	CHECK_EQ(nchannels(p.lb), 5);
	/* The rule looks at the new channel's ANY only: an existing (ANY, ANY) channel does not
	 * shadow a specific one. */
	CHECK_EQ(create("wild", ANY, ANY), 0);
	CHECK_EQ(create("wild", 1, 2), 0);
	CHECK_EQ(create("wild", ANY, 2), -EEXIST);
	CHECK_EQ(nchannels(p.lb), 7);
	/* The same channel on the other link is no duplicate. */
	ci = chinfo("dup", 2000, 3000);
	CHECK_EQ(rpmsg_create_channel(p.la, &ci, NULL), 0);

	/* A refused creation leaves *out alone. */
	ci = chinfo("dup", 2000, 3000);
	CHECK_EQ(rpmsg_create_channel(p.lb, &ci, &ch), -EEXIST);
	CHECK(ch == (struct rpmsg_channel *)&ci);

	/* Invalid. */
	CHECK_EQ(create("", 1, 2), -EINVAL);
	CHECK_EQ(rpmsg_create_channel(p.lb, NULL, NULL), -EINVAL);
	CHECK_EQ(rpmsg_release_channel(p.lb, NULL), -EINVAL);

	/* Release: exact, wildcard, missing. */
	CHECK_EQ(release("nope", ANY, ANY), -ENOENT);
	CHECK_EQ(release("dup", 9999, ANY), -ENOENT);
	CHECK_EQ(release("dup", ANY, 9999), -ENOENT);
	CHECK_EQ(release("dup", 2000, 3001), 0);
	CHECK_EQ(release("dup", 2000, 3001), -ENOENT);
	CHECK_EQ(nchannels(p.lb), 6);
	CHECK(find_channel(p.lb, "dup", 3000, NULL));
	CHECK_EQ(release("dup", ANY, 3000), 0); /* one of the two (dup, *, 3000) */
	CHECK_EQ(release("dup", ANY, 3000), 0); /* the other */
	CHECK_EQ(release("dup", ANY, 3000), -ENOENT);
	CHECK(!find_channel(p.lb, "dup", ANY, NULL));
	CHECK(find_channel(p.lb, "Dup", 3000, NULL));
	CHECK(find_channel(p.lb, "dup2", 3000, NULL));
	CHECK_EQ(release("wild", ANY, ANY), 0);
	CHECK_EQ(release("wild", ANY, ANY), 0);
	CHECK_EQ(release("wild", ANY, ANY), -ENOENT);
	CHECK_EQ(nchannels(p.lb), 2);
	/* The other link's channel was not touched. */
	CHECK_EQ(nchannels(p.la), 1);

	/* Names compare over all 32 bytes: a 31-character name and a longer input cut to 31. */
	{
		struct rpmsg_channel_info a, b;

		memset(&a, 0, sizeof(a));
		memset(a.name, 'q', 31);
		a.src = 10, a.dst = 20;
		b = a;
		b.name[31] = 'q'; /* no NUL: taken as the same 31 characters */
		CHECK_EQ(rpmsg_create_channel(p.lb, &a, NULL), 0);
		CHECK_EQ(rpmsg_create_channel(p.lb, &b, NULL), -EEXIST);
		CHECK_EQ(rpmsg_release_channel(p.lb, &a), 0);
	}

	/* Freed ones can be created again. */
	CHECK_EQ(create("dup", 2000, 3000), 0);
	CHECK_EQ(nchannels(p.lb), 3);

	pair_close(&p);
	return t_done();
}
