// Pure functions of the softphone, without a browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dominantFrequency, rmsDb } from '../src/analyser.js';
import { callStatusText, endText } from '../src/labels.js';
import { summarizeStats, describePair } from '../src/stats.js';
import { normalizeNumber } from '../src/number.js';
import { Registry, parse } from 'stanza/jxt/index.js';
import StanzaProtocol from 'stanza/protocol/index.js';
import { registerJmi, NS_JMI } from '../src/jmi.js';

// The dB spectrum a Hann-windowed FFT gives for a pure tone: a main lobe
// around the tone's fractional bin, a noise floor elsewhere.
function toneSpectrum(hz, sampleRate, fftSize) {
	const bins = new Float32Array(fftSize / 2).fill(-120);
	const k = hz / (sampleRate / fftSize);
	for (let i = Math.floor(k) - 2; i <= Math.ceil(k) + 2; i++) {
		const d = i - k;
		const mag = Math.abs(d) < 2 ? Math.cos(Math.PI * d / 4) ** 2 : 1e-6; // smooth lobe
		bins[i] = Math.max(-120, 20 * Math.log10(mag) - 10);
	}
	return bins;
}

test('analyser: dominantFrequency interpolates a tone between bins to under a quarter bin', () => {
	const binHz = 48000 / 16384;
	for (const hz of [440, 660, 697.3, 1000, 1633, 3400, 1000 + binHz * 0.5]) {
		const r = dominantFrequency(toneSpectrum(hz, 48000, 16384), 48000, 16384);
		assert.ok(Math.abs(r.frequency - hz) < binHz / 4, `${hz} Hz read as ${r.frequency}`);
		assert.ok(r.level > -20, `level ${r.level}`);
	}
});

test('analyser: silence reads as frequency 0 and -Infinity level', () => {
	const r = dominantFrequency(new Float32Array(8192).fill(-Infinity), 48000, 16384);
	assert.equal(r.frequency, 0);
	assert.equal(r.level, -Infinity);
});

test('analyser: hum below minHz is ignored', () => {
	const s = toneSpectrum(1000, 48000, 16384);
	const hum = toneSpectrum(30, 48000, 16384);
	for (let i = 0; i < 20; i++) s[i] = Math.max(s[i], hum[i] + 20);
	const r = dominantFrequency(s, 48000, 16384, 50);
	assert.ok(Math.abs(r.frequency - 1000) < 5, `read ${r.frequency}`);
});

test('stats: Chromium-shaped report gives ICE/DTLS state, selected pair and audio counters', () => {
	const report = new Map(Object.entries({
		T1: { id: 'T1', type: 'transport', iceState: 'connected', dtlsState: 'connected', dtlsRole: 'client', selectedCandidatePairId: 'CP2' },
		CP1: { id: 'CP1', type: 'candidate-pair', state: 'failed', localCandidateId: 'L1', remoteCandidateId: 'R1' },
		CP2: { id: 'CP2', type: 'candidate-pair', state: 'succeeded', nominated: true, localCandidateId: 'L1', remoteCandidateId: 'R2', bytesSent: 100, bytesReceived: 200, currentRoundTripTime: 0.001 },
		L1: { id: 'L1', type: 'local-candidate', address: '127.0.0.1', port: 5000, protocol: 'udp', candidateType: 'host' },
		R1: { id: 'R1', type: 'remote-candidate', address: '127.0.0.1', port: 6001, protocol: 'udp', candidateType: 'host' },
		R2: { id: 'R2', type: 'remote-candidate', address: '127.0.0.1', port: 6000, protocol: 'udp', candidateType: 'srflx' },
		IN: { id: 'IN', type: 'inbound-rtp', kind: 'audio', packetsReceived: 50, packetsLost: 1, codecId: 'C1' },
		OUT: { id: 'OUT', type: 'outbound-rtp', kind: 'audio', packetsSent: 49 },
		C1: { id: 'C1', type: 'codec', mimeType: 'audio/opus', clockRate: 48000 },
	}));
	const s = summarizeStats(report);
	assert.equal(s.iceState, 'connected');
	assert.equal(s.dtlsState, 'connected');
	assert.equal(s.dtlsRole, 'client');
	assert.deepEqual(s.selectedPair.remote, { address: '127.0.0.1', port: 6000, protocol: 'udp', type: 'srflx' });
	assert.equal(s.selectedPair.bytesReceived, 200);
	assert.equal(s.audio.inbound.packetsReceived, 50);
	assert.equal(s.audio.outbound.packetsSent, 49);
	assert.equal(s.audio.codec, 'opus/48000');
	assert.equal(describePair(s.selectedPair), 'udp host 127.0.0.1:5000 → srflx 127.0.0.1:6000');
});

test('stats: Firefox-shaped report (no transport stats) uses the selected pair', () => {
	const s = summarizeStats([
		{ id: 'a', type: 'candidate-pair', state: 'succeeded', selected: true, nominated: true, localCandidateId: 'l', remoteCandidateId: 'r' },
		{ id: 'l', type: 'local-candidate', address: '127.0.0.1', port: 1, protocol: 'udp', candidateType: 'host' },
		{ id: 'r', type: 'remote-candidate', address: '127.0.0.1', port: 2, protocol: 'udp', candidateType: 'host' },
	]);
	assert.equal(s.iceState, null);
	assert.equal(s.selectedPair.local.port, 1);
	assert.equal(s.selectedPair.remote.port, 2);
	assert.equal(s.audio.inbound, null);
});

test('number: E.164 input is normalized, anything else refused', () => {
	assert.equal(normalizeNumber('+1 (555) 123-4567'), '+15551234567');
	assert.equal(normalizeNumber('+49.30.1234'), '+49301234');
	assert.equal(normalizeNumber('5551234'), null);
	assert.equal(normalizeNumber('+0123'), null);
	assert.equal(normalizeNumber('+1234567890123456'), null);
	assert.equal(normalizeNumber('+1555@evil'), null);
	assert.equal(normalizeNumber(''), null);
});

// XEP-0353 on the wire, through StanzaJS's own XML layer (as the page uses it).

function jmiRegistry(features = []) {
	const stanzas = new Registry();
	stanzas.define(StanzaProtocol.default || StanzaProtocol);
	registerJmi({ stanzas, disco: { addFeature: (f) => features.push(f) } });
	return stanzas;
}

test('jmi: the page lists JMI in its disco#info, so a gateway proposes instead of calling it directly', () => {
	const features = [];
	jmiRegistry(features);
	assert.deepEqual(features, ['urn:xmpp:jingle-message:0']);
});

test('jmi: propose is <propose xmlns=urn:xmpp:jingle-message:0 id> with an audio RTP description and a store hint', () => {
	const xml = jmiRegistry().export('message', { to: '+15550100@phone.localhost', type: 'chat', id: 'S1',
		jmi: { type: 'propose', id: 'S1', media: 'audio' }, processingHints: { store: true } }).toString();
	assert.equal(NS_JMI, 'urn:xmpp:jingle-message:0');
	assert.match(xml, /<propose xmlns="urn:xmpp:jingle-message:0" id="S1"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"\/><\/propose>/);
	assert.match(xml, /<store xmlns="urn:xmpp:hints"\/>/);
});

test('jmi: every action parses, with the Jingle reason of reject/retract/finish', () => {
	const reg = jmiRegistry();
	for (const type of ['ringing', 'proceed', 'accept']) {
		const m = reg.import(parse(`<message xmlns="jabber:client" from="+1@phone.localhost/x" type="chat"><${type} xmlns="urn:xmpp:jingle-message:0" id="S2"/></message>`));
		assert.deepEqual({ type: m.jmi.type, id: m.jmi.id }, { type, id: 'S2' });
	}
	const r = reg.import(parse('<message xmlns="jabber:client" type="chat"><reject xmlns="urn:xmpp:jingle-message:0" id="S3">'
		+ '<reason xmlns="urn:xmpp:jingle:1"><busy/><text>on another call</text></reason></reject></message>'));
	assert.deepEqual(r.jmi, { type: 'reject', id: 'S3', reason: { condition: 'busy', text: 'on another call' } });
	const f = reg.export('message', { type: 'chat', jmi: { type: 'finish', id: 'S4', reason: { condition: 'success' } } }).toString();
	assert.match(f, /<finish xmlns="urn:xmpp:jingle-message:0" id="S4"><reason xmlns="urn:xmpp:jingle:1"><success\/><\/reason><\/finish>/);
	// The namespace StanzaJS 12 carries as a constant is not JMI's: ignored.
	const other = reg.import(parse('<message xmlns="jabber:client"><propose xmlns="urn:xmpp:jingle:jingle-message:0" id="S5"/></message>'));
	assert.equal(other.jmi, undefined);
});

test('analyser: rmsDb gives dBFS of a block (full-scale sine -3 dB, half amplitude -9 dB, silence -Infinity)', () => {
	const sine = (amp) => Float32Array.from({ length: 4800 }, (_, i) => amp * Math.sin(2 * Math.PI * 440 * i / 48000));
	assert.ok(Math.abs(rmsDb(sine(1)) - -3.01) < 0.05, String(rmsDb(sine(1))));
	assert.ok(Math.abs(rmsDb(sine(0.5)) - -9.03) < 0.05, String(rmsDb(sine(0.5))));
	assert.equal(rmsDb(new Float32Array(128)), -Infinity);
	assert.equal(rmsDb([]), -Infinity);
});

test('labels: call states and end reasons in words a person understands', () => {
	const ended = (endReason, endedBy = 'remote', direction = 'outgoing') => callStatusText({ state: 'ended', endReason, endedBy, direction });
	assert.equal(callStatusText({ state: 'idle' }), 'Ready');
	assert.equal(callStatusText({ state: 'proposing' }), 'Calling…');
	assert.equal(callStatusText({ state: 'connecting' }), 'Connecting…');
	assert.equal(callStatusText({ state: 'active' }), 'In call');
	assert.equal(ended('success'), 'Call ended');
	assert.equal(ended('not-allowed'), 'You are not allowed to call this number');
	assert.equal(ended('busy'), 'Busy');
	assert.equal(ended('timeout'), 'No answer');
	assert.equal(ended('gone'), 'Number not reachable');
	assert.equal(ended('item-not-found'), 'Number not reachable');
	assert.equal(ended('decline'), 'Call declined');
	assert.equal(ended('cancel', 'remote', 'incoming'), 'Missed call');
	assert.equal(ended('cancel', 'local', 'outgoing'), 'Call cancelled');
	// Anything unknown is a failed call, never a raw protocol word.
	assert.equal(ended('x-something-new'), 'Call failed');
	assert.equal(endText(null), 'Call failed');
});
