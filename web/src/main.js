// Page entry: binds the DOM to Softphone and exposes window.softphone, the
// hooks browser tests assert on. Query parameters (all optional):
//   jid, password  prefill the form; autologin=1 signs in at once
//   ws             WebSocket URL (default: this page's host, /xmpp-websocket)
//   domain         phone gateway component (default phone.localhost)
//   mode           jmi (XEP-0353 propose first, default) or direct (session-initiate)
//   tone           send a generated sine tone of this many Hz instead of the microphone
//   propose_timeout  ms to wait for an answer to a JMI propose (default 30000)
import { Softphone } from './softphone.js';
import { normalizeNumber } from './number.js';
import { describePair } from './stats.js';
import { callStatusText } from './labels.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

function defaultWebsocketUrl() {
	if (location.protocol !== 'http:' && location.protocol !== 'https:') return '';
	return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/xmpp-websocket`;
}

const KEYS = [['1', ''], ['2', 'ABC'], ['3', 'DEF'], ['4', 'GHI'], ['5', 'JKL'], ['6', 'MNO'],
	['7', 'PQRS'], ['8', 'TUV'], ['9', 'WXYZ'], ['*', ''], ['0', '+'], ['#', '']];

function formatDuration(s) {
	const m = Math.floor(s / 60);
	return `${m}:${String(s % 60).padStart(2, '0')}`;
}

function main() {
	const domain = params.get('domain') || 'phone.localhost';
	$('jid').value = params.get('jid') || '';
	$('password').value = params.get('password') || '';
	$('ws').value = params.get('ws') || defaultWebsocketUrl();
	$('domain-login').value = domain;

	let phone = null;
	// Test hooks (see Softphone opts.transforms); shared by every login.
	const transforms = {};

	const keypad = $('keypad');
	for (const [digit, letters] of KEYS) {
		const b = document.createElement('button');
		b.type = 'button';
		b.dataset.digit = digit;
		b.innerHTML = `${digit}<small>${letters}</small>`;
		b.addEventListener('click', () => pressKey(digit));
		keypad.appendChild(b);
	}

	function pressKey(digit) {
		if (phone && phone.state.call.state === 'active') {
			try { phone.dtmf(digit); } catch (e) { /* shown via lastError */ }
			return;
		}
		const n = $('number');
		n.value = (n.value === '' && digit !== '+' && digit !== '*' && digit !== '#' ? '+' : '') + n.value + digit;
	}

	function render(state) {
		const conn = $('connection');
		conn.textContent = state.connection;
		conn.dataset.state = state.connection;
		const loggedIn = state.connection === 'connected';
		$('login').hidden = loggedIn;
		$('phone').hidden = !loggedIn;
		$('login-button').disabled = state.connection === 'connecting';
		$('account').textContent = state.jid || '';
		$('domain-view').textContent = state.domain;
		const c = state.call;
		const cs = $('call-state');
		// Human words; the protocol word (Jingle reason, stanza error) stays
		// in the title and the small detail line, for support.
		cs.textContent = callStatusText(c);
		cs.dataset.state = c.state;
		cs.dataset.reason = c.state === 'ended' ? c.endReason || '' : '';
		cs.title = c.state === 'ended' ? c.endReason || '' : c.state;
		const detail = $('call-detail');
		// The error banner, when up, carries the detail already.
		detail.textContent = state.lastErrorDetail ? ''
			: c.state === 'ended' && c.endReason !== 'success'
			? [c.endReason, c.endText].filter(Boolean).join(' · ')
			: c.state === 'active' && c.noInboundAudio ? 'no audio from the other side' : '';
		// The timer counts from when audio flows: before that it would say 0:00 for nothing.
		$('call-timer').textContent = c.connectedAt && ['active', 'ended'].includes(c.state) ? formatDuration(c.duration || 0) : '';
		$('call-peer').textContent = c.state === 'idle' ? '' : `${c.direction === 'incoming' ? 'from' : 'to'} ${c.number || c.peer}`;
		const inCall = !['idle', 'ended'].includes(c.state);
		$('mic').hidden = !inCall || c.state === 'incoming';
		const micDb = state.mic && Number.isFinite(state.mic.level) ? Math.max(-100, state.mic.level) : -100;
		$('mic-level').value = micDb;
		$('mic-level').title = `${Math.round(micDb)} dBFS`;
		$('dial').disabled = inCall;
		$('hangup').disabled = !inCall || c.state === 'incoming';
		$('incoming').hidden = c.state !== 'incoming';
		$('incoming-from').textContent = c.state === 'incoming' ? c.number : '';
		$('dtmf-sent').textContent = state.dtmfSent ? `DTMF: ${state.dtmfPlayed || ''}${state.dtmfPlayed === state.dtmfSent ? '' : ' (queued ' + state.dtmfSent.slice((state.dtmfPlayed || '').length) + ')'}` : '';
		$('diagnostics').hidden = !loggedIn;
		const st = state.stats;
		$('ice-state').textContent = st ? st.iceState || '—' : '—';
		$('dtls-state').textContent = st ? `${st.dtlsState || '—'}${st.dtlsRole ? ' (' + st.dtlsRole + ')' : ''}` : '—';
		$('selected-pair').textContent = st ? describePair(st.selectedPair) : '—';
		$('codec').textContent = st && st.audio.codec ? st.audio.codec : '—';
		$('packets').textContent = st && (st.audio.inbound || st.audio.outbound)
			? `${st.audio.inbound ? st.audio.inbound.packetsReceived : 0} / ${st.audio.outbound ? st.audio.outbound.packetsSent : 0}` : '—';
		const a = state.audio;
		$('tone').textContent = a && !a.silent ? `${a.frequency.toFixed(1)} Hz` : '—';
		$('level').value = a && Number.isFinite(a.level) ? Math.max(-100, a.level) : -100;
		// The error sits where the user's eyes are: under the call button,
		// or under the sign-in button before signing in.
		const err = $('error');
		const home = loggedIn ? $('call-row') : $('login-form');
		if (loggedIn ? err.previousElementSibling !== home : err.parentElement !== home) {
			if (loggedIn) home.after(err); else home.append(err);
		}
		err.hidden = !state.lastError;
		$('error-text').textContent = state.lastError || '';
		$('error-detail').textContent = state.lastErrorDetail || '';
		err.title = state.lastErrorDetail || '';
	}

	function create() {
		const url = $('ws').value.trim() || defaultWebsocketUrl();
		const dom = $('domain-login').value.trim() || 'phone.localhost';
		phone = new Softphone({
			websocketUrl: url,
			domain: dom,
			mode: params.get('mode') === 'direct' ? 'direct' : 'jmi',
			toneHz: params.get('tone') ? Number(params.get('tone')) : undefined,
			proposeTimeoutMs: params.get('propose_timeout') ? Number(params.get('propose_timeout')) : undefined,
			transforms,
		});
		phone.setAudioElement($('remote-audio'));
		phone.subscribe(render);
		render(phone.state);
		return phone;
	}

	async function login() {
		const p = create();
		try {
			await p.login($('jid').value.trim(), $('password').value);
		} catch (e) {
			if (!p.state.lastError) p._error(e.message);
		}
	}

	$('login-form').addEventListener('submit', (ev) => { ev.preventDefault(); login(); });
	$('logout').addEventListener('click', () => phone && phone.logout());
	$('dial').addEventListener('click', () => phone && phone.dial($('number').value).catch(() => {}));
	$('hangup').addEventListener('click', () => phone && phone.hangup());
	$('answer').addEventListener('click', () => phone && phone.answer().catch(() => {}));
	$('reject').addEventListener('click', () => phone && phone.reject());
	$('number').addEventListener('keydown', (ev) => { if (ev.key === 'Enter') $('dial').click(); });

	// Test hooks: read-only snapshots plus the same actions the buttons run.
	window.softphone = {
		get state() { return phone ? JSON.parse(JSON.stringify(phone.state)) : { connection: 'disconnected', call: { state: 'idle' } }; },
		get lastError() { return phone ? phone.state.lastError : null; },
		get stats() { return phone ? phone.state.stats : null; },
		get audio() { return phone ? phone.state.audio : null; },
		get events() { return phone ? phone.state.events.slice() : []; },
		get pc() { return phone && phone.session ? phone.session.pc : null; },
		login: (jid, password) => { if (jid) $('jid').value = jid; if (password !== undefined) $('password').value = password; return login(); },
		logout: () => phone && phone.logout(),
		dial: (number) => { $('number').value = number; return phone.dial(number); },
		call: (jid) => phone.call(jid),
		hangup: () => phone.hangup(),
		answer: () => phone.answer(),
		reject: () => phone.reject(),
		dtmf: (digits) => phone.dtmf(digits),
		restartIce: () => phone.restartIce(),
		normalizeNumber,
		/** Set .local / .remote (sdp, type) => sdp and .candidate (line) => line|null before a call. */
		transforms,
		/** Resolves with the state once pred(state) holds; rejects after timeoutMs. */
		waitFor(pred, timeoutMs = 10000) {
			return new Promise((resolve, reject) => {
				const check = () => { const s = this.state; if (pred(s)) { clearInterval(iv); clearTimeout(to); resolve(s); } };
				const iv = setInterval(check, 50);
				const to = setTimeout(() => { clearInterval(iv); reject(new Error('timeout; state ' + JSON.stringify(this.state))); }, timeoutMs);
				check();
			});
		},
	};

	create();
	if (params.get('autologin') === '1') login();
}

main();
