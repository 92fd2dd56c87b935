/*
 * Several dialers (src/app/pool.c): the list of `dialer`, and the choice
 * of a dialer for a new call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <re.h>
#include "app/app_int.h"
#include "test.h"


TEST(pool_list)
{
	struct app_dialers *d = mem_zalloc(sizeof(*d), NULL);

	TEST_ASSERT(d != NULL);

	/* one entry: the single dialer of before */
	TEST_EQ_INT(app_dialers_parse(d, "tcp://127.0.0.1:5070"), 0);
	TEST_EQ_INT(d->n, 1);
	TEST_EQ_STR(d->url[0], "tcp://127.0.0.1:5070");

	TEST_EQ_INT(app_dialers_parse(d, "tcp://10.0.0.1:5070,tcp://[::1]:"
				      "5070 ,\t tcp://dialer-b.example:7000"),
		    0);
	TEST_EQ_INT(d->n, 3);
	TEST_EQ_STR(d->url[0], "tcp://10.0.0.1:5070");
	TEST_EQ_STR(d->url[1], "tcp://[::1]:5070");
	TEST_EQ_STR(d->url[2], "tcp://dialer-b.example:7000");

	/* a bad entry is named */
	TEST_EQ_INT(app_dialers_parse(d, "tcp://10.0.0.1:5070, "
				      "tcp://10.0.0.2"), EINVAL);
	TEST_EQ_STR(d->bad, "tcp://10.0.0.2");
	TEST_EQ_INT(app_dialers_parse(d, "tcp://10.0.0.1:5070,,"
				      "tcp://10.0.0.2:5070"), EINVAL);
	TEST_EQ_STR(d->bad, "");
	TEST_EQ_INT(app_dialers_parse(d, "tcp://10.0.0.1:5070, "), EINVAL);
	TEST_EQ_INT(app_dialers_parse(d, "tcp://10.0.0.1:5070 "
				      "tcp://10.0.0.2:5070"), EINVAL);
	TEST_EQ_INT(app_dialers_parse(d, "tcp://a:1, local"), EINVAL);
	TEST_EQ_STR(d->bad, "local");

	/* the same dialer twice: an address, a name (any case) */
	TEST_EQ_INT(app_dialers_parse(d, "tcp://10.0.0.1:5070, "
				      "tcp://10.0.0.1:5071, "
				      "tcp://10.0.0.1:5070"), EEXIST);
	TEST_EQ_STR(d->bad, "tcp://10.0.0.1:5070");
	TEST_EQ_INT(app_dialers_parse(d, "tcp://Dialer:5070, "
				      "tcp://dialer:5070"), EEXIST);
	TEST_EQ_INT(app_dialers_parse(d, "tcp://dialer:5070, "
				      "tcp://dialer:5071"), 0);

	/* at most APP_DIALERS_MAX */
	{
		char list[APP_DIALERS_MAX * 32] = "";
		size_t i, n = 0;

		for (i = 0; i <= APP_DIALERS_MAX; i++)
			n += (size_t)re_snprintf(list + n, sizeof(list) - n,
						 "%stcp://10.0.0.1:%zu",
						 i ? ", " : "", 5000 + i);
		TEST_EQ_INT(app_dialers_parse(d, list), E2BIG);
		*strrchr(list, ',') = '\0';
		TEST_EQ_INT(app_dialers_parse(d, list), 0);
		TEST_EQ_INT(d->n, APP_DIALERS_MAX);
	}

	mem_deref(d);

	return 0;
}


TEST(pool_pick)
{
	struct app_dialer_load v[3] = {
		{.up = true, .webrtc = false, .calls = 2},
		{.up = true, .webrtc = true, .calls = 1},
		{.up = true, .webrtc = true, .calls = 1},
	};

	/* the least loaded, ties by list order */
	TEST_EQ_INT(app_dialer_pick(v, 3, false), 1);
	v[0].calls = 1;
	TEST_EQ_INT(app_dialer_pick(v, 3, false), 0);

	/* a browser's call: only a dialer with WebRTC */
	TEST_EQ_INT(app_dialer_pick(v, 3, true), 1);

	/* a link down takes nothing */
	v[0].up = false;
	v[1].up = false;
	TEST_EQ_INT(app_dialer_pick(v, 3, false), 2);

	/* the agent's softphone is registered there: whatever its load */
	v[0].up = true;
	v[1].up = true;
	v[2].calls = 50;
	v[2].registered = true;
	TEST_EQ_INT(app_dialer_pick(v, 3, false), 2);
	/* ... unless it is down */
	v[2].up = false;
	TEST_EQ_INT(app_dialer_pick(v, 3, false), 0);

	/* none up, or none with WebRTC */
	v[0].up = v[1].up = false;
	TEST_EQ_INT(app_dialer_pick(v, 3, false), -1);
	v[0].up = true;
	TEST_EQ_INT(app_dialer_pick(v, 1, true), -1);

	return 0;
}
