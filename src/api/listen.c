/*
 * A supervisor listens to a connected call from the supervisor view: a
 * receive-only webrtc leg of the dialer (dialer_listen: the customer
 * and the agent mixed, nobody hears the supervisor), signalled over the
 * supervisor's own desk WebSocket as the desk's phone is (desk.c).
 *
 * POST .../callbacks/ID/listen (supervise.c) asks the dialer for the
 * leg; its offer goes to the supervisor's pages as
 * {"type":"listen_offer","id","sdp"}; the page that asked answers with
 * {"type":"listen_answer","id","sdp"} and owns the listen from then on;
 * {"type":"listen_stop","id"} or DELETE .../callbacks/ID/listen ends
 * it, and {"type":"listen_ended","id","reason"} tells the pages that it
 * is over (the call ended, the dialer refused, the supervisor stopped).
 * The page that answered closing, or the supervisor's last page closing
 * before an answer, ends it too. One listener per call.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "api"
#include "util/util.h"
#include "store/store.h"
#include "form/form.h"
#include "api/api.h"
#include "api/api_int.h"

#define LISTEN_LABEL "webrtc:listen."

/* one call listened to */
struct listen {
	struct le le;
	struct api *api;
	char id[ID_LEN];
	char sup[API_AGENT_ID_MAX];
	const void *owner;        /* the socket that answered, or NULL */
	struct tmr lost;          /* no page to hear it: hung up */
	bool ending;              /* a hang-up was asked */
};


static void listen_destructor(void *arg)
{
	struct listen *ls = arg;

	tmr_cancel(&ls->lost);
	list_unlink(&ls->le);
}


static struct listen *listen_find(const struct api *api, const char *id)
{
	struct le *le;

	for (le = api->listens.head; le; le = le->next) {
		struct listen *ls = le->data;

		if (!strcmp(ls->id, id))
			return ls;
	}

	return NULL;
}


bool api_listen_available(const struct api *api)
{
	return api->voice.listen && api->voice.listen_answer &&
		api->voice.listen_hangup;
}


static void hang_up(struct listen *ls, const char *why)
{
	struct api *api = ls->api;
	int err;

	if (ls->ending)
		return;
	ls->ending = true;
	log_info("%s: %s stops listening (%s)", ls->id, ls->sup, why);
	/* the leg's end may come back at once (api_listen_ended frees) */
	mem_ref(ls);
	err = api->voice.listen_hangup(api->voice.arg, ls->id);
	if (err && err != EALREADY)
		log_warn("%s: the listener's hang-up: %s", ls->id,
			 strerror(err));
	mem_deref(ls);
}


/* outside the dialer's event: its leg may end now */
static void lost_h(void *arg)
{
	hang_up(arg, "no page of theirs is open");
}


int api_listen_start(struct api *api, const char *id, const char *sup)
{
	char ep[sizeof(LISTEN_LABEL) + API_AGENT_ID_MAX];
	struct listen *ls;
	int err;

	if (!api_listen_available(api))
		return ENOTSUP;
	if (listen_find(api, id))
		return EALREADY;

	ls = mem_zalloc(sizeof(*ls), listen_destructor);
	if (!ls)
		return ENOMEM;
	ls->api = api;
	str_bcpy(ls->id, id, sizeof(ls->id));
	str_bcpy(ls->sup, sup, sizeof(ls->sup));
	list_append(&api->listens, &ls->le, ls);

	re_snprintf(ep, sizeof(ep), "%s%s", LISTEN_LABEL, sup);
	err = api->voice.listen(api->voice.arg, id, ep);
	if (err) {
		mem_deref(ls);
		return err;
	}

	log_info("%s: %s listens", id, sup);
	return 0;
}


int api_listen_stop(struct api *api, const char *id, const char *sup)
{
	struct listen *ls = listen_find(api, id);

	/* another supervisor's listen and none look the same */
	if (!ls || strcmp(ls->sup, sup) || ls->ending)
		return ENOENT;

	hang_up(ls, "stopped");
	return 0;
}


void api_listen_offer(struct api *api, const char *id, const char *sdp)
{
	struct listen *ls = api && id ? listen_find(api, id) : NULL;
	struct mbuf *mb;
	int err;

	if (!ls || !sdp || ls->ending)
		return;

	if (!api_agent_pages(api, ls->sup)) {
		tmr_start(&ls->lost, 0, lost_h, ls);
		return;
	}

	mb = mbuf_alloc(strlen(sdp) + 128);
	if (!mb)
		return;
	err = mbuf_printf(mb, "{\"type\":\"listen_offer\",\"id\":\"%s\","
			  "\"sdp\":", ls->id);
	err |= form_json_str(mb, sdp);
	err |= mbuf_write_str(mb, "}");
	if (!err)
		api_agent_send_pages(api, ls->sup, (const char *)mb->buf,
				     mb->end);
	mem_deref(mb);
}


void api_listen_ended(struct api *api, const char *id, const char *reason)
{
	struct listen *ls = api && id ? listen_find(api, id) : NULL;
	char msg[128 + ID_LEN];
	int n;

	if (!ls)
		return;

	/* reason: a dialer's reason or error code, names of [a-z_] */
	n = re_snprintf(msg, sizeof(msg), "{\"type\":\"listen_ended\","
			"\"id\":\"%s\",\"reason\":\"%s\"}", ls->id,
			reason && *reason ? reason : "ended");
	if (n > 0)
		api_agent_send_pages(api, ls->sup, msg, (size_t)n);
	/* gone from the list now, even if a hang-up in progress holds it */
	list_unlink(&ls->le);
	mem_deref(ls);
}


int api_listen_msg(struct api *api, const char *sup, const void *sock,
		   const char *type, const char *id, const char *sdp)
{
	struct listen *ls = id ? listen_find(api, id) : NULL;
	int err;

	if (!ls || strcmp(ls->sup, sup) || ls->ending)
		return ENOENT;

	if (!strcmp(type, "listen_answer")) {
		if (ls->owner || !sdp)
			return EALREADY;
		err = api->voice.listen_answer(api->voice.arg, ls->id, sdp);
		if (!err)
			ls->owner = sock;
		return err;
	}

	/* listen_stop: another page of theirs cannot end this one's */
	if (ls->owner && ls->owner != sock)
		return EPERM;
	hang_up(ls, "stopped on the page");

	return 0;
}


void api_listen_sock_gone(struct api *api, const char *sup,
			  const void *sock, unsigned pages_left)
{
	struct le *le = api->listens.head;

	while (le) {
		struct listen *ls = le->data;

		/* a hang-up frees ls, never another listen */
		le = le->next;
		if (strcmp(ls->sup, sup))
			continue;
		if (ls->owner == sock || (!ls->owner && !pages_left))
			hang_up(ls, "the page closed");
	}
}


void api_listen_close_all(struct api *api)
{
	list_flush(&api->listens);
}
