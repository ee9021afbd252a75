// Starts Debian's sipp (package sip-tester) for a browser test, on the
// namespace's loopback, like the Lua specs' helper (spec/helpers/sipp.lua):
// the built-in UAS or a scenario file, RTP echoed (-rtp_echo) so the page
// hears its own tone back through the whole gateway.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { repo, scratch } from './paths.mjs';
import { freePort } from './prosody.mjs';

const sleep = (ms) => new Promise(r => setTimeout(r, ms));

function readOr(path, fallback = '') {
	try { return readFileSync(path, 'utf8'); } catch { return fallback; }
}

/** A scenario by file name: web/test/sipp/, spec/sipp/, then relay/tests/sipp/. */
export function scenarioPath(name) {
	for (const dir of ['web/test/sipp', 'spec/sipp', 'relay/tests/sipp']) {
		const p = join(repo, dir, name);
		if (existsSync(p)) return p;
	}
	throw new Error(`no sipp scenario ${name}`);
}

/**
 * @param {{scenario?: string, remote?: string, service?: string, calls?: number,
 *   echo?: boolean, timeoutS?: number, port?: number}} [opts]
 *   scenario: file name (see scenarioPath), default the built-in UAS;
 *   remote: "127.0.0.1:PORT" for a UAC; service: the user part it calls.
 * @return {Promise<{port:number, mediaPort:number, pid:number, wait:function(number):Promise<?number>,
 *   kill:function():void, log:function():string, messages:function():string}>}
 */
export async function startSipp(opts = {}) {
	const port = opts.port || await freePort();
	let mediaPort = await freePort();
	while (mediaPort === port) mediaPort = await freePort();
	const dir = join(scratch, `sipp-${port}-${Date.now()}`);
	mkdirSync(dir, { recursive: true });
	const args = opts.scenario ? ['-sf', scenarioPath(opts.scenario)] : ['-sn', 'uas'];
	if (opts.remote) args.push(opts.remote);
	args.push('-i', '127.0.0.1', '-p', String(port), '-mi', '127.0.0.1', '-mp', String(mediaPort),
		'-m', String(opts.calls ?? 1), '-timeout', `${opts.timeoutS || 60}s`, '-timeout_error',
		'-trace_err', '-error_file', join(dir, 'errors.log'),
		'-trace_msg', '-message_file', join(dir, 'messages.log'),
		'-nostdin');
	if (opts.echo !== false) args.push('-rtp_echo');
	if (opts.service) args.push('-s', opts.service);
	const child = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
	let output = '';
	child.stdout.on('data', (d) => { output = (output + d).slice(-20000); });
	child.stderr.on('data', (d) => { output = (output + d).slice(-20000); });
	let code = null;
	const exited = new Promise(resolve => child.once('exit', (c, sig) => { code = c ?? (sig ? -1 : null); resolve(code); }));
	// Let sipp bind its ports before anyone talks to it.
	await sleep(300);
	return {
		port, mediaPort, pid: child.pid, dir,
		/** Its exit status (0: every call went as scripted), or null after timeoutMs. */
		async wait(timeoutMs = 20000) {
			return Promise.race([exited, sleep(timeoutMs).then(() => null)]);
		},
		running: () => code === null && child.exitCode === null,
		kill() { if (child.exitCode === null) child.kill('SIGTERM'); },
		messages: () => readOr(join(dir, 'messages.log')),
		log: () => `--- sipp ${args.join(' ')}\n--- output (tail)\n${output.slice(-3000)}\n--- errors\n${readOr(join(dir, 'errors.log')).slice(-3000)}\n--- messages (tail)\n${readOr(join(dir, 'messages.log')).slice(-4000)}`,
	};
}
