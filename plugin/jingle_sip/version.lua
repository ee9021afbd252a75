-- What this module is and announces. One place, shared by the module and the specs.
return {
	module = "0.1.0",
	-- Features every client needs to see before it offers a call
	-- (docs/INTEROP.md#12: Conversations shows the call button on these).
	disco_features = {
		"urn:xmpp:jingle:1",                         -- XEP-0166
		"urn:xmpp:jingle:apps:rtp:1",                -- XEP-0167
		"urn:xmpp:jingle:apps:rtp:audio",            -- XEP-0167
		"urn:xmpp:jingle:transports:ice-udp:1",      -- XEP-0176
		"urn:xmpp:jingle:apps:dtls:0",               -- XEP-0320
		"urn:xmpp:jingle-message:0",                 -- XEP-0353
		"urn:xmpp:jingle:apps:rtp:rtcp-fb:0",        -- XEP-0293
		"urn:xmpp:jingle:apps:rtp:rtp-hdrext:0",     -- XEP-0294
		"urn:xmpp:jingle:apps:grouping:0",           -- XEP-0338
		"urn:ietf:rfc:5888",                         -- XEP-0338 (BUNDLE semantics)
	},
}
