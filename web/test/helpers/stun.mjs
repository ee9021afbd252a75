/**
 * STUN Binding requests (RFC 5389) found in a capture file: for each, the
 * attribute types it carries. A byte scan for the header (type 0x0001 +
 * magic cookie) is enough on loopback, where every packet is whole.
 */
export function stunBindingRequests(buf) {
	const found = [];
	for (let o = buf.indexOf(Buffer.from([0x21, 0x12, 0xa4, 0x42])); o >= 4; o = buf.indexOf(Buffer.from([0x21, 0x12, 0xa4, 0x42]), o + 1)) {
		const start = o - 4;
		if (buf.readUInt16BE(start) !== 0x0001) continue;
		const len = buf.readUInt16BE(start + 2);
		if (len % 4 || start + 20 + len > buf.length) continue;
		const attrs = [];
		for (let a = start + 20; a + 4 <= start + 20 + len;) {
			const type = buf.readUInt16BE(a), alen = buf.readUInt16BE(a + 2);
			attrs.push(type);
			a += 4 + Math.ceil(alen / 4) * 4;
		}
		found.push(attrs);
	}
	return found;
}
