/*
 * What a customer on hold hears: the business's own greeting (uploaded,
 * optional), then their place in line and the expected wait, then music,
 * with the announcement again every every_ms while they hold. The music
 * resumes where the announcement interrupted it.
 *
 *   start --> INTRO (greeting + announcement, once) --ends--> MUSIC
 *   MUSIC --every_ms--> ANNOUNCE --ends--> MUSIC (where it was)
 *
 * The announcement is composed as Asterisk's app_queue does with
 * announce-position and announce-holdtime, from the same recorded
 * prompts (Debian's asterisk-core-sounds, read where Debian puts them):
 *
 *   position 1:   queue-youarenext
 *   position N:   queue-thereare N queue-callswaiting
 *   wait <= 60 s: queue-holdtime queue-less-than 1 queue-minute
 *   wait M min:   queue-holdtime M queue-minutes
 *   then:         queue-thankyou
 *
 * A number that is unknown (position 0, a wait of -1) or moot (a wait of
 * 0: an agent's phone is ringing) is not said; positions and waits past
 * 99 neither (nobody wants to hear those). Numbers are said in the
 * business's language with the voice's digits/ files: French says 21 as
 * "vingt et un" and 75 as "soixante quinze".
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "dialer"
#include "util/util.h"
#include "dialer/dialer_int.h"

enum hold_phase {
	HOLD_IDLE,
	HOLD_INTRO,
	HOLD_MUSIC,
	HOLD_ANNOUNCE,
};

enum {
	SAY_MAX = 12,           /* prompts in one announcement */
	SAY_NUMBER_MAX = 99,
	GAP_MS = 150,           /* between the greeting and the rest */
};

/* the voice of each language, a folder of sounds_dir (Debian's names) */
static const struct {
	const char *lang;
	const char *voice;
} voices[] = {
	{"en", "en_US_f_Allison"},
	{"fr", "fr_CA_f_June"},
};

struct hold {
	struct dialer *d;
	char *call_id;
	const char *voice;
	struct media_stream *ms;    /* the customer's; not ours */
	struct media_prompt *music;
	struct media_prompt *greeting;
	uint32_t every_ms;
	int64_t position;
	int64_t eta_s;
	enum hold_phase phase;
	size_t music_pos;
	struct tmr tmr;
};


static void hold_destructor(void *arg)
{
	struct hold *h = arg;

	tmr_cancel(&h->tmr);
	mem_deref(h->music);
	mem_deref(h->greeting);
	mem_deref(h->call_id);
}


const char *dialer_voice(const char *lang)
{
	size_t i;

	for (i = 0; lang && i < ARRAY_SIZE(voices); i++) {
		if (!strcmp(voices[i].lang, lang))
			return voices[i].voice;
	}

	return NULL;
}


bool dialer_language_valid(const char *lang)
{
	return dialer_voice(lang) != NULL;
}


/* one sound of the voice, e.g. "digits/7" */
static int say(struct hold *h, struct media_prompt **v, size_t *np,
	       const char *file)
{
	char path[1024];
	int err;

	if (*np >= SAY_MAX)
		return ENOSPC;
	if (re_snprintf(path, sizeof(path), "%s/%s/%s.wav", h->d->sounds_dir,
			h->voice, file) < 0)
		return ENAMETOOLONG;

	err = dialer_prompt_path(h->d, &v[*np], path);
	if (!err)
		++*np;

	return err;
}


static int say_digit(struct hold *h, struct media_prompt **v, size_t *np,
		     int64_t n)
{
	char file[16];

	(void)re_snprintf(file, sizeof(file), "digits/%lld", (long long)n);

	return say(h, v, np, file);
}


/* 1..99 as the voice says it (its digits/ files hold 0-20 and tens) */
static int say_number(struct hold *h, struct media_prompt **v, size_t *np,
		      int64_t n)
{
	bool fr = !strcmp(h->voice, dialer_voice("fr"));
	int64_t tens = n / 10 * 10, units = n % 10;
	int err;

	if (n <= 20)
		return say_digit(h, v, np, n);

	/* French: 70-79 and 90-99 are 60 and 80 plus 10-19 */
	if (fr && (tens == 70 || tens == 90)) {
		tens -= 10;
		units += 10;
	}

	err = say_digit(h, v, np, tens);
	if (!err && fr && units % 10 == 1 && tens != 80)
		err = say(h, v, np, "digits/et");
	if (!err && units)
		err = say_digit(h, v, np, units);

	return err;
}


/* the announcement of the current numbers appended to v, or ENOENT:
 * nothing to say */
static int announcement(struct hold *h, struct media_prompt **v,
			size_t *np)
{
	int64_t min = (h->eta_s + 59) / 60;
	size_t n0 = *np;
	int err = 0;

	if (h->position == 1) {
		err = say(h, v, np, "queue-youarenext");
	}
	else if (h->position > 1 && h->position <= SAY_NUMBER_MAX) {
		err  = say(h, v, np, "queue-thereare");
		err |= say_number(h, v, np, h->position);
		err |= say(h, v, np, "queue-callswaiting");
	}

	if (!err && h->eta_s > 0 && min <= SAY_NUMBER_MAX) {
		err = say(h, v, np, "queue-holdtime");
		if (min <= 1) {
			err |= say(h, v, np, "queue-less-than");
			err |= say_digit(h, v, np, 1);
			err |= say(h, v, np, "queue-minute");
		}
		else {
			err |= say_number(h, v, np, min);
			err |= say(h, v, np, "queue-minutes");
		}
	}

	if (!err && *np > n0)
		err = say(h, v, np, "queue-thankyou");

	if (err) {
		/* a sound missing: music rather than half a sentence */
		log_warn("call %s: no announcement (sounds in %s/%s: %s)",
			 h->call_id, h->d->sounds_dir, h->voice,
			 strerror(err));
		*np = n0;
		return err;
	}

	return *np > n0 ? 0 : ENOENT;
}


static void music(struct hold *h);


static void announce_tick(void *arg)
{
	struct hold *h = arg;
	struct media_prompt *v[SAY_MAX], *p = NULL;
	size_t n = 0;

	if (h->phase != HOLD_MUSIC)
		return;

	if (announcement(h, v, &n) ||
	    media_prompt_concat(&p, v, n, 0)) {
		tmr_start(&h->tmr, h->every_ms, announce_tick, h);
		return;
	}

	h->music_pos = media_stream_play_pos(h->ms);
	h->phase = HOLD_ANNOUNCE;
	if (media_stream_play(h->ms, p, false))
		music(h);
	mem_deref(p);
}


static void music(struct hold *h)
{
	h->phase = HOLD_MUSIC;
	if (h->music)
		(void)media_stream_play_from(h->ms, h->music, true,
					     h->music_pos);
	if (h->every_ms)
		tmr_start(&h->tmr, h->every_ms, announce_tick, h);
}


void hold_start(struct hold *h, struct media_stream *ms)
{
	struct media_prompt *v[SAY_MAX], *p = NULL;
	size_t n = 0;

	if (!h || !ms)
		return;

	h->ms = ms;
	h->music_pos = 0;

	/* the greeting first, then what the announcement says */
	if (h->greeting)
		v[n++] = h->greeting;
	(void)announcement(h, v, &n);
	if (!n || media_prompt_concat(&p, v, n, GAP_MS) ||
	    media_stream_play(ms, p, false)) {
		mem_deref(p);
		music(h);
		return;
	}

	mem_deref(p);
	h->phase = HOLD_INTRO;
}


bool hold_prompt_end(struct hold *h)
{
	if (!h || (h->phase != HOLD_INTRO && h->phase != HOLD_ANNOUNCE))
		return false;

	music(h);

	return true;
}


void hold_stop(struct hold *h)
{
	if (!h)
		return;

	tmr_cancel(&h->tmr);
	h->phase = HOLD_IDLE;
}


void hold_numbers(struct hold *h, int64_t position, int64_t eta_s)
{
	if (!h)
		return;

	h->position = position;
	h->eta_s = eta_s;
}


int hold_alloc(struct hold **hp, struct dialer *d, const char *call_id,
	       const struct hold_params *p)
{
	struct hold *h;
	int err;

	if (!hp || !d || !p)
		return EINVAL;

	h = mem_zalloc(sizeof(*h), hold_destructor);
	if (!h)
		return ENOMEM;

	tmr_init(&h->tmr);
	h->d = d;
	h->voice = dialer_voice(p->lang && *p->lang ? p->lang : "en");
	h->music = mem_ref(p->music);
	h->greeting = mem_ref(p->greeting);
	h->every_ms = p->every_ms;
	h->position = p->position;
	h->eta_s = p->eta_s;

	err = str_dup(&h->call_id, call_id);
	if (err || !h->voice) {
		mem_deref(h);
		return err ? err : EINVAL;
	}

	*hp = h;

	return 0;
}
