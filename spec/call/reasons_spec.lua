local reasons = require "jingle_sip.call.reasons"

describe("jingle_sip.call.reasons", function()
	describe("#from_sip()", function()
		it("should map each SIP failure a caller can meet to the Jingle reason clients show", function()
			local cases = {
				{ 486, "Busy Here", "busy" }, { 600, "Busy Everywhere", "busy" },
				{ 603, "Decline", "decline" }, { 403, "Forbidden", "decline" },
				{ 480, "Temporarily Unavailable", "timeout" }, { 408, "Request Timeout", "timeout" },
				{ 404, "Not Found", "gone" }, { 484, "Address Incomplete", "gone" },
				{ 488, "Not Acceptable Here", "incompatible-parameters" },
				{ 503, "Service Unavailable", "general-error" }, { 500, "Server Error", "general-error" },
				{ 487, "Request Terminated", "cancel" },
			}
			for _, c in ipairs(cases) do
				local condition, text = reasons.from_sip(c[1], c[2])
				assert.equal(c[3], condition, "status " .. c[1])
				assert.equal(("SIP %d %s"):format(c[1], c[2]), text)
			end
		end)

		it("should fall back to general-error with the bare status for odd input", function()
			assert.same({ "general-error", "SIP 499" }, { reasons.from_sip(499) })
			assert.same({ "general-error", "SIP 0" }, { reasons.from_sip("junk") })
		end)
	end)

	describe("#to_sip()", function()
		it("should reject unanswered inbound calls with the status phones expect", function()
			assert.same({ 486, "Busy Here" }, { reasons.to_sip("busy") })
			assert.same({ 603, "Decline" }, { reasons.to_sip("decline") })
			assert.same({ 480, "Temporarily Unavailable" }, { reasons.to_sip("timeout") })
			assert.same({ 500, "Server Internal Error" }, { reasons.to_sip("no-such-reason") })
		end)
	end)
end)
