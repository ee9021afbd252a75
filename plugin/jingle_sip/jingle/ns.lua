-- XML namespaces of the Jingle protocol family, one place for all of them.
-- Each constant cites the specification (and version) that defines it.
return {
	JINGLE = "urn:xmpp:jingle:1",                           -- XEP-0166 v1.1.2
	ERRORS = "urn:xmpp:jingle:errors:1",                    -- XEP-0166 v1.1.2 §10
	STANZA_ERRORS = "urn:ietf:params:xml:ns:xmpp-stanzas",  -- RFC 6120 §8.3
	RTP = "urn:xmpp:jingle:apps:rtp:1",                     -- XEP-0167 v1.2.2
	RTP_INFO = "urn:xmpp:jingle:apps:rtp:info:1",           -- XEP-0167 v1.2.2 §7
	RTP_ERRORS = "urn:xmpp:jingle:apps:rtp:errors:1",       -- XEP-0167 v1.2.2 §9
	RTP_AUDIO = "urn:xmpp:jingle:apps:rtp:audio",           -- XEP-0167 v1.2.2 (disco feature)
	RTP_VIDEO = "urn:xmpp:jingle:apps:rtp:video",           -- XEP-0167 v1.2.2 (disco feature)
	ICE_UDP = "urn:xmpp:jingle:transports:ice-udp:1",       -- XEP-0176 v1.1
	DTLS = "urn:xmpp:jingle:apps:dtls:0",                   -- XEP-0320 v0.4
	RTCP_FB = "urn:xmpp:jingle:apps:rtp:rtcp-fb:0",         -- XEP-0293 v1.0.2
	HDREXT = "urn:xmpp:jingle:apps:rtp:rtp-hdrext:0",       -- XEP-0294 v1.1.1
	DTMF = "urn:xmpp:jingle:dtmf:0",                        -- XEP-0181 v0.12
	SSMA = "urn:xmpp:jingle:apps:rtp:ssma:0",               -- XEP-0339 v1.0.1
	GROUPING = "urn:xmpp:jingle:apps:grouping:0",           -- XEP-0338 v1.0.1
	-- XEP-0353 v0.6+ went back to :0; this is what Conversations 2.12,
	-- Dino, Gajim (nbxmpp), Movim and Monal send.
	JMI = "urn:xmpp:jingle-message:0",
	-- COMPAT: XEP-0353 v0.4/v0.5 namespace (accept instead of proceed);
	-- converse.js' jingle plugin and old Monal builds still send it.
	JMI_1 = "urn:xmpp:jingle-message:1",
	-- COMPAT: legastero/stanza 12.x declares NS_JINGLE_MSG_INITIATE_0 with
	-- this spelling (src/Namespaces.ts); StanzaJS apps may send it.
	JMI_STANZAJS = "urn:xmpp:jingle:jingle-message:0",
	RECEIPTS = "urn:xmpp:receipts",                         -- XEP-0184 v1.4
	HINTS = "urn:xmpp:hints",                               -- XEP-0334 v0.3
	CARBONS = "urn:xmpp:carbons:2",                         -- XEP-0280 v1.0
	FORWARD = "urn:xmpp:forward:0",                         -- XEP-0297 v1.0
}
