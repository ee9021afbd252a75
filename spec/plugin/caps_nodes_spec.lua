-- jingle_sip.caps_nodes: which client (XEP-0115 caps node) each caller runs.
local caps_nodes = require "jingle_sip.caps_nodes"
local st = require "util.stanza"

local function presence(from, node, kind)
	local p = st.presence({ from = from, to = "+15550100@phone.example.net", type = kind })
	if node then
		p:tag("c", { xmlns = "http://jabber.org/protocol/caps", hash = "sha-1", node = node, ver = "x" }):up()
	end
	return p
end

describe("jingle_sip.caps_nodes #lua54", function()
	it("should remember a remote caller's node from its presence and forget it when it leaves", function()
		local nodes = caps_nodes.new(function() return nil end)
		nodes:observe(presence("bob@remote.example/dino", "https://dino.im"))
		assert.equal("https://dino.im", nodes:node_of("bob@remote.example/dino"))
		assert.is_nil(nodes:node_of("bob@remote.example/other"))
		nodes:observe(presence("bob@remote.example/dino", nil, "unavailable"))
		assert.is_nil(nodes:node_of("bob@remote.example/dino"))
	end)

	it("should prefer a local session's own presence", function()
		local sessions = { ["alice@localhost/gajim"] = presence("alice@localhost/gajim", "https://gajim.org") }
		local nodes = caps_nodes.new(function(full) return sessions[full] end)
		assert.equal("https://gajim.org", nodes:node_of("alice@localhost/gajim"))
		assert.is_nil(nodes:node_of(nil))
	end)

	it("should keep a bounded number of remote resources", function()
		local nodes = caps_nodes.new(function() return nil end)
		for i = 1, 10005 do nodes:observe(presence("u@remote.example/r" .. i, "https://dino.im")) end
		assert.equal("https://dino.im", nodes:node_of("u@remote.example/r1"))
		assert.is_nil(nodes:node_of("u@remote.example/r10005"))
		assert.equal(10000, nodes.count)
		-- One leaving makes room again.
		nodes:observe(presence("u@remote.example/r1", nil, "unavailable"))
		nodes:observe(presence("u@remote.example/r10005", "https://dino.im"))
		assert.equal("https://dino.im", nodes:node_of("u@remote.example/r10005"))
	end)
end)
