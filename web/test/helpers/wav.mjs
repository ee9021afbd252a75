// Writes a mono 16-bit PCM WAV of a sine tone: the known input that
// Chromium's --use-file-for-fake-audio-capture plays as the microphone.
import { writeFileSync } from 'node:fs';

/**
 * @param {string} path
 * @param {number} hz
 * @param {{seconds?: number, sampleRate?: number, amplitude?: number}} [opts]
 */
export function writeToneWav(path, hz, opts = {}) {
	const rate = opts.sampleRate || 48000;
	const n = Math.round(rate * (opts.seconds || 5));
	const amp = Math.round(32767 * (opts.amplitude ?? 0.4));
	const b = Buffer.alloc(44 + n * 2);
	b.write('RIFF', 0); b.writeUInt32LE(36 + n * 2, 4); b.write('WAVE', 8);
	b.write('fmt ', 12); b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22);
	b.writeUInt32LE(rate, 24); b.writeUInt32LE(rate * 2, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34);
	b.write('data', 36); b.writeUInt32LE(n * 2, 40);
	// A whole number of periods per loop keeps the looped file click-free.
	for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(amp * Math.sin(2 * Math.PI * hz * i / rate)), 44 + 2 * i);
	writeFileSync(path, b);
	return path;
}
