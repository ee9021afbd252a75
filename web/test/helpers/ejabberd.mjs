// A real ejabberd for a browser test: the Lua specs' helper
// (spec/helpers/ejabberd.lua, through spec/helpers/ejabberd_serve.lua) runs
// it on the loopback of the namespace test/run.sh creates. It stops when
// stop() closes the helper's stdin, or when this process dies.
import { spawn } from 'node:child_process';
import { repo } from './paths.mjs';

/**
 * @param {{domain: string, users?: Object<string,string>, peers?: Object<string,number>}} opts
 *   peers: { domain: s2s port on 127.0.0.1 } of the Prosody it links to.
 * @return {Promise<{c2sPort:number, websocketUrl:string, prosodyResolver:string, log:function():string,
 *   stop:function():Promise<void>}>}
 */
export async function startEjabberd(opts) {
	const args = ['spec/helpers/ejabberd_serve.lua', opts.domain];
	for (const [user, password] of Object.entries(opts.users || {})) args.push(`${user}=${password}`);
	for (const [domain, port] of Object.entries(opts.peers || {})) args.push(`peer@${domain}=${port}`);
	const child = spawn('lua5.4', args, { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] });
	let output = '';
	child.stderr.on('data', (d) => { output = (output + d).slice(-8000); });
	const exited = new Promise(resolve => child.once('exit', resolve));
	const info = await new Promise((resolve, reject) => {
		let line = '';
		const timer = setTimeout(() => reject(new Error(`ejabberd did not start in 40 s:\n${output}`)), 40_000);
		child.stdout.on('data', (d) => {
			line += d;
			if (line.includes('\n')) { clearTimeout(timer); resolve(JSON.parse(line.split('\n')[0])); }
		});
		child.once('exit', () => { clearTimeout(timer); reject(new Error(`ejabberd did not start:\n${output}`)); });
	});
	return {
		c2sPort: info.c2s_port,
		websocketUrl: info.websocket_url,
		prosodyResolver: info.prosody_resolver,
		log: () => output,
		async stop() {
			child.stdin.end();
			await Promise.race([exited, new Promise(r => setTimeout(r, 15_000))]);
		},
	};
}
