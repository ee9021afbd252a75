// Turns an RTCStatsReport into the few facts a person debugging a call wants:
// ICE and DTLS state, the selected candidate pair and the audio counters.

function pick(obj, keys) {
	const out = {};
	for (const k of keys) if (obj && obj[k] !== undefined) out[k] = obj[k];
	return out;
}

function candidate(c) {
	if (!c) return null;
	return {
		address: c.address ?? c.ip ?? c.ipAddress,
		port: c.port ?? c.portNumber,
		protocol: c.protocol,
		type: c.candidateType,
	};
}

/**
 * @param {RTCStatsReport|Map|Array} report from RTCPeerConnection.getStats()
 * @return {{iceState: ?string, dtlsState: ?string, dtlsRole: ?string,
 *   selectedPair: ?object, audio: {inbound: ?object, outbound: ?object, codec: ?string}}}
 */
export function summarizeStats(report) {
	const byId = new Map();
	const all = [];
	const entries = report instanceof Map || (report && typeof report.forEach === 'function' && !Array.isArray(report))
		? (() => { const a = []; report.forEach(v => a.push(v)); return a; })()
		: report || [];
	for (const s of entries) {
		byId.set(s.id, s);
		all.push(s);
	}
	const transport = all.find(s => s.type === 'transport');
	let pair = null;
	if (transport && transport.selectedCandidatePairId) pair = byId.get(transport.selectedCandidatePairId);
	// Firefox has no transport stats: its selected pair carries selected=true.
	if (!pair) pair = all.find(s => s.type === 'candidate-pair' && (s.selected || s.nominated) && s.state === 'succeeded');
	const inbound = all.find(s => s.type === 'inbound-rtp' && (s.kind ?? s.mediaType) === 'audio');
	const outbound = all.find(s => s.type === 'outbound-rtp' && (s.kind ?? s.mediaType) === 'audio');
	const codecStat = inbound && inbound.codecId ? byId.get(inbound.codecId)
		: outbound && outbound.codecId ? byId.get(outbound.codecId) : null;
	return {
		iceState: transport ? transport.iceState ?? null : null,
		dtlsState: transport ? transport.dtlsState ?? null : null,
		dtlsRole: transport ? transport.dtlsRole ?? null : null,
		selectedPair: pair ? {
			state: pair.state,
			nominated: !!pair.nominated,
			local: candidate(byId.get(pair.localCandidateId)),
			remote: candidate(byId.get(pair.remoteCandidateId)),
			bytesSent: pair.bytesSent,
			bytesReceived: pair.bytesReceived,
			rtt: pair.currentRoundTripTime,
		} : null,
		audio: {
			inbound: inbound ? pick(inbound, ['packetsReceived', 'packetsLost', 'bytesReceived', 'jitter']) : null,
			outbound: outbound ? pick(outbound, ['packetsSent', 'bytesSent']) : null,
			codec: codecStat ? `${(codecStat.mimeType || '').replace(/^audio\//, '')}/${codecStat.clockRate}` : null,
		},
	};
}

/** One line for the stats panel, e.g. "udp host 127.0.0.1:5000 -> host 127.0.0.1:6000". */
export function describePair(pair) {
	if (!pair || !pair.local || !pair.remote) return '—';
	const l = pair.local, r = pair.remote;
	return `${l.protocol || '?'} ${l.type || '?'} ${l.address}:${l.port} → ${r.type || '?'} ${r.address}:${r.port}`;
}
