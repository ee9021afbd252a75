// The softphone page, served by a real Prosody (mod_http_files), logs in over
// XMPP WebSocket (mod_websocket) in Chromium and in Firefox.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startProsody } from './helpers/prosody.mjs';
import { withPage } from './helpers/browsers.mjs';
import { artifacts } from './helpers/paths.mjs';

const TEST_TIMEOUT = 90_000;
let prosody;

before(async () => {
	// The gateway module runs in the same Prosody that serves the page; its
	// options go after the component line (`extra`).
	prosody = await startProsody({ users: { alice: 'alice-pw', bob: 'bob-pw' }, extra: 'jingle_sip_relay_workers = 1' });
});

test('prosody: serves the softphone next to mod_jingle_sip (configured through extra)', { timeout: 30_000 }, async () => {
	let log = '';
	for (let i = 0; i < 100 && !/mod_jingle_sip \S+ loaded/.test(log); i++) {
		await new Promise(r => setTimeout(r, 100));
		log = prosody.log();
	}
	assert.match(log, /mod_jingle_sip \S+ loaded \(relay [^,]+, lua54 backend, 1 workers\)/);
	const res = await fetch(prosody.url('/softphone/'));
	assert.equal(res.status, 200);
	assert.match(await res.text(), /<title>jingle-sip softphone<\/title>/);
	const js = await fetch(prosody.url('/softphone/softphone.js'));
	assert.equal(js.status, 200);
	assert.match(js.headers.get('content-type') || '', /javascript/);
});

after(async () => {
	if (prosody) await prosody.stop();
});

function pageUrl(params) {
	return prosody.url('/softphone/') + '?' + new URLSearchParams(params).toString();
}

const prosodyLogTail = () => '---- prosody log (tail) ----\n' + prosody.log().split('\n').slice(-40).join('\n');

async function loginAndCheck(page, user, password) {
	await page.goto(pageUrl({ jid: `${user}@localhost`, password, autologin: '1' }));
	await page.waitFor(() => document.getElementById('connection').textContent === 'connected', null, 20000, '"connected" badge');
	const state = await page.evaluate(() => window.softphone.state);
	assert.equal(state.connection, 'connected');
	assert.match(state.jid, new RegExp(`^${user}@localhost/softphone-`), 'bound to a full JID');
	assert.equal(state.lastError, null);
	// The keypad and the dial button are what a logged-in user sees.
	const visible = await page.evaluate(() => ({
		phone: !document.getElementById('phone').hidden,
		login: !document.getElementById('login').hidden,
		keys: document.querySelectorAll('#keypad button').length,
	}));
	assert.deepEqual(visible, { phone: true, login: false, keys: 12 });
	// Prosody saw the WebSocket session.
	assert.match(prosody.log(), new RegExp(`Authenticated as ${user}@localhost`), 'prosody logged the authentication');
}

for (const kind of ['chromium', 'firefox']) {
	test(`${kind}: softphone logs in over XMPP WebSocket and shows "connected"`, { timeout: TEST_TIMEOUT }, async () => {
		await withPage(kind, {}, async (page, browser) => {
			console.log(`browser: ${browser.version}`);
			await loginAndCheck(page, 'alice', 'alice-pw');
		}, prosodyLogTail);
	});
}

test('chromium: wrong password shows an authentication error, not "connected"', { timeout: TEST_TIMEOUT }, async () => {
	await withPage('chromium', {}, async (page) => {
		await page.goto(pageUrl({ jid: 'bob@localhost', password: 'not-bobs', autologin: '1' }));
		const err = await page.waitFor(() => window.softphone.lastError, null, 20000, 'an error');
		assert.match(err, /authentication failed/);
		const shown = await page.evaluate(() => ({
			badge: document.getElementById('connection').textContent,
			error: document.getElementById('error').hidden ? null : document.getElementById('error').textContent,
			loginVisible: !document.getElementById('login').hidden,
		}));
		assert.notEqual(shown.badge, 'connected');
		assert.match(shown.error, /authentication failed/);
		assert.equal(shown.loginVisible, true);
	}, prosodyLogTail);
});

test('chromium: dialing a non-E.164 number is refused with a clear error', { timeout: TEST_TIMEOUT }, async () => {
	await withPage('chromium', {}, async (page) => {
		await loginAndCheck(page, 'bob', 'bob-pw');
		const err = await page.evaluate(() => window.softphone.dial('555-1234').then(() => null, e => e.message));
		assert.match(err, /E\.164/);
		const st = await page.evaluate(() => window.softphone.state);
		assert.equal(st.call.state, 'idle');
	}, prosodyLogTail);
});

test('chromium: screenshot of the logged-in softphone with its keypad; the page loads nothing from elsewhere', { timeout: TEST_TIMEOUT }, async () => {
	mkdirSync(artifacts, { recursive: true });
	const path = join(artifacts, 'softphone-chromium.png');
	await withPage('chromium', {}, async (page) => {
		// The sign-in form first, as a new user sees it.
		await page.goto(pageUrl({ jid: 'alice@localhost' }));
		await page.waitFor(() => !document.getElementById('login').hidden, null, 10000, 'sign-in form');
		await page.screenshot(join(artifacts, 'softphone-signin-chromium.png'));
		await loginAndCheck(page, 'alice', 'alice-pw');
		// Everything the page loaded came from the Prosody that served it.
		const origin = new URL(prosody.url('/')).host;
		const foreign = page.requests.filter(u => !/^(data|blob):/.test(u) && new URL(u).host !== origin);
		assert.deepEqual(foreign, [], 'no request leaves the serving Prosody');
		assert.ok(page.requests.some(u => u.startsWith(`ws://${origin}/xmpp-websocket`)), 'the WebSocket went to Prosody');
		await page.evaluate(() => { document.getElementById('number').value = '+1 555 010 4477'; });
		await page.screenshot(path);
	}, prosodyLogTail);
	assert.ok(statSync(path).size > 10_000, `${path} is a real image`);
	console.log(`screenshot: ${path}`);
});
