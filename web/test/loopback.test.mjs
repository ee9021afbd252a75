// The fake-microphone -> WebRTC -> analyser chain that call tests rely on,
// proved without a server: loopback.html sends the browser's fake capture
// through two RTCPeerConnections in the page and reads the received tone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { withPage } from './helpers/browsers.mjs';
import { writeToneWav } from './helpers/wav.mjs';
import { repo, scratch } from './helpers/paths.mjs';

const PAGE = pathToFileURL(join(repo, 'web', 'dist', 'loopback.html')).href;
const TOLERANCE = 0.02;

async function loopback(kind, opts, expectHz) {
	await withPage(kind, opts, async (page, browser) => {
		console.log(`browser: ${browser.version}`);
		await page.goto(PAGE);
		const r = await page.evaluate(() => window.loopback.run());
		console.log(`${kind}: sent ${expectHz} Hz, heard ${r.frequency.toFixed(2)} Hz at ${r.level.toFixed(1)} dB over ${r.selectedPair} (${r.codec}, ${r.packetsReceived} packets)`);
		assert.equal(r.silent, false, `audio arrived (${JSON.stringify(r)})`);
		assert.ok(Math.abs(r.frequency - expectHz) / expectHz <= TOLERANCE,
			`heard ${r.frequency} Hz, expected ${expectHz} Hz within ${TOLERANCE * 100} %`);
		assert.ok(r.packetsReceived > 20, `RTP packets arrived: ${r.packetsReceived}`);
		assert.match(r.selectedPair, /127\.0\.0\.1|::1/, 'media ran over loopback');
	});
}

test('chromium: in-page loopback carries the fake-capture WAV tone (440 Hz) to the analyser within 2 %', { timeout: 60_000 }, async () => {
	mkdirSync(scratch, { recursive: true });
	const wav = writeToneWav(join(scratch, 'tone-440.wav'), 440);
	await loopback('chromium', { fakeAudioWav: wav }, 440);
});

test('chromium: a different WAV tone (1209 Hz) is read as that tone, not a constant', { timeout: 60_000 }, async () => {
	mkdirSync(scratch, { recursive: true });
	const wav = writeToneWav(join(scratch, 'tone-1209.wav'), 1209);
	await loopback('chromium', { fakeAudioWav: wav }, 1209);
});

test('firefox: in-page loopback carries the fake microphone tone (660 Hz) to the analyser within 2 %', { timeout: 60_000 }, async () => {
	await loopback('firefox', { fakeHz: 660 }, 660);
});
