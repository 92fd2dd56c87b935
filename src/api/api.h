/*
 * api: beckon's HTTP routes. For now the public intake API:
 *
 *   POST   /v1/callbacks        a visitor asks to be called
 *   GET    /v1/callbacks/ID     its status and public history
 *   DELETE /v1/callbacks/ID     withdrawn with its cancel token
 *   GET    /healthz             200 when the store answers
 *
 * The API validates everything (api/validate.c), applies the per-business
 * limits and CORS policy, and answers a POST only once the store has
 * committed the callback. docs/openapi.yaml is the reference.
 */
#ifndef BECKON_API_H
#define BECKON_API_H

#include <stddef.h>
#include <stdint.h>

struct api;
struct cfg;
struct store;
struct business;
struct bizdir;
struct intake_row;

int  api_alloc(struct api **ap, const struct cfg *cfg, struct store *st);

/* Add or replace a business in the directory of businesses (start-up,
 * admin changes), which the API owns and the ACD shares (api_bizdir). */
int  api_business_set(struct api *api, const struct business *b);
struct bizdir *api_bizdir(const struct api *api);

/*
 * Check a business's settings (time zone, calling codes, policy lists,
 * origins, dialing mode): 0, or EINVAL with the field and a message.
 */
int  api_business_check(const struct api *api, const struct business *b,
			const char **fieldp, char *msg, size_t sz);

/* Check any record (business, agent, rule) as the admin API does. */
struct store_table;
int  api_record_check(const struct api *api, const struct store_table *t,
		      const void *obj, const char **fieldp, char *msg,
		      size_t sz);

/* Count requests the store remembers, so limits survive a restart. */
void api_limits_restore(struct api *api, const struct intake_row *v,
			size_t n);

/* The ACD to tell about new callbacks and admin changes. */
struct acd;
int  api_set_acd(struct api *api, struct acd *acd);

/* This node among several on one store (src/cluster): /healthz and
 * the supervisor view name it and its role; a follower answers what
 * needs the ACD 503 not_leader (docs/cluster.md). */
struct cluster;
void api_set_cluster(struct api *api, struct cluster *cl);

/* No number can be called (the demo without a trunk): the widget and
 * the desk are told so ("phone_line": false). With voice in the browser
 * (a dialer with rtpengine) a business that offers it talks only in the
 * browser (api_voice_mode) and a number is refused, 503 no_phone_line;
 * without, requests wait in the queue. */
void api_set_no_line(struct api *api);

/*
 * Voice in the browser (voice.c): the dialer in this process with
 * rtpengine. The API hands a browser's answer and hang-up to these, and
 * is told the dialer's offer for a callback's customer leg and the end
 * of its call. Without them, "voice":"browser" is refused.
 */
struct api_voice {
	void *arg;
	int (*answer)(void *arg, const char *id, const char *sdp);
	int (*hangup)(void *arg, const char *id);
	/* the desk as a phone (desk.c): the agent leg of call id; reason
	 * hangup, declined, unreachable or media_failed */
	int (*desk_answer)(void *arg, const char *id, const char *sdp);
	int (*desk_hangup)(void *arg, const char *id, const char *reason);
	/* the desk holds its answered call (on) or resumes it */
	int (*desk_hold)(void *arg, const char *id, bool on);
	/* a supervisor listens to call id (listen.c): a listener leg to
	 * endpoint webrtc:LABEL, its answer, its hang-up */
	int (*listen)(void *arg, const char *id, const char *endpoint);
	int (*listen_answer)(void *arg, const char *id, const char *sdp);
	int (*listen_hangup)(void *arg, const char *id);
};
void api_set_voice(struct api *api, const struct api_voice *ops);
void api_voice_offer(struct api *api, const char *id, const char *sdp);
/* the call's end, reason a dialer's reason name (or NULL) */
void api_voice_ended(struct api *api, const char *id, const char *reason);
/* the dialer's offer for the agent leg of call id, to agent's desk; the
 * end of that leg (or of the call) */
void api_desk_offer(struct api *api, const char *id, const char *agent,
		    const char *sdp);
void api_desk_ended(struct api *api, const char *id, const char *reason);
/* the dialer's offer for the listener of call id; the listener's end
 * (or the call's), reason a dialer's reason name or error code */
void api_listen_offer(struct api *api, const char *id, const char *sdp);
void api_listen_ended(struct api *api, const char *id, const char *reason);

/* Open the HTTP listener (after businesses and limits are loaded). */
int  api_listen(struct api *api);
/* With --demo: the demo shop on demo_listen, another origin. */
int  api_demo_listen(struct api *api);

/* Stop accepting connections; requests in progress still get answers. */
void api_stop_listening(struct api *api);
unsigned api_unanswered(const struct api *api);

#endif
