// The softphone signed in to another server: Chromium logs in to a real
// ejabberd (Debian's 23.01) over its WebSocket listener (/ws), not to the
// gateway's Prosody that serves the page, and calls a phone number through
// the gateway over server-to-server links (docs/WEB.md, "Signing in to
// another server"). All on the loopback of the namespace test/run.sh creates.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './helpers/prosody.mjs';
import { startEjabberd } from './helpers/ejabberd.mjs';
import { withGateway, hears, dial, active, ended, ECHO_NUMBER } from './helpers/gateway.mjs';
import { writeToneWav } from './helpers/wav.mjs';
import { scratch } from './helpers/paths.mjs';

const TONE = 440;
const USERS = 'users.test';
const PHONE_DOMAIN = 'phone.test';
let wav;

before(() => {
	mkdirSync(scratch, { recursive: true });
	wav = writeToneWav(join(scratch, `other-server-tone-${TONE}.wav`), TONE);
});

test('ejabberd: Chromium signs in to ejabberd over WebSocket, calls +15550100 through the gateway over s2s and hears its tone echoed', { timeout: 90_000 }, async () => {
	const s2sPort = await freePort();
	const ejabberd = await startEjabberd({ domain: USERS, users: { carol: 'carol-pw' },
		peers: { [PHONE_DOMAIN]: s2sPort } });
	try {
		await withGateway({
			extra: [`jingle_sip_allow = { "${USERS}" }`],
			prosody: { phoneDomain: PHONE_DOMAIN, s2sPort, global: ejabberd.prosodyResolver },
		}, async ({ sipp, open }) => {
			const carol = await open('chromium', 'carol', { fakeAudioWav: wav }, {
				jid: `carol@${USERS}`, password: 'carol-pw', ws: ejabberd.websocketUrl, domain: PHONE_DOMAIN,
			});
			const state = await carol.page.evaluate(() => window.softphone.state);
			assert.match(state.jid, new RegExp(`^carol@${USERS.replace('.', '\\.')}/`), 'bound on ejabberd');
			await dial(carol, ECHO_NUMBER);
			const call = await active(carol, 30000);
			assert.equal(call.peer.split('/')[0], `${ECHO_NUMBER}@${PHONE_DOMAIN}`);
			const heard = await hears(carol, TONE);
			console.log(`chromium on ejabberd heard ${heard.frequency.toFixed(1)} Hz (${heard.level.toFixed(1)} dB)`);
			await carol.page.evaluate(() => document.getElementById('hangup').click());
			const end = await ended(carol);
			assert.equal(end.endedBy, 'local');
			assert.equal(await sipp.wait(15000), 0, 'the phone did not get its BYE');
		});
	} catch (e) {
		console.error('---- ejabberd helper ----\n' + ejabberd.log());
		throw e;
	} finally {
		await ejabberd.stop();
	}
});
