// What the page says to a person about a call: human words for the call
// states, and for the Jingle reasons (XEP-0166 §7.4) and XMPP stanza errors
// (RFC 6120 §8.3.3) a call can end with. The protocol word itself stays
// available next to them (title attribute, small detail line) for support.

/** Status line text per call state (the ended state has its own text). */
const STATE_TEXT = {
	idle: 'Ready',
	proposing: 'Calling…',
	ringing: 'Ringing…',
	incoming: 'Incoming call',
	connecting: 'Connecting…',
	active: 'In call',
};

const NOT_REACHABLE = 'Number not reachable';
const CALL_FAILED = 'Call failed';

/** Human text for a reason a call ended with (Jingle reason or stanza error condition). */
const END_TEXT = {
	// Jingle reasons (XEP-0166 §7.4). What the gateway maps SIP statuses to
	// is in plugin/jingle_sip/call/reasons.lua (486 -> busy, 404 -> gone, ...).
	success: 'Call ended',
	busy: 'Busy',
	decline: 'Call declined',
	timeout: 'No answer',
	gone: NOT_REACHABLE,
	expired: 'Call expired',
	'connectivity-error': 'Connection lost',
	'failed-transport': 'Could not connect the audio',
	'failed-application': CALL_FAILED,
	'general-error': CALL_FAILED,
	'incompatible-parameters': 'No audio format in common with the other side',
	'unsupported-applications': 'The other side does not take audio calls',
	'unsupported-transports': 'Could not connect the audio',
	'media-error': 'Audio problem',
	'security-error': 'Call refused for security reasons',
	'alternative-session': 'Call moved to another session',
	// Stanza errors a refused call comes back with (the gateway's are in
	// plugin/jingle_sip/policy.lua).
	'not-allowed': 'You are not allowed to call this number',
	forbidden: 'You are not allowed to make calls',
	'not-authorized': 'You are not allowed to make calls',
	'jid-malformed': 'Not a valid phone number',
	'item-not-found': NOT_REACHABLE,
	'recipient-unavailable': NOT_REACHABLE,
	'remote-server-not-found': NOT_REACHABLE,
	'remote-server-timeout': NOT_REACHABLE,
	'service-unavailable': NOT_REACHABLE,
	'resource-constraint': 'Busy: too many calls, try again later',
	'unknown-session': CALL_FAILED,
	// This page's own reasons (another device of the user acted first).
	'answered-elsewhere': 'Answered on another device',
	'declined-elsewhere': 'Declined on another device',
};

/**
 * The status line for a call.
 * @param {{state: string, endReason?: ?string, endedBy?: ?string, direction?: ?string}} call
 * @return {string}
 */
export function callStatusText(call) {
	if (call.state !== 'ended') return STATE_TEXT[call.state] || call.state;
	return endText(call.endReason, call.endedBy, call.direction);
}

/**
 * Human text for the reason a call ended with.
 * @param {?string} reason Jingle reason or stanza error condition
 * @param {?string} [endedBy] 'local' or 'remote'
 * @param {?string} [direction] 'incoming' or 'outgoing'
 * @return {string}
 */
export function endText(reason, endedBy, direction) {
	if (reason === 'cancel') {
		// The caller gave up: for the callee that is a call missed.
		return endedBy === 'remote' && direction === 'incoming' ? 'Missed call' : 'Call cancelled';
	}
	if (reason === 'decline' && endedBy === 'local') return 'Call declined';
	return END_TEXT[reason] || CALL_FAILED;
}
