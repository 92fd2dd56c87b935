/*
 * The desk as a phone: an agent whose endpoint is "desk" takes calls in
 * the desk page, through a webrtc leg of the dialer (rtpengine), with
 * no other signalling than the desk's own WebSocket (agent.c), which
 * is the agent's session's: no other agent can answer, hear or hang up
 * their call.
 *
 * The page says {"type":"phone","ready":true} once it holds the
 * microphone: the agent's desk is then a phone (acd_agent_desk) for as
 * long as one such socket stays open. The dialer's offer for the agent
 * leg of call ID goes to each of them as {"type":"offer","id","sdp"};
 * the first {"type":"answer","id","sdp"} takes the call (the others are
 * told {"type":"answered","id"}), {"type":"hangup","id","reason"} ends
 * the leg (hangup, declined or media_failed: ICE or DTLS failed), and
 * {"type":"call_ended","id"} tells the pages that the leg is over.
 * The page that answered holds the call with {"type":"hold","id"} and
 * resumes it with {"type":"unhold","id"} (told {"type":"held"} and
 * {"type":"resumed"}): the customer hears the hold audio meanwhile.
 *
 * A desk phone lost ends its leg at once, reason unreachable: the socket
 * that answered closes, or the last ready one while the leg rings, or
 * an offer comes for an agent with no ready desk (the ACD then takes the
 * agent out of routing and offers the held customer to the next one).
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "api"
#include "util/util.h"
#include "store/store.h"
#include "httpd/httpd.h"
#include "form/form.h"
#include "api/api.h"
#include "api/api_int.h"
#include "acd/acd.h"

/* one agent leg offered to a desk */
struct desk_call {
	struct le le;
	struct api *api;
	char id[ID_LEN];
	char agent[API_AGENT_ID_MAX];
	const void *owner;        /* the socket that answered, or NULL */
	struct tmr lost;          /* no desk to ring: hung up after this */
	bool ending;              /* a hang-up was asked */
};


static void call_destructor(void *arg)
{
	struct desk_call *dc = arg;

	tmr_cancel(&dc->lost);
	list_unlink(&dc->le);
}


static struct desk_call *call_find(const struct api *api, const char *id)
{
	struct le *le;

	for (le = api->desk_calls.head; le; le = le->next) {
		struct desk_call *dc = le->data;

		if (!strcmp(dc->id, id))
			return dc;
	}

	return NULL;
}


bool api_desk_available(const struct api *api)
{
	return api->voice.desk_answer && api->voice.desk_hangup;
}


static void send_id(struct api *api, const char *agent, const char *type,
		    const char *id)
{
	char msg[96 + ID_LEN];
	int n;

	n = re_snprintf(msg, sizeof(msg), "{\"type\":\"%s\",\"id\":\"%s\"}",
			type, id);
	if (n > 0)
		api_agent_send(api, agent, msg, (size_t)n);
}


static void hang_up(struct desk_call *dc, const char *reason)
{
	struct api *api = dc->api;
	int err;

	if (dc->ending)
		return;
	dc->ending = true;
	log_info("%s: the desk of %s: hang-up (%s)", dc->id, dc->agent,
		 reason);
	/* the leg's end comes back at once (api_desk_ended frees dc) */
	mem_ref(dc);
	err = api->voice.desk_hangup(api->voice.arg, dc->id, reason);
	if (err && err != EALREADY)
		log_warn("%s: the desk's hang-up: %s", dc->id, strerror(err));
	mem_deref(dc);
}


/* outside the dialer's event: its leg may end now */
static void lost_h(void *arg)
{
	hang_up(arg, "unreachable");
}


void api_desk_offer(struct api *api, const char *id, const char *agent,
		    const char *sdp)
{
	struct desk_call *dc;
	struct mbuf *mb;
	int err;

	if (!api || !api_desk_available(api) || !id || !agent || !sdp)
		return;

	dc = call_find(api, id);
	if (!dc) {
		dc = mem_zalloc(sizeof(*dc), call_destructor);
		if (!dc)
			return;
		dc->api = api;
		str_bcpy(dc->id, id, sizeof(dc->id));
		list_append(&api->desk_calls, &dc->le, dc);
	}
	str_bcpy(dc->agent, agent, sizeof(dc->agent));
	dc->owner = NULL;
	dc->ending = false;

	if (!api_agent_phones(api, agent)) {
		log_info("%s: %s has no desk to ring", id, agent);
		tmr_start(&dc->lost, 0, lost_h, dc);
		return;
	}

	mb = mbuf_alloc(strlen(sdp) + 128);
	if (!mb)
		return;
	err = mbuf_printf(mb, "{\"type\":\"offer\",\"id\":\"%s\",\"sdp\":",
			  id);
	err |= form_json_str(mb, sdp);
	err |= mbuf_write_str(mb, "}");
	if (!err)
		api_agent_send(api, agent, (const char *)mb->buf, mb->end);
	mem_deref(mb);
}


void api_desk_ended(struct api *api, const char *id, const char *reason)
{
	struct desk_call *dc = api && id ? call_find(api, id) : NULL;
	char msg[96 + ID_LEN];
	int n;

	if (!dc)
		return;
	/* reason: a dialer's reason name, of [a-z_] */
	n = re_snprintf(msg, sizeof(msg), "{\"type\":\"call_ended\","
			"\"id\":\"%s\",\"reason\":\"%s\"}", dc->id,
			reason && *reason ? reason : "ended");
	if (n > 0)
		api_agent_send(api, dc->agent, msg, (size_t)n);
	/* gone from the list now, even if a hang-up in progress holds it */
	list_unlink(&dc->le);
	mem_deref(dc);
}


int api_desk_msg(struct api *api, const char *agent, const void *sock,
		 const char *type, const char *id, const char *sdp,
		 const char *reason)
{
	struct desk_call *dc = id ? call_find(api, id) : NULL;
	int err;

	/* another agent's call and no call look the same */
	if (!dc || strcmp(dc->agent, agent) || dc->ending)
		return ENOENT;

	if (!strcmp(type, "answer")) {
		if (dc->owner || !sdp)
			return EALREADY;
		err = api->voice.desk_answer(api->voice.arg, dc->id, sdp);
		if (err)
			return err;
		dc->owner = sock;
		send_id(api, agent, "answered", dc->id);
		return 0;
	}

	if (!strcmp(type, "hold") || !strcmp(type, "unhold")) {
		/* only the page that talks holds its call */
		if (!dc->owner || dc->owner != sock)
			return EPERM;
		if (!api->voice.desk_hold)
			return ENOTSUP;
		err = api->voice.desk_hold(api->voice.arg, dc->id,
					   !strcmp(type, "hold"));
		if (!err)
			send_id(api, agent, type[0] == 'h' ? "held" :
				"resumed", dc->id);
		return err;
	}

	if (!reason || (strcmp(reason, "hangup") &&
			strcmp(reason, "declined") &&
			strcmp(reason, "media_failed")))
		return EINVAL;
	/* another page of theirs cannot end the call taken here */
	if (dc->owner && dc->owner != sock)
		return EPERM;
	hang_up(dc, reason);

	return 0;
}


void api_desk_sock_gone(struct api *api, const char *agent,
			const void *sock, unsigned phones_left)
{
	struct le *le = api->desk_calls.head;

	while (le) {
		struct desk_call *dc = le->data;

		/* a hang-up frees dc, never another call */
		le = le->next;
		if (strcmp(dc->agent, agent))
			continue;
		if (dc->owner == sock || (!dc->owner && !phones_left))
			hang_up(dc, "unreachable");
	}
}


void api_desk_close_all(struct api *api)
{
	list_flush(&api->desk_calls);
}


/* Going available with no phone that can be called now (ENODEV from
 * the ACD): why, and what to do, by the kind of the agent's phone (a
 * fixed endpoint is always reachable). */
void api_reply_phone_unreachable(const struct api *api,
				 struct httpd_req *req, const char *agent)
{
	const char *ep = acd_agent_endpoint(api->acd, agent);
	const char *why;

	if (!ep || !*ep)
		why = "you have no phone: ask an administrator to set your "
			"endpoint (desk, registered or a number)";
	else if (!strcmp(ep, "registered"))
		why = "your phone is your softphone, and it is not "
			"registered: register it (your agent id as the SIP "
			"user, your SIP password), then choose Available";
	else if (api_desk_available(api))
		why = "your phone is the desk: keep it open and allow the "
			"microphone, then choose Available";
	else
		why = "your phone is the desk, but this server has no "
			"WebRTC (rtpengine): ask an administrator";

	api_reply_error(req, 409, NULL, "phone_unreachable", "endpoint",
			why);
}
