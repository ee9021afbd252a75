/**
 * @file tone.c  Test audio: an Opus-encoded sine to send, decoding and measuring what comes back
 */
#include <math.h>
#include <opus.h>
#include <stdio.h>
#include <string.h>

#include "tone.h"

#define FRAME (TONE_RATE / 50) /* 20 ms */

int tone_tx_init(tone_tx_t *tx, double freq, double amp)
{
	int err;

	memset(tx, 0, sizeof(*tx));
	tx->freq = freq;
	tx->amp = amp;
	tx->enc = opus_encoder_create(TONE_RATE, 1, OPUS_APPLICATION_VOIP, &err);
	if (!tx->enc)
		return -1;
	opus_encoder_ctl(tx->enc, OPUS_SET_BITRATE(32000));
	return 0;
}

void tone_tx_clear(tone_tx_t *tx)
{
	if (tx->enc)
		opus_encoder_destroy(tx->enc);
	tx->enc = NULL;
}

int tone_tx_payload(void *arg, uint8_t *payload, int max)
{
	tone_tx_t *tx = arg;
	float pcm[FRAME];
	int len;

	for (int i = 0; i < FRAME; i++, tx->n++)
		pcm[i] = (float)(tx->amp * sin(2 * M_PI * tx->freq * (double)tx->n / TONE_RATE));
	len = opus_encode_float(tx->enc, pcm, FRAME, payload, max);
	return len > 0 ? len : 0;
}

int tone_rx_init(tone_rx_t *rx, double seconds)
{
	int err;

	memset(rx, 0, sizeof(*rx));
	g_mutex_init(&rx->lock);
	rx->cap = (int)(seconds * TONE_RATE);
	rx->samples = g_new0(float, rx->cap);
	rx->dec = opus_decoder_create(TONE_RATE, 1, &err);
	return rx->dec ? 0 : -1;
}

void tone_rx_clear(tone_rx_t *rx)
{
	if (rx->dec)
		opus_decoder_destroy(rx->dec);
	rx->dec = NULL;
	g_free(rx->samples);
	rx->samples = NULL;
	g_mutex_clear(&rx->lock);
}

void tone_rx_sink(void *arg, const uint8_t *payload, int len)
{
	tone_rx_t *rx = arg;
	float pcm[6 * FRAME]; /* 120 ms, Opus's longest packet */
	int n = opus_decode_float(rx->dec, payload, len, pcm, 6 * FRAME, 0);

	if (n <= 0)
		return;
	g_mutex_lock(&rx->lock);
	if (n > rx->cap - rx->n)
		n = rx->cap - rx->n;
	memcpy(rx->samples + rx->n, pcm, sizeof(float) * (size_t)n);
	rx->n += n;
	g_mutex_unlock(&rx->lock);
}

int tone_rx_count(tone_rx_t *rx)
{
	int n;

	g_mutex_lock(&rx->lock);
	n = rx->n;
	g_mutex_unlock(&rx->lock);
	return n;
}

int tone_rx_measure_second(tone_rx_t *rx, int from, double *freq, double *level_db)
{
	int err = -1, n;

	g_mutex_lock(&rx->lock);
	n = rx->n;
	if (from < 0)
		from += n;
	if (from >= 0 && from + TONE_RATE <= n)
		err = tone_measure(rx->samples + from, TONE_RATE, TONE_RATE, freq, level_db);
	g_mutex_unlock(&rx->lock);
	if (from < 0 || from + TONE_RATE > n)
		fprintf(stderr, "  no second decoded at sample %d (%d decoded)\n", from, n);
	return err;
}

/* Power at freq of the Hann-windowed samples (Goertzel). */
static double power_at(const float *w, int n, int rate, double freq)
{
	double coeff = 2 * cos(2 * M_PI * freq / rate), s1 = 0, s2 = 0;

	for (int i = 0; i < n; i++) {
		double s = w[i] + coeff * s1 - s2;

		s2 = s1;
		s1 = s;
	}
	return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

int tone_measure(const float *x, int n, int rate, double *freq, double *level_db)
{
	float *w;
	double sum = 0, best = -1, best_f = 0;

	if (n < rate / 10)
		return -1;
	w = g_new(float, n);
	for (int i = 0; i < n; i++) {
		w[i] = (float)(x[i] * 0.5 * (1 - cos(2 * M_PI * i / (n - 1))));
		sum += (double)x[i] * x[i];
	}
	for (double f = 50; f <= 4000; f += 1) {
		double p = power_at(w, n, rate, f);

		if (p > best) {
			best = p;
			best_f = f;
		}
	}
	for (double f = best_f - 1; f <= best_f + 1; f += 0.05) {
		double p = power_at(w, n, rate, f);

		if (p > best) {
			best = p;
			best_f = f;
		}
	}
	g_free(w);
	*freq = best_f;
	*level_db = 10 * log10(sum / n + 1e-20);
	return 0;
}

double tone_sine_level_db(double amp)
{
	return 20 * log10(amp / sqrt(2));
}
