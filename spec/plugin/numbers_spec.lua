-- Phone numbers and phone JIDs (plugin/jingle_sip/numbers.lua): only the
-- canonical E.164 form is a phone JID; everything else is a clear error.
local numbers = require "jingle_sip.numbers"

describe("jingle_sip.numbers", function()
	describe("#parse()", function()
		it("should accept canonical E.164 numbers of 7 to 15 digits", function()
			assert.equal("+15551234567", numbers.parse("+15551234567"))
			assert.equal("+6834002", numbers.parse("+6834002"), "Niue, 7 digits")
			assert.equal("+123456789012345", numbers.parse("+123456789012345"), "15 digits")
		end)

		it("should refuse digits without + and say how to write the number", function()
			local n, code, text = numbers.parse("15551234567")
			assert.is_nil(n)
			assert.equal(numbers.ERR_NOT_E164, code)
			assert.matches("without a leading %+", text)
			assert.matches("country code", text)
		end)

		it("should refuse international dialling prefixes (00, 011) instead of guessing", function()
			for _, s in ipairs({ "0015551234567", "01115551234567" }) do
				local n, code, text = numbers.parse(s)
				assert.is_nil(n, s)
				assert.equal(numbers.ERR_NOT_E164, code, s)
				assert.matches("international dialling prefix", text, 1, s)
			end
		end)

		it("should refuse a country code starting with 0", function()
			local n, code = numbers.parse("+0155512345")
			assert.is_nil(n)
			assert.equal(numbers.ERR_NOT_E164, code)
		end)

		it("should refuse too short and too long numbers with the digit count", function()
			local n, code, text = numbers.parse("+123456")
			assert.is_nil(n)
			assert.equal(numbers.ERR_TOO_SHORT, code)
			assert.matches("6 digits", text)
			n, code, text = numbers.parse("+1234567890123456")
			assert.is_nil(n)
			assert.equal(numbers.ERR_TOO_LONG, code)
			assert.matches("16 digits", text)
		end)

		it("should refuse separators, letters, short codes and empty input", function()
			for _, s in ipairs({ "+1-555-123-4567", "+1555CALLNOW", "911", "112", "*67", "", "+",
				"+1555123456 7", "+15551234567\n", "++15551234567" }) do
				local n, code, text = numbers.parse(s)
				assert.is_nil(n, s)
				assert.is_string(code, s)
				assert.is_string(text, s)
			end
			local n, code = numbers.parse(nil)
			assert.is_nil(n)
			assert.equal(numbers.ERR_EMPTY, code)
		end)
	end)

	describe("#normalize()", function()
		it("should strip visual separators from operator input", function()
			assert.equal("+15551234567", numbers.normalize("+1 (555) 123-4567"))
			assert.equal("+15551234567", numbers.normalize("+1.555.123.4567"))
			assert.equal("+442071234567", numbers.normalize("+44 20 7123 4567"))
		end)

		it("should still require the + and name the operator's spelling in the error", function()
			local n, code, text = numbers.normalize("555 123 4567")
			assert.is_nil(n)
			assert.equal(numbers.ERR_NOT_E164, code)
			assert.truthy(text:find('"555 123 4567"', 1, true), text)
		end)

		it("should refuse a Lua number (the + is lost and digits may be rounded)", function()
			local n, code, text = numbers.normalize(15551234567)
			assert.is_nil(n)
			assert.equal(numbers.ERR_NOT_E164, code)
			assert.matches("string", text)
		end)
	end)

	describe("#from_jid()", function()
		local host = "phone.example.net"

		it("should return the number of a phone JID, bare or full", function()
			assert.equal("+15551234567", numbers.from_jid("+15551234567@phone.example.net", host))
			assert.equal("+15551234567", numbers.from_jid("+15551234567@phone.example.net/x", host))
		end)

		it("should refuse the component itself and other hosts", function()
			local n, code = numbers.from_jid("phone.example.net", host)
			assert.is_nil(n)
			assert.equal(numbers.ERR_EMPTY, code)
			n, code = numbers.from_jid("+15551234567@example.net", host)
			assert.is_nil(n)
			assert.equal(numbers.ERR_WRONG_HOST, code)
		end)

		it("should refuse digits-only nodes with the canonical JID form in the text", function()
			local n, code, text = numbers.from_jid("15551234567@phone.example.net", host)
			assert.is_nil(n)
			assert.equal(numbers.ERR_NOT_E164, code)
			assert.truthy(text:find("+15551234567@phone.example.net", 1, true), text)
		end)

		it("should refuse a node that is not a number", function()
			local n, code = numbers.from_jid("alice@phone.example.net", host)
			assert.is_nil(n)
			assert.equal(numbers.ERR_NOT_E164, code)
		end)
	end)

	it("#to_jid() should build the phone JID", function()
		assert.equal("+15551234567@phone.example.net", numbers.to_jid("+15551234567", "phone.example.net"))
	end)
end)
