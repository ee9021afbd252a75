// The softphone's logic without the DOM: XMPP login over WebSocket, calls to
// phone JIDs (+E164@component) and from them, DTMF, call timer, live ICE/DTLS
// stats and the received-audio analyser. Jingle RTP sessions are StanzaJS's;
// XEP-0353 (JMI) is driven here (see jmi.js).
import * as XMPP from 'stanza';
import { registerJmi } from './jmi.js';
import { attachAnalyser, attachLevelMeter, toneStream } from './analyser.js';
import { summarizeStats } from './stats.js';
import { normalizeNumber } from './number.js';
import { endText } from './labels.js';

const STATS_INTERVAL_MS = 1000;
const ANALYSER_INTERVAL_MS = 200;
const EVENT_LOG_MAX = 200;
// A propose nobody answers (no <ringing/>, <proceed/> or <reject/>) ends the
// attempt instead of leaving the user in "calling" forever.
const PROPOSE_TIMEOUT_MS = 30000;
// Once ICE is connected the call shows "In call" when the first audio packet
// arrives; how often to look, and how long before it shows "In call" anyway,
// flagged as no audio from the other side (a one-way call must not hang in
// "Connecting…").
const MEDIA_CHECK_MS = 100;
const MEDIA_WAIT_MS = 8000;
const SILENT_AUDIO = Object.freeze({ frequency: 0, level: -Infinity, silent: true });

/**
 * The microphone is only reachable from a secure context (https:// or
 * localhost): elsewhere browsers leave navigator.mediaDevices undefined.
 * @return {?string} why there is no microphone, or null
 */
export function microphoneUnavailable() {
	if (typeof navigator !== 'undefined' && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) return null;
	const origin = typeof location !== 'undefined' ? location.origin : 'this page';
	const secure = typeof isSecureContext !== 'undefined' ? isSecureContext : false;
	return secure ? `navigator.mediaDevices is missing (${origin})`
		: `navigator.mediaDevices is undefined: ${origin} is not a secure context`;
}

/** What the page tells the user when the microphone cannot be reached. */
export const MICROPHONE_NEEDS_HTTPS = 'The microphone needs HTTPS or localhost: open this page over https:// (or on localhost) to make calls.';

function randomId() {
	const a = new Uint8Array(12);
	crypto.getRandomValues(a);
	return Array.from(a, b => b.toString(16).padStart(2, '0')).join('');
}

/** RTP packets received so far in a summarizeStats result. */
function inboundPackets(s) {
	return (s && s.audio && s.audio.inbound && s.audio.inbound.packetsReceived) || 0;
}

function bareJid(jid) {
	return String(jid || '').split('/')[0];
}

/** What the display shows for a caller: the number of a phone JID, else the bare JID. */
function callerLabel(jid) {
	const bare = bareJid(jid);
	const local = bare.split('@')[0];
	return /^\+[0-9]+$/.test(local) ? local : bare;
}

/**
 * Call states (state.call.state):
 *   idle -> proposing (JMI propose sent) -> ringing (peer rings) -> connecting
 *   (Jingle session up, media being set up) -> active (ICE+DTLS connected) -> ended
 *   idle -> incoming (propose or session-initiate received) -> connecting -> active -> ended
 * Connection states (state.connection): disconnected, connecting, connected, failed.
 */
export class Softphone {
	/**
	 * @param {object} opts
	 * @param {string} opts.websocketUrl ws://host:port/xmpp-websocket
	 * @param {string} [opts.domain] phone component domain (default phone.localhost)
	 * @param {'jmi'|'direct'} [opts.mode] outgoing: JMI propose first, or session-initiate at once
	 * @param {number} [opts.toneHz] send a generated tone instead of the microphone
	 * @param {number} [opts.proposeTimeoutMs] end an unanswered JMI propose after this long
	 * @param {{local?: function(string, string): string, remote?: function(string, string): string,
	 *   candidate?: function(string): ?string}} [opts.transforms] test hooks, read at each use:
	 *   local/remote rewrite the SDP given to the browser (what the browser itself does,
	 *   not the Jingle sent), candidate rewrites or drops (null) a remote candidate line
	 */
	constructor(opts) {
		this.opts = { domain: 'phone.localhost', mode: 'jmi', proposeTimeoutMs: PROPOSE_TIMEOUT_MS };
		for (const [k, v] of Object.entries(opts || {})) if (v !== undefined) this.opts[k] = v;
		this.proposeTimer = null;
		this.listeners = new Set();
		this.client = null;
		this.session = null;
		this.localMedia = null;
		this.audioCtx = null;
		this.analyser = null;
		this.micMeter = null;
		this.remoteAudio = null;
		this.timers = [];
		this.state = {
			connection: 'disconnected',
			jid: null,
			domain: this.opts.domain,
			mode: this.opts.mode,
			lastError: null,
			lastErrorDetail: null,
			call: this._idleCall(),
			stats: null,
			audio: { ...SILENT_AUDIO },
			mic: { level: -Infinity },
			dtmfSent: '',
			dtmfPlayed: '',
			events: [],
		};
	}

	_idleCall() {
		return { state: 'idle', direction: null, peer: null, number: null, sid: null,
			startedAt: null, answeredAt: null, connectedAt: null, endedAt: null, duration: 0,
			endReason: null, endText: null, noInboundAudio: false };
	}

	/**
	 * Forgets the previous call's media (the media panel, the received
	 * audio, the microphone level, its error): each call starts blank.
	 */
	_resetMedia() {
		this.state.stats = null;
		this.state.audio = { ...SILENT_AUDIO };
		this.state.mic = { level: -Infinity };
		this.state.dtmfSent = '';
		this.state.dtmfPlayed = '';
		this.state.lastError = null;
		this.state.lastErrorDetail = null;
	}

	/** fn(state) after each change. */
	subscribe(fn) {
		this.listeners.add(fn);
		return () => this.listeners.delete(fn);
	}

	_changed() {
		for (const fn of this.listeners) {
			try { fn(this.state); } catch (e) { console.error('softphone listener', e); }
		}
	}

	_event(type, detail) {
		const ev = { t: Date.now(), type, detail: detail === undefined ? null : detail };
		this.state.events.push(ev);
		if (this.state.events.length > EVENT_LOG_MAX) this.state.events.shift();
		console.log(`[softphone] ${type}${detail === undefined ? '' : ' ' + JSON.stringify(detail)}`);
	}

	/**
	 * Shows an error to the user.
	 * @param {string} message what the user reads
	 * @param {string} [detail] the protocol-level account, for support
	 */
	_error(message, detail) {
		this.state.lastError = String(message);
		this.state.lastErrorDetail = detail ? String(detail) : null;
		this._event('error', detail ? `${message} [${detail}]` : String(message));
		this._changed();
	}

	_setCall(patch) {
		Object.assign(this.state.call, patch);
		if (patch.state) this._event('call-state', patch.state);
		this._changed();
	}

	// ------------------------------------------------------------- login

	/** Logs in; resolves when the session started, rejects on auth or transport failure. */
	login(jid, password) {
		if (this.client) this.logout();
		this.state.jid = jid;
		this.state.connection = 'connecting';
		this.state.lastError = null;
		this.state.lastErrorDetail = null;
		this._event('connecting', { jid, url: this.opts.websocketUrl });
		this._changed();
		const client = XMPP.createClient({
			jid,
			password,
			resource: 'softphone-' + randomId().slice(0, 6),
			transports: { websocket: this.opts.websocketUrl, bosh: false },
			// Never a STUN server on the network: host candidates only, unless
			// the operator's server advertises TURN/STUN (XEP-0215), later.
			jingle: { iceServers: [], advertiseVideo: false, advertiseFileTransfer: false,
				createPeerConnection: (session, config) => this._createPeerConnection(config) },
		});
		this.client = client;
		registerJmi(client);
		this._wireClient(client);
		return new Promise((resolve, reject) => {
			const done = (err) => {
				client.off('session:started', okFn);
				client.off('auth:failed', authFn);
				client.off('disconnected', discFn);
				if (err) reject(err); else resolve();
			};
			const okFn = () => done();
			const authFn = () => done(new Error('authentication failed'));
			const discFn = () => done(new Error(this.state.lastError || 'disconnected'));
			client.on('session:started', okFn);
			client.on('auth:failed', authFn);
			client.on('disconnected', discFn);
			client.connect();
		});
	}

	logout() {
		if (this.state.call.state !== 'idle' && this.state.call.state !== 'ended') this.hangup();
		const client = this.client;
		this.client = null;
		if (client) client.disconnect();
		this.state.connection = 'disconnected';
		this._changed();
	}

	_wireClient(client) {
		client.on('session:started', async () => {
			client.sendPresence();
			// XEP-0280: the <proceed/>/<reject/> another of our devices sends to
			// an incoming call comes back as a carbon, which stops this one
			// ringing (XEP-0353 "answered elsewhere").
			try {
				await client.enableCarbons();
			} catch (e) {
				this._event('carbons-error', String(e && e.error ? e.error.condition : e));
			}
			if (this.client !== client) return;
			this.state.connection = 'connected';
			this.state.jid = client.jid;
			this._event('connected', client.jid);
			this._changed();
		});
		client.on('auth:failed', () => {
			this.state.connection = 'failed';
			this._error('authentication failed (wrong user or password)');
		});
		client.on('stream:error', (err) => {
			// After a failed login Prosody closes the stream (policy-violation):
			// the authentication failure is the error the user needs to see.
			if (this.state.connection === 'failed') return;
			this._error('stream error: ' + (err && (err.condition || err.text) || 'unknown'));
		});
		client.on('disconnected', () => {
			if (this.client !== client) return;
			if (this.state.connection !== 'failed') this.state.connection = 'disconnected';
			this._event('disconnected');
			this._changed();
		});
		client.on('message', (msg) => this._onMessage(msg));
		client.on('carbon:sent', (c) => {
			const msg = c && c.carbon && c.carbon.forward && c.carbon.forward.message;
			if (msg && msg.jmi) this._onOwnDeviceJmi(msg);
		});
		client.on('jingle:incoming', (session) => this._onIncomingSession(session));
		client.on('jingle:outgoing', (session) => this._event('jingle-outgoing', session.sid));
		client.on('jingle:ringing', (session) => {
			if (session === this.session) this._setCall({ state: 'ringing' });
		});
		client.on('jingle:accepted', (session) => {
			if (session !== this.session) return;
			this._event('jingle-accepted', session.sid);
			if (this.state.call.state !== 'active') this._setCall({ state: 'connecting', answeredAt: Date.now() });
			this._maybeActive(session);
		});
		client.on('jingle:terminated', (session, reason) => {
			// session.end() from hangup()/reject() emits this at once: that
			// end is ours (endedBy local), which those methods record.
			if (session !== this.session || session === this.endingLocally) return;
			const cond = reason && reason.condition ? reason.condition : 'success';
			this._event('jingle-terminated', { sid: session.sid, reason: cond, text: reason && reason.text });
			this._endCall(cond, false, reason && reason.text);
		});
		client.jingle.on('peerTrackAdded', (session, track, stream) => {
			if (session === this.session) this._onRemoteStream(stream || new MediaStream([track]));
		});
		client.jingle.on('log:error', (msg, req) => {
			this._event('jingle-error', String(msg));
			if (msg === 'Received error response' && req) this._onJingleError(req);
		});
	}

	// ------------------------------------------------------------- media

	/**
	 * The session's RTCPeerConnection, with opts.transforms applied where the
	 * browser takes SDP and candidates in: interop tests use it to make a
	 * browser behave like another client (e.g. Conversations' renomination,
	 * which needs a=ice-options:renomination in both offer and answer).
	 */
	_createPeerConnection(config) {
		const pc = new RTCPeerConnection(config);
		const t = () => this.opts.transforms || {};
		const setLocal = pc.setLocalDescription.bind(pc);
		const setRemote = pc.setRemoteDescription.bind(pc);
		const addCandidate = pc.addIceCandidate.bind(pc);
		const rewrite = (fn, d) => (fn && d && d.sdp ? { type: d.type, sdp: fn(d.sdp, d.type) } : d);
		pc.setLocalDescription = (d) => setLocal(rewrite(t().local, d));
		pc.setRemoteDescription = (d) => setRemote(rewrite(t().remote, d));
		pc.addIceCandidate = (c) => {
			const fn = t().candidate;
			if (!fn || !c || !c.candidate) return addCandidate(c);
			const line = fn(c.candidate);
			if (line === null) {
				this._event('candidate-dropped', c.candidate);
				return Promise.resolve();
			}
			return addCandidate({ candidate: line, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex, usernameFragment: c.usernameFragment });
		};
		return pc;
	}

	async _getLocalStream() {
		if (this.localMedia) return this.localMedia.stream;
		if (this.opts.toneHz) {
			const t = toneStream(this._ctx(), this.opts.toneHz);
			this.localMedia = { stream: t.stream, stop: t.stop };
		} else {
			const why = microphoneUnavailable();
			if (why) throw new Error(why);
			const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
			this.localMedia = { stream, stop: () => stream.getTracks().forEach(tr => tr.stop()) };
		}
		if (this.micMeter) this.micMeter.stop();
		this.micMeter = attachLevelMeter(this._ctx(), this.localMedia.stream);
		return this.localMedia.stream;
	}

	_ctx() {
		if (!this.audioCtx) this.audioCtx = new AudioContext();
		if (this.audioCtx.state === 'suspended') this.audioCtx.resume().catch(() => {});
		return this.audioCtx;
	}

	_onRemoteStream(stream) {
		this._event('remote-track', stream.getAudioTracks().length + ' audio');
		// Chromium only feeds a remote WebRTC stream into WebAudio while a media
		// element plays it; the element is also what the user hears.
		if (this.remoteAudio) {
			this.remoteAudio.srcObject = stream;
			this.remoteAudio.play().catch(e => this._event('audio-play', String(e)));
		}
		if (this.analyser) this.analyser.stop();
		this.analyser = attachAnalyser(this._ctx(), stream);
	}

	/** The <audio> element remote audio plays in (set by the UI). */
	setAudioElement(el) {
		this.remoteAudio = el;
	}

	_startTimers() {
		this._stopTimers();
		this.timers.push(setInterval(() => this._pollStats(), STATS_INTERVAL_MS));
		this.timers.push(setInterval(() => {
			if (this.analyser) this.state.audio = this.analyser.read();
			if (this.micMeter) this.state.mic = { level: this.micMeter.read() };
			const c = this.state.call;
			if (c.state === 'active' && c.connectedAt) c.duration = Math.floor((Date.now() - c.connectedAt) / 1000);
			this._changed();
		}, ANALYSER_INTERVAL_MS));
	}

	_stopTimers() {
		for (const t of this.timers) clearInterval(t);
		this.timers = [];
	}

	/** summarizeStats of a peer connection, completed where Firefox has no transport stats. */
	async _readStats(pc) {
		const s = summarizeStats(await pc.getStats());
		// Firefox has no "transport" stats: ask the transports themselves.
		const dtls = pc.getSenders().map(x => x.transport).find(Boolean)
			|| pc.getReceivers().map(x => x.transport).find(Boolean);
		if (!s.dtlsState && dtls) s.dtlsState = dtls.state;
		if (!s.iceState) s.iceState = (dtls && dtls.iceTransport && dtls.iceTransport.state) || pc.iceConnectionState;
		s.connectionState = pc.connectionState;
		s.at = Date.now();
		return s;
	}

	async _pollStats() {
		const session = this.session;
		if (!session || !session.pc || session.pc.signalingState === 'closed') return;
		try {
			const s = await this._readStats(session.pc);
			// The call may have ended (or another begun) while getStats ran.
			if (session !== this.session) return;
			this.state.stats = s;
			const c = this.state.call;
			if (c.noInboundAudio && inboundPackets(s) > 0) c.noInboundAudio = false;
			this._changed();
		} catch (e) {
			this._event('stats-error', String(e));
		}
	}

	/**
	 * The call is "active" (the page says "In call" and the timer runs) once
	 * the session is accepted, ICE is connected and audio arrives: before
	 * that it is "connecting", whatever the signalling says.
	 */
	_maybeActive(session) {
		if (session !== this.session || session.state !== 'active') return;
		const pc = session.pc;
		const connected = pc.connectionState === 'connected'
			|| pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed';
		if (!connected || !['connecting', 'ringing', 'proposing'].includes(this.state.call.state)) return;
		if (this.awaitingMedia === session) return;
		this.awaitingMedia = session;
		this._awaitAudio(session).finally(() => { if (this.awaitingMedia === session) this.awaitingMedia = null; });
	}

	/** Polls the stats until the first audio packet arrives (or MEDIA_WAIT_MS passes), then goes active. */
	async _awaitAudio(session) {
		const since = Date.now();
		for (;;) {
			if (session !== this.session || this.state.call.state === 'active' || this.state.call.state === 'ended') return;
			let s = null;
			try {
				s = await this._readStats(session.pc);
			} catch (e) {
				this._event('stats-error', String(e));
			}
			if (session !== this.session) return;
			const flowing = s && inboundPackets(s) > 0;
			const waited = Date.now() - since >= MEDIA_WAIT_MS;
			if (flowing || waited) {
				if (s) this.state.stats = s;
				if (!flowing) this._event('no-inbound-audio', `${MEDIA_WAIT_MS} ms`);
				this._setCall({ state: 'active', connectedAt: Date.now(), noInboundAudio: !flowing,
					answeredAt: this.state.call.answeredAt || Date.now() });
				return;
			}
			await new Promise(r => setTimeout(r, MEDIA_CHECK_MS));
		}
	}

	_watchSession(session) {
		const pc = session.pc;
		const onState = () => {
			this._event('pc-state', { ice: pc.iceConnectionState, conn: pc.connectionState });
			if (session !== this.session) return;
			this._maybeActive(session);
			if (pc.connectionState === 'failed') {
				this._error('Could not connect the audio', `media connection failed (ICE ${pc.iceConnectionState}, connection ${pc.connectionState})`);
			}
		};
		pc.addEventListener('iceconnectionstatechange', onState);
		pc.addEventListener('connectionstatechange', onState);
		// An incoming session's remote track arrived with its offer, before
		// this session became ours: pick it up from the receivers.
		const tracks = pc.getReceivers().map(r => r.track).filter(t => t && t.kind === 'audio');
		if (tracks.length && !this.analyser) this._onRemoteStream(new MediaStream(tracks));
		this._pollStats();
	}

	// ------------------------------------------------------------- outgoing

	/** Dials a phone number (+E164@domain); resolves once the call is being placed. */
	async dial(input) {
		// A new attempt, even one refused here, no longer shows the last call.
		if (this.state.call.state === 'ended') {
			this.state.call = this._idleCall();
			this._resetMedia();
		}
		const number = normalizeNumber(input);
		if (!number) throw this._fail('Not a valid phone number', `not a phone number in E.164 form (+ and digits): ${input}`);
		return this.call(`${number}@${this.opts.domain}`, number);
	}

	/**
	 * Calls any JID: a phone JID, or another XMPP user (softphone to
	 * softphone, which is how the browser tests exercise a whole call).
	 * @param {string} peer bare or full JID
	 * @param {string} [label] what the display shows (the number)
	 */
	async call(peer, label) {
		if (!['idle', 'ended'].includes(this.state.call.state)) throw this._fail('A call is in progress');
		// Before anything is sent: without a microphone there is no call.
		const noMic = this.opts.toneHz ? null : microphoneUnavailable();
		if (noMic) throw this._fail(MICROPHONE_NEEDS_HTTPS, noMic);
		if (this.state.connection !== 'connected') throw this._fail('Not signed in', 'not connected');
		if (!/^[^@/\s]+@[^@/\s]+(\/.+)?$/.test(String(peer))) throw this._fail('Not a valid address', `not a JID: ${peer}`);
		const sid = randomId();
		this.state.call = { ...this._idleCall(), state: 'proposing', direction: 'outgoing', peer,
			number: label || bareJid(peer), sid, startedAt: Date.now(), jmi: this.opts.mode === 'jmi' };
		this._resetMedia();
		this._event('dial', { peer, mode: this.opts.mode });
		this._changed();
		try {
			await this._getLocalStream();
		} catch (e) {
			// Our side gave up (denied or missing microphone): nothing was sent.
			this._endCall('failed-application', true);
			throw this._fail('The microphone could not be opened', 'getUserMedia: ' + e.message);
		}
		this._startTimers();
		if (this.opts.mode === 'jmi') {
			// XEP-0353 3.1: propose; session-initiate follows the peer's proceed.
			// The message id is the session id: a bounce (type=error, same id)
			// then names the call it is about.
			this.client.sendMessage({ id: sid, to: peer, type: 'chat', jmi: { type: 'propose', id: sid, media: 'audio' },
				processingHints: { store: true } });
			this.proposeTimer = setTimeout(() => {
				if (this.state.call.sid === sid && this.state.call.state === 'proposing') {
					this._error('No answer', `no answer from ${peer} (no ringing or proceed in ${Math.round(this.opts.proposeTimeoutMs / 1000)} s)`);
					this.client.sendMessage({ to: peer, type: 'chat', jmi: { type: 'retract', id: sid, reason: { condition: 'timeout' } } });
					this._endCall('timeout', false);
				}
			}, this.opts.proposeTimeoutMs);
		} else {
			await this._startSession(peer, sid);
		}
	}

	async _startSession(peer, sid) {
		const session = this.client.jingle.createMediaSession(peer, sid);
		this.session = session;
		for (const track of this.localMedia.stream.getTracks()) await session.addTrack(track, this.localMedia.stream);
		this._watchSession(session);
		this._setCall({ state: this.state.call.state === 'ringing' ? 'ringing' : 'connecting', peer });
		await session.start({ offerToReceiveAudio: true });
	}

	_fail(message, detail) {
		this._error(message, detail);
		return new Error(detail ? `${message} (${detail})` : message);
	}

	// ------------------------------------------------------------- JMI

	_onMessage(msg) {
		if (msg.type === 'error') {
			const call = this.state.call;
			if (msg.id && msg.id === call.sid && !this.session && !['idle', 'ended'].includes(call.state)) {
				const cond = msg.error ? msg.error.condition : 'error';
				const text = msg.error && msg.error.text;
				this._error(endText(cond), `call to ${call.peer} failed: ${cond}${text ? ' (' + text + ')' : ''}`);
				this._endCall(cond, false, text);
			}
			return;
		}
		if (!msg.jmi) return;
		// Our own propose reflected to us (calling our own bare JID).
		if (this.client && msg.from === this.client.jid) return;
		const { type, id } = msg.jmi;
		const call = this.state.call;
		this._event('jmi-in', { type, id, from: msg.from });
		if (type === 'propose') {
			if (msg.jmi.media && msg.jmi.media !== 'audio') return;
			if (!['idle', 'ended'].includes(call.state)) {
				// Busy: one call at a time.
				this.client.sendMessage({ to: msg.from, type: 'chat', jmi: { type: 'reject', id, reason: { condition: 'busy' } } });
				return;
			}
			const number = callerLabel(msg.from);
			this.state.call = { ...this._idleCall(), state: 'incoming', direction: 'incoming', peer: msg.from,
				number, sid: id, startedAt: Date.now(), jmi: true };
			this._resetMedia();
			this.client.sendMessage({ to: msg.from, type: 'chat', jmi: { type: 'ringing', id } });
			this._event('call-state', 'incoming');
			this._changed();
			return;
		}
		if (id !== call.sid) return;
		if (['ringing', 'proceed', 'reject'].includes(type)) clearTimeout(this.proposeTimer);
		const why = (fallback) => (msg.jmi.reason && msg.jmi.reason.condition) || fallback;
		const whyText = msg.jmi.reason && msg.jmi.reason.text;
		if (type === 'ringing' && call.state === 'proposing') {
			this._setCall({ state: 'ringing' });
		} else if (type === 'proceed' && (call.state === 'proposing' || call.state === 'ringing') && call.direction === 'outgoing') {
			// The responding resource gets the session-initiate (XEP-0353 3.2).
			this._startSession(msg.from, call.sid).catch(e => this._fail('Could not start the call', e.message));
		} else if (type === 'reject' && call.direction === 'outgoing' && !this.session) {
			this._endCall(why('decline'), false, whyText);
		} else if (type === 'retract' && call.direction === 'incoming' && !this.session) {
			this._endCall(why('cancel'), false, whyText);
		} else if (type === 'finish') {
			const session = this.session;
			this._endCall(why('success'), false, whyText);
			if (session) session.end('success', true);
		}
	}

	_onOwnDeviceJmi(msg) {
		const call = this.state.call;
		const { type, id } = msg.jmi;
		if (call.direction === 'incoming' && call.state === 'incoming' && id === call.sid && (type === 'proceed' || type === 'reject')) {
			this._event('answered-elsewhere', type);
			this._endCall(type === 'proceed' ? 'answered-elsewhere' : 'declined-elsewhere', false);
		}
	}

	/** An error reply to one of our Jingle requests (session-initiate, accept...). */
	_onJingleError(req) {
		const session = this.session;
		const sid = req.jingle && req.jingle.sid;
		if (!session || sid !== session.sid) return;
		const action = req.jingle && req.jingle.action;
		const cond = (req.error && (req.error.jingleError || req.error.condition)) || 'error';
		// A refused transport-info or session-info does not end the call;
		// a refused initiate/accept, or an unknown session, does.
		if (action && !['session-initiate', 'session-accept'].includes(action) && cond !== 'unknown-session') return;
		const text = req.error && req.error.text;
		this._error(endText(cond), `${action || 'jingle request'} to ${session.peerID} failed: ${cond}${text ? ' (' + text + ')' : ''}`);
		this._endCall(cond, false, text);
		session.end('failed-application', true);
	}

	// ------------------------------------------------------------- incoming

	_onIncomingSession(session) {
		const call = this.state.call;
		this._event('jingle-incoming', { sid: session.sid, from: session.peerID });
		if (call.state === 'connecting' && call.direction === 'incoming' && call.jmi && session.sid === call.sid) {
			// We proceeded already: this is the session we said yes to.
			this.session = session;
			this._acceptSession(session);
			return;
		}
		if (!['idle', 'ended'].includes(call.state)) {
			session.end('busy');
			return;
		}
		this.session = session;
		const number = callerLabel(session.peerID);
		this.state.call = { ...this._idleCall(), state: 'incoming', direction: 'incoming', peer: session.peerID,
			number, sid: session.sid, startedAt: Date.now(), jmi: false };
		this._resetMedia();
		this._event('call-state', 'incoming');
		session.ring();
		this._changed();
	}

	async _acceptSession(session) {
		try {
			const stream = await this._getLocalStream();
			for (const track of stream.getTracks()) await session.addTrack(track, stream);
			this._watchSession(session);
			this._startTimers();
			await session.accept();
			if (this.state.call.state !== 'active') this._setCall({ state: 'connecting', answeredAt: Date.now() });
			this._maybeActive(session);
		} catch (e) {
			this._fail('Could not answer the call', e.message);
			session.end('failed-application');
		}
	}

	/** Answers the ringing incoming call. */
	async answer() {
		const call = this.state.call;
		if (call.state !== 'incoming') throw this._fail('No incoming call');
		// Keep ringing (another device may answer) but say why not here.
		const noMic = this.opts.toneHz ? null : microphoneUnavailable();
		if (noMic) throw this._fail(MICROPHONE_NEEDS_HTTPS, noMic);
		this._setCall({ state: 'connecting' });
		if (call.jmi) {
			try {
				await this._getLocalStream();
			} catch (e) {
				this.client.sendMessage({ to: call.peer, type: 'chat', jmi: { type: 'reject', id: call.sid } });
				this._endCall('failed-application', true);
				throw this._fail('The microphone could not be opened', 'getUserMedia: ' + e.message);
			}
			this.client.sendMessage({ to: call.peer, type: 'chat', jmi: { type: 'proceed', id: call.sid } });
			this._startTimers();
		} else {
			await this._acceptSession(this.session);
		}
	}

	/** Declines the ringing incoming call. */
	reject() {
		const call = this.state.call;
		if (call.state !== 'incoming') throw this._fail('No incoming call');
		if (call.jmi) {
			this.client.sendMessage({ to: call.peer, type: 'chat', jmi: { type: 'reject', id: call.sid, reason: { condition: 'decline' } } });
		} else if (this.session) {
			this.endingLocally = this.session;
			this.session.end('decline');
		}
		this._endCall('decline', true);
	}

	/**
	 * Restarts ICE on an outgoing call (what a page does after a network
	 * change): StanzaJS sends our new credentials in a transport-info and
	 * applies the gateway's new ones when they come back. Only the session's
	 * initiator may restart (StanzaJS' rule, to avoid both sides at once).
	 * @returns {Promise<void>}
	 */
	async restartIce() {
		if (!this.session || this.state.call.state !== 'active') throw new Error('no active call');
		this._event('ice-restart', this.session.sid);
		await this.session.restartIce();
	}

	/** Ends the call in whatever state it is. */
	hangup() {
		const call = this.state.call;
		if (call.state === 'idle' || call.state === 'ended') return;
		if (call.state === 'incoming') return this.reject();
		const reason = call.state === 'active' ? 'success' : 'cancel';
		if (this.session) {
			const peer = this.session.peerID;
			this.endingLocally = this.session;
			this.session.end(reason);
			// A call set up by JMI is closed by JMI too (XEP-0353 v0.5+ <finish/>),
			// so the peer's other devices and its archive see it end.
			if (call.jmi) this.client.sendMessage({ to: peer, type: 'chat', jmi: { type: 'finish', id: call.sid, reason: { condition: reason } } });
		} else if (call.direction === 'outgoing' && call.jmi) {
			// Proposed, not yet proceeded: retract (XEP-0353 3.3).
			this.client.sendMessage({ to: call.peer, type: 'chat', jmi: { type: 'retract', id: call.sid, reason: { condition: 'cancel' } } });
		}
		this._endCall(reason, true);
	}

	/**
	 * Sends DTMF over RTP (RFC 4733 telephone-event via RTCDTMFSender).
	 * @param {string} digits 0-9 * # A-D
	 */
	dtmf(digits) {
		const session = this.session;
		if (!session || this.state.call.state !== 'active') throw this._fail('DTMF needs an active call');
		const sender = session.pc.getSenders().find(s => s.track && s.track.kind === 'audio');
		if (!sender || !sender.dtmf) throw this._fail('this call cannot send DTMF');
		if (!sender.dtmf.canInsertDTMF) throw this._fail('the peer did not negotiate telephone-event');
		if (!sender.dtmf.ontonechange) {
			// Each tone as it is actually sent (RTCDTMFSender plays them in turn).
			sender.dtmf.ontonechange = (ev) => {
				if (!ev.tone) return;
				this.state.dtmfPlayed += ev.tone;
				this._event('dtmf-played', ev.tone);
				this._changed();
			};
		}
		// insertDTMF replaces what is still queued: append, so fast key
		// presses are all sent, in order.
		sender.dtmf.insertDTMF(sender.dtmf.toneBuffer + String(digits), 120, 70);
		this.state.dtmfSent += String(digits);
		this._event('dtmf', String(digits));
		this._changed();
	}

	/**
	 * @param {string} reason Jingle reason or stanza error condition
	 * @param {boolean} local whether this side ended it
	 * @param {string} [text] the peer's own words (e.g. "SIP 486 Busy Here")
	 */
	_endCall(reason, local, text) {
		const call = this.state.call;
		if (call.state === 'ended' || call.state === 'idle') return;
		this._stopTimers();
		clearTimeout(this.proposeTimer);
		if (this.analyser) { this.analyser.stop(); this.analyser = null; }
		if (this.micMeter) { this.micMeter.stop(); this.micMeter = null; }
		if (this.localMedia) { this.localMedia.stop(); this.localMedia = null; }
		if (this.remoteAudio) this.remoteAudio.srcObject = null;
		this.session = null;
		// The media panel belonged to the call: blank it (the error stays).
		this.state.stats = null;
		this.state.audio = { ...SILENT_AUDIO };
		this.state.mic = { level: -Infinity };
		const now = Date.now();
		this._setCall({
			state: 'ended', endReason: reason, endText: text || null, endedBy: local ? 'local' : 'remote', endedAt: now,
			duration: call.connectedAt ? Math.floor((now - call.connectedAt) / 1000) : 0,
		});
	}
}
