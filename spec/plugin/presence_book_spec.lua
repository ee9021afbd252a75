-- The presence owners share with the component (XEP-0100 style): what it
-- keeps per resource, when "nobody online" can be said, and its bounds.
local book_mod = require "jingle_sip.presence_book"
local st = require "util.stanza"

local CAPS = "http://jabber.org/protocol/caps"

local function presence(from, type, priority, ver)
	local p = st.presence({ from = from, to = "phone.example.net", type = type })
	if priority then p:text_tag("priority", tostring(priority)) end
	if ver then p:tag("c", { xmlns = CAPS, hash = "sha-1", node = "https://client", ver = ver }):up() end
	return p
end

describe("jingle_sip.presence_book #lua54", function()
	local owners = { ["carol@users.example"] = true }
	local function is_owner(bare) return owners[bare] == true end

	it("should know nothing of an owner who never shared presence", function()
		local book = book_mod.new(is_owner)
		assert.equal("unknown", book:reachability("carol@users.example"))
		assert.same({}, book:devices("carol@users.example"))
	end)

	it("should keep each available resource with its priority and caps, and drop unavailable ones", function()
		local book = book_mod.new(is_owner)
		assert.is_true(book:observe(presence("carol@users.example/phone", nil, 5, "abc=")))
		assert.is_true(book:observe(presence("carol@users.example/laptop", nil, nil, nil)))
		assert.equal("online", book:reachability("carol@users.example"))
		assert.same({
			{ jid = "carol@users.example/laptop", priority = 0 },
			{ jid = "carol@users.example/phone", priority = 5,
				caps = { node = "https://client", ver = "abc=", hash = "sha-1" } },
		}, book:devices("carol@users.example"))
		book:observe(presence("carol@users.example/phone", "unavailable"))
		book:observe(presence("carol@users.example/laptop", "unavailable"))
		assert.equal("offline", book:reachability("carol@users.example"))
	end)

	it("should say offline once the owner approved the subscription and nothing is online", function()
		local book = book_mod.new(is_owner)
		book:observe(presence("carol@users.example", "subscribed"))
		assert.equal("offline", book:reachability("carol@users.example"))
		book:observe(presence("carol@users.example", "unsubscribed"))
		assert.equal("unknown", book:reachability("carol@users.example"))
	end)

	it("should take a subscribed only from an owner the component asked", function()
		local book = book_mod.new(is_owner)
		local store = { data = {} }
		function store:get(k) return self.data[k] end
		function store:set(k, v) self.data[k] = v; return true end
		local sent = {}
		local ask
		ask, book.asked = book_mod.asker(store, "phone.example.net", function(s) sent[#sent + 1] = s end)
		book:observe(presence("carol@users.example", "subscribed"))
		assert.equal("unknown", book:reachability("carol@users.example"))
		ask("carol@users.example")
		ask("carol@users.example")
		-- One subscribe ever, a probe each time.
		assert.equal(3, #sent)
		assert.equal("subscribe", sent[1].attr.type)
		assert.equal("probe", sent[2].attr.type)
		assert.equal("probe", sent[3].attr.type)
		book:observe(presence("carol@users.example", "subscribed"))
		assert.equal("offline", book:reachability("carol@users.example"))
	end)

	it("should ignore presence of JIDs that own no number, and bound resources per owner", function()
		local book = book_mod.new(is_owner)
		assert.is_false(book:observe(presence("mallory@evil.example/x")))
		assert.equal("unknown", book:reachability("mallory@evil.example"))
		for i = 1, 40 do book:observe(presence("carol@users.example/r" .. i)) end
		assert.equal(32, #book:devices("carol@users.example"))
		assert.equal(8, book.dropped)
		assert.equal("presence: 1 owners share it with the component, 1 online with 32 devices; 0 verified caps; "
			.. "8 entries over the bounds not kept", book:summary())
	end)
end)
