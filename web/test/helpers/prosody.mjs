// Starts a real Prosody (Debian's package) for a browser test, configured by
// scripts/prosody-config.sh like the Lua specs' helper (spec/helpers/prosody.lua),
// serving the built softphone (web/dist) over HTTP, and stops it.
import { spawn, execFileSync } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync, openSync, closeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { repo } from './paths.mjs';

const isRoot = process.getuid && process.getuid() === 0;

function asProsody(cmd, args) {
	return isRoot ? ['runuser', ['-u', 'prosody', '--', cmd, ...args]] : [cmd, args];
}

export function freePort() {
	return new Promise((resolve, reject) => {
		const s = createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

function portOpen(port) {
	return new Promise(resolve => {
		const c = connect({ host: '127.0.0.1', port });
		c.once('connect', () => { c.destroy(); resolve(true); });
		c.once('error', () => resolve(false));
		c.setTimeout(500, () => { c.destroy(); resolve(false); });
	});
}

function readOr(path, fallback = '') {
	try { return readFileSync(path, 'utf8'); } catch { return fallback; }
}

const sleep = (ms) => new Promise(r => setTimeout(r, ms));

/**
 * @param {{users?: Object<string,string>, extra?: string, global?: string, httpInterfaces?: string[],
 *   timeoutMs?: number}} [opts]
 *   extra: config lines appended after the phone component line (its options);
 *   global: config lines for the global section;
 *   httpInterfaces: addresses the page is served on (default 127.0.0.1 only);
 *   phoneDomain: the component (default phone.localhost); s2sPort: open
 *   server-to-server links on that port of 127.0.0.1 (default: none).
 * @return {Promise<{c2sPort:number, httpPort:number, dir:string, url:function(string):string,
 *   websocketUrl:string, log:function():string, stop:function():Promise<void>}>}
 */
export async function startProsody(opts = {}) {
	const c2sPort = await freePort();
	let httpPort = await freePort();
	while (httpPort === c2sPort) httpPort = await freePort();
	const dir = join(repo, 'build', 'web-tests', `prosody-${c2sPort}-${Date.now()}`);
	mkdirSync(dir, { recursive: true });
	if (!existsSync(join(repo, 'web', 'dist', 'index.html'))) {
		throw new Error('web/dist is not built: run `make web`');
	}
	const cfgArgs = [join(repo, 'scripts', 'prosody-config.sh'), dir, String(c2sPort), String(httpPort)];
	const env = { ...process.env };
	if (opts.extra) {
		writeFileSync(join(dir, 'extra.cfg.lua'), opts.extra + '\n');
		cfgArgs.push(join(dir, 'extra.cfg.lua'));
	}
	if (opts.phoneDomain) env.PHONE_DOMAIN = opts.phoneDomain;
	if (opts.s2sPort) env.S2S_PORT = String(opts.s2sPort);
	if (opts.httpInterfaces) env.HTTP_INTERFACES = opts.httpInterfaces.map(a => JSON.stringify(a)).join(', ');
	if (opts.global) {
		writeFileSync(join(dir, 'global.cfg.lua'), opts.global + '\n');
		env.GLOBAL_EXTRA_FILE = join(dir, 'global.cfg.lua');
	}
	execFileSync('sh', cfgArgs, { stdio: 'inherit', env });
	const config = join(dir, 'prosody.cfg.lua');
	for (const [user, password] of Object.entries(opts.users || {})) {
		const [cmd, args] = asProsody('prosodyctl', ['--config', config, 'register', user, 'localhost', password]);
		execFileSync(cmd, args, { stdio: 'ignore' });
	}
	const out = openSync(join(dir, 'stdout.log'), 'a');
	const [cmd, args] = asProsody('prosody', ['--config', config]);
	const child = spawn(cmd, args, {
		stdio: ['ignore', out, out],
		env: { ...process.env, CALLRELAY_LIBDIR: join(repo, 'build', 'lib') },
	});
	closeSync(out);
	let exited = false;
	child.once('exit', () => { exited = true; });
	const instance = {
		c2sPort, httpPort, dir,
		websocketUrl: `ws://127.0.0.1:${httpPort}/xmpp-websocket`,
		url: (path = '/softphone/') => `http://127.0.0.1:${httpPort}${path}`,
		config,
		log: () => readOr(join(dir, 'prosody.log')) + readOr(join(dir, 'stdout.log')),
		/** Runs one admin shell line (`prosodyctl shell LINE`); returns its output (stdout+stderr). */
		shell(line) {
			const [c, a] = asProsody('prosodyctl', ['--config', config, 'shell', line]);
			try {
				return execFileSync(c, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15000 });
			} catch (e) {
				return `${e.stdout || ''}${e.stderr || ''}(exit ${e.status})`;
			}
		},
		async stop() {
			if (exited) return;
			// Prosody itself (its pidfile); runuser, its parent as root, exits
			// with it. A SIGTERM to runuser costs 2 s: it passes it on, sleeps
			// 2 s whatever happens, then sends SIGKILL. Without a pidfile yet,
			// runuser is all there is to signal.
			const pid = Number(readOr(join(dir, 'prosody.pid')).trim());
			if (pid) { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
			else { try { child.kill('SIGTERM'); } catch { /* gone */ } }
			for (let i = 0; i < 100 && !exited; i++) await sleep(50);
			if (!exited) {
				if (pid) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
				child.kill('SIGKILL');
			}
		},
	};
	const deadline = Date.now() + (opts.timeoutMs || 15000);
	while (!(await portOpen(c2sPort)) || !(await portOpen(httpPort))) {
		if (exited || Date.now() > deadline) {
			const log = instance.log();
			await instance.stop();
			throw new Error(`prosody did not open its ports; log:\n${log}`);
		}
		await sleep(50);
	}
	return instance;
}
