// What a person sees on the softphone across calls, in Chromium and Firefox,
// through the real gateway (Prosody + mod_jingle_sip + sipp): the status line
// says "Connecting…" until ICE is up and audio arrives, then "In call" with
// the timer; a live microphone meter; human words for how a call ended
// (the protocol word in the title); the media panel blank again after a
// call, through a refused attempt and an incoming ring; the error banner
// right under the Call button; and on a plain-http page that is not
// localhost, a clear microphone message instead of a call.
// Screenshots: build/artifacts/web-<browser>-<state>.png.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startSipp } from './helpers/sipp.mjs';
import { launch } from './helpers/browsers.mjs';
import { withGateway, hears, ECHO_NUMBER, DID } from './helpers/gateway.mjs';
import { writeToneWav } from './helpers/wav.mjs';
import { artifacts, scratch } from './helpers/paths.mjs';

const CHROMIUM_TONE = 440;
const FIREFOX_TONE = 660;
// Outside the test dial plan (^%+1555): the gateway refuses it (not-allowed).
const FORBIDDEN_NUMBER = '+442079460000';
// A private address put on the namespace's lo (test/run.sh gives every run
// its own namespace): http:// on it is not a secure context in either
// browser, unlike localhost and 127.0.0.0/8, which both treat as secure.
const INSECURE_ADDRESS = '10.213.0.1';
const sleep = (ms) => new Promise(r => setTimeout(r, ms));
let wav;

before(() => {
	mkdirSync(scratch, { recursive: true });
	mkdirSync(artifacts, { recursive: true });
	wav = writeToneWav(join(scratch, `status-tone-${CHROMIUM_TONE}.wav`), CHROMIUM_TONE);
});

const browserOpts = (kind) => (kind === 'chromium' ? { fakeAudioWav: wav } : { fakeHz: FIREFOX_TONE });
const toneOf = (kind) => (kind === 'chromium' ? CHROMIUM_TONE : FIREFOX_TONE);
const shot = (phone, state) => phone.page.screenshot(join(artifacts, `web-${phone.kind}-${state}.png`));

/**
 * Records what the page shows each time it changes (status line, timer,
 * media panel, microphone meter, error banner) into window.uiLog, so a test
 * can assert on every state a person could have seen, not only the last.
 */
function recordUi() {
	const $ = (id) => document.getElementById(id);
	const snap = () => ({
		status: $('call-state').textContent,
		title: $('call-state').title,
		detail: $('call-detail').textContent,
		timer: $('call-timer').textContent,
		ice: $('ice-state').textContent,
		packets: $('packets').textContent,
		tone: $('tone').textContent,
		mic: $('mic').hidden ? null : Number($('mic-level').value),
		error: $('error').hidden ? null : $('error-text').textContent,
		errorDetail: $('error').hidden ? null : $('error-detail').textContent,
	});
	window.uiLog = [snap()];
	window.uiNow = snap;
	new MutationObserver(() => {
		const s = snap();
		const last = window.uiLog[window.uiLog.length - 1];
		if (JSON.stringify(s) !== JSON.stringify(last)) window.uiLog.push(s);
	}).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
}

const ui = (phone) => phone.page.evaluate(() => window.uiNow());
const uiLog = (phone) => phone.page.evaluate(() => window.uiLog);
const markLog = (phone) => phone.page.evaluate(() => window.uiLog.length);

/** Waits until the status line reads `text`; returns what the page shows then. */
function statusIs(phone, text, ms = 20000) {
	return phone.page.waitFor((t) => document.getElementById('call-state').textContent === t && window.uiNow(),
		text, ms, `${phone.kind} status "${text}"`);
}

/** Types a number and presses Call, as a person does. */
function pressCall(phone, number) {
	return phone.page.evaluate((n) => {
		document.getElementById('number').value = n;
		document.getElementById('dial').click();
	}, number);
}

/** "12 / 34" in the media panel -> 12 (packets in); NaN for "—". */
const packetsIn = (s) => Number(String(s.packets).split(' / ')[0]);

const panelBlank = (s) => s.ice === '—' && s.packets === '—' && s.tone === '—';

/** Where the error banner is relative to the Call button row and the media panel (px). */
function bannerPlace(phone) {
	return phone.page.evaluate(() => {
		const r = (id) => document.getElementById(id).getBoundingClientRect();
		const banner = r('error'), row = r('call-row'), media = r('diagnostics');
		return { gapBelowCallRow: banner.top - row.bottom, aboveMediaPanel: banner.bottom <= media.top };
	});
}

function assertBannerNextToCall(place) {
	assert.ok(place.gapBelowCallRow >= 0 && place.gapBelowCallRow <= 24,
		`the error banner sits right under the Call button (gap ${place.gapBelowCallRow} px)`);
	assert.ok(place.aboveMediaPanel, 'the error banner is above the media panel, not under it');
}

for (const kind of ['chromium', 'firefox']) {
	test(`status (${kind}): "Connecting…" until audio flows, "In call" with timer and mic meter, then a refused attempt and an incoming ring start blank`, { timeout: 150_000 }, async () => {
		// Two calls to the echoing phone: one whose ICE never connects, one that works.
		await withGateway({ sipp: { calls: 2 }, inbound: false }, async (ctx) => {
			const phone = await ctx.open(kind, 'alice', browserOpts(kind));
			await phone.page.evaluate(recordUi);

			// 1. ICE cannot connect (the page is given a wrong ice-pwd for the
			// gateway, so its checks fail): the page says "Connecting…", no
			// timer, for as long as that lasts.
			await phone.page.evaluate(() => {
				window.softphone.transforms.remote = (sdp) => sdp.replace(/^a=ice-pwd:.*$/gm, 'a=ice-pwd:wrongwrongwrongwrongwrong');
			});
			await pressCall(phone, ECHO_NUMBER);
			await statusIs(phone, 'Connecting…');
			await sleep(3000);
			const connecting = await ui(phone);
			assert.equal(connecting.status, 'Connecting…', 'still connecting while ICE cannot connect');
			assert.equal(connecting.timer, '', 'no timer before audio flows');
			assert.doesNotMatch(connecting.ice, /^(connected|completed)$/, 'ICE really is not connected');
			assert.ok(!(packetsIn(connecting) > 0), `no audio received: ${connecting.packets}`);
			assert.ok(connecting.mic > -60, `the mic meter moves with the fake microphone: ${connecting.mic} dBFS`);
			await shot(phone, 'connecting');
			await phone.page.evaluate(() => document.getElementById('hangup').click());
			const cancelled = await statusIs(phone, 'Call cancelled');
			assert.equal(cancelled.title, 'cancel', 'the protocol word stays in the title');
			assert.ok(panelBlank(cancelled), `media panel blank after the call: ${JSON.stringify(cancelled)}`);
			await phone.page.evaluate(() => { window.softphone.transforms.remote = undefined; });

			// 2. A working call: "In call" only once ICE is connected and
			// packets arrive; the timer runs from then.
			let mark = await markLog(phone);
			await pressCall(phone, ECHO_NUMBER);
			await statusIs(phone, 'In call');
			const heard = await hears(phone, toneOf(kind));
			const inCall = await phone.page.waitFor(() => {
				const s = window.uiNow();
				return s.timer >= '0:02' && s.mic > -100 ? s : null;
			}, null, 10000, 'timer at 0:02');
			const seen = (await uiLog(phone)).slice(mark);
			const statuses = [...new Set(seen.map(s => s.status))];
			assert.ok(statuses.indexOf('Connecting…') >= 0 && statuses.indexOf('Connecting…') < statuses.indexOf('In call'),
				`"Connecting…" before "In call": ${JSON.stringify(statuses)}`);
			assert.equal(statuses[0], 'Calling…', `a new call starts at "Calling…": ${JSON.stringify(statuses)}`);
			for (const s of seen) {
				if (s.status === 'In call') {
					assert.match(s.ice, /^(connected|completed)$/, `"In call" shown with ICE ${s.ice}`);
					assert.ok(packetsIn(s) > 0, `"In call" shown before audio arrived: ${s.packets}`);
					assert.match(s.timer, /^\d+:\d\d$/, 'the timer shows in a call');
				} else {
					assert.ok(s.timer === '', `no timer while "${s.status}": ${s.timer}`);
				}
			}
			assert.ok(inCall.mic > -60, `the mic meter shows the microphone's level: ${inCall.mic} dBFS`);
			console.log(`${kind}: heard ${heard.frequency.toFixed(1)} Hz; mic ${inCall.mic.toFixed(1)} dBFS; statuses ${statuses.join(' -> ')}`);
			await shot(phone, 'in-call');
			await phone.page.evaluate(() => document.getElementById('hangup').click());
			const ended = await statusIs(phone, 'Call ended');
			assert.equal(ended.title, 'success');
			assert.ok(panelBlank(ended), `media panel blank after the call: ${JSON.stringify(ended)}`);
			assert.equal(ended.mic, null, 'no mic meter outside a call');
			assert.match(ended.timer, /^0:0[2-9]$/, 'the ended call keeps its length');
			await shot(phone, 'ended');
			assert.equal(await ctx.sipp.wait(15000), 0, 'the phone got both BYEs');

			// 3. A refused attempt: the gateway says not-allowed. Nothing of
			// the last call shows; the reason is in words, next to Call.
			mark = await markLog(phone);
			await pressCall(phone, FORBIDDEN_NUMBER);
			const refused = await statusIs(phone, 'You are not allowed to call this number');
			assert.equal(refused.title, 'not-allowed');
			assert.equal(refused.error, 'You are not allowed to call this number');
			assert.match(refused.errorDetail, /failed: not-allowed/, 'the protocol word in the banner\'s small detail line');
			assert.equal(refused.detail, '', 'the detail is shown once, in the banner');
			for (const s of (await uiLog(phone)).slice(mark)) {
				assert.ok(panelBlank(s), `the last call's media panel during the refused attempt: ${JSON.stringify(s)}`);
				assert.equal(s.timer, '', `the last call's timer during the refused attempt: ${JSON.stringify(s)}`);
				assert.notEqual(s.status, 'Call ended', 'the last call\'s status is gone once Call is pressed');
			}
			assertBannerNextToCall(await bannerPlace(phone));
			await shot(phone, 'refused');

			// 4. An incoming ring: blank panel, no old error, no timer.
			mark = await markLog(phone);
			const caller = await startSipp({ scenario: 'uac_call_long.xml', remote: `127.0.0.1:${ctx.gwPort}`, service: DID });
			ctx.cleanup.push(() => caller.kill());
			const ringing = await statusIs(phone, 'Incoming call');
			for (const s of (await uiLog(phone)).slice(mark)) {
				assert.ok(panelBlank(s), `stale media panel while ringing: ${JSON.stringify(s)}`);
				assert.equal(s.timer, '', `stale timer while ringing: ${JSON.stringify(s)}`);
			}
			assert.equal(ringing.error, null, 'the refused attempt\'s error is gone when a call rings');
			assert.equal(ringing.detail, '');
			await shot(phone, 'incoming');
			await phone.page.evaluate(() => document.getElementById('reject').click());
			const declined = await statusIs(phone, 'Call declined');
			assert.equal(declined.title, 'decline');
		});
	});

	test(`status (${kind}): on a plain-http page that is not localhost, Call says the microphone needs HTTPS and sends nothing`, { timeout: 90_000 }, async () => {
		const onLo = execFileSync('ip', ['-4', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' });
		if (!onLo.includes(` ${INSECURE_ADDRESS}/`)) execFileSync('ip', ['addr', 'add', `${INSECURE_ADDRESS}/32`, 'dev', 'lo']);
		await withGateway({ httpInterfaces: ['127.0.0.1', INSECURE_ADDRESS] }, async (ctx) => {
			const browser = await launch(kind, browserOpts(kind));
			const phone = { browser, user: 'alice', kind };
			ctx.phones.push(phone);
			phone.page = await browser.newPage();
			const url = `http://${INSECURE_ADDRESS}:${ctx.prosody.httpPort}/softphone/?` + new URLSearchParams({ jid: 'alice@localhost', password: 'alice-pw', autologin: '1' });
			await phone.page.goto(url);
			await phone.page.waitFor(() => window.softphone.state.connection === 'connected', null, 20000, 'signed in');
			const context = await phone.page.evaluate(() => ({ secure: window.isSecureContext, mediaDevices: typeof navigator.mediaDevices }));
			assert.deepEqual(context, { secure: false, mediaDevices: 'undefined' }, `${url} is an insecure context`);
			await phone.page.evaluate(recordUi);
			await pressCall(phone, ECHO_NUMBER);
			const shown = await phone.page.waitFor(() => window.uiNow().error && window.uiNow(), null, 5000, 'an error');
			assert.match(shown.error, /^The microphone needs HTTPS or localhost/);
			assert.match(shown.errorDetail, /not a secure context/);
			assert.doesNotMatch(shown.error + shown.errorDetail, /getUserMedia|Cannot read properties/);
			assert.equal(shown.status, 'Ready', 'no call was started');
			assertBannerNextToCall(await bannerPlace(phone));
			await sleep(1000);
			const st = await phone.page.evaluate(() => window.softphone.state);
			assert.equal(st.call.state, 'idle');
			assert.equal(st.call.endedBy, undefined, 'nobody "ended" a call that never started');
			assert.ok(!st.events.some(e => e.type === 'dial'), 'nothing was dialled');
			assert.ok(!(await uiLog(phone)).some(s => s.status !== 'Ready'), 'the status never left "Ready"');
			// Nothing reached the gateway or the phone.
			assert.doesNotMatch(ctx.prosody.shell('jingle_sip:calls()'), /\+15550100/, 'the gateway saw no call');
			assert.doesNotMatch(ctx.sipp.messages(), /INVITE/, 'the phone got no INVITE');
			await shot(phone, 'insecure');
		});
	});
}
