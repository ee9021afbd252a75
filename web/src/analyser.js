// Dominant-frequency analyser for received call audio. Tests play a known
// tone into one end of a call and read the frequency that comes out of the
// other end; a person would notice the same thing as "I hear the tone".

/**
 * Finds the strongest bin of a magnitude spectrum in dB (AnalyserNode's
 * getFloatFrequencyData) and refines it by parabolic interpolation over its
 * neighbours, which brings the error well below one bin width.
 * @param {Float32Array|number[]} spectrum dB per bin, bin i at i*sampleRate/fftSize
 * @param {number} sampleRate Hz
 * @param {number} fftSize samples per FFT (2 * spectrum.length)
 * @param {number} [minHz] ignore bins below this (DC, hum)
 * @return {{frequency: number, level: number}} level in dBFS; frequency 0 if silent
 */
export function dominantFrequency(spectrum, sampleRate, fftSize, minHz = 50) {
	const binHz = sampleRate / fftSize;
	const first = Math.max(1, Math.ceil(minHz / binHz));
	let best = -1;
	let bestDb = -Infinity;
	for (let i = first; i < spectrum.length - 1; i++) {
		if (spectrum[i] > bestDb) {
			bestDb = spectrum[i];
			best = i;
		}
	}
	if (best < 0 || !Number.isFinite(bestDb)) return { frequency: 0, level: -Infinity };
	const a = spectrum[best - 1], b = spectrum[best], c = spectrum[best + 1];
	let offset = 0;
	const denom = a - 2 * b + c;
	if (Number.isFinite(a) && Number.isFinite(c) && denom !== 0) {
		offset = Math.max(-0.5, Math.min(0.5, 0.5 * (a - c) / denom));
	}
	return { frequency: (best + offset) * binHz, level: bestDb };
}

/**
 * Attaches an AnalyserNode to a MediaStream (a received call track).
 * @param {AudioContext} ctx
 * @param {MediaStream} stream
 * @param {{fftSize?: number, silenceDb?: number}} [opts]
 * @return {{read: function(): {frequency: number, level: number, silent: boolean}, stop: function()}}
 */
export function attachAnalyser(ctx, stream, opts = {}) {
	const source = ctx.createMediaStreamSource(stream);
	const node = ctx.createAnalyser();
	node.fftSize = opts.fftSize || 16384;
	node.smoothingTimeConstant = 0.5;
	source.connect(node);
	const bins = new Float32Array(node.frequencyBinCount);
	const silenceDb = opts.silenceDb ?? -90;
	return {
		read() {
			node.getFloatFrequencyData(bins);
			const r = dominantFrequency(bins, ctx.sampleRate, node.fftSize);
			return { frequency: r.frequency, level: r.level, silent: !(r.level > silenceDb) };
		},
		stop() {
			source.disconnect();
			node.disconnect();
		},
	};
}

/**
 * A MediaStream carrying a sine tone, for a microphone-less source.
 * @param {AudioContext} ctx
 * @param {number} hz
 * @return {{stream: MediaStream, stop: function()}}
 */
export function toneStream(ctx, hz) {
	const osc = ctx.createOscillator();
	const gain = ctx.createGain();
	const dest = ctx.createMediaStreamDestination();
	osc.frequency.value = hz;
	gain.gain.value = 0.3;
	osc.connect(gain).connect(dest);
	osc.start();
	return { stream: dest.stream, stop() { osc.stop(); osc.disconnect(); } };
}

/**
 * Loudness of a block of samples: RMS in dBFS (a full-scale sine is -3 dB).
 * @param {Float32Array|number[]} samples in [-1, 1]
 * @return {number} dBFS, -Infinity for silence
 */
export function rmsDb(samples) {
	let sum = 0;
	for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
	if (!samples.length || sum === 0) return -Infinity;
	return 10 * Math.log10(sum / samples.length);
}

/**
 * The microphone level meter: an AnalyserNode on the local stream, read as
 * the RMS of its latest block, so the user sees that the microphone works.
 * @param {AudioContext} ctx
 * @param {MediaStream} stream
 * @return {{read: function(): number, stop: function()}} read() gives dBFS
 */
export function attachLevelMeter(ctx, stream) {
	const source = ctx.createMediaStreamSource(stream);
	const node = ctx.createAnalyser();
	node.fftSize = 2048;
	source.connect(node);
	const block = new Float32Array(node.fftSize);
	return {
		read() {
			node.getFloatTimeDomainData(block);
			return rmsDb(block);
		},
		stop() {
			source.disconnect();
			node.disconnect();
		},
	};
}
