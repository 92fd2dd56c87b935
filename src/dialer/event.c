/*
 * Events: their names on the wire, the reason a SIP status means, and the
 * JSON line of an event (the same fields as struct dialer_event, in the
 * order docs/call-control.md shows them).
 */
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "dialer"
#include "util/util.h"
#include "dialer/dialer_int.h"


const char *dialer_ev_name(enum dialer_ev ev)
{
	switch (ev) {

	case DIALER_EV_INVITE:    return "invite";
	case DIALER_EV_WEBRTC_OFFER: return "webrtc_offer";
	case DIALER_EV_RINGING:   return "ringing";
	case DIALER_EV_ANSWERED:  return "answered";
	case DIALER_EV_BRIDGED:   return "bridged";
	case DIALER_EV_HOLD:      return "hold";
	case DIALER_EV_UNHOLD:    return "unhold";
	case DIALER_EV_DTMF:      return "dtmf";
	case DIALER_EV_LEG_ENDED: return "leg_ended";
	case DIALER_EV_ENDED:     return "ended";
	}

	return "?";
}


const char *dialer_reason_name(enum dialer_reason r)
{
	switch (r) {

	case DIALER_R_NONE:            return "";
	case DIALER_R_CUSTOMER_HANGUP: return "customer_hangup";
	case DIALER_R_AGENT_HANGUP:    return "agent_hangup";
	case DIALER_R_SYSTEM_HANGUP:   return "system_hangup";
	case DIALER_R_BUSY:            return "busy";
	case DIALER_R_NO_ANSWER:       return "no_answer";
	case DIALER_R_DECLINED:        return "declined";
	case DIALER_R_UNREACHABLE:     return "unreachable";
	case DIALER_R_CANCELED:        return "canceled";
	case DIALER_R_INCOMPATIBLE:    return "incompatible";
	case DIALER_R_REJECTED:        return "rejected";
	case DIALER_R_MEDIA_TIMEOUT:   return "media_timeout";
	case DIALER_R_MAX_HOLD:        return "max_hold";
	case DIALER_R_NO_AGENT:        return "no_agent";
	case DIALER_R_MEDIA_FAILED:    return "media_failed";
	case DIALER_R_FAILED:          return "failed";
	case DIALER_R_NO_HUMAN:        return "no_human";
	case DIALER_R_LISTENER_HANGUP: return "listener_hangup";
	}

	return "?";
}


const char *dialer_leg_name(enum dialer_leg leg)
{
	switch (leg) {

	case DIALER_LEG_NONE:     return "";
	case DIALER_LEG_CUSTOMER: return "customer";
	case DIALER_LEG_AGENT:    return "agent";
	case DIALER_LEG_LISTENER: return "listener";
	}

	return "?";
}


static const char *const err_names[DIALER_E_COUNT] = {
	[DIALER_E_UNKNOWN]            = "?",
	[DIALER_E_AUTH_REQUIRED]      = "auth_required",
	[DIALER_E_AUTH_FAILED]        = "auth_failed",
	[DIALER_E_BAD_JSON]           = "bad_json",
	[DIALER_E_LINE_TOO_LONG]      = "line_too_long",
	[DIALER_E_UNKNOWN_COMMAND]    = "unknown_command",
	[DIALER_E_BAD_REQUEST]        = "bad_request",
	[DIALER_E_DUPLICATE_ID]       = "duplicate_id",
	[DIALER_E_NOT_FOUND]          = "not_found",
	[DIALER_E_BUSY]               = "busy",
	[DIALER_E_STALE]              = "stale",
	[DIALER_E_WEBRTC_UNAVAILABLE] = "webrtc_unavailable",
	[DIALER_E_SHUTTING_DOWN]      = "shutting_down",
	[DIALER_E_FAILED]             = "failed",
};


const char *dialer_err_name(enum dialer_err e)
{
	return (unsigned)e < DIALER_E_COUNT && err_names[e] ? err_names[e] :
		err_names[DIALER_E_UNKNOWN];
}


enum dialer_err dialer_err_parse(const char *name)
{
	int i;

	for (i = DIALER_E_UNKNOWN + 1; name && i < DIALER_E_COUNT; i++) {
		if (!strcmp(err_names[i], name))
			return (enum dialer_err)i;
	}

	return DIALER_E_UNKNOWN;
}


/*
 * What a final response to our INVITE says about the callee. 480 and 408
 * come from proxies and phones that rang without an answer; 404, 484 and
 * 5xx mean the number or the route does not work.
 */
enum dialer_reason dialer_reason_from_sip(uint16_t scode)
{
	switch (scode) {

	case 486:
	case 600:
		return DIALER_R_BUSY;

	case 408:
	case 480:
		return DIALER_R_NO_ANSWER;

	case 603:
		return DIALER_R_DECLINED;

	case 487:
		return DIALER_R_CANCELED;

	case 488:
	case 606:
		return DIALER_R_INCOMPATIBLE;

	case 404:
	case 410:
	case 484:
	case 604:
		return DIALER_R_UNREACHABLE;

	default:
		break;
	}

	if (scode >= 500 && scode < 600)
		return DIALER_R_UNREACHABLE;

	return DIALER_R_REJECTED;
}


/* A JSON string: quotes, backslash and control characters escaped. */
int json_str_print(struct re_printf *pf, const char *s)
{
	int err = re_hprintf(pf, "\"");

	for (; s && *s && !err; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {

		case '"':  err = re_hprintf(pf, "\\\""); break;
		case '\\': err = re_hprintf(pf, "\\\\"); break;
		case '\n': err = re_hprintf(pf, "\\n"); break;
		case '\r': err = re_hprintf(pf, "\\r"); break;
		case '\t': err = re_hprintf(pf, "\\t"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				err = re_hprintf(pf, "\\u%04x", c);
			else
				err = re_hprintf(pf, "%c", c);
			break;
		}
	}

	return err ? err : re_hprintf(pf, "\"");
}


int dialer_event_print(struct re_printf *pf, const struct dialer_event *ev)
{
	char digit[2];
	int err;

	if (!ev)
		return 0;

	err = re_hprintf(pf, "{\"event\":\"%s\",\"id\":%H",
			 dialer_ev_name(ev->type), json_str_print, ev->id);

	if (ev->leg != DIALER_LEG_NONE)
		err |= re_hprintf(pf, ",\"leg\":\"%s\"",
				  dialer_leg_name(ev->leg));
	if (ev->agent)
		err |= re_hprintf(pf, ",\"agent\":%H", json_str_print,
				  ev->agent);
	if (ev->endpoint)
		err |= re_hprintf(pf, ",\"endpoint\":%H", json_str_print,
				  ev->endpoint);
	if (ev->sdp)
		err |= re_hprintf(pf, ",\"sdp\":%H", json_str_print,
				  ev->sdp);
	if (ev->type == DIALER_EV_RINGING)
		err |= re_hprintf(pf, ",\"early_media\":%s",
				  ev->early_media ? "true" : "false");
	if (ev->type == DIALER_EV_DTMF) {
		digit[0] = ev->digit;
		digit[1] = '\0';
		err |= re_hprintf(pf, ",\"digit\":%H", json_str_print, digit);
	}
	if (ev->reason != DIALER_R_NONE)
		err |= re_hprintf(pf, ",\"reason\":\"%s\"",
				  dialer_reason_name(ev->reason));
	if (ev->type == DIALER_EV_ENDED || ev->type == DIALER_EV_LEG_ENDED)
		err |= re_hprintf(pf, ",\"sip\":%u", ev->sip);
	if (ev->recording)
		err |= re_hprintf(pf, ",\"recording\":%H", json_str_print,
				  ev->recording);
	if (ev->answered_t)
		err |= re_hprintf(pf, ",\"answered_t\":%lld",
				  (long long)ev->answered_t);
	if (ev->bridged_t)
		err |= re_hprintf(pf, ",\"bridged_t\":%lld",
				  (long long)ev->bridged_t);

	err |= re_hprintf(pf, ",\"t\":%lld}", (long long)ev->t);

	return err;
}


bool dialer_e164_valid(const char *s)
{
	size_t n = 0;

	if (!s || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return false;

	for (s++; *s; s++, n++) {
		if (*s < '0' || *s > '9')
			return false;
	}

	return n >= 8 && n <= 15;
}
