-- scripts/sip-firewall.sh: the nftables rules README's "Running it on a
-- public address" ships for the SIP port. Loaded into a network namespace of
-- this spec's own (root, as CI runs), where a probe listens on the port and
-- connects from a trusted and a stranger address (both on lo).

local function run(cmd)
	local p = assert(io.popen(cmd .. " 2>&1; echo \"exit=$?\""))
	local out = p:read("a")
	p:close()
	return tonumber(out:match("exit=(%d+)%s*$")), out
end

describe("scripts/sip-firewall.sh", function()
	it("should let only the trunk's addresses reach the SIP port, over TCP and UDP", function()
		local inner = "ip link set lo up && sh scripts/sip-firewall.sh 5060 127.0.0.1 10.9.0.0/16 ::1 | nft -f - "
			.. "&& /usr/bin/python3 spec/helpers/firewall_probe.py 5060 127.0.0.1 127.0.0.2 "
			.. "&& nft list chain inet jingle_sip input"
		local code, out = run("timeout 60 unshare -n sh -c '" .. inner .. "'")
		assert.are.equal(0, code, out)
		assert.matches('"127.0.0.1": {"tcp": true, "udp": true}', out, 1, true)
		assert.matches('"127.0.0.2": {"tcp": false, "udp": false}', out, 1, true)
		-- The drops are counted: the stranger's SYN (and its retries) and datagram.
		local dropped = tonumber(out:match("ip saddr != @trunk4 counter packets (%d+)"))
		assert.is_true(dropped and dropped >= 2, out)
	end)

	it("should refuse what is not an address", function()
		local code, out = run("sh scripts/sip-firewall.sh 5060 trunk.example.net")
		assert.are.equal(2, code, out)
		assert.matches("not an IP address or CIDR: trunk.example.net", out, 1, true)
	end)
end)
