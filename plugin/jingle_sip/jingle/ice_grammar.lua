-- The grammar of the ICE and DTLS values a client signals, checked before
-- any of them reaches the relay (or an SDP line the relay parses).
--
-- RFC 8839 §5.4: ice-ufrag = 4*256ice-char, ice-pwd = 22*256ice-char,
--   ice-char = ALPHA / DIGIT / "+" / "/"
-- RFC 8839 §5.1: foundation = 1*32ice-char
-- RFC 8122 §5: fingerprint = hash-func SP 2UHEX *(":" 2UHEX), the hash
--   functions of RFC 3279 and later (we accept sha-1 .. sha-512, the ones
--   OpenSSL verifies in the relay); the hex is as long as the digest.
-- RFC 4145 §4 / XEP-0320: setup = active / passive / actpass / holdconn.
--
-- Each check returns true, or nil and a sentence saying what was wrong (for
-- the bad-request text the client gets).

local type, tostring = type, tostring

local M = {}

M.UFRAG_MIN, M.UFRAG_MAX = 4, 256
M.PWD_MIN, M.PWD_MAX = 22, 256
M.FOUNDATION_MAX = 32
-- Longest address text we pass on: a DNS name (253) covers every IP form.
M.ADDRESS_MAX = 253

-- Digest length in bytes of each hash function a fingerprint may name.
M.HASH_BYTES = { ["sha-1"] = 20, ["sha-224"] = 28, ["sha-256"] = 32, ["sha-384"] = 48, ["sha-512"] = 64 }

local SETUPS = { active = true, passive = true, actpass = true, holdconn = true }

local function ice_chars(s, min, max, what)
	if type(s) ~= "string" then return nil, what .. " is missing" end
	if #s < min or #s > max then
		return nil, ("%s must be %d-%d characters (RFC 8839), not %d"):format(what, min, max, #s)
	end
	if s:find("[^A-Za-z0-9+/]") then
		return nil, what .. " may contain only letters, digits, '+' and '/' (RFC 8839 ice-char)"
	end
	return true
end

function M.ufrag(s) return ice_chars(s, M.UFRAG_MIN, M.UFRAG_MAX, "ICE ufrag") end
function M.pwd(s) return ice_chars(s, M.PWD_MIN, M.PWD_MAX, "ICE pwd") end
function M.foundation(s) return ice_chars(s, 1, M.FOUNDATION_MAX, "candidate foundation") end

--- An IP address (or the mDNS name a browser hides it behind): the
-- characters of IPv4, IPv6 (with a zone) and DNS names only, so it can
-- never break the SDP candidate line it becomes.
function M.address(s, what)
	what = what or "candidate address"
	if type(s) ~= "string" or s == "" then return nil, what .. " is missing" end
	if #s > M.ADDRESS_MAX then
		return nil, ("%s is longer than %d characters"):format(what, M.ADDRESS_MAX)
	end
	if s:find("[^A-Za-z0-9.:%%_-]") then
		return nil, what .. " is not an IP address or host name"
	end
	return true
end

--- A transport protocol token of a candidate ("udp", "tcp", ...).
function M.protocol(s)
	if s == nil then return true end
	if type(s) ~= "string" or not s:match("^[A-Za-z0-9]+$") or #s > 16 then
		return nil, "candidate protocol is not a transport token"
	end
	return true
end

--- fp = { hash, value, setup } as parsed from XEP-0320.
function M.fingerprint(fp)
	local hash = type(fp.hash) == "string" and fp.hash:lower() or nil
	local bytes = hash and M.HASH_BYTES[hash]
	if not bytes then
		return nil, ("fingerprint hash %s is not one of sha-1, sha-224, sha-256, sha-384, sha-512 (RFC 8122)")
			:format(tostring(fp.hash))
	end
	local value = fp.value
	if type(value) ~= "string" or not value:match("^%x%x" .. (":%x%x"):rep(bytes - 1) .. "$") then
		return nil, ("%s fingerprint must be %d hex pairs separated by colons (RFC 8122)"):format(hash, bytes)
	end
	if fp.setup ~= nil and not SETUPS[fp.setup] then
		return nil, "fingerprint setup must be active, passive, actpass or holdconn"
	end
	return true
end

return M
