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

	describe("#from_dialled()", function()
		-- dialled text, default country, canonical number
		local cases = {
			{ "(555) 010-0100", "US", "+15550100100", "NANP national number" },
			{ "1 555 010 0100", "US", "+15550100100", "NANP with its trunk prefix 1" },
			{ "555.010.0100", "CA", "+15550100100", "Canada shares the NANP" },
			{ "011 44 20 7946 0958", "US", "+442079460958", "NANP international prefix 011" },
			{ "+44 20 7946 0958", "US", "+442079460958", "+ is international whatever the country" },
			{ "0044 20 7946 0958", "US", "+442079460958", "00 is taken as international" },
			{ "020 7946 0958", "GB", "+442079460958", "UK trunk prefix 0 dropped" },
			{ "030 1234567", "DE", "+49301234567", "German trunk prefix 0 dropped" },
			{ "01 23 45 67 89", "FR", "+33123456789", "French trunk prefix 0 dropped" },
			{ "06 1234 5678", "IT", "+390612345678", "Italy keeps the leading 0" },
			{ "912 345 678", "ES", "+34912345678", "Spain has no trunk prefix" },
			{ "0011 1 555 010 0100", "AU", "+15550100100", "Australia's 0011 (it starts with 00 too)" },
			{ "(02) 9876 5432", "AU", "+61298765432", "Australian trunk prefix 0 dropped" },
			{ "+1 555 010 0100", nil, "+15550100100", "no default country: international still works" },
			{ "00 33 1 23 45 67 89", nil, "+33123456789", "no default country: 00 still works" },
		}
		for _, case in ipairs(cases) do
			it("should read " .. case[1] .. " (" .. case[4] .. ")", function()
				local number, _, text = numbers.from_dialled(case[1], case[2])
				assert.equal(case[3], number, text)
			end)
		end

		it("should refuse a national number without a default country instead of guessing", function()
			local n, code, text = numbers.from_dialled("(555) 010-0100", nil)
			assert.is_nil(n)
			assert.equal(numbers.ERR_NO_COUNTRY, code)
			assert.matches("no default country", text)
			assert.matches("%+ and the country code", text)
		end)

		it("should refuse a national number of the wrong length, naming the country's length", function()
			local n, code, text = numbers.from_dialled("555 0100", "US")
			assert.is_nil(n)
			assert.equal(numbers.ERR_NATIONAL_LENGTH, code)
			assert.matches("has 7 digits", text)
			assert.matches("the United States has 10", text)
			n, code = numbers.from_dialled("020 7946 09581234", "GB")
			assert.is_nil(n)
			assert.equal(numbers.ERR_NATIONAL_LENGTH, code)
		end)

		it("should refuse a national number that cannot start that way", function()
			local n, code, text = numbers.from_dialled("155 010 0100", "US")
			assert.is_nil(n, "NANP area codes start with 2-9")
			assert.equal(numbers.ERR_NOT_E164, code)
			assert.matches("does not start with 1", text)
		end)

		it("should refuse the (0) after a country code rather than drop it", function()
			local n, code, text = numbers.from_dialled("+44 (0)20 7946 0958", "GB")
			assert.is_nil(n)
			assert.equal(numbers.ERR_NOT_E164, code)
			assert.matches("leave out the %(0%)", text)
		end)

		it("should refuse letters, short codes, empty input and over-long international numbers", function()
			for _, case in ipairs({ { "1-800-FLOWERS", "US" }, { "911", "US" }, { "*67", "US" }, { "", "US" },
				{ "   ", "US" }, { "+1234567890123456", "US" }, { "+0 555", "US" }, { "+", nil } }) do
				local n, code, text = numbers.from_dialled(case[1], case[2])
				assert.is_nil(n, case[1])
				assert.is_string(code, case[1])
				assert.is_string(text, case[1])
			end
			local n, code = numbers.from_dialled(nil, "US")
			assert.is_nil(n)
			assert.equal(numbers.ERR_EMPTY, code)
		end)

		it("should give every country a calling code, a trunk prefix and a sane length range", function()
			for iso, plan in pairs(numbers.countries) do
				assert.matches("^[A-Z][A-Z]$", iso)
				assert.matches("^[1-9]%d?%d?$", plan.code, iso)
				assert.matches("^%d*$", plan.trunk, iso)
				assert.is_true(plan.min <= plan.max and #plan.code + plan.max <= numbers.MAX_DIGITS, iso)
			end
		end)
	end)

	it("#to_jid() should build the phone JID", function()
		assert.equal("+15551234567@phone.example.net", numbers.to_jid("+15551234567", "phone.example.net"))
	end)
end)
