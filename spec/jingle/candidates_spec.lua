local H = dofile("spec/jingle/helper.lua")
local parse = require "jingle_sip.jingle.parse"
local candidates = require "jingle_sip.jingle.candidates"

describe("jingle.candidates", function()
	describe("#filter()", function()
		it("should drop mDNS and priority-0 candidates with a reason and keep the rest", function()
			local s = assert(parse.jingle(H.stanza("browser_mdns_transport_info.xml")))
			local kept, dropped = candidates.filter(s.contents[1].transport.candidates)
			assert.same({ { foundation = "1189317311", component = 1, transport = "udp", priority = 1686052607,
				ip = "198.51.100.99", port = 61334, type = "srflx", raddr = "0.0.0.0", rport = 0, generation = 0 } }, kept)
			assert.equal(2, #dropped)
			assert.equal("mDNS .local address 6d1c3a4e-2b7f-4d8a-b9c0-1e2f3a4b5c6d.local", dropped[1].reason)
			assert.equal("priority 0", dropped[2].reason)
		end)

		it("should keep Firefox's component-2 candidate for the relay to sort out", function()
			local s = assert(parse.jingle(H.stanza("movim_firefox_transport_info_rtcp.xml")))
			local kept = candidates.filter(s.contents[1].transport.candidates)
			assert.equal(2, kept[1].component)
		end)

		it("should drop TCP candidates", function()
			local _, why = candidates.from_jingle({ component = 1, foundation = "1", ip = "192.0.2.1", port = 9,
				priority = 1, protocol = "tcp", type = "host" })
			assert.equal("unsupported protocol tcp", why)
		end)
	end)

	describe("#to_sdp() and #from_sdp()", function()
		it("should write the SDP attribute text the relay takes", function()
			local rc = assert(candidates.from_jingle(
				assert(parse.jingle(H.stanza("conversations_transport_info.xml"))).contents[1].transport.candidates[1]))
			assert.equal("a=candidate:2796421329 1 UDP 1686052607 203.0.113.7 43201 typ srflx raddr 192.168.1.23 "
				.. "rport 43201 generation 0", candidates.to_sdp(rc))
			assert.equal("candidate:2796421329 1 UDP 1686052607 203.0.113.7 43201 typ srflx raddr 192.168.1.23 "
				.. "rport 43201 generation 0", candidates.to_sdp(rc, { bare = true }))
			assert.same(rc, candidates.from_sdp(candidates.to_sdp(rc)))
		end)

		it("should read a libnice/libwebrtc line with extensions", function()
			assert.same({ foundation = "1", component = 1, transport = "udp", priority = 2122252543,
				ip = "192.168.1.2", port = 5000, type = "host", generation = 0, ufrag = "Gk2w" },
				candidates.from_sdp("candidate:1 1 udp 2122252543 192.168.1.2 5000 typ host generation 0 ufrag Gk2w "
					.. "network-id 1\r\n"))
		end)

		it("should refuse malformed lines with a reason", function()
			assert.same({ nil, "not a candidate attribute" }, { candidates.from_sdp("a=mid:0") })
			assert.same({ nil, "too few fields" }, { candidates.from_sdp("candidate:1 1 udp") })
			assert.same({ nil, "malformed component, priority or port" },
				{ candidates.from_sdp("candidate:1 1 udp 1 192.0.2.1 99999 typ host") })
			assert.same({ nil, "unknown candidate type weird" },
				{ candidates.from_sdp("candidate:1 1 udp 1 192.0.2.1 9 typ weird") })
			assert.same({ nil, "not a string" }, { candidates.from_sdp(nil) })
		end)
	end)

	describe("#to_jingle()", function()
		it("should give our srflx candidates rel-addr/rel-port (Firefox needs them)", function()
			local c = candidates.to_jingle({ foundation = 7, component = 1, transport = "udp", priority = 1677729535,
				ip = "203.0.113.50", port = 40000, type = "srflx" }, "our1")
			assert.same({ foundation = "7", component = 1, protocol = "udp", priority = 1677729535,
				ip = "203.0.113.50", port = 40000, type = "srflx", generation = 0, network = 0, id = "our1",
				rel_addr = "0.0.0.0", rel_port = 9 }, c)
			local host = candidates.to_jingle({ foundation = "1", component = 1, priority = 1, ip = "192.0.2.1",
				port = 1, type = "host" })
			assert.is_nil(host.rel_addr)
			assert.equal("c1-1-1", host.id)
		end)
	end)

	describe("#is_ice_restart()", function()
		it("should see new credentials as a restart and retired ones as stale", function()
			local current = { ufrag = "a9Gx", pwd = "old" }
			assert.is_true(candidates.is_ice_restart(current, { ufrag = "n3w", pwd = "newpwd" }))
			assert.is_false(candidates.is_ice_restart(current, { ufrag = "a9Gx", pwd = "old" }))
			assert.is_false(candidates.is_ice_restart(current, { ufrag = "n3w" }), "ufrag alone is not a restart")
			assert.is_false(candidates.is_ice_restart(current, { ufrag = "gone", pwd = "x" }, { gone = true }))
			assert.is_true(candidates.is_stale({ gone = true }, { ufrag = "gone" }))
			assert.is_false(candidates.is_stale({ gone = true }, { ufrag = "a9Gx" }))
		end)
	end)
end)
