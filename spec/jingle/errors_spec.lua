local H = dofile("spec/jingle/helper.lua")
local parse = require "jingle_sip.jingle.parse"
local errors = require "jingle_sip.jingle.errors"
local st = require "util.stanza"

local function request()
	return st.iq({ type = "set", id = "r1", from = "alice@example.org/phone", to = "+1555@phone.example.net" })
		:tag("jingle", { xmlns = "urn:xmpp:jingle:1", action = "session-info", sid = "s1" }):up()
end

describe("jingle.errors", function()
	describe("#reply()", function()
		it("should answer a parse error with a plain bad-request carrying the text", function()
			local _, err = parse.jingle(st.iq({ type = "set", id = "r1" })
				:tag("jingle", { xmlns = "urn:xmpp:jingle:1", action = "session-info" }):up())
			local reply = errors.reply(request(), err)
			assert.equal("<iq from='+1555@phone.example.net' id='r1' to='alice@example.org/phone' type='error'>"
				.. "<error type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
				.. "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>jingle element without sid</text></error></iq>",
				H.canon(reply))
		end)

		local expected = {
			["unknown-session"] = { "item-not-found", "cancel" },
			["out-of-order"] = { "unexpected-request", "wait" },
			["tie-break"] = { "conflict", "cancel" },
			["unsupported-info"] = { "feature-not-implemented", "modify" },
		}
		for jingle_condition, pair in pairs(expected) do
			it("should pair " .. jingle_condition .. " with " .. pair[1] .. " type " .. pair[2], function()
				local reply = errors.reply(request(), jingle_condition)
				assert.equal(("<iq from='+1555@phone.example.net' id='r1' to='alice@example.org/phone' type='error'>"
					.. "<error type='%s'><%s xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
					.. "<%s xmlns='urn:xmpp:jingle:errors:1'/></error></iq>"):format(pair[2], pair[1], jingle_condition),
					H.canon(reply))
				assert.same({ condition = pair[1], jingle_condition = jingle_condition, type = pair[2] },
					errors.condition_of(H.rewire(reply)))
			end)
		end

		it("should offer shortcuts named like the XEP", function()
			assert.same({ condition = "item-not-found", jingle_condition = "unknown-session", type = "cancel" },
				errors.condition_of(errors.unknown_session(request())))
			assert.same({ condition = "unexpected-request", jingle_condition = "out-of-order", type = "wait" },
				errors.condition_of(errors.out_of_order(request())))
			assert.same({ condition = "conflict", jingle_condition = "tie-break", type = "cancel" },
				errors.condition_of(errors.tie_break(request())))
			assert.same({ condition = "feature-not-implemented", jingle_condition = "unsupported-info", type = "modify" },
				errors.condition_of(errors.unsupported_info(request())))
			assert.same({ condition = "bad-request", text = "no", type = "modify" },
				errors.condition_of(errors.bad_request(request(), "no")))
		end)

		it("should refuse to answer what is not an iq request", function()
			assert.is_nil(errors.reply(st.message({ id = "m" }), "out-of-order"))
			assert.is_nil(errors.reply(st.iq({ type = "result", id = "x" }), "out-of-order"))
			assert.is_nil(errors.reply(nil, nil))
		end)
	end)
end)
