/**
 * @file tone.h  Test audio: an Opus-encoded sine to send, decoding and measuring what comes back
 *
 * The client peer sends tone_tx_payload() packets (libopus, 48 kHz mono,
 * 20 ms frames) and hands what it receives to tone_rx_sink(), which decodes
 * Opus into a buffer tone_measure() then inspects: the strongest frequency
 * (Goertzel scan over a Hann window) and the RMS level in dBFS.
 */
#ifndef CR_TONE_H
#define CR_TONE_H

#include <glib.h>
#include <stdint.h>

#define TONE_RATE 48000

typedef struct tone_tx {
	struct OpusEncoder *enc;
	double freq, amp;
	long n; /* samples made so far */
} tone_tx_t;

typedef struct tone_rx {
	struct OpusDecoder *dec;
	GMutex lock;
	float *samples;
	int n, cap;
} tone_rx_t;

int tone_tx_init(tone_tx_t *tx, double freq, double amp);
void tone_tx_clear(tone_tx_t *tx);
/* peer_payload_fn: the next 20 ms of the sine, Opus-encoded. */
int tone_tx_payload(void *tx, uint8_t *payload, int max);

int tone_rx_init(tone_rx_t *rx, double seconds);
void tone_rx_clear(tone_rx_t *rx);
/* peer_sink_fn: decodes one Opus payload into the buffer. */
void tone_rx_sink(void *rx, const uint8_t *payload, int len);
/* Samples decoded so far. */
int tone_rx_count(tone_rx_t *rx);
/* tone_measure() on one second decoded so far, from sample from (negative:
 * counted back from the last one decoded). -1 when that second is not all
 * there yet. */
int tone_rx_measure_second(tone_rx_t *rx, int from, double *freq, double *level_db);

/* Strongest frequency in 50..4000 Hz (to 0.1 Hz) and RMS level (dBFS) of
 * n samples at rate. Returns 0, or -1 when there is nothing to measure. */
int tone_measure(const float *x, int n, int rate, double *freq, double *level_db);
/* RMS level in dBFS of a sine of amplitude amp (1.0 = full scale). */
double tone_sine_level_db(double amp);

#endif
