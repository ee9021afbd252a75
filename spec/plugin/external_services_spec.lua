-- STUN/TURN for the relay from the XEP-0215 options Prosody already has.
local ext = require "jingle_sip.external_services"
local hashes = require "util.hashes"
local base64 = require "util.encodings".base64

local NOW = 1700000000

local function getter(options)
	return function(name) return options[name] end
end

describe("jingle_sip.external_services #lua54", function()
	it("should give the relay nothing when no external services are configured", function()
		local media, notes = ext.relay_media(getter({}), NOW)
		assert.same({}, media)
		assert.same({}, notes)
	end)

	it("should take the first UDP STUN and TURN entries with static credentials", function()
		local media, notes = ext.relay_media(getter({ external_services = {
			{ type = "stun", transport = "udp", host = "192.0.2.10", port = 3478 },
			{ type = "stun", transport = "udp", host = "192.0.2.11", port = 3479 },
			{ type = "turns", transport = "tcp", host = "192.0.2.12", port = 5349, username = "u", password = "p" },
			{ type = "turn", transport = "udp", host = "2001:db8::1", port = 3480, username = "relay", password = "pw" },
		} }), NOW)
		assert.same({ stun_server = "192.0.2.10", stun_port = 3478, turn_server = "2001:db8::1", turn_port = 3480,
			turn_username = "relay", turn_password = "pw" }, media)
		assert.same({}, notes)
	end)

	it("should mint TURN REST credentials from a secret as mod_external_services does", function()
		local media = ext.relay_media(getter({ external_services = {
			{ type = "turn", transport = "udp", host = "192.0.2.20", port = 3478, secret = "s3cret", username = "gw" },
		} }), NOW)
		local expires = NOW + ext.RELAY_CREDENTIAL_LIFETIME
		assert.equal(("%d:gw"):format(expires), media.turn_username)
		assert.equal(base64.encode(hashes.hmac_sha1("s3cret", media.turn_username)), media.turn_password)
	end)

	it("should use external_service_secret, _host and _port for entries that leave them out", function()
		local media = ext.relay_media(getter({
			external_service_host = "198.51.100.7", external_service_port = 3500,
			external_service_secret = "shared",
			external_services = { { type = "stun", transport = "udp" }, { type = "turn", transport = "udp", secret = true } },
		}), NOW)
		assert.equal("198.51.100.7", media.stun_server)
		assert.equal(3500, media.stun_port)
		assert.equal("198.51.100.7", media.turn_server)
		assert.equal(tostring(NOW + ext.RELAY_CREDENTIAL_LIFETIME), media.turn_username)
		assert.equal(base64.encode(hashes.hmac_sha1("shared", media.turn_username)), media.turn_password)
	end)

	it("should take mod_turn_external's options (UDP STUN and TURN, port 3478 by default)", function()
		local media, notes = ext.relay_media(getter({ turn_external_secret = "abc",
			turn_external_host = "203.0.113.5" }), NOW)
		assert.same({}, notes)
		assert.equal("203.0.113.5", media.stun_server)
		assert.equal(3478, media.stun_port)
		assert.equal("203.0.113.5", media.turn_server)
		assert.equal(3478, media.turn_port)
		assert.equal(base64.encode(hashes.hmac_sha1("abc", media.turn_username)), media.turn_password)
	end)

	it("should skip a host name with a note, and use the next entry that has an IP", function()
		local media, notes = ext.relay_media(getter({ external_services = {
			{ type = "stun", transport = "udp", host = "stun.example.net", port = 3478 },
			{ type = "stun", transport = "udp", host = "192.0.2.30", port = 3478 },
		} }), NOW)
		assert.equal("192.0.2.30", media.stun_server)
		assert.equal(1, #notes)
		assert.truthy(notes[1]:find("stun stun.example.net:3478: the relay needs an IP address", 1, true), notes[1])
	end)

	it("should skip TURN without credentials, TCP entries and bad ports, saying why", function()
		local media, notes = ext.relay_media(getter({ external_services = {
			{ type = "turn", transport = "udp", host = "192.0.2.40", port = 3478 },
			{ type = "turn", transport = "tcp", host = "192.0.2.41", port = 3478, username = "u", password = "p" },
			{ type = "stun", transport = "udp", host = "192.0.2.42", port = 70000 },
			"not a table",
		} }), NOW)
		assert.same({}, media)
		assert.equal(4, #notes)
		assert.truthy(notes[1]:find("has no credentials", 1, true))
		assert.truthy(notes[2]:find("UDP only", 1, true))
		assert.truthy(notes[3]:find("port must be 1-65535", 1, true))
		assert.truthy(notes[4]:find("not a table", 1, true))
	end)

	it("should say turn_external_host is needed when only the secret is set", function()
		local media, notes = ext.relay_media(getter({ turn_external_secret = "abc" }), NOW)
		assert.same({}, media)
		assert.truthy(notes[1]:find("without turn_external_host", 1, true), notes[1])
	end)
end)
