/*
 * The ACD's dialer port, connected to the dialer in this process: the
 * ACD's requests become dialer calls, and the dialer's events become the
 * ACD's. A dialer in another process is reached the same way over the
 * call-control protocol (remote.c).
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "app"
#include "util/util.h"
#include "store/store.h"
#include "acd/acd.h"
#include "dialer/dialer.h"
#include "api/api.h"
#include "app/app_int.h"


/* An agent's endpoint as the dialer takes it: "registered" is the
 * agent's own registration, found by its id; "desk" their desk page,
 * a browser leg labelled with the id. */
const char *app_agent_target(char *buf, size_t sz, const char *endpoint,
			     const char *agent_id)
{
	if (!strcmp(endpoint, ACD_ENDPOINT_DESK)) {
		re_snprintf(buf, sz, "%s%s", APP_DESK_LABEL, agent_id);
		return buf;
	}

	return strcmp(endpoint, "registered") ? endpoint : agent_id;
}


const char *app_desk_agent(const char *endpoint)
{
	const size_t n = sizeof(APP_DESK_LABEL) - 1;

	return endpoint && !strncmp(endpoint, APP_DESK_LABEL, n) ?
		endpoint + n : NULL;
}


void app_call_ended(struct api *api, const char *id, const char *reason)
{
	if (!api)
		return;

	api_voice_ended(api, id, reason);
	api_desk_ended(api, id, reason);
}


static void event_h(const struct dialer_event *ev, void *arg)
{
	struct port *p = arg;
	struct acd_event e;

	memset(&e, 0, sizeof(e));
	e.leg = ev->leg == DIALER_LEG_AGENT ? "agent" :
		ev->leg == DIALER_LEG_CUSTOMER ? "customer" : NULL;
	e.reason = dialer_reason_name(ev->reason);
	e.sip = ev->sip;
	e.t = ev->t;
	e.answered_t = ev->answered_t;
	e.bridged_t = ev->bridged_t;

	/* a supervisor's listener: the API's alone, never the ACD's */
	if (ev->leg == DIALER_LEG_LISTENER) {
		if (p->api && ev->type == DIALER_EV_WEBRTC_OFFER)
			api_listen_offer(p->api, ev->id, ev->sdp);
		else if (p->api && ev->type == DIALER_EV_LEG_ENDED)
			api_listen_ended(p->api, ev->id, e.reason);
		return;
	}

	switch (ev->type) {

	case DIALER_EV_WEBRTC_OFFER:
		/* the visitor's browser, or the agent's desk */
		if (p->api && ev->leg == DIALER_LEG_CUSTOMER)
			api_voice_offer(p->api, ev->id, ev->sdp);
		else if (p->api && app_desk_agent(ev->endpoint))
			api_desk_offer(p->api, ev->id,
				       app_desk_agent(ev->endpoint), ev->sdp);
		return;

	case DIALER_EV_RINGING:
		e.type = ACD_EV_RINGING;
		break;

	case DIALER_EV_ANSWERED:
		e.type = ACD_EV_ANSWERED;
		break;

	case DIALER_EV_BRIDGED:
		e.type = ACD_EV_BRIDGED;
		break;

	case DIALER_EV_LEG_ENDED:
		/* the agent leg failed and the call goes on: next agent */
		if (ev->leg != DIALER_LEG_AGENT)
			return;
		if (p->api)
			api_desk_ended(p->api, ev->id, e.reason);
		e.type = ACD_EV_LEG_FAILED;
		break;

	case DIALER_EV_ENDED:
		/* the ACD first: it may keep the visitor's page, for the
		 * next agent */
		e.type = ACD_EV_ENDED;
		acd_call_event(p->acd, ev->id, &e);
		app_call_ended(p->api, ev->id, e.reason);
		return;

	default:
		return;
	}

	acd_call_event(p->acd, ev->id, &e);
}


static int originate(void *arg, const struct acd_call *call)
{
	struct port *p = arg;
	struct dialer_call_params prm;
	char desk[APP_DESK_MAX];

	memset(&prm, 0, sizeof(prm));
	prm.id = call->id;
	prm.customer = call->customer;
	prm.agent = app_agent_target(desk, sizeof(desk), call->agent,
				     call->agent_id);
	prm.mode = strcmp(call->mode, "agent_first") ? DIALER_CUSTOMER_FIRST
						       : DIALER_AGENT_FIRST;
	prm.prompt = *call->prompt ? call->prompt : NULL;
	prm.whisper = call->whisper && *call->whisper ? call->whisper : NULL;
	prm.goodbye = call->goodbye && *call->goodbye ? call->goodbye : NULL;
	prm.caller_id = call->caller_id && *call->caller_id ? call->caller_id
							    : NULL;
	prm.max_hold = (uint32_t)call->max_hold_s;
	prm.record = call->record;
	prm.language = call->language;
	prm.greeting = call->greeting;
	prm.announce_every = (uint32_t)call->announce_every;
	prm.position = call->position;
	prm.eta = call->eta_s;
	prm.human_check = (uint32_t)call->human_check;

	return dialer_originate(p->d, &prm, event_h, p);
}


static int offer_agent(void *arg, const char *id, const char *agent,
		       const char *agent_id)
{
	struct port *p = arg;
	char desk[APP_DESK_MAX];

	return dialer_offer_agent(p->d, id, app_agent_target(desk,
				  sizeof(desk), agent, agent_id), 0);
}


static void announce(void *arg, const char *id, int64_t position,
		     int64_t eta_s)
{
	struct port *p = arg;

	(void)dialer_announce(p->d, id, position, eta_s);
}


static int hangup(void *arg, const char *id)
{
	struct port *p = arg;

	return dialer_hangup(p->d, id);
}


static void agent_set(void *arg, const struct agent *a)
{
	struct port *p = arg;

	/* a softphone registers with its sip_password; a fixed URI is
	 * where it is called when not registered */
	(void)dialer_agent_set(p->d, a->id, *a->sip_password ?
			       a->sip_password : NULL,
			       !strncmp(a->endpoint, "sip:", 4) ?
			       a->endpoint : NULL);
}


static void agent_del(void *arg, const char *id)
{
	struct port *p = arg;

	(void)dialer_agent_del(p->d, id);
}


static bool agent_registered(void *arg, const char *agent_id)
{
	struct port *p = arg;

	return dialer_agent_contact(p->d, agent_id) != NULL;
}


static int release(void *arg, const char *id)
{
	struct port *p = arg;

	return dialer_release(p->d, id);
}


static void reg_h(const char *agent_id, void *arg)
{
	struct port *p = arg;

	acd_agent_registered(p->acd, agent_id);
}


void app_port_connect(struct port *p, struct acd *acd, struct dialer *d)
{
	struct acd_dialer ops;

	p->acd = acd;
	p->d = d;

	memset(&ops, 0, sizeof(ops));
	ops.arg = p;
	ops.originate = originate;
	ops.offer_agent = offer_agent;
	ops.hangup = hangup;
	ops.announce = announce;
	ops.agent_set = agent_set;
	ops.agent_del = agent_del;
	ops.agent_registered = agent_registered;
	ops.release = release;

	dialer_set_reg_handler(d, reg_h, p);
	acd_set_dialer(acd, &ops);
}


static int voice_answer(void *arg, const char *id, const char *sdp)
{
	struct port *p = arg;

	return dialer_webrtc_answer(p->d, id, DIALER_LEG_CUSTOMER, sdp);
}


static int voice_hangup(void *arg, const char *id)
{
	struct port *p = arg;

	return dialer_webrtc_hangup(p->d, id, DIALER_LEG_CUSTOMER,
				    DIALER_R_CUSTOMER_HANGUP);
}


static int desk_answer(void *arg, const char *id, const char *sdp)
{
	struct port *p = arg;

	return dialer_webrtc_answer(p->d, id, DIALER_LEG_AGENT, sdp);
}


static int desk_hangup(void *arg, const char *id, const char *reason)
{
	struct port *p = arg;
	enum dialer_reason r = dialer_webrtc_reason(reason);

	if (r == DIALER_R_NONE)
		return EINVAL;

	return dialer_webrtc_hangup(p->d, id, DIALER_LEG_AGENT, r);
}


static int desk_hold(void *arg, const char *id, bool on)
{
	struct port *p = arg;

	return dialer_webrtc_hold(p->d, id, DIALER_LEG_AGENT, on);
}


static int listen_call(void *arg, const char *id, const char *endpoint)
{
	struct port *p = arg;

	return dialer_listen(p->d, id, endpoint);
}


static int listen_answer(void *arg, const char *id, const char *sdp)
{
	struct port *p = arg;

	return dialer_webrtc_answer(p->d, id, DIALER_LEG_LISTENER, sdp);
}


static int listen_hangup(void *arg, const char *id)
{
	struct port *p = arg;

	return dialer_webrtc_hangup(p->d, id, DIALER_LEG_LISTENER,
				    DIALER_R_LISTENER_HANGUP);
}


void app_port_voice(struct port *p, struct api *api)
{
	struct api_voice ops;

	p->api = api;

	memset(&ops, 0, sizeof(ops));
	ops.arg = p;
	ops.answer = voice_answer;
	ops.hangup = voice_hangup;
	ops.desk_answer = desk_answer;
	ops.desk_hangup = desk_hangup;
	ops.desk_hold = desk_hold;
	ops.listen = listen_call;
	ops.listen_answer = listen_answer;
	ops.listen_hangup = listen_hangup;

	api_set_voice(api, &ops);
}
