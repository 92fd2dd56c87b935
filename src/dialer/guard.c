/*
 * The answering-machine guard. A callback that lands in voicemail would
 * otherwise hold a recording for an agent, who then talks to it. With
 * human_check, the customer who answers first hears "Hello. Press 1."
 * (Debian's recorded prompts, in the business's language, said again
 * after a pause) and must press the key within human_check seconds; only
 * then do they hold and is an agent called. A machine presses nothing:
 * the attempt ends as no_human and the ACD retries it as the business's
 * retry policy says.
 *
 * The key counts as an RFC 4733 event or as tones in the audio (some
 * trunks and old phones send only those): the customer's stream listens
 * for in-band keys (media/dtmf.c) while the guard waits, and only then.
 *
 *   guard_start --key--> passed (the call holds)
 *               --human_check s--> timeout (the call ends: no_human)
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "dialer"
#include "util/util.h"
#include "dialer/dialer_int.h"

enum {
	WORD_GAP_MS = 100,
	REPEAT_GAP_MS = 1500,   /* between two sayings of the prompt */
};

/* what the guard says, files of the voice (as Asterisk names them) */
static const char *const words[] = {"hello", "vm-press", "digits/1"};

struct guard {
	struct media_stream *ms;    /* the customer's; not ours */
	struct media_prompt *prompt;
	uint32_t timeout_ms;
	struct tmr tmr;
	guard_timeout_h *th;
	void *arg;
};


static void guard_destructor(void *arg)
{
	struct guard *g = arg;

	guard_stop(g);
	mem_deref(g->prompt);
}


int guard_prompt(struct dialer *d, struct media_prompt **pp,
		 const char *lang)
{
	struct media_prompt *v[ARRAY_SIZE(words)], *said = NULL;
	const char *voice = dialer_voice(lang && *lang ? lang : "en");
	char path[1024];
	size_t i;
	int err = 0;

	if (!d || !pp || !voice)
		return EINVAL;

	for (i = 0; !err && i < ARRAY_SIZE(words); i++) {
		if (re_snprintf(path, sizeof(path), "%s/%s/%s.wav",
				d->sounds_dir, voice, words[i]) < 0)
			err = ENAMETOOLONG;
		else
			err = dialer_prompt_path(d, &v[i], path);
	}
	if (!err)
		err = media_prompt_concat(&said, v, ARRAY_SIZE(words),
					  WORD_GAP_MS);
	/* then a pause before it is said again (the prompt loops) */
	if (!err)
		err = media_prompt_concat(pp, &said, 1, REPEAT_GAP_MS);
	mem_deref(said);

	return err;
}


int guard_alloc(struct guard **gp, struct dialer *d, const char *lang,
		uint32_t timeout_ms, guard_timeout_h *th, void *arg)
{
	struct guard *g;
	int err;

	if (!gp || !d || !timeout_ms || !th)
		return EINVAL;

	g = mem_zalloc(sizeof(*g), guard_destructor);
	if (!g)
		return ENOMEM;

	tmr_init(&g->tmr);
	g->timeout_ms = timeout_ms;
	g->th = th;
	g->arg = arg;

	err = guard_prompt(d, &g->prompt, lang);
	if (err) {
		mem_deref(g);
		return err;
	}

	*gp = g;

	return 0;
}


static void timeout(void *arg)
{
	struct guard *g = arg;

	guard_stop(g);
	g->th(g->arg);
}


int guard_start(struct guard *g, struct media_stream *ms)
{
	int err;

	if (!g || !ms)
		return EINVAL;

	g->ms = ms;
	err = media_stream_detect_dtmf(ms, true);
	if (!err)
		err = media_stream_play(ms, g->prompt, true);
	if (err) {
		guard_stop(g);
		return err;
	}

	tmr_start(&g->tmr, g->timeout_ms, timeout, g);

	return 0;
}


bool guard_key(struct guard *g, int digit)
{
	if (!g || !g->ms || digit != DIALER_HUMAN_KEY)
		return false;

	guard_stop(g);

	return true;
}


void guard_stop(struct guard *g)
{
	if (!g)
		return;

	tmr_cancel(&g->tmr);
	if (g->ms) {
		(void)media_stream_detect_dtmf(g->ms, false);
		media_stream_stop(g->ms);
		g->ms = NULL;
	}
}
