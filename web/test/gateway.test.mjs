// Calls from and to the web softphone THROUGH THE GATEWAY: page -> Prosody ->
// mod_jingle_sip -> libcallrelay -> a SIP peer (sipp, echoing RTP) and back.
// The audio is checked where a user notices it: the page's WebAudio analyser
// must hear the page's own tone come back from the far end of the SIP leg.
// Everything (Prosody, the relay, sipp, the browsers) lives on the loopback
// of the namespace test/run.sh creates.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSipp } from './helpers/sipp.mjs';
import { withGateway, hears, dial, active, ended, callLine, trace, ECHO_NUMBER, DID } from './helpers/gateway.mjs';
import { writeToneWav } from './helpers/wav.mjs';
import { artifacts, scratch } from './helpers/paths.mjs';
import { stunBindingRequests } from './helpers/stun.mjs';

const TONE = 440;
const FIREFOX_TONE = 660;
const sleep = (ms) => new Promise(r => setTimeout(r, ms));
let wav;

before(() => {
	mkdirSync(scratch, { recursive: true });
	mkdirSync(artifacts, { recursive: true });
	wav = writeToneWav(join(scratch, `gw-tone-${TONE}.wav`), TONE);
});


/** The selected pair and DTLS state the page shows, once packets flow both ways. */
async function mediaPanel(phone) {
	const st = await phone.page.waitFor(() => {
		const s = window.softphone.stats;
		return s && s.selectedPair && s.audio.inbound && s.audio.inbound.packetsReceived > 20 ? s : null;
	}, null, 10000, `${phone.user} stats`);
	assert.equal(st.dtlsState, 'connected', 'DTLS connected');
	assert.equal(st.selectedPair.remote.address, '127.0.0.1', 'the relay\'s address is the selected remote candidate');
	return st;
}

test('gateway: Chromium calls +15550100 (JMI, trickle ICE), hears its own 440 Hz tone echoed by the SIP phone, hangs up from the page', { timeout: 60_000 }, async () => {
	await withGateway({}, async ({ prosody, sipp, open }) => {
		const alice = await open('chromium', 'alice', { fakeAudioWav: wav });
		await dial(alice, ECHO_NUMBER);
		const call = await active(alice);
		const heard = await hears(alice, TONE);
		const st = await mediaPanel(alice);
		console.log(`chromium via gateway heard ${heard.frequency.toFixed(1)} Hz (${heard.level.toFixed(1)} dB), ${st.audio.codec}, pair ${JSON.stringify(st.selectedPair.remote)}`);
		await alice.page.waitFor(() => window.softphone.state.call.duration >= 2, null, 5000, 'call timer');
		await alice.page.screenshot(join(artifacts, 'softphone-gateway-call-chromium.png'));
		// Trickle: the page's candidates reached the gateway one transport-info at a time.
		const tr = trace(prosody, call.sid);
		assert.match(tr, /jingle<\s+transport-info/, `no trickled candidate in the trace:\n${tr}`);
		await alice.page.evaluate(() => document.getElementById('hangup').click());
		const end = await ended(alice);
		assert.equal(end.endedBy, 'local');
		// sipp's built-in UAS exits 0 only once it got (and answered) the BYE.
		assert.equal(await sipp.wait(15000), 0, 'the phone did not get its BYE');
		const line = callLine(prosody, call.sid);
		assert.match(line, /completed: success/, line);
	});
});

test('gateway: Chromium restarts ICE mid-call; the gateway answers with new credentials and the tone keeps crossing', { timeout: 60_000 }, async () => {
	await withGateway({}, async ({ prosody, sipp, open }) => {
		const alice = await open('chromium', 'alice', { fakeAudioWav: wav });
		await dial(alice, ECHO_NUMBER);
		const call = await active(alice);
		await hears(alice, TONE);
		const ufrags = () => alice.page.evaluate(() => {
			const pc = window.softphone.pc;
			const ufrag = (d) => (d && /a=ice-ufrag:(\S+)/.exec(d.sdp) || [])[1];
			return { local: ufrag(pc.localDescription), remote: ufrag(pc.remoteDescription) };
		});
		const before = await ufrags();
		const received = () => alice.page.evaluate(async () => {
			let n = 0;
			(await window.softphone.pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp') n += r.packetsReceived; });
			return n;
		});
		await alice.page.evaluate(() => window.softphone.restartIce());
		// The gateway restarted too: the page took its new credentials.
		await alice.page.waitFor((old) => {
			const pc = window.softphone.pc;
			const m = pc.remoteDescription && /a=ice-ufrag:(\S+)/.exec(pc.remoteDescription.sdp);
			return m && m[1] !== old && ['connected', 'completed'].includes(pc.iceConnectionState);
		}, before.remote, 15000, 'the gateway\'s new ICE credentials applied and ICE connected again');
		const after = await ufrags();
		assert.notEqual(after.local, before.local, 'the page restarted with a new ufrag');
		// Media flows on the new ICE session: the echo keeps coming back.
		const n0 = await received();
		await new Promise((r) => setTimeout(r, 2000));
		const n1 = await received();
		assert.ok(n1 - n0 >= 50, `only ${n1 - n0} packets in 2 s after the restart`);
		await hears(alice, TONE);
		const tr = trace(prosody, call.sid);
		// ICE ufrags may hold '+' and '/': compare as text, not as patterns.
		assert.ok(tr.includes(`restart: new local ufrag=${after.remote}`), tr);
		assert.ok(tr.includes(`remote credentials ufrag=${after.local}`), tr);
		// Our candidates went to the page again with the new credentials,
		// and DTLS was not started over.
		const restartAt = tr.indexOf('restart: new local ufrag');
		assert.match(tr.slice(restartAt), new RegExp(`jingle>\\s+transport-info .*ufrag ${after.remote.replace(/[^\w]/g, '\\$&')} cand host`), tr);
		assert.equal((tr.match(/handshake start/g) || []).length, 1, tr);
		await alice.page.evaluate(() => document.getElementById('hangup').click());
		await ended(alice);
		assert.equal(await sipp.wait(15000), 0, 'the phone did not get its BYE');
	});
});

test('gateway: Chromium calls +15550100 and the SIP phone hangs up (BYE); the page shows the call ended by the remote side', { timeout: 60_000 }, async () => {
	await withGateway({ sipp: { scenario: 'uas_bye.xml' } }, async ({ prosody, sipp, open }) => {
		const alice = await open('chromium', 'alice', { fakeAudioWav: wav });
		await dial(alice, ECHO_NUMBER);
		const call = await active(alice);
		const end = await ended(alice, 20000);
		assert.equal(end.endedBy, 'remote');
		assert.equal(end.endReason, 'success');
		assert.equal(await sipp.wait(15000), 0, 'sipp\'s BYE was not answered');
		assert.match(callLine(prosody, call.sid), /completed: success/);
		assert.equal(await alice.page.evaluate(() => document.getElementById('dial').disabled), false, 'the user can dial again');
	});
});

test('gateway: Firefox calls +15550100: component-2 candidates trickled after component 1, rtcp-mux agreed, its 660 Hz tone comes back', { timeout: 60_000 }, async () => {
	await withGateway({}, async ({ prosody, sipp, open }) => {
		const bob = await open('firefox', 'alice', { fakeHz: FIREFOX_TONE });
		await dial(bob, ECHO_NUMBER);
		const call = await active(bob, 25000);
		const heard = await hears(bob, FIREFOX_TONE);
		console.log(`firefox via gateway heard ${heard.frequency.toFixed(1)} Hz (${heard.level.toFixed(1)} dB)`);
		const sdp = await bob.page.evaluate(() => ({ local: window.softphone.pc.localDescription.sdp, remote: window.softphone.pc.remoteDescription.sdp }));
		assert.match(sdp.local, /^a=candidate:\S+ 2 UDP /m, 'Firefox gathered component-2 candidates');
		assert.match(sdp.local, /^a=rtcp-mux\r$/m, 'Firefox offered rtcp-mux');
		assert.match(sdp.remote, /^a=rtcp-mux\r$/m, 'the gateway agreed to rtcp-mux');
		assert.doesNotMatch(sdp.remote, /^a=candidate:\S+ 2 /m, 'the gateway offers no component 2');
		const tr = trace(prosody, call.sid);
		// Trickled one transport-info each, component 2 after component 1;
		// with rtcp-mux agreed they stay out of the relay's ICE session.
		const c1 = tr.search(/jingle<\s+transport-info[^\n]* c1\n/), c2 = tr.search(/jingle<\s+transport-info[^\n]* c2\n/);
		assert.ok(c1 >= 0 && c2 > c1, `component-2 candidates did not follow component 1 in the trace:\n${tr}`);
		assert.doesNotMatch(tr, /ice\s+remote candidate comp 2/, 'a component-2 candidate reached the relay\'s agent');
		await bob.page.evaluate(() => window.softphone.hangup());
		assert.equal(await sipp.wait(15000), 0, 'the phone did not get its BYE');
	});
});

test('gateway: Chromium nominating with renomination (Conversations-style 0xC001) completes the call and hears its tone', { timeout: 60_000 }, async () => {
	await withGateway({}, async (ctx) => {
		const { prosody, sipp, open } = ctx;
		const alice = await open('chromium', 'alice', { fakeAudioWav: wav });
		await alice.page.evaluate(() => {
			const munge = (sdp) => sdp.replace(/^a=ice-options:.*\r\n/gm, '')
				.replace(/^(a=ice-ufrag:.*\r\n)/gm, '$1a=ice-options:trickle renomination\r\n');
			window.softphone.transforms.local = munge;
			window.softphone.transforms.remote = munge;
		});
		// What Chromium puts in its checks, seen on the wire (the namespace's lo).
		const pcap = join(scratch, `renomination-${Date.now()}.pcap`);
		const cap = spawn('dumpcap', ['-q', '-P', '-i', 'lo', '-f', 'udp', '-w', pcap], { stdio: 'ignore' });
		const capDone = new Promise(r => cap.once('exit', r));
		ctx.cleanup.push(() => cap.kill('SIGKILL'));
		await sleep(1000);
		await dial(alice, ECHO_NUMBER);
		const call = await active(alice);
		const sdp = await alice.page.evaluate(() => ({ local: window.softphone.pc.localDescription.sdp, remote: window.softphone.pc.remoteDescription.sdp }));
		assert.match(sdp.local, /^a=ice-options:trickle renomination\r$/m);
		assert.match(sdp.remote, /^a=ice-options:trickle renomination\r$/m);
		const heard = await hears(alice, TONE);
		console.log(`chromium with renomination heard ${heard.frequency.toFixed(1)} Hz`);
		cap.kill('SIGINT');
		await Promise.race([capDone, sleep(5000)]);
		// Chromium nominated with NOMINATION (0xC001), never USE-CANDIDATE
		// (0x0025): the relay's agent followed a renomination-style nomination.
		const checks = stunBindingRequests(readFileSync(pcap));
		const withNomination = checks.filter(a => a.includes(0xc001)).length;
		const withUseCandidate = checks.filter(a => a.includes(0x0025)).length;
		console.log(`binding requests on the wire: ${checks.length}, with NOMINATION ${withNomination}, with USE-CANDIDATE ${withUseCandidate}`);
		assert.ok(withNomination >= 1, 'Chromium sent no NOMINATION attribute');
		assert.equal(withUseCandidate, 0, 'Chromium nominated with USE-CANDIDATE');
		const tr = trace(prosody, call.sid);
		assert.match(tr, /selected pair/, `no selected pair in the relay's trace:\n${tr}`);
		await alice.page.evaluate(() => window.softphone.hangup());
		assert.equal(await sipp.wait(15000), 0, 'the phone did not get its BYE');
	});
});

test('gateway: the phone rings 45 s before it answers; the call completes and the tone crosses both ways', { timeout: 100_000 }, async () => {
	await withGateway({ sipp: { scenario: 'uas_ring45.xml', timeoutS: 90 } }, async ({ prosody, sipp, open }) => {
		const alice = await open('chromium', 'alice', { fakeAudioWav: wav });
		const t0 = Date.now();
		await dial(alice, ECHO_NUMBER);
		await alice.page.waitFor(() => window.softphone.state.call.state === 'ringing', null, 15000, 'ringing');
		const call = await active(alice, 70000);
		const rang = (Date.now() - t0) / 1000;
		assert.ok(rang >= 44, `answered after ${rang} s, expected 45`);
		const heard = await hears(alice, TONE);
		console.log(`after ${rang.toFixed(1)} s of ringing, heard ${heard.frequency.toFixed(1)} Hz`);
		await alice.page.evaluate(() => window.softphone.hangup());
		assert.equal(await sipp.wait(15000), 0, 'the phone did not get its BYE');
		assert.match(callLine(prosody, call.sid), /completed: success/);
	});
});

test('gateway: a phone calls alice\'s number; both her pages ring, one answers, the other stops ringing, the tone crosses both ways', { timeout: 60_000 }, async () => {
	await withGateway({ inbound: true }, async (ctx) => {
		const { open, gwPort } = ctx;
		const a1 = await open('chromium', 'alice', { fakeAudioWav: wav });
		const a2 = await open('chromium', 'alice', { fakeAudioWav: wav });
		ctx.sipp = await startSipp({ scenario: 'uac_call_long.xml', remote: `127.0.0.1:${gwPort}`, service: DID });
		for (const p of [a1, a2]) {
			await p.page.waitFor(() => window.softphone.state.call.state === 'incoming', null, 15000, 'page rings');
			const label = await p.page.evaluate(() => document.getElementById('incoming-from').textContent);
			assert.match(label, /\+15557654321|sipp|phone\.localhost/, `the banner names the caller: ${label}`);
		}
		await a1.page.evaluate(() => document.getElementById('answer').click());
		const call = await active(a1);
		const other = await ended(a2, 10000);
		assert.equal(await a2.page.evaluate(() => document.getElementById('incoming').hidden), true, 'the second page stopped ringing');
		console.log(`second page: ${JSON.stringify({ endReason: other.endReason, endedBy: other.endedBy })}`);
		const heard = await hears(a1, TONE);
		console.log(`inbound call: alice heard ${heard.frequency.toFixed(1)} Hz echoed by the calling phone`);
		// sipp hangs up after its pause; the page shows it.
		const end = await ended(a1, 20000);
		assert.equal(end.endedBy, 'remote');
		assert.equal(await ctx.sipp.wait(15000), 0, 'sipp (the calling phone) did not complete its call');
		assert.equal(call.direction, 'incoming');
	});
});

test('gateway: DTMF from the keypad reaches the SIP phone as RFC 4733 events and comes back (digits logged by the gateway)', { timeout: 60_000 }, async () => {
	// A phone that accepts telephone-event in its answer (sipp's built-in UAS
	// does not, and then no digit may be sent to it).
	await withGateway({ sipp: { scenario: 'uas_answer.xml' } }, async ({ prosody, sipp, open }) => {
		const alice = await open('chromium', 'alice', { fakeAudioWav: wav });
		await dial(alice, ECHO_NUMBER);
		await active(alice);
		await hears(alice, TONE);
		await alice.page.evaluate(() => { for (const d of '159#') document.querySelector(`#keypad button[data-digit="${d}"]`).click(); });
		await alice.page.waitFor(() => window.softphone.state.dtmfPlayed === '159#', null, 10000, 'DTMF played');
		const digits = (dir) => [...prosody.log().matchAll(new RegExp(`dtmf ${dir} digit=(\\S)`, 'g'))].map(m => m[1]).join('');
		const both = await alice.page.waitFor(() => true, null, 1000).then(async () => {
			const deadline = Date.now() + 10000;
			while (Date.now() < deadline && (digits('client->phone') !== '159#' || digits('phone->client') !== '159#')) await sleep(200);
			return { toPhone: digits('client->phone'), back: digits('phone->client') };
		});
		assert.equal(both.toPhone, '159#', 'the relay saw the keypad digits on their way to the phone');
		assert.equal(both.back, '159#', 'the phone echoed the RFC 4733 events back');
		// On the wire toward sipp: telephone-event negotiated in the INVITE's SDP.
		assert.match(sipp.messages(), /a=rtpmap:\d+ telephone-event\/8000/);
		await alice.page.evaluate(() => window.softphone.hangup());
		assert.equal(await sipp.wait(15000), 0);
	});
});

test('gateway: the page is closed mid-call without hanging up; its session closes, so the SIP leg ends at once with the reason in the trace', { timeout: 60_000 }, async () => {
	// The media timeout (10 s) stays well above the bound: the call must end
	// by the closed session (resource-unbind), not by the silence.
	await withGateway({ extra: ['jingle_sip_media_timeout = 10'] }, async (ctx) => {
		const { prosody, sipp, open } = ctx;
		const alice = await open('chromium', 'alice', { fakeAudioWav: wav });
		await dial(alice, ECHO_NUMBER);
		const call = await active(alice);
		await hears(alice, TONE);
		const closedAt = Date.now();
		await alice.browser.close(); // no session-terminate, no goodbye
		ctx.phones = ctx.phones.filter(p => p !== alice);
		assert.equal(await sipp.wait(20000), 0, 'the phone never got a BYE');
		const took = (Date.now() - closedAt) / 1000;
		console.log(`SIP leg ended ${took.toFixed(1)} s after the page closed`);
		// (took includes the browser's own shutdown, ~3-4 s here: the
		// gateway ends the call the second the WebSocket closes)
		assert.ok(took < 8, `took ${took} s, the media timeout is 10 s`);
		const line = callLine(prosody, call.sid);
		assert.match(line, /failed: gone the client's session closed/, line);
		const tr = trace(prosody, call.sid);
		assert.match(tr, /the client's session closed/, tr);
		assert.match(tr, /sip>\s+BYE/, tr);
	});
});
