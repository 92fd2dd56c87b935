/*
 * A business's own greeting ("This is Acme returning your call"), played
 * to its customers before the hold announcement:
 *
 *   PUT    /v1/admin/businesses/ID/greeting   body: the WAV (audio/wav)
 *   GET    /v1/admin/businesses/ID/greeting   the stored file
 *   DELETE /v1/admin/businesses/ID/greeting
 *
 * An upload is checked whole (RIFF/WAVE, mono, 16-bit PCM or G.711, at
 * most API_GREETING_MAX_S seconds in at most API_GREETING_MAX_BYTES),
 * converted to what the dialer plays (8 kHz mono 16-bit) and stored as
 * greeting_dir/ID.wav: the name is the business's id, checked against the
 * known businesses, never a name or path from the client. It is written to
 * a temporary file in the same folder and renamed over the old one, so a
 * call starting meanwhile reads either the old greeting or the new one,
 * never half of one. The dialer reads the file afresh for each call.
 *
 * The body of this one route may exceed http_max_body (a few seconds of
 * sound are larger than any form): httpd asks api_greeting_body_limit()
 * about each large request once its head is read, and only a PUT here
 * with the admin token gets the larger bound; anything else still gets
 * 413 before its body is read.
 *
 * The file is written and read on the event loop: at most a few hundred
 * kilobytes, by an administrator, rarely.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include <re.h>
#define LOG_SUBSYS "admin"
#include "util/util.h"
#include "cfg/cfg.h"
#include "httpd/httpd.h"
#include "media/media.h"
#include "api/api_int.h"

enum {
	GREETING_PATH_MAX = 1024,
};

static const char route_prefix[] = "/v1/admin/businesses/";
static const char route_suffix[] = "/greeting";


size_t api_greeting_body_limit(const struct api *api,
			       const struct httpd_req *req)
{
	const struct pl *path = httpd_req_path(req);
	size_t np = sizeof(route_prefix) - 1, ns = sizeof(route_suffix) - 1;

	if (!httpd_req_method_is(req, "PUT") || path->l <= np + ns ||
	    strncmp(path->p, route_prefix, np) ||
	    strncmp(path->p + path->l - ns, route_suffix, ns) ||
	    !api_admin_token_ok(api, req))
		return 0;

	return API_GREETING_MAX_BYTES;
}


static void reply_no_business(struct httpd_req *req)
{
	api_reply_error(req, 404, NULL, "not_found", "business",
			"no business with this id");
}


static int greeting_path(char *buf, size_t sz, const struct api *api,
			 const char *id, bool tmp)
{
	int n;

	if (tmp)
		n = re_snprintf(buf, sz, "%s/.%s.wav.%d.tmp",
				cfg_str(api->cfg, "greeting_dir"), id,
				(int)getpid());
	else
		n = re_snprintf(buf, sz, "%s/%s.wav",
				cfg_str(api->cfg, "greeting_dir"), id);

	return n > 0 && (size_t)n < sz ? 0 : ENAMETOOLONG;
}


/* the folder and its parents (greeting_dir defaults to var/greetings) */
static int mkdirs(const char *dir)
{
	char p[GREETING_PATH_MAX];
	size_t i;

	str_bcpy(p, dir, sizeof(p));
	for (i = 1; p[i]; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0750) && errno != EEXIST)
			return errno;
		p[i] = '/';
	}

	return mkdir(p, 0750) && errno != EEXIST ? errno : 0;
}


static bool content_type_wav(const struct httpd_req *req)
{
	static const char *const types[] = {
		"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"};
	struct pl v;
	size_t i, n;

	if (!httpd_req_hdr(req, "Content-Type", &v))
		return false;
	n = strcspn(v.p, ";\r\n");
	n = n < v.l ? n : v.l;
	while (n && v.p[n - 1] == ' ')
		--n;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		if (n == strlen(types[i]) && !strncasecmp(v.p, types[i], n))
			return true;
	}

	return false;
}


/* the checked and converted upload, or a 4xx already answered */
static struct media_prompt *upload_decode(struct httpd_req *req)
{
	const struct pl *body = httpd_req_body(req);
	struct media_prompt *p = NULL;
	const char *why = NULL;
	char msg[160];
	size_t n;

	if (!content_type_wav(req)) {
		api_reply_error(req, 415, NULL, "unsupported_media_type",
				"Content-Type", "send the greeting as "
				"Content-Type: audio/wav");
		return NULL;
	}
	if (body->l > API_GREETING_MAX_BYTES) {
		re_snprintf(msg, sizeof(msg), "%zu bytes: a greeting is at "
			    "most %u bytes", body->l,
			    (unsigned)API_GREETING_MAX_BYTES);
		api_reply_error(req, 413, NULL, "too_large", "greeting", msg);
		return NULL;
	}

	if (media_prompt_decode(&p, (const uint8_t *)body->p, body->l,
				&why)) {
		re_snprintf(msg, sizeof(msg), "%s; a greeting is a mono WAV "
			    "file, 16-bit PCM, A-law or mu-law, 8000 to "
			    "48000 Hz", why ? why : "unreadable");
		api_reply_error(req, 400, NULL, "invalid_audio", "greeting",
				msg);
		return NULL;
	}

	n = media_prompt_samples(p);
	if (n > (size_t)API_GREETING_MAX_S * MEDIA_SRATE) {
		re_snprintf(msg, sizeof(msg), "%zu.%zu s: a greeting is at "
			    "most %u s", n / MEDIA_SRATE,
			    n % MEDIA_SRATE * 10 / MEDIA_SRATE,
			    (unsigned)API_GREETING_MAX_S);
		api_reply_error(req, 400, NULL, "too_long", "greeting", msg);
		return mem_deref(p);
	}

	return p;
}


static void greeting_put(struct api *api, struct httpd_req *req,
			 const char *id)
{
	char path[GREETING_PATH_MAX], tmp[GREETING_PATH_MAX], json[160];
	struct media_prompt *p;
	size_t n;
	int err;

	p = upload_decode(req);
	if (!p)
		return;
	n = media_prompt_samples(p);

	err = greeting_path(path, sizeof(path), api, id, false);
	err |= greeting_path(tmp, sizeof(tmp), api, id, true);
	if (!err)
		err = mkdirs(cfg_str(api->cfg, "greeting_dir"));
	if (!err)
		err = media_prompt_save(p, tmp);
	if (!err && rename(tmp, path))
		err = errno;
	mem_deref(p);

	if (err) {
		log_error("greeting of %s not stored in %s: %s", id,
			  cfg_str(api->cfg, "greeting_dir"), strerror(err));
		(void)unlink(tmp);
		api_reply_error(req, 500, NULL, "store_error", NULL,
				"the greeting could not be stored; the "
				"previous one (if any) is unchanged");
		return;
	}

	log_info("greeting of %s stored (%zu.%zu s)", id, n / MEDIA_SRATE,
		 n % MEDIA_SRATE * 10 / MEDIA_SRATE);
	re_snprintf(json, sizeof(json), "{\"business\":\"%s\","
		    "\"seconds\":%zu.%03zu,\"sample_rate\":%u}\n", id,
		    n / MEDIA_SRATE, n % MEDIA_SRATE * 1000 / MEDIA_SRATE,
		    (unsigned)MEDIA_SRATE);
	api_reply_json(req, 200, NULL, json, strlen(json));
}


static void greeting_get(struct api *api, struct httpd_req *req,
			 const char *id)
{
	char path[GREETING_PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	long flen;
	FILE *f;

	if (greeting_path(path, sizeof(path), api, id, false) ||
	    !(f = fopen(path, "rb"))) {
		api_reply_error(req, 404, NULL, "not_found", "greeting",
				"this business has no greeting");
		return;
	}

	if (!fseek(f, 0, SEEK_END) && (flen = ftell(f)) >= 0 &&
	    !fseek(f, 0, SEEK_SET) && flen <= 2 * API_GREETING_MAX_BYTES &&
	    (buf = mem_alloc((size_t)flen + 1, NULL)))
		len = fread(buf, 1, (size_t)flen, f);
	fclose(f);

	if (!buf || !len)
		api_reply_error(req, 500, NULL, "store_error", NULL,
				"the greeting could not be read");
	else
		httpd_reply(req, 200, "audio/wav",
			    "Cache-Control: no-store\r\n"
			    "X-Content-Type-Options: nosniff\r\n", buf, len);

	mem_deref(buf);
}


static void greeting_delete(struct api *api, struct httpd_req *req,
			    const char *id)
{
	char path[GREETING_PATH_MAX];
	int err;

	err = greeting_path(path, sizeof(path), api, id, false);
	if (!err && unlink(path))
		err = errno;

	if (err == ENOENT) {
		api_reply_error(req, 404, NULL, "not_found", "greeting",
				"this business has no greeting");
		return;
	}
	if (err) {
		log_error("greeting of %s not removed: %s", id,
			  strerror(err));
		api_reply_error(req, 500, NULL, "store_error", NULL,
				"the greeting could not be removed");
		return;
	}

	log_info("greeting of %s removed", id);
	api_reply_json(req, 204, NULL, NULL, 0);
}


void api_greeting(struct api *api, struct httpd_req *req, const char *id)
{
	if (!api_biz_find(api, id, strlen(id))) {
		reply_no_business(req);
		return;
	}

	if (httpd_req_method_is(req, "PUT"))
		greeting_put(api, req, id);
	else if (httpd_req_method_is(req, "GET"))
		greeting_get(api, req, id);
	else if (httpd_req_method_is(req, "DELETE"))
		greeting_delete(api, req, id);
	else
		api_reply_error(req, 405, "Allow: GET, PUT, DELETE\r\n",
				"method_not_allowed", NULL,
				"this method is not allowed here");
}
