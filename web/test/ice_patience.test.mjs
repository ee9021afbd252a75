// ICE that does not give up (issue 16), with real browsers through the
// gateway. While the phone rings 45 s the relay checks the page's candidates
// (which cannot answer before our session-accept) and never says failed. Mid-call, every connectivity check (STUN: UDP whose payload starts
// with a byte below 4, RFC 7983) is dropped both ways for 8 s, then 15 s, by
// an nftables rule on the loopback of the namespace test/run.sh creates (all
// traffic here is local, so one output rule sees both directions). After the
// rule is gone the call must still be up, the page must hear its tone come
// back from the phone, the browser's ICE must be connected and the relay's
// pair ready again (its checks went on through the outage), with no ICE
// failure on either side. And when the checks never get through, the call
// ends after the failure timeout with connectivity-error and a text saying
// for how long, the phone gets its BYE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { withGateway, hears, dial, active, ended, callLine, trace, ECHO_NUMBER } from './helpers/gateway.mjs';
import { writeToneWav } from './helpers/wav.mjs';
import { scratch } from './helpers/paths.mjs';

const TONE = 440;
const FIREFOX_TONE = 660;
const TABLE = 'iceoutage';
const sleep = (ms) => new Promise(r => setTimeout(r, ms));

function nft(args, input) {
	const r = spawnSync('nft', args, { input, encoding: 'utf8' });
	assert.equal(r.status, 0, `nft ${args.join(' ')}: ${r.stderr}`);
	return r.stdout;
}

/** Drops STUN on the namespace's loopback; returns a function that lifts
 * the drop and says how many packets it dropped. */
function dropChecks() {
	nft(['-f', '-'], `table inet ${TABLE} {
	chain out {
		type filter hook output priority 0;
		meta l4proto udp @th,64,8 < 4 counter drop
	}
}
`);
	return () => {
		const listing = nft(['list', 'table', 'inet', TABLE]);
		nft(['delete', 'table', 'inet', TABLE]);
		const m = /counter packets (\d+)/.exec(listing);
		return m ? Number(m[1]) : 0;
	};
}

/** Audio packets the page has received so far. */
const received = (phone) => phone.page.evaluate(async () => {
	let n = 0;
	(await window.softphone.pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp') n += r.packetsReceived; });
	return n;
});

async function outage(kind, outageMs) {
	mkdirSync(scratch, { recursive: true });
	const wav = writeToneWav(join(scratch, `outage-tone-${TONE}.wav`), TONE);
	const hz = kind === 'firefox' ? FIREFOX_TONE : TONE;
	const opts = kind === 'firefox' ? { fakeHz: FIREFOX_TONE } : { fakeAudioWav: wav };
	await withGateway({}, async ({ prosody, open, cleanup }) => {
		const phone = await open(kind, 'alice', opts);
		await dial(phone, ECHO_NUMBER);
		const call = await active(phone, 25000);
		await hears(phone, hz);
		let lift = dropChecks();
		cleanup.push(() => { if (lift) lift(); });
		await sleep(outageMs);
		const dropped = lift();
		lift = null;
		assert.ok(dropped > 0, 'the rule dropped connectivity checks');
		// After the outage: the call is up and the tone comes back, measured.
		const before = await received(phone);
		await sleep(3000);
		const after = await received(phone);
		assert.ok(after - before >= 100, `${after - before} audio packets in the 3 s after the outage`);
		await hears(phone, hz, 10000);
		const ice = await phone.page.evaluate(() => window.softphone.pc.iceConnectionState);
		assert.ok(ice === 'connected' || ice === 'completed', `the browser's ICE is ${ice}`);
		assert.equal(await phone.page.evaluate(() => window.softphone.state.call.state), 'active');
		// The relay's side: its pair back to ready, never reported failed.
		// Firefox keeps its session and the relay's keepalive checks (one
		// every 4-6 s, on through the outage) are answered again; Chromium
		// restarts ICE on its own when its checks go unanswered (seen here:
		// transport-info with new credentials), and the relay re-checks the
		// new pair with back-off until the outage ends.
		const back = /keepalive check answered again after \d+ s|restart: new local ufrag/;
		let tr = '';
		for (let i = 0; i < 20; i++) {
			tr = trace(prosody, call.sid);
			if (back.test(tr)) break;
			await sleep(500);
		}
		assert.match(tr, back, tr);
		const states = [...tr.matchAll(/ice +comp 1 state (\w+)/g)].map(m => m[1]);
		assert.equal(states.at(-1), 'ready', `the relay's last ICE state:\n${tr}`);
		assert.doesNotMatch(tr, /comp 1 state failed|ICE failed/, tr);
		const how = /restart: new local ufrag/.test(tr) ? 'after the browser restarted ICE' : 'keepalive answered again';
		console.log(`${kind}: ${dropped} checks dropped over ${outageMs / 1000} s; ${after - before} packets in the 3 s after; ICE ${ice}; relay ready ${how}`);
		await phone.page.evaluate(() => document.getElementById('hangup').click());
	});
}

for (const kind of ['chromium', 'firefox']) {
	for (const seconds of [8, 15]) {
		test(`ICE outage: ${kind}'s checks dropped both ways for ${seconds} s mid-call; the call survives, audio back, the relay's pair ready again`,
			{ timeout: 90_000 }, () => outage(kind, seconds * 1000));
	}
}

test('ICE never works: Chromium\'s checks dropped from the start; the call ends after the failure timeout with connectivity-error saying how long, the phone gets its BYE',
	{ timeout: 60_000 }, async () => {
		mkdirSync(scratch, { recursive: true });
		const wav = writeToneWav(join(scratch, `outage-tone-${TONE}.wav`), TONE);
		await withGateway({ extra: ['jingle_sip_media_timeout = 3'] }, async ({ prosody, sipp, open, cleanup }) => {
			const phone = await open('chromium', 'alice', { fakeAudioWav: wav });
			let lift = dropChecks();
			cleanup.push(() => { if (lift) lift(); });
			await dial(phone, ECHO_NUMBER);
			// The page never shows the call active: no audio ever flows.
			const call = await phone.page.waitFor(() => window.softphone.state.call.sid && window.softphone.state.call,
				null, 15000, 'the call has a session');
			const end = await ended(phone, 20000);
			lift();
			lift = null;
			assert.equal(end.endedBy, 'remote');
			assert.equal(end.endReason, 'connectivity-error');
			assert.match(end.endText || '', /^ICE failed: no answered check or media from the client for [3-9] s$/);
			assert.equal(await sipp.wait(15000), 0, 'the phone did not get its BYE');
			const line = callLine(prosody, call.sid);
			assert.match(line, /failed: connectivity-error ICE failed: no answered check or media/, line);
			const tr = trace(prosody, call.sid);
			assert.match(tr, /re-check round|checks failed for now/, tr);
			console.log(`chromium: ${end.endText}`);
		});
	});

for (const kind of ['chromium', 'firefox']) {
	test(`ICE while ringing: the phone rings 45 s before answering ${kind}'s call; 20 s in the relay is still checking, never failed; then the call completes`,
		{ timeout: 100_000 }, async () => {
			mkdirSync(scratch, { recursive: true });
			const wav = writeToneWav(join(scratch, `outage-tone-${TONE}.wav`), TONE);
			const hz = kind === 'firefox' ? FIREFOX_TONE : TONE;
			const opts = kind === 'firefox' ? { fakeHz: FIREFOX_TONE } : { fakeAudioWav: wav };
			await withGateway({ sipp: { scenario: 'uas_ring45.xml', timeoutS: 90 } }, async ({ prosody, sipp, open }) => {
				const phone = await open(kind, 'alice', opts);
				await dial(phone, ECHO_NUMBER);
				const ringing = await phone.page.waitFor(() => window.softphone.state.call.state === 'ringing' && window.softphone.state.call,
					null, 15000, 'ringing');
				await sleep(20000);
				const tr = trace(prosody, ringing.sid);
				// libnice alone said failed 5-7 s in and stopped checking.
				assert.match(tr, /re-check round \d+/, tr);
				assert.doesNotMatch(tr, /comp 1 state failed|ICE failed/, tr);
				const call = await active(phone, 45000);
				await hears(phone, hz);
				const after = trace(prosody, call.sid);
				assert.doesNotMatch(after, /comp 1 state failed|ICE failed/, after);
				console.log(`${kind}: ${(after.match(/re-check round/g) || []).length} re-check rounds while ringing, then connected`);
				await phone.page.evaluate(() => window.softphone.hangup());
				assert.equal(await sipp.wait(15000), 0, 'the phone did not get its BYE');
				assert.match(callLine(prosody, call.sid), /completed: success/);
			});
		});
}
