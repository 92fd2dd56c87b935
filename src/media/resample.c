/*
 * Sample rate conversion to the dialer's 8 kHz, for prompts and greetings
 * written at another rate (16, 22.05, 44.1, 48 kHz ...).
 *
 * A windowed-sinc interpolator: each output sample is the input's
 * samples around its instant, weighted by a sinc low-pass whose cut-off
 * sits a little below the lower of the two Nyquist frequencies (so
 * nothing above 4 kHz folds back into the telephone band when
 * downsampling), shaped by a Blackman window over RS_ZEROS zero
 * crossings each side. The weights are normalised per output sample, so
 * a constant stays that constant and the edges need no padding. It runs
 * once per file at load or upload, never on the media path, so the
 * straightforward O(n * taps) loop in double precision is enough.
 */
#include <errno.h>
#include <math.h>
#include <re.h>
#include "media/media.h"

enum {
	RS_ZEROS = 12,          /* zero crossings of the sinc each side */
};

/* the pass band's edge, as a fraction of the lower Nyquist frequency */
#define RS_CUTOFF 0.92


static double blackman(double x)
{
	/* x in [-1, 1] */
	return 0.42 + 0.5 * cos(M_PI * x) + 0.08 * cos(2 * M_PI * x);
}


static int16_t clip16(double v)
{
	if (v > 32767.0)
		return 32767;
	if (v < -32768.0)
		return -32768;

	return (int16_t)lrint(v);
}


int media_resample(int16_t **dstp, size_t *np, const int16_t *src, size_t n,
		   uint32_t rate)
{
	double ratio, fc, half;
	size_t i, m;
	int16_t *dst;

	if (!dstp || !np || !src || !n || rate < 1000 || rate > 192000)
		return EINVAL;

	/* output samples; instant i of the output is i * ratio input
	 * samples from the start */
	ratio = (double)rate / MEDIA_SRATE;
	m = (size_t)((double)n / ratio);
	if (!m)
		m = 1;

	/* cut-off in cycles per input sample, and the reach of the
	 * kernel in input samples */
	fc = 0.5 * RS_CUTOFF * (rate > MEDIA_SRATE ? 1.0 / ratio : 1.0);
	half = RS_ZEROS / (2.0 * fc);

	dst = mem_alloc(m * sizeof(*dst), NULL);
	if (!dst)
		return ENOMEM;

	for (i = 0; i < m; i++) {
		double t = (double)i * ratio, acc = 0.0, wsum = 0.0;
		long k, k0 = (long)ceil(t - half), k1 = (long)floor(t + half);

		if (k0 < 0)
			k0 = 0;
		if (k1 > (long)n - 1)
			k1 = (long)n - 1;

		for (k = k0; k <= k1; k++) {
			double x = (double)k - t;
			double a = 2.0 * fc * x;
			double s = fabs(a) < 1e-9 ? 1.0 :
				sin(M_PI * a) / (M_PI * a);
			double w = s * blackman(x / half);

			acc += w * src[k];
			wsum += w;
		}

		dst[i] = wsum > 1e-9 ? clip16(acc / wsum) : 0;
	}

	*dstp = dst;
	*np = m;

	return 0;
}
