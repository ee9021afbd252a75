// Launches Debian's headless browsers for the tests: Chromium through
// playwright-core, Firefox ESR through puppeteer-core (WebDriver BiDi;
// playwright-core cannot drive a stock Firefox). Both are given a fake
// microphone that plays a known tone, and are allowed loopback ICE
// candidates: the suite runs in a network namespace that has only `lo`
// (test/run.sh), so every packet stays inside the test.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';

export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const FIREFOX = process.env.FIREFOX_BIN || '/usr/bin/firefox-esr';

const sleep = (ms) => new Promise(r => setTimeout(r, ms));

/** Chromium flags (docs/PLATFORM.md#browsers), with the WAV it plays as its microphone. */
export function chromiumArgs(fakeAudioWav) {
	const args = [
		'--no-sandbox', // root in CI; the namespace is the fence
		'--disable-background-networking',
		'--disable-component-update',
		'--disable-default-apps',
		'--disable-sync',
		'--no-first-run',
		'--no-default-browser-check',
		'--disable-dev-shm-usage',
		'--use-fake-ui-for-media-stream',
		'--use-fake-device-for-media-stream',
		'--allow-loopback-in-peer-connection',
		'--autoplay-policy=no-user-gesture-required',
		// Raw host candidates, not mDNS names nobody in the namespace resolves.
		'--disable-features=WebRtcHideLocalIpsWithMdns',
	];
	if (fakeAudioWav) args.push(`--use-file-for-fake-audio-capture=${fakeAudioWav}`);
	return args;
}

/** Firefox prefs: fake microphone at a known frequency, loopback ICE, audio without a device. */
export function firefoxPrefs(fakeHz) {
	return {
		'media.navigator.streams.fake': true,
		'media.navigator.audio.fake_frequency': fakeHz || 1000,
		'media.navigator.permission.disabled': true,
		// Without a stored permission Firefox gathers only the default route's
		// address (none in the namespace); with it, every interface, and
		// ice.loopback adds 127.0.0.1.
		'permissions.default.microphone': 1,
		'media.peerconnection.ice.loopback': true,
		'media.peerconnection.ice.obfuscate_host_addresses': false,
		'media.cubeb.force_mock_context': true,
		'media.autoplay.default': 0,
		'media.autoplay.blocking_policy': 0,
		'network.proxy.type': 0,
		'app.update.enabled': false,
		'browser.safebrowsing.malware.enabled': false,
		'browser.safebrowsing.phishing.enabled': false,
		'datareporting.policy.dataSubmissionEnabled': false,
		'toolkit.telemetry.enabled': false,
	};
}

function wrapPage(page, kind) {
	const consoleLines = [];
	const requests = [];
	page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
	page.on('request', (r) => requests.push(r.url()));
	page.on('websocket', (ws) => requests.push(ws.url())); // Playwright only
	page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e && e.message ? e.message : e}`));
	return {
		page,
		kind,
		console: consoleLines,
		/** Every URL the page requested (HTTP, and WebSocket under Playwright). */
		requests,
		goto: (url) => page.goto(url, { waitUntil: 'load', timeout: 20000 }),
		evaluate: (fn, arg) => page.evaluate(fn, arg),
		/** Polls fn(arg) in the page until it returns a truthy value; returns it. */
		async waitFor(fn, arg, timeoutMs = 15000, what = 'condition') {
			const deadline = Date.now() + timeoutMs;
			let last;
			for (;;) {
				try {
					last = await page.evaluate(fn, arg);
					if (last) return last;
				} catch (e) {
					last = e.message;
				}
				if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
				await sleep(100);
			}
		},
		screenshot: (path) => page.screenshot({ path, fullPage: true }),
	};
}

/**
 * @param {'chromium'|'firefox'} kind
 * @param {{fakeAudioWav?: string, fakeHz?: number, viewport?: {width:number,height:number}}} [opts]
 * @return {Promise<{kind:string, version:string, newPage:function():Promise<object>, close:function():Promise<void>}>}
 */
export async function launch(kind, opts = {}) {
	const viewport = opts.viewport || { width: 460, height: 900 };
	if (kind === 'chromium') {
		if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: run make deps`);
		const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: chromiumArgs(opts.fakeAudioWav), timeout: 30000 });
		return {
			kind,
			version: `Chromium ${browser.version()}`,
			newPage: async () => wrapPage(await browser.newPage({ viewport }), kind),
			close: () => browser.close(),
		};
	}
	if (kind === 'firefox') {
		if (!existsSync(FIREFOX)) throw new Error(`${FIREFOX} missing: run make deps`);
		const browser = await puppeteer.launch({
			browser: 'firefox',
			executablePath: FIREFOX,
			headless: true,
			extraPrefsFirefox: firefoxPrefs(opts.fakeHz),
			timeout: 30000,
		});
		return {
			kind,
			version: `Firefox ${(await browser.version()).replace(/^firefox\//, '')}`,
			newPage: async () => {
				const page = await browser.newPage();
				await page.setViewport(viewport);
				return wrapPage(page, kind);
			},
			close: () => browser.close(),
		};
	}
	throw new Error(`unknown browser ${kind}`);
}

/**
 * Runs fn(page, browser) in a fresh browser; on failure prints the page's
 * console (and extra diagnostics from onFailure) before rethrowing.
 */
export async function withPage(kind, opts, fn, onFailure) {
	const browser = await launch(kind, opts);
	let page;
	try {
		page = await browser.newPage();
		return await fn(page, browser);
	} catch (e) {
		console.error(`---- ${browser.version} console ----`);
		for (const l of page ? page.console : []) console.error(l);
		console.error('---- end of console ----');
		if (onFailure) {
			try { console.error(await onFailure()); } catch { /* best effort */ }
		}
		throw e;
	} finally {
		await browser.close().catch(() => {});
	}
}
