/*
 * ice_servers: the URLs accepted and refused at start-up, and the
 * iceServers JSON a browser gets, its TURN credential checked against
 * OpenSSL's HMAC-SHA1 (not libre's, which made it).
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <re.h>
#include "util/util.h"
#include "cfg/cfg.h"
#include "api/api_int.h"
#include "test.h"


TEST(ice_servers_check)
{
	static const char *const good[] = {
		"", "  ", "stun:stun.example.com", "stun:192.0.2.1:3478",
		"stuns:stun.example.com:5349", "stun:[2001:db8::1]:3478",
		"turn:turn.example.com:3478?transport=udp "
		"turns:turn.example.com:5349?transport=tcp",
		"stun:a.example turn:b.example",
	};
	static const char *const bad[] = {
		"http://stun.example.com", "stun:", "stun:host:0",
		"stun:host:65536", "stun:host:34x", "stun:-host",
		"stun:ho_st", "stun:host?transport=udp",
		"turn:host?transport=sctp", "stun:[2001:db8::1",
		"stun:user@host", "stun:host:3478/x",
		"stun:a stun:b stun:c stun:d stun:e stun:f stun:g stun:h "
		"stun:i",
	};
	char big[300];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++)
		TEST_EQ_INT(api_ice_check(good[i], true), 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		TEST_EQ_INT(api_ice_check(bad[i], true), EINVAL);

	/* TURN without the secret: a browser would throw */
	TEST_EQ_INT(api_ice_check("turn:turn.example.com", false), EINVAL);
	TEST_EQ_INT(api_ice_check("stun:stun.example.com", false), 0);

	memcpy(big, "stun:", 5);
	memset(big + 5, 'a', sizeof(big) - 6);
	big[sizeof(big) - 1] = '\0';
	TEST_EQ_INT(api_ice_check(big, true), EINVAL);

	return 0;
}


TEST(ice_servers_json)
{
	struct api api;
	struct cfg *cfg = NULL;
	struct mbuf *mb = mbuf_alloc(512);
	struct odict *od = NULL, *s1;
	const struct odict_entry *e;
	const char *user, *cred;
	unsigned char mac[20], b64[64];
	unsigned int maclen = sizeof(mac);
	int64_t expiry;
	int err;

	TEST_ASSERT(mb != NULL);
	memset(&api, 0, sizeof(api));
	err = cfg_alloc(&cfg);
	if (!err)
		err = cfg_set(cfg, "ice_servers", "stun:127.0.0.1:3478 "
			      "turn:127.0.0.1:3478?transport=udp");
	if (!err)
		err = cfg_set(cfg, "turn_secret", "s3cret");
	if (err)
		goto out;
	api.cfg = cfg;

	err = api_ice_json(&api, mb, "cb1");
	if (!err)
		err = json_decode_odict(&od, 8, (const char *)mb->buf,
					mb->end, 4);
	if (err)
		goto out;

	TEST_EQ_INT(odict_count(od, false), 2);
	e = odict_lookup(od, "0");
	TEST_ASSERT(e && e->type == ODICT_OBJECT);
	TEST_EQ_STR(odict_string(e->u.odict, "urls"),
		    "stun:127.0.0.1:3478");
	TEST_ASSERT(!odict_string(e->u.odict, "username"));

	e = odict_lookup(od, "1");
	TEST_ASSERT(e && e->type == ODICT_OBJECT);
	s1 = e->u.odict;
	TEST_EQ_STR(odict_string(s1, "urls"),
		    "turn:127.0.0.1:3478?transport=udp");
	user = odict_string(s1, "username");
	cred = odict_string(s1, "credential");
	TEST_ASSERT(user && cred);

	/* "EXPIRY:USER", the expiry in the future, hours away */
	expiry = strtoll(user, NULL, 10);
	TEST_ASSERT(expiry > time_now_ms() / 1000 + 3600);
	TEST_ASSERT(!strcmp(strchr(user, ':'), ":cb1"));

	HMAC(EVP_sha1(), "s3cret", 6, (const unsigned char *)user,
	     strlen(user), mac, &maclen);
	EVP_EncodeBlock(b64, mac, (int)maclen);
	TEST_EQ_STR(cred, (const char *)b64);

 out:
	mem_deref(od);
	mem_deref(mb);
	mem_deref(cfg);

	return err;
}
