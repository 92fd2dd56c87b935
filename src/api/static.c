/*
 * Static files: the agent desktop (/agent/...), the widget (/widget.js)
 * and, in demo mode, the demo shop on its own origin. Files come from
 * www_dir; a path is accepted only if it is made of plain name
 * characters with no ".." and no hidden names, and a file is read whole
 * (at most STATIC_MAX bytes) for each request: these are a handful of
 * small files, and reading them fresh means an edit shows at once.
 *
 * Every page gets the security headers the desktop needs: a Content-
 * Security-Policy that allows scripts and connections to this origin
 * only and frames only of http(s) pages (the customer's page, sandboxed
 * by the desktop), no framing of beckon itself, nosniff, no referrer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <re.h>
#define LOG_SUBSYS "http"
#include "util/util.h"
#include "cfg/cfg.h"
#include "httpd/httpd.h"
#include "api/api_int.h"

enum {
	STATIC_MAX = 1 << 20,
	PATH_MAX_LEN = 200,
};

static const char page_hdrs[] =
	"Content-Security-Policy: default-src 'self'; script-src 'self'; "
	"style-src 'self'; img-src 'self' data:; connect-src 'self'; "
	"frame-src http: https:; frame-ancestors 'none'; base-uri 'none'; "
	"form-action 'self'\r\n"
	"X-Content-Type-Options: nosniff\r\n"
	"X-Frame-Options: DENY\r\n"
	"Referrer-Policy: no-referrer\r\n";


static const char *ctype_of(const char *path)
{
	static const struct {
		const char *ext;
		const char *ctype;
	} v[] = {
		{".html", "text/html; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".svg", "image/svg+xml"},
		{".png", "image/png"},
		{".ico", "image/x-icon"},
		{".json", "application/json"},
		{".txt", "text/plain; charset=utf-8"},
	};
	const char *dot = strrchr(path, '.');
	size_t i;

	for (i = 0; dot && i < ARRAY_SIZE(v); i++) {
		if (!strcmp(dot, v[i].ext))
			return v[i].ctype;
	}

	return "application/octet-stream";
}


bool api_static_path_ok(const char *p, size_t len)
{
	size_t i;

	if (!len || len > PATH_MAX_LEN || p[0] == '/')
		return false;

	for (i = 0; i < len; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.' || c == '/'))
			return false;
		/* no "..", no hidden names, no empty segments */
		if (c == '.' && (i == 0 || p[i - 1] == '/'))
			return false;
		if (c == '/' && (i == 0 || p[i - 1] == '/'))
			return false;
	}

	return true;
}


/*
 * Answer req with the file dir/rel (rel already checked), or 404. hdrs
 * are added to the page headers (caching, CORS).
 */
int api_static_send(struct api *api, struct httpd_req *req, const char *dir,
		    const char *rel, const char *hdrs)
{
	char path[512], h[1024];
	struct stat st;
	FILE *f = NULL;
	char *buf = NULL;
	size_t n;
	int err = 0;

	(void)api;
	re_snprintf(path, sizeof(path), "%s/%s", dir, rel);

	if (stat(path, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size > STATIC_MAX) {
		return api_reply_error(req, 404, NULL, "not_found", NULL,
				       "no such file");
	}

	f = fopen(path, "rb");
	buf = mem_alloc((size_t)st.st_size + 1, NULL);
	if (!f || !buf) {
		err = f ? ENOMEM : errno;
		goto out;
	}

	n = fread(buf, 1, (size_t)st.st_size, f);
	if (n != (size_t)st.st_size) {
		err = EIO;
		goto out;
	}

	re_snprintf(h, sizeof(h), "%s%s", page_hdrs, hdrs ? hdrs : "");
	err = httpd_reply(req, 200, ctype_of(path), h, buf, n);
	req = NULL;

 out:
	if (f)
		fclose(f);
	mem_deref(buf);
	if (err && req) {
		log_warn("%s: %s", path, strerror(err));
		api_reply_error(req, 500, NULL, "file_error", NULL,
				"the file cannot be read");
	}

	return err;
}


/* /agent/... that is not the API: the desktop's files */
void api_static_agent(struct api *api, struct httpd_req *req,
		      const struct pl *rest)
{
	char rel[PATH_MAX_LEN + 16], dir[400];

	if (!httpd_req_method_is(req, "GET") &&
	    !httpd_req_method_is(req, "HEAD")) {
		api_reply_error(req, 405, "Allow: GET, HEAD\r\n",
				"method_not_allowed", NULL,
				"this method is not allowed here");
		return;
	}

	if (!rest->l)
		str_bcpy(rel, "index.html", sizeof(rel));
	else if (api_static_path_ok(rest->p, rest->l))
		pl_strcpy(rest, rel, sizeof(rel));
	else {
		api_reply_error(req, 404, NULL, "not_found", NULL,
				"no such file");
		return;
	}

	re_snprintf(dir, sizeof(dir), "%s/agent",
		    cfg_str(api->cfg, "www_dir"));
	api_static_send(api, req, dir, rel, "Cache-Control: no-cache\r\n");
}


/* ---- the demo shop, on its own origin ---- */

/*
 * The shop's pages name the API as {{BECKON_API}}: replaced here by the
 * address the API listens on, so that the demo works on any port.
 */
static void demo_request(struct httpd_req *req, void *arg)
{
	struct api *api = arg;
	const struct pl *path = httpd_req_path(req);
	char rel[PATH_MAX_LEN + 16], file[600], base[96], hdrs[1024];
	struct mbuf *mb = NULL;
	struct stat st;
	struct sa laddr;
	FILE *f = NULL;
	const char *mark = "{{BECKON_API}}", *p, *q;
	char *buf = NULL;
	size_t n;

	httpd_req_set_route(req, MR_DEMO);
	if (!httpd_req_method_is(req, "GET") &&
	    !httpd_req_method_is(req, "HEAD")) {
		httpd_reply(req, 405, NULL, "Allow: GET, HEAD\r\n", NULL, 0);
		return;
	}

	if (path->l <= 1 || path->p[path->l - 1] == '/')
		re_snprintf(rel, sizeof(rel), "%rindex.html", path);
	else
		pl_strcpy(path, rel, sizeof(rel));
	if (!api_static_path_ok(rel + 1, strlen(rel + 1))) {
		httpd_reply(req, 404, "text/plain", NULL, "not found\n", 10);
		return;
	}

	re_snprintf(file, sizeof(file), "%s/demo%s",
		    cfg_str(api->cfg, "www_dir"), rel);
	if (stat(file, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size > STATIC_MAX || !(f = fopen(file, "rb"))) {
		httpd_reply(req, 404, "text/plain", NULL, "not found\n", 10);
		return;
	}

	buf = mem_zalloc((size_t)st.st_size + 1, NULL);
	n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	fclose(f);

	httpd_local(api->httpd, &laddr);
	re_snprintf(base, sizeof(base), "http://127.0.0.1:%u",
		    sa_port(&laddr));

	mb = mbuf_alloc(n + 256);
	if (!buf || !mb) {
		httpd_reply(req, 503, NULL, NULL, NULL, 0);
		goto out;
	}
	for (p = buf; (q = strstr(p, mark)); p = q + strlen(mark)) {
		(void)mbuf_write_mem(mb, (const uint8_t *)p, (size_t)(q - p));
		(void)mbuf_write_str(mb, base);
	}
	(void)mbuf_write_mem(mb, (const uint8_t *)p,
			     n - (size_t)(p - buf));

	/* a shop's own policy: its scripts, and the widget from beckon
	 * (its API, and a visitor's voice socket: ws or wss) */
	re_snprintf(hdrs, sizeof(hdrs), "Cache-Control: no-cache\r\n"
		    "X-Content-Type-Options: nosniff\r\n"
		    "Content-Security-Policy: default-src 'self'; "
		    "script-src 'self' %s; connect-src %s ws%s; "
		    "style-src 'self' 'unsafe-inline'; img-src 'self' data:\r\n",
		    base, base, base + 4);
	httpd_reply(req, 200, ctype_of(file), hdrs, mb->buf, mb->end);

 out:
	mem_deref(mb);
	mem_deref(buf);
}


int api_demo_listen(struct api *api)
{
	struct httpd_conf conf;
	struct sa laddr;
	const char *a;
	char buf[64];
	int err;

	if (!api || !api->httpd)
		return EINVAL;

	a = cfg_str(api->cfg, "demo_listen");
	err = sa_decode(&laddr, a, strlen(a));
	if (err) {
		log_error("demo_listen: not an address:port: %s", a);
		return err;
	}

	memset(&conf, 0, sizeof(conf));
	conf.max_body = 1024;
	conf.max_header = 8192;
	conf.max_conns = 256;
	conf.idle_timeout_ms = 30000;
	conf.req_timeout_ms = 10000;
	conf.backlog = (int)cfg_int(api->cfg, "listen_backlog");

	err = httpd_alloc(&api->demo, &laddr, &conf, demo_request, api);
	if (err) {
		log_error("demo shop: cannot listen on %s: %s", a,
			  strerror(err));
		return err;
	}

	httpd_local(api->demo, &laddr);
	log_info("demo shop on http://%s (another origin than the API)",
		 addr_str(buf, sizeof(buf), &laddr));

	return 0;
}
