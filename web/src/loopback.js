// Audio self-test without a server: the microphone (a browser's fake capture
// in tests) goes through two RTCPeerConnections in this page and the received
// audio through the same analyser a call uses. window.loopback.run() returns
// what arrived, so a test can check the fake-audio -> WebRTC -> analyser chain
// that call tests rely on.
import { attachAnalyser, toneStream } from './analyser.js';
import { summarizeStats, describePair } from './stats.js';

const sleep = (ms) => new Promise(r => setTimeout(r, ms));

function waitConnected(pc, timeoutMs) {
	return new Promise((resolve, reject) => {
		const check = () => {
			if (pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed') { done(); resolve(); }
			if (pc.iceConnectionState === 'failed') { done(); reject(new Error('ICE failed')); }
		};
		const t = setTimeout(() => { done(); reject(new Error('ICE timeout, state ' + pc.iceConnectionState)); }, timeoutMs);
		const done = () => { clearTimeout(t); pc.removeEventListener('iceconnectionstatechange', check); };
		pc.addEventListener('iceconnectionstatechange', check);
		check();
	});
}

/**
 * @param {object} [opts]
 * @param {number} [opts.toneHz] send a generated tone instead of getUserMedia
 * @param {number} [opts.listenMs] how long the analyser listens after media flows
 * @return {Promise<{frequency: number, level: number, silent: boolean, candidates: string[],
 *   iceState: string, selectedPair: string, codec: ?string, packetsReceived: number}>}
 */
async function run(opts = {}) {
	const ctx = new AudioContext();
	if (ctx.state === 'suspended') ctx.resume().catch(() => {});
	let input;
	if (opts.toneHz) {
		input = toneStream(ctx, opts.toneHz);
	} else {
		const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
		input = { stream, stop: () => stream.getTracks().forEach(t => t.stop()) };
	}
	const a = new RTCPeerConnection({ iceServers: [] });
	const b = new RTCPeerConnection({ iceServers: [] });
	const candidates = [];
	a.onicecandidate = (e) => { if (e.candidate && e.candidate.candidate) { candidates.push('a ' + e.candidate.candidate); b.addIceCandidate(e.candidate); } };
	b.onicecandidate = (e) => { if (e.candidate && e.candidate.candidate) { candidates.push('b ' + e.candidate.candidate); a.addIceCandidate(e.candidate); } };
	for (const t of input.stream.getAudioTracks()) a.addTrack(t, input.stream);
	const remote = new Promise(r => { b.ontrack = (e) => r(e.streams[0] || new MediaStream([e.track])); });
	await a.setLocalDescription(await a.createOffer());
	await b.setRemoteDescription(a.localDescription);
	await b.setLocalDescription(await b.createAnswer());
	await a.setRemoteDescription(b.localDescription);
	const stream = await remote;
	try {
		await waitConnected(b, 15000);
	} catch (e) {
		e.message += '; candidates: ' + JSON.stringify(candidates);
		throw e;
	}
	const audio = document.getElementById('remote-audio');
	audio.srcObject = stream;
	audio.play().catch(() => {});
	const analyser = attachAnalyser(ctx, stream);
	// Median of several reads: robust to the jitter buffer's start-up.
	await sleep(opts.settleMs ?? 1000);
	const reads = [];
	const end = Date.now() + (opts.listenMs ?? 1500);
	while (Date.now() < end) {
		reads.push(analyser.read());
		await sleep(100);
	}
	const heard = reads.filter(r => !r.silent).map(r => r.frequency).sort((x, y) => x - y);
	const stats = summarizeStats(await b.getStats());
	const result = {
		frequency: heard.length ? heard[Math.floor(heard.length / 2)] : 0,
		level: Math.max(...reads.map(r => r.level)),
		silent: heard.length === 0,
		reads: reads.length,
		candidates,
		iceState: b.iceConnectionState,
		selectedPair: describePair(stats.selectedPair),
		codec: stats.audio.codec,
		packetsReceived: stats.audio.inbound ? stats.audio.inbound.packetsReceived : 0,
		audioContext: ctx.state,
	};
	analyser.stop();
	input.stop();
	a.close();
	b.close();
	await ctx.close();
	const out = document.getElementById('result');
	if (out) out.textContent = JSON.stringify(result, null, 2);
	return result;
}

window.loopback = { run };
