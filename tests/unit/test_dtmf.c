/*
 * The in-band DTMF detector against generated keys: every key, levels
 * from loud to below the floor, twist both ways, the shortest press,
 * presses held and repeated, white noise, and no key from Debian's music
 * on hold or recorded prompts (what a customer hears while the guard
 * waits), alone or with a key pressed over the music.
 */
#include <math.h>
#include <stdlib.h>
#include <re.h>
#include "media/media.h"
#include "test.h"

static const char keys[] = "123A456B789C*0#D";
static const double lows[] = {697.0, 770.0, 852.0, 941.0};
static const double highs[] = {1209.0, 1336.0, 1477.0, 1633.0};

struct sig {
	int16_t v[8 * MEDIA_SRATE];
	size_t n;
	uint32_t rng;
};


static double amp_of(double dbfs)
{
	return 32767.0 * pow(10.0, dbfs / 20.0);
}


/* ms of key k, each tone at dbfs (plus twist_db on the high one) */
static void add_key(struct sig *s, int k, double dbfs, double twist_db,
		    unsigned ms)
{
	double lo = lows[k / 4], hi = highs[k % 4];
	double al = amp_of(dbfs), ah = amp_of(dbfs + twist_db);
	size_t i, n = (size_t)ms * MEDIA_SRATE / 1000;

	for (i = 0; i < n && s->n < ARRAY_SIZE(s->v); i++, s->n++)
		s->v[s->n] = (int16_t)(al * sin(2 * M_PI * lo * i /
						MEDIA_SRATE) +
				       ah * sin(2 * M_PI * hi * i /
						MEDIA_SRATE));
}


static void add_silence(struct sig *s, unsigned ms)
{
	size_t i, n = (size_t)ms * MEDIA_SRATE / 1000;

	for (i = 0; i < n && s->n < ARRAY_SIZE(s->v); i++)
		s->v[s->n++] = 0;
}


/* white noise at dbfs RMS over the whole signal (a fixed seed) */
static void add_noise(struct sig *s, double dbfs)
{
	double rms = 32767.0 * pow(10.0, dbfs / 20.0);
	size_t i;

	for (i = 0; i < s->n; i++) {
		double u = 0.0, x;
		int j;

		/* the sum of 12 uniforms: near-Gaussian, variance 1 */
		for (j = 0; j < 12; j++) {
			s->rng = s->rng * 1664525u + 1013904223u;
			u += (double)(s->rng >> 8) / (1 << 24);
		}
		x = s->v[i] + (u - 6.0) * rms;
		s->v[i] = (int16_t)(x > 32767 ? 32767 : x < -32768 ? -32768 :
				    x);
	}
}


/* the keys the detector finds in pcm, fed 20 ms at a time */
static void detect(char *out, size_t sz, const int16_t *pcm, size_t n)
{
	struct media_dtmf *d = NULL;
	size_t i, k = 0;

	out[0] = '\0';
	if (media_dtmf_alloc(&d))
		return;

	for (i = 0; i < n; i += MEDIA_FRAME) {
		size_t m = n - i < MEDIA_FRAME ? n - i : MEDIA_FRAME;
		int key = media_dtmf_put(d, pcm + i, m);

		if (key >= 0 && k + 1 < sz) {
			out[k++] = (char)key;
			out[k] = '\0';
		}
	}

	mem_deref(d);
}


TEST(media_dtmf_every_key)
{
	struct sig *s = mem_zalloc(sizeof(*s), NULL);
	char got[64];
	int k;

	TEST_ASSERT(s != NULL);
	for (k = 0; k < 16; k++) {
		add_key(s, k, -10.0, 0.0, 80);
		add_silence(s, 60);
	}
	detect(got, sizeof(got), s->v, s->n);
	mem_deref(s);
	TEST_EQ_STR(got, keys);

	return 0;
}


/* one key at a level and twist, alone: found or not */
static int key_found(double dbfs, double twist_db, unsigned ms,
		     double noise_dbfs)
{
	struct sig *s = mem_zalloc(sizeof(*s), NULL);
	char got[16];

	if (!s)
		return -1;
	s->rng = 12345;
	add_silence(s, 100);
	add_key(s, 0, dbfs, twist_db, ms);
	add_silence(s, 100);
	if (noise_dbfs < 0)
		add_noise(s, noise_dbfs);
	detect(got, sizeof(got), s->v, s->n);
	mem_deref(s);

	return !strcmp(got, "1") ? 1 : got[0] ? -1 : 0;
}


TEST(media_dtmf_levels_and_twist)
{
	/* each tone from -8 (the two at full scale) to -30 dBFS; not at
	 * -42 (line noise) */
	TEST_EQ_INT(key_found(-8.0, 0.0, 80, 0), 1);
	TEST_EQ_INT(key_found(-20.0, 0.0, 80, 0), 1);
	TEST_EQ_INT(key_found(-30.0, 0.0, 80, 0), 1);
	TEST_EQ_INT(key_found(-42.0, 0.0, 80, 0), 0);

	/* the high tone 3 dB above or 6 dB below the low: a phone */
	TEST_EQ_INT(key_found(-15.0, 3.0, 80, 0), 1);
	TEST_EQ_INT(key_found(-15.0, -6.0, 80, 0), 1);
	/* 6 dB above or 12 dB below: two sounds, not a key */
	TEST_EQ_INT(key_found(-15.0, 6.0, 80, 0), 0);
	TEST_EQ_INT(key_found(-15.0, -12.0, 80, 0), 0);

	return 0;
}


TEST(media_dtmf_duration_and_noise)
{
	/* 60 ms is a press, 20 ms a click */
	TEST_EQ_INT(key_found(-10.0, 0.0, 60, 0), 1);
	TEST_EQ_INT(key_found(-10.0, 0.0, 20, 0), 0);

	/* through white noise 20 dB below each tone */
	TEST_EQ_INT(key_found(-15.0, 0.0, 80, -35.0), 1);
	/* noise alone, however loud, is no key */
	TEST_EQ_INT(key_found(-90.0, 0.0, 80, -10.0), 0);

	return 0;
}


TEST(media_dtmf_held_and_repeated)
{
	struct sig *s = mem_zalloc(sizeof(*s), NULL);
	char got[16];

	TEST_ASSERT(s != NULL);
	/* held for 1.5 s: once; then the same key twice, 60 ms apart */
	add_key(s, 5, -10.0, 0.0, 1500);
	add_silence(s, 100);
	add_key(s, 13, -10.0, 0.0, 70);
	add_silence(s, 60);
	add_key(s, 13, -10.0, 0.0, 70);
	add_silence(s, 60);
	detect(got, sizeof(got), s->v, s->n);
	mem_deref(s);
	TEST_EQ_STR(got, "500");

	return 0;
}


/* a Debian sound file at 8 kHz (scripts/deps.sh installs them) */
static struct media_prompt *sound(const char *rel)
{
	struct media_prompt *p = NULL;
	char path[256];

	re_snprintf(path, sizeof(path), "/usr/share/asterisk/%s", rel);
	if (media_prompt_load(&p, path))
		fprintf(stderr, "  %s: missing (scripts/deps.sh)\n", path);

	return p;
}


/*
 * What the customer hears while the guard waits must not press a key for
 * them: Debian's music on hold (every piece) and the prompts. A key
 * pressed over the music at a usual level is still heard.
 */
TEST(media_dtmf_not_music)
{
	static const char *const files[] = {
		"moh/macroform-cold_day.wav", "moh/macroform-robot_dity.wav",
		"moh/macroform-the_simplicity.wav",
		"moh/manolo_camp-morning_coffee.wav",
		"moh/reno_project-system.wav",
		"sounds/en_US_f_Allison/hello.wav",
		"sounds/en_US_f_Allison/vm-press.wav",
		"sounds/en_US_f_Allison/queue-periodic-announce.wav",
		"sounds/fr_CA_f_June/vm-press.wav",
	};
	struct sig *s = mem_zalloc(sizeof(*s), NULL);
	char got[64];
	size_t i, j;

	TEST_ASSERT(s != NULL);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		struct media_prompt *p = sound(files[i]);

		TEST_ASSERT(p != NULL);
		detect(got, sizeof(got), media_prompt_pcm(p),
		       media_prompt_samples(p));
		if (got[0])
			fprintf(stderr, "  %s: keys %s\n", files[i], got);
		TEST_EQ_STR(got, "");

		/* the first 4 s with a 1 pressed over them at -10 dBFS */
		if (i)
			goto next;
		s->n = 0;
		add_silence(s, 1000);
		add_key(s, 0, -10.0, 0.0, 100);
		add_silence(s, 2900);
		for (j = 0; j < s->n && j < media_prompt_samples(p); j++) {
			int x = s->v[j] + media_prompt_pcm(p)[j];

			s->v[j] = (int16_t)(x > 32767 ? 32767 :
					    x < -32768 ? -32768 : x);
		}
		detect(got, sizeof(got), s->v, s->n);
		TEST_EQ_STR(got, "1");
 next:
		mem_deref(p);
	}
	mem_deref(s);

	return 0;
}
