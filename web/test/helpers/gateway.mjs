// The gateway harness of the browser tests: a real Prosody with
// mod_jingle_sip whose trunk is a sipp peer, pages signed in to it, and the
// waits the tests share (the call active, ended, a tone heard). Everything
// lives on the loopback of the namespace test/run.sh creates.
import assert from 'node:assert/strict';
import { startProsody, freePort } from './prosody.mjs';
import { startSipp } from './sipp.mjs';
import { launch } from './browsers.mjs';

/** The echoing phone's number (inside the dial plan ^%+1555). */
export const ECHO_NUMBER = '+15550100';
/** alice's number (jingle_sip_numbers): calls to it ring her pages. */
export const DID = '+15557654321';

/** The gateway's options (as in spec/e2e/gateway_calls_spec.lua), media on loopback. */
export function gatewayConfig(trunkPort, listenPort, extra = []) {
	return [
		`jingle_sip_trunk = "sip:127.0.0.1:${trunkPort}"`,
		`jingle_sip_listen = "127.0.0.1:${listenPort}"`,
		'jingle_sip_rtp_address = "127.0.0.1"',
		// The namespace has only lo: offer the browser 127.0.0.1.
		'jingle_sip_media_address = "127.0.0.1"',
		'jingle_sip_dialplan = { "^%+1555" }',
		// sipp runs scripted calls only: no OPTIONS health checks at it.
		'jingle_sip_trunk_check_interval = 0',
		`jingle_sip_numbers = { ["${DID}"] = "alice@localhost" }`,
		...extra,
	].join('\n');
}

/**
 * Runs body(ctx) with a gateway whose trunk is a sipp peer; on failure
 * prints every page's console, the gateway's call list and the trace of each
 * call the pages saw, sipp's logs and the tail of Prosody's log; always
 * closes what it started.
 * httpInterfaces: where Prosody serves the page besides 127.0.0.1's default;
 * prosody: more startProsody options (global, phoneDomain, s2sPort).
 * ctx: { prosody, sipp, gwPort, open(kind, user, opts, params) -> phone, phones, cleanup }
 */
export async function withGateway({ sipp: sippOpts = {}, extra = [], inbound = false, httpInterfaces, prosody: prosodyOpts = {} }, body) {
	const ctx = { phones: [], cleanup: [] };
	const gwPort = await freePort();
	ctx.gwPort = gwPort;
	try {
		let trunkPort;
		if (inbound) {
			trunkPort = await freePort(); // sipp is the caller here, started by the test
		} else {
			ctx.sipp = await startSipp(sippOpts);
			trunkPort = ctx.sipp.port;
		}
		ctx.prosody = await startProsody({
			users: { alice: 'alice-pw', bob: 'bob-pw' },
			extra: gatewayConfig(trunkPort, gwPort, extra),
			httpInterfaces,
			...prosodyOpts,
		});
		ctx.open = async (kind, user, opts = {}, params = {}) => {
			const browser = await launch(kind, opts);
			const phone = { browser, user, kind };
			ctx.phones.push(phone);
			phone.page = await browser.newPage();
			const q = new URLSearchParams({ jid: `${user}@localhost`, password: `${user}-pw`, autologin: '1', ...params });
			await phone.page.goto(ctx.prosody.url('/softphone/') + '?' + q);
			await phone.page.waitFor(() => window.softphone.state.connection === 'connected', null, 20000, `${user} connected`);
			return phone;
		};
		return await body(ctx);
	} catch (e) {
		const sids = new Set();
		for (const p of ctx.phones) {
			console.error(`---- ${p.user} (${p.browser.version}) console ----`);
			for (const l of p.page ? p.page.console : []) console.error(l);
			try {
				const st = await p.page.evaluate(() => window.softphone.state);
				if (st.call.sid) sids.add(st.call.sid);
				console.error(JSON.stringify({ call: st.call, stats: st.stats, audio: st.audio }));
			} catch { /* page closed */ }
		}
		if (ctx.prosody) {
			console.error('---- jingle_sip:calls() ----\n' + ctx.prosody.shell('jingle_sip:calls()'));
			for (const sid of sids) {
				console.error(`---- jingle_sip:trace('${sid.slice(0, 8)}') ----\n` + ctx.prosody.shell(`jingle_sip:trace('${sid.slice(0, 8)}')`));
			}
			console.error('---- prosody log (tail) ----\n' + ctx.prosody.log().split('\n').slice(-60).join('\n'));
		}
		if (ctx.sipp) console.error('---- sipp ----\n' + ctx.sipp.log());
		throw e;
	} finally {
		for (const fn of ctx.cleanup) { try { fn(); } catch { /* gone */ } }
		for (const p of ctx.phones) await p.browser.close().catch(() => {});
		if (ctx.sipp) ctx.sipp.kill();
		if (ctx.prosody) await ctx.prosody.stop();
	}
}

/** Waits until the page's analyser hears `hz` (within 2 %); returns {frequency, level}. */
export async function hears(phone, hz, ms = 15000) {
	return phone.page.waitFor((want) => {
		const a = window.softphone.audio;
		return a && !a.silent && Math.abs(a.frequency - want) / want <= 0.02 ? a : null;
	}, hz, ms, `${phone.user} (${phone.kind}) hears ${hz} Hz`);
}

export async function dial(phone, number) {
	await phone.page.evaluate((n) => { window.softphone.dial(n).catch(() => {}); }, number);
}

export async function active(phone, ms = 20000) {
	return phone.page.waitFor(() => window.softphone.state.call.state === 'active' && window.softphone.state.call,
		null, ms, `${phone.user} call active`);
}

export async function ended(phone, ms = 15000) {
	return phone.page.waitFor(() => window.softphone.state.call.state === 'ended' && window.softphone.state.call,
		null, ms, `${phone.user} call ended`);
}

/** The line of jingle_sip:calls() for a call (by the first 10 characters of its SID). */
export function callLine(prosody, sid) {
	const out = prosody.shell('jingle_sip:calls()');
	const line = out.split('\n').find(l => l.includes(sid.slice(0, 10)));
	assert.ok(line, `no line for ${sid} in jingle_sip:calls():\n${out}`);
	return line;
}

export function trace(prosody, sid) {
	return prosody.shell(`jingle_sip:trace('${sid.slice(0, 8)}')`);
}
