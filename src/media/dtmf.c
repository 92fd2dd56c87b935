/*
 * In-band DTMF: the keys of a phone that sends its digits as sound rather
 * than as RFC 4733 events (an old gateway, a trunk that strips events).
 *
 * Each key is two tones at once, one of each group (ITU-T Q.23):
 *
 *            1209  1336  1477  1633 Hz
 *     697     1     2     3     A
 *     770     4     5     6     B
 *     852     7     8     9     C
 *     941     *     0     #     D
 *
 * The detector runs a Goertzel filter for each of the eight over windows
 * of WIN samples (25.6 ms at 8 kHz: the two nearest tones, 697 and 770
 * Hz, fall well apart), a new window every HOP samples (half overlap). A
 * window holds a key when (Q.24's checks, as Asterisk's dsp.c makes
 * them):
 *
 *   - each of its two tones is at least MIN_DBFS (a quiet line is not
 *     refused, line noise is not a key);
 *   - the twist (level difference of the two) is within what a phone
 *     sends: the high tone at most TWIST_FWD_DB above the low one, at
 *     most TWIST_REV_DB below it;
 *   - each tone stands PEAK_DB above the other three of its group;
 *   - the two tones are most of the window's energy (SHARE): music and
 *     speech spread theirs, so a chord that happens to touch two DTMF
 *     frequencies is not a key.
 *
 * A key is reported once, when two windows in a row hold it: it must
 * last about 40 ms (38 ms at best alignment, 51 ms at worst), as Q.24
 * asks, and a click or a note is not a key. It is reported again only
 * after two windows without it (released).
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <re.h>
#include "media/media.h"

enum {
	WIN = 205,
	HOP = 102,
	NFREQ = 8,
};

#define MIN_DBFS      -36.0
#define TWIST_FWD_DB    4.0
#define TWIST_REV_DB    8.0
#define PEAK_DB         8.0
#define SHARE           0.6

static const double freqs[NFREQ] = {
	697.0, 770.0, 852.0, 941.0, 1209.0, 1336.0, 1477.0, 1633.0};
static const char keys[4][4] = {
	{'1', '2', '3', 'A'},
	{'4', '5', '6', 'B'},
	{'7', '8', '9', 'C'},
	{'*', '0', '#', 'D'},
};

struct media_dtmf {
	int16_t win[WIN];       /* the last WIN samples, circular */
	size_t pos;             /* where the next one goes */
	size_t fill;            /* samples so far, up to WIN */
	size_t fresh;           /* samples since the last window */
	int last;               /* the previous window's key, or -1 */
	int held;               /* the key reported and not released */
	unsigned gone;          /* windows in a row without held */
	double coef[NFREQ];
	double min_energy;      /* of one tone at MIN_DBFS over WIN */
	double fwd, rev, peak;  /* the dB bounds as power ratios */
};


static double db_ratio(double db)
{
	return pow(10.0, db / 10.0);
}


int media_dtmf_alloc(struct media_dtmf **dp)
{
	struct media_dtmf *d;
	double amp;
	size_t i;

	if (!dp)
		return EINVAL;

	d = mem_zalloc(sizeof(*d), NULL);
	if (!d)
		return ENOMEM;

	for (i = 0; i < NFREQ; i++)
		d->coef[i] = 2.0 * cos(2.0 * M_PI * freqs[i] / MEDIA_SRATE);

	/* a sine of amplitude A has A^2 / 2 per sample */
	amp = 32767.0 * pow(10.0, MIN_DBFS / 20.0);
	d->min_energy = amp * amp / 2.0 * WIN;
	d->fwd = db_ratio(TWIST_FWD_DB);
	d->rev = db_ratio(TWIST_REV_DB);
	d->peak = db_ratio(PEAK_DB);
	d->last = -1;
	d->held = -1;

	*dp = d;

	return 0;
}


/* the strongest of the group's four powers, if it stands out */
static int group_peak(const struct media_dtmf *d, const double *p)
{
	int i, best = 0;

	for (i = 1; i < 4; i++) {
		if (p[i] > p[best])
			best = i;
	}
	for (i = 0; i < 4; i++) {
		if (i != best && p[best] < d->peak * p[i])
			return -1;
	}

	return best;
}


/* the key the current window holds, or -1 */
static int window_key(const struct media_dtmf *d)
{
	double p[NFREQ], energy = 0.0;
	size_t i, k;
	int r, c;

	for (i = 0; i < NFREQ; i++) {
		double s1 = 0.0, s2 = 0.0;

		for (k = 0; k < WIN; k++) {
			double x = d->win[(d->pos + k) % WIN];
			double s0 = x + d->coef[i] * s1 - s2;

			s2 = s1;
			s1 = s0;
		}
		/* |X|^2 * 2 / N: the energy of that tone in the window */
		p[i] = (s1 * s1 + s2 * s2 - d->coef[i] * s1 * s2) * 2.0 /
			WIN;
	}
	for (k = 0; k < WIN; k++)
		energy += (double)d->win[k] * d->win[k];

	r = group_peak(d, p);
	c = group_peak(d, p + 4);
	if (r < 0 || c < 0)
		return -1;

	if (p[r] < d->min_energy || p[4 + c] < d->min_energy)
		return -1;
	if (p[4 + c] > p[r] * d->fwd || p[r] > p[4 + c] * d->rev)
		return -1;
	if (p[r] + p[4 + c] < SHARE * energy)
		return -1;

	return keys[r][c];
}


int media_dtmf_put(struct media_dtmf *d, const int16_t *pcm, size_t n)
{
	int found = -1;
	size_t i;

	if (!d || !pcm)
		return -1;

	for (i = 0; i < n; i++) {
		int key;

		d->win[d->pos] = pcm[i];
		d->pos = (d->pos + 1) % WIN;
		if (d->fill < WIN)
			++d->fill;
		if (++d->fresh < HOP || d->fill < WIN)
			continue;
		d->fresh = 0;

		key = window_key(d);

		if (key >= 0 && key == d->last && key != d->held &&
		    found < 0) {
			found = key;
			d->held = key;
			d->gone = 0;
		}
		else if (key != d->held && d->held >= 0 && ++d->gone >= 2) {
			d->held = -1;
		}
		else if (key == d->held) {
			d->gone = 0;
		}
		d->last = key;
	}

	return found;
}
