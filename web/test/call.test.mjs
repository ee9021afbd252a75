// A whole call between two softphones through a real Prosody: JMI (XEP-0353)
// or a direct session-initiate, Jingle RTP by StanzaJS, ICE + DTLS-SRTP
// between Chromium and Firefox on the namespace's loopback, each side's
// analyser hearing the other side's tone, DTMF, hang-up. This is the shape
// a gateway call test takes once calls exist: replace one browser by
// +E164@phone.localhost and a SIP peer that echoes or plays a tone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startProsody } from './helpers/prosody.mjs';
import { launch } from './helpers/browsers.mjs';
import { writeToneWav } from './helpers/wav.mjs';
import { artifacts, scratch } from './helpers/paths.mjs';

const CHROMIUM_HZ = 440;
const FIREFOX_HZ = 660;
let prosody;
let wav;

before(async () => {
	mkdirSync(scratch, { recursive: true });
	wav = writeToneWav(join(scratch, `tone-${CHROMIUM_HZ}.wav`), CHROMIUM_HZ);
	prosody = await startProsody({ users: { alice: 'alice-pw', bob: 'bob-pw' } });
});

after(async () => {
	if (prosody) await prosody.stop();
});

/** Opens a logged-in softphone page; returns { page, browser, jid }. */
async function openPhone(kind, user, opts, params = {}) {
	const browser = await launch(kind, opts);
	const page = await browser.newPage();
	const q = new URLSearchParams({ jid: `${user}@localhost`, password: `${user}-pw`, autologin: '1', ...params });
	await page.goto(prosody.url('/softphone/') + '?' + q);
	await page.waitFor(() => window.softphone.state.connection === 'connected', null, 20000, `${user} connected`);
	const jid = await page.evaluate(() => window.softphone.state.jid);
	return { browser, page, jid, user };
}

async function dumpOnFailure(phones, fn) {
	try {
		return await fn();
	} catch (e) {
		for (const p of phones) {
			if (!p) continue;
			console.error(`---- ${p.user} (${p.browser.version}) console ----`);
			for (const l of p.page.console) console.error(l);
			try { console.error(JSON.stringify(await p.page.evaluate(() => window.softphone.state.stats))); } catch { /* closed */ }
		}
		console.error('---- prosody log (tail) ----\n' + prosody.log().split('\n').slice(-30).join('\n'));
		throw e;
	} finally {
		for (const p of phones) if (p) await p.browser.close().catch(() => {});
	}
}

const near = (hz, want) => Math.abs(hz - want) / want <= 0.02;

async function callBetween(caller, callee, calleeHz, callerHz, target, screenshot) {
	const { page: a } = caller;
	const { page: b } = callee;
	await a.evaluate((jid) => { window.softphone.call(jid).catch(() => {}); }, target);
	await b.waitFor(() => window.softphone.state.call.state === 'incoming', null, 15000, `${callee.user} rings`);
	const ringing = await b.evaluate(() => ({ shown: !document.getElementById('incoming').hidden,
		from: window.softphone.state.call.peer, label: document.getElementById('incoming-from').textContent }));
	assert.equal(ringing.shown, true, 'the incoming-call banner is shown');
	assert.equal(ringing.label, `${caller.user}@localhost`, 'the banner names the caller');
	assert.match(ringing.from, new RegExp(`^${caller.user}@localhost`));
	await b.evaluate(() => window.softphone.answer());
	for (const [p, who] of [[a, caller.user], [b, callee.user]]) {
		await p.waitFor(() => window.softphone.state.call.state === 'active', null, 20000, `${who} active`);
	}
	// Each side hears the other's tone (not its own, not silence).
	const heardByCaller = await a.waitFor((hz) => {
		const au = window.softphone.audio;
		return au && !au.silent && Math.abs(au.frequency - hz) / hz <= 0.02 ? au : null;
	}, calleeHz, 15000, `${caller.user} hears ${calleeHz} Hz`);
	const heardByCallee = await b.waitFor((hz) => {
		const au = window.softphone.audio;
		return au && !au.silent && Math.abs(au.frequency - hz) / hz <= 0.02 ? au : null;
	}, callerHz, 15000, `${callee.user} hears ${callerHz} Hz`);
	assert.ok(near(heardByCaller.frequency, calleeHz));
	assert.ok(near(heardByCallee.frequency, callerHz));
	console.log(`${caller.user} heard ${heardByCaller.frequency.toFixed(1)} Hz, ${callee.user} heard ${heardByCallee.frequency.toFixed(1)} Hz`);
	// The media panel shows a connected ICE/DTLS transport on loopback.
	for (const [p, who] of [[a, caller.user], [b, callee.user]]) {
		const st = await p.waitFor(() => {
			const s = window.softphone.stats;
			return s && s.selectedPair && s.audio.inbound && s.audio.inbound.packetsReceived > 20 ? s : null;
		}, null, 10000, `${who} stats`);
		assert.match(st.iceState, /^(connected|completed)$/, `${who} ICE state`);
		assert.equal(st.dtlsState, 'connected', `${who} DTLS state`);
		assert.match(st.selectedPair.local.address, /^(127\.0\.0\.1|::1)$/, `${who} selected pair is loopback`);
		const shown = await p.evaluate(() => document.getElementById('selected-pair').textContent);
		assert.match(shown, /127\.0\.0\.1|::1/, `${who} page shows the selected pair`);
		console.log(`${who}: ICE ${st.iceState}, DTLS ${st.dtlsState}, pair ${shown}, ${st.audio.codec}`);
	}
	// DTMF from the caller's keypad: RFC 4733 events actually played out.
	await a.evaluate(() => { for (const d of '12#') document.querySelector(`#keypad button[data-digit="${d}"]`).click(); });
	await a.waitFor(() => window.softphone.state.dtmfPlayed === '12#', null, 10000, 'DTMF 12# played');
	// The timer runs.
	await a.waitFor(() => window.softphone.state.call.duration >= 1, null, 5000, 'call timer');
	if (screenshot) {
		mkdirSync(artifacts, { recursive: true });
		await a.screenshot(join(artifacts, screenshot));
		console.log(`screenshot: ${join(artifacts, screenshot)}`);
	}
	// Caller hangs up; the callee sees the call end with the reason.
	await a.evaluate(() => document.getElementById('hangup').click());
	const endA = await a.evaluate(() => window.softphone.state.call);
	assert.equal(endA.state, 'ended');
	const endB = await b.waitFor(() => window.softphone.state.call.state === 'ended' && window.softphone.state.call, null, 10000, `${callee.user} call ended`);
	assert.equal(endB.endReason, 'success');
	assert.equal(endB.endedBy, 'remote');
	if (endA.jmi) {
		// A JMI call is closed by JMI too: <finish/> with reason success.
		await b.waitFor(() => window.softphone.events.some(e => e.type === 'jmi-in' && e.detail.type === 'finish'), null, 10000, `${callee.user} gets <finish/>`);
	}
}

test('call: Chromium calls Firefox with JMI (propose/proceed), both hear the other\'s tone, DTMF, hang-up', { timeout: 120_000 }, async () => {
	let alice, bob;
	await dumpOnFailure([], async () => {
		alice = await openPhone('chromium', 'alice', { fakeAudioWav: wav });
		bob = await openPhone('firefox', 'bob', { fakeHz: FIREFOX_HZ });
		console.log(`browsers: ${alice.browser.version}, ${bob.browser.version}`);
		await dumpOnFailure([alice, bob], () => callBetween(alice, bob, FIREFOX_HZ, CHROMIUM_HZ, 'bob@localhost',
			'softphone-in-call-chromium.png'));
	});
});

test('call: Firefox calls Chromium with a direct session-initiate (no JMI), both hear the other\'s tone, DTMF, hang-up', { timeout: 120_000 }, async () => {
	let alice, bob;
	await dumpOnFailure([], async () => {
		alice = await openPhone('chromium', 'alice', { fakeAudioWav: wav });
		bob = await openPhone('firefox', 'bob', { fakeHz: FIREFOX_HZ }, { mode: 'direct' });
		// A direct session-initiate needs a full JID: Jingle IQs go to a resource.
		await dumpOnFailure([alice, bob], () => callBetween(bob, alice, CHROMIUM_HZ, FIREFOX_HZ, alice.jid));
	});
});

test('call: callee rejects (JMI reject) and caller gives up while ringing (JMI retract); both sides show why it ended', { timeout: 120_000 }, async () => {
	let alice, bob;
	await dumpOnFailure([], async () => {
		alice = await openPhone('chromium', 'alice', { fakeAudioWav: wav });
		bob = await openPhone('chromium', 'bob', {});
		await dumpOnFailure([alice, bob], async () => {
			const a = alice.page, b = bob.page;
			// Rejected.
			await a.evaluate(() => { window.softphone.call('bob@localhost').catch(() => {}); });
			await a.waitFor(() => window.softphone.state.call.state === 'ringing', null, 15000, 'alice hears ringing');
			await b.waitFor(() => window.softphone.state.call.state === 'incoming', null, 15000, 'bob rings');
			mkdirSync(artifacts, { recursive: true });
			await b.screenshot(join(artifacts, 'softphone-incoming-chromium.png'));
			await b.evaluate(() => document.getElementById('reject').click());
			const ca = await a.waitFor(() => window.softphone.state.call.state === 'ended' && window.softphone.state.call, null, 10000, 'alice sees the reject');
			assert.equal(ca.endReason, 'decline');
			const status = await a.evaluate(() => ({ text: document.getElementById('call-state').textContent, title: document.getElementById('call-state').title }));
			assert.deepEqual(status, { text: 'Call declined', title: 'decline' }, 'human words, the protocol word in the title');
			const cb = await b.evaluate(() => window.softphone.state.call);
			assert.deepEqual([cb.state, cb.endReason, cb.endedBy], ['ended', 'decline', 'local']);
			// Retracted: alice hangs up while bob's phone rings.
			await a.evaluate(() => { window.softphone.call('bob@localhost').catch(() => {}); });
			await b.waitFor(() => window.softphone.state.call.state === 'incoming', null, 15000, 'bob rings again');
			await a.evaluate(() => document.getElementById('hangup').click());
			const cb2 = await b.waitFor(() => window.softphone.state.call.state === 'ended' && window.softphone.state.call, null, 10000, 'bob sees the retract');
			assert.deepEqual([cb2.endReason, cb2.endedBy], ['cancel', 'remote']);
			assert.equal(await b.evaluate(() => document.getElementById('incoming').hidden), true, 'the incoming banner is gone');
		});
	});
});

// Interop tests make a browser behave like another client through
// window.softphone.transforms. Here both Chromiums act like Conversations
// (libwebrtc with renomination): a=ice-options:renomination in the offer and
// the answer each browser is given, which makes Chromium nominate with the
// NOMINATION attribute (docs/PLATFORM.md#libnice). The call must still work end to end.
test('call: SDP transforms make two Chromiums negotiate ICE renomination (Conversations-style); the call still carries both tones', { timeout: 120_000 }, async () => {
	let alice, bob;
	const bobHz = 1209;
	const bobWav = writeToneWav(join(scratch, `tone-${bobHz}.wav`), bobHz);
	const renominate = () => {
		const munge = (sdp) => sdp.replace(/^a=ice-options:.*\r\n/gm, '')
			.replace(/^(a=ice-ufrag:.*\r\n)/gm, '$1a=ice-options:trickle renomination\r\n');
		window.softphone.transforms.local = munge;
		window.softphone.transforms.remote = munge;
	};
	await dumpOnFailure([], async () => {
		alice = await openPhone('chromium', 'alice', { fakeAudioWav: wav });
		bob = await openPhone('chromium', 'bob', { fakeAudioWav: bobWav });
		await dumpOnFailure([alice, bob], async () => {
			await alice.page.evaluate(renominate);
			await bob.page.evaluate(renominate);
			// The candidate hook sees each trickled remote candidate.
			await bob.page.evaluate(() => {
				window.seenCandidates = [];
				window.softphone.transforms.candidate = (line) => { window.seenCandidates.push(line); return line; };
			});
			const a = alice.page, b = bob.page;
			await a.evaluate(() => { window.softphone.call('bob@localhost').catch(() => {}); });
			await b.waitFor(() => window.softphone.state.call.state === 'incoming', null, 15000, 'bob rings');
			await b.evaluate(() => window.softphone.answer());
			for (const [p, hz, who] of [[a, bobHz, 'alice'], [b, CHROMIUM_HZ, 'bob']]) {
				await p.waitFor(() => window.softphone.state.call.state === 'active', null, 20000, `${who} active`);
				const sdp = await p.evaluate(() => ({ local: window.softphone.pc.localDescription.sdp, remote: window.softphone.pc.remoteDescription.sdp }));
				assert.match(sdp.local, /^a=ice-options:trickle renomination\r$/m, `${who}'s own description asks for renomination`);
				assert.match(sdp.remote, /^a=ice-options:trickle renomination\r$/m, `${who} was given a peer description with renomination`);
				const au = await p.waitFor((want) => {
					const x = window.softphone.audio;
					return x && !x.silent && Math.abs(x.frequency - want) / want <= 0.02 ? x : null;
				}, hz, 15000, `${who} hears ${hz} Hz`);
				console.log(`${who} heard ${au.frequency.toFixed(1)} Hz over a renomination-enabled ICE session`);
			}
			const seen = await b.evaluate(() => window.seenCandidates);
			assert.ok(seen.some(l => / 127\.0\.0\.1 /.test(l)), `bob's candidate hook saw alice's candidates: ${JSON.stringify(seen)}`);
			await a.evaluate(() => window.softphone.hangup());
			await b.waitFor(() => window.softphone.state.call.state === 'ended', null, 10000, 'bob sees the hang-up');
		});
	});
});

// A call that never gets anywhere must end, with the reason on the page.
for (const [name, params, target, reason, humanText, errorText] of [
	['a JMI propose to a user that does not exist bounces', {}, 'nobody@localhost', /^(service-unavailable|item-not-found|recipient-unavailable)$/, 'Number not reachable', /call to nobody@localhost failed/],
	['a direct session-initiate to a resource that is gone gets an IQ error', { mode: 'direct' }, 'bob@localhost/gone', /^(service-unavailable|item-not-found|recipient-unavailable)$/, 'Number not reachable', /session-initiate to bob@localhost\/gone failed/],
	['an unanswered JMI propose times out and is retracted', { propose_timeout: '2000' }, 'alice@localhost', /^timeout$/, 'No answer', /no answer from alice@localhost/],
]) {
	test(`call: ${name}; the call ends with the reason shown`, { timeout: 60_000 }, async () => {
		let alice;
		await dumpOnFailure([], async () => {
			alice = await openPhone('chromium', 'alice', { fakeAudioWav: wav }, params);
			await dumpOnFailure([alice], async () => {
				const a = alice.page;
				await a.evaluate((jid) => { window.softphone.call(jid).catch(() => {}); }, target);
				const c = await a.waitFor(() => window.softphone.state.call.state === 'ended' && window.softphone.state.call, null, 15000, 'the call ends');
				assert.match(c.endReason, reason);
				const shown = await a.evaluate(() => ({ state: document.getElementById('call-state').textContent,
					title: document.getElementById('call-state').title, error: document.getElementById('error').textContent }));
				assert.equal(shown.state, humanText, 'the reason in words');
				assert.equal(shown.title, c.endReason, 'the protocol word in the title');
				assert.match(shown.error, errorText);
				assert.equal(await a.evaluate(() => document.getElementById('dial').disabled), false, 'the user can dial again');
			});
		});
	});
}
