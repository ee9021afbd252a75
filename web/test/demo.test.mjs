// `make run` as a newcomer uses it: scripts/run-demo.sh starts Prosody with
// the gateway and a local PSTN (sipp echoing), prints a URL; the page at
// that URL signs in, dials +15550100 and hears itself; Ctrl-C stops every
// process the script started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './helpers/prosody.mjs';
import { launch } from './helpers/browsers.mjs';
import { writeToneWav } from './helpers/wav.mjs';
import { repo, scratch } from './helpers/paths.mjs';

const sleep = (ms) => new Promise(r => setTimeout(r, ms));
const TONE = 523;

/** Processes whose command line mentions `needle` (the demo's own directory). */
function processesWith(needle) {
	const found = [];
	for (const pid of readdirSync('/proc').filter(p => /^\d+$/.test(p))) {
		let cmd;
		try { cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { continue; }
		if (cmd.includes(needle) && Number(pid) !== process.pid) found.push(`${pid} ${cmd}`);
	}
	return found;
}

test('make run: the demo prints a URL; there the page dials +15550100 and hears itself through the local PSTN; Ctrl-C stops every process it started', { timeout: 90_000 }, async () => {
	mkdirSync(scratch, { recursive: true });
	const wav = writeToneWav(join(scratch, `demo-tone-${TONE}.wav`), TONE);
	const dir = join(scratch, `demo-run-${Date.now()}`);
	const env = {
		...process.env, DEMO_DIR: dir,
		DEMO_C2S_PORT: String(await freePort()), DEMO_HTTP_PORT: String(await freePort()),
		DEMO_SIP_PORT: String(await freePort()), DEMO_PSTN_PORT: String(await freePort()),
	};
	// Its own process group, like a shell job: Ctrl-C goes to the whole group.
	const demo = spawn('sh', [join(repo, 'scripts', 'run-demo.sh')], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	demo.stdout.on('data', d => { out += d; });
	demo.stderr.on('data', d => { out += d; });
	let exitCode = null;
	const exited = new Promise(r => demo.once('exit', (c, s) => { exitCode = c ?? s; r(); }));
	let browser;
	try {
		const deadline = Date.now() + 30000;
		while (!/Press Ctrl-C to stop/.test(out)) {
			assert.ok(Date.now() < deadline && exitCode === null, `the demo did not start:\n${out}`);
			await sleep(100);
		}
		console.log(out);
		const url = out.match(/Softphone:\s+(http:\/\/\S+)/)[1];
		assert.match(out, /alice@localhost \(password alice\)/);
		assert.match(out, /\+15550100/);
		browser = await launch('chromium', { fakeAudioWav: wav });
		const page = await browser.newPage();
		try {
			await page.goto(url);
			// As a person would: the form is prefilled with alice, type the password.
			assert.equal(await page.evaluate(() => document.getElementById('jid').value), 'alice@localhost');
			await page.page.fill('#password', 'alice');
			await page.page.click('#login-button');
			await page.waitFor(() => window.softphone.state.connection === 'connected', null, 20000, 'signed in');
			await page.page.fill('#number', '+15550100');
			await page.page.click('#dial');
			await page.waitFor(() => window.softphone.state.call.state === 'active', null, 20000, 'call active');
			const heard = await page.waitFor((want) => {
				const a = window.softphone.audio;
				return a && !a.silent && Math.abs(a.frequency - want) / want <= 0.02 ? a : null;
			}, TONE, 15000, `hears ${TONE} Hz`);
			console.log(`demo: heard ${heard.frequency.toFixed(1)} Hz back from the local PSTN`);
		} catch (e) {
			console.error('---- page console ----\n' + page.console.join('\n'));
			try { console.error(readFileSync(join(dir, 'prosody.log'), 'utf8').split('\n').slice(-60).join('\n')); } catch { /* none */ }
			throw e;
		}
		assert.ok(processesWith(dir).length >= 2, `Prosody and the PSTN run: ${processesWith(dir).join('\n')}`);
	} finally {
		if (browser) await browser.close().catch(() => {});
		// Ctrl-C.
		try { process.kill(-demo.pid, 'SIGINT'); } catch { /* gone */ }
		await Promise.race([exited, sleep(15000)]);
	}
	assert.notEqual(exitCode, null, 'the demo did not exit on Ctrl-C');
	assert.match(out, /Stopped\./);
	for (let i = 0; i < 50 && processesWith(dir).length; i++) await sleep(100);
	assert.deepEqual(processesWith(dir), [], 'processes the demo started are still running');
});
