-- RFC 8839 / RFC 8122 limits on what a client signals (issue 15, item 2):
-- values inside the grammar pass whole, values outside it are a bad-request
-- with a text naming what was wrong, before any relay call could exist.
local parse = require "jingle_sip.jingle.parse"
local errors = require "jingle_sip.jingle.errors"
local xml = require "util.xml"

local ICE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

-- n ice-chars, every one of them used.
local function chars(n)
	local out = {}
	for i = 1, n do
		local k = (i - 1) % #ICE_CHARS + 1
		out[i] = ICE_CHARS:sub(k, k)
	end
	return table.concat(out)
end

local function hex_pairs(n)
	local out = {}
	for i = 1, n do out[i] = ("%02X"):format((i * 37) % 256) end
	return table.concat(out, ":")
end

local function initiate(o)
	o = o or {}
	local cand = ("<candidate component='1' foundation='%s' generation='0' id='c1' ip='%s' network='0'"
		.. " port='40000' priority='2130706431' protocol='udp' type='host'/>"):format(
		o.foundation or "842163049", o.ip or "192.0.2.10")
	local text = ("<iq xmlns='jabber:client' type='set' id='x' from='a@example.org/r' to='+15551234@phone.example.org'>"
		.. "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' sid='s1'>"
		.. "<content creator='initiator' name='0'>"
		.. "<description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'>"
		.. "<payload-type id='0' name='PCMU' clockrate='8000'/></description>"
		.. "<transport xmlns='urn:xmpp:jingle:transports:ice-udp:1' ufrag='%s' pwd='%s'>"
		.. "<fingerprint xmlns='urn:xmpp:jingle:apps:dtls:0' hash='%s' setup='%s'>%s</fingerprint>%s"
		.. "</transport></content></jingle></iq>"):format(
		o.ufrag or chars(4), o.pwd or chars(22), o.hash or "sha-256", o.setup or "actpass",
		o.fingerprint or hex_pairs(32), cand)
	return assert(xml.parse(text))
end

local function transport_of(session) return session.contents[1].transport end

describe("jingle.parse ICE/DTLS grammar (RFC 8839, RFC 8122)", function()
	describe("ufrag", function()
		it("should accept 4 and 256 ice-chars, every one of them", function()
			for _, n in ipairs({ 4, 100, 256 }) do
				local s, err = parse.jingle(initiate({ ufrag = chars(n) }))
				assert.is_table(s, "ufrag of " .. n .. ": " .. tostring(err and err.text))
				assert.equal(chars(n), transport_of(s).ufrag)
			end
		end)

		it("should refuse 3 and 257 characters with a bad-request naming the limit", function()
			for _, n in ipairs({ 3, 257, 300 }) do
				local s, err = parse.jingle(initiate({ ufrag = chars(n) }))
				assert.is_nil(s)
				assert.equal("bad-request", err.condition)
				assert.equal(("ICE ufrag must be 4-256 characters (RFC 8839), not %d"):format(n), err.text)
			end
		end)

		it("should refuse characters outside ice-char", function()
			for _, bad in ipairs({ "abc-d", "abcd efgh", "abc_d", "abcd=", "abcd\194\169" }) do
				local s, err = parse.jingle(initiate({ ufrag = bad }))
				assert.is_nil(s, bad)
				assert.matches("ICE ufrag may contain only", err.text)
			end
		end)
	end)

	describe("pwd", function()
		it("should accept 22 and 256 ice-chars", function()
			for _, n in ipairs({ 22, 256 }) do
				local s = parse.jingle(initiate({ pwd = chars(n) }))
				assert.is_table(s, "pwd of " .. n)
				assert.equal(chars(n), transport_of(s).pwd)
			end
		end)

		it("should refuse 21 and 257 characters and bad characters", function()
			for _, pwd in ipairs({ chars(21), chars(257), chars(21) .. "!" }) do
				local s, err = parse.jingle(initiate({ pwd = pwd }))
				assert.is_nil(s)
				assert.equal("bad-request", err.condition)
				assert.matches("^ICE pwd ", err.text)
			end
		end)
	end)

	describe("fingerprint", function()
		it("should accept every hash from sha-1 to sha-512 at its own length", function()
			for hash, bytes in pairs({ ["sha-1"] = 20, ["sha-224"] = 28, ["sha-256"] = 32, ["sha-384"] = 48,
				["sha-512"] = 64, ["SHA-512"] = 64 }) do
				local s, err = parse.jingle(initiate({ hash = hash, fingerprint = hex_pairs(bytes) }))
				assert.is_table(s, hash .. ": " .. tostring(err and err.text))
				assert.equal(hex_pairs(bytes), transport_of(s).fingerprints[1].value)
			end
		end)

		it("should refuse unknown hashes, wrong lengths and malformed hex", function()
			local cases = {
				{ hash = "md5", fingerprint = hex_pairs(16), text = "fingerprint hash md5 is not one of" },
				{ hash = "sha-512", fingerprint = hex_pairs(32), text = "sha-512 fingerprint must be 64 hex pairs" },
				{ hash = "sha-256", fingerprint = hex_pairs(33), text = "sha-256 fingerprint must be 32 hex pairs" },
				{ hash = "sha-256", fingerprint = hex_pairs(32):gsub(":", "", 1), text = "must be 32 hex pairs" },
				{ hash = "sha-256", fingerprint = "G" .. hex_pairs(32):sub(2), text = "must be 32 hex pairs" },
				{ hash = "sha-256", setup = "sideways", text = "setup must be active, passive" },
			}
			for _, c in ipairs(cases) do
				local s, err = parse.jingle(initiate(c))
				assert.is_nil(s, c.text)
				assert.equal("bad-request", err.condition)
				assert.matches(c.text, err.text, 1, true)
			end
		end)
	end)

	describe("candidate", function()
		it("should accept a foundation of 1 and 32 ice-chars", function()
			for _, n in ipairs({ 1, 32 }) do
				local s = parse.jingle(initiate({ foundation = chars(n) }))
				assert.is_table(s, "foundation of " .. n)
				assert.equal(chars(n), transport_of(s).candidates[1].foundation)
			end
		end)

		it("should refuse a foundation of 33 characters or with a space", function()
			for _, f in ipairs({ chars(33), "1 2" }) do
				local s, err = parse.jingle(initiate({ foundation = f }))
				assert.is_nil(s, f)
				assert.matches("^candidate foundation ", err.text)
			end
		end)

		it("should refuse an address that could break the SDP candidate line", function()
			for _, ip in ipairs({ "192.0.2.1 1 udp", "a\nb", ("a"):rep(254) }) do
				local s, err = parse.jingle(initiate({ ip = ip }))
				assert.is_nil(s, ip)
				assert.matches("^candidate address ", err.text)
			end
		end)
	end)

	it("should make the refusal an XEP-0166 bad-request reply with the text", function()
		local request = initiate({ ufrag = chars(300) })
		local _, err = parse.jingle(request)
		local reply = errors.reply(request, err)
		assert.equal("error", reply.attr.type)
		assert.equal("x", reply.attr.id)
		local e = reply:get_child("error")
		assert.equal("modify", e.attr.type)
		assert.is_table(e:get_child("bad-request", "urn:ietf:params:xml:ns:xmpp-stanzas"))
		assert.equal("ICE ufrag must be 4-256 characters (RFC 8839), not 300",
			e:get_child_text("text", "urn:ietf:params:xml:ns:xmpp-stanzas"))
	end)
end)
