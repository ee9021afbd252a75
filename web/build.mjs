// Bundles the softphone and the loopback page into dist/ (served by Prosody's
// mod_http_files; see scripts/prosody-config.sh). Everything the pages load
// is in dist/: nothing comes from the network.
import { build } from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
	entryPoints: { softphone: join(here, 'src/main.js'), loopback: join(here, 'src/loopback.js') },
	outdir: out,
	bundle: true,
	format: 'iife',
	platform: 'browser',
	target: ['chrome110', 'firefox115'],
	minify: false,
	sourcemap: 'linked',
	legalComments: 'linked',
	logLevel: 'warning',
	define: { global: 'globalThis' },
});
cpSync(join(here, 'static'), out, { recursive: true });
console.log('web: built ' + out);
