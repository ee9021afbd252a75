-- Two gateway nodes and no single point of failure (docs/DEPLOY.md), all
-- on loopback and started here: PostgreSQL (spec/helpers/postgres.lua)
-- holding both nodes' Prosody storage (number ownership and caller IDs);
-- two gateway Prosodys hosting the same component phone.example.net, each with
-- its own ports and relay; a users' Prosody (users.example.org) that finds
-- phone.example.net through DNS SRV with priorities (node 1 first; the DNS server
-- is spec/helpers/srv_dns.py); the shipped SIP edge deploy/kamailio.cfg in
-- front (spec/helpers/kamailio.lua) with the two nodes in its dispatcher
-- and two carriers behind it (the first one dead, the second sipp on
-- 127.0.0.2, the carriers' allow-listed address).
--
-- Node 1 carries calls both ways while it lives. Killed (SIGKILL) in the
-- middle of a call: the edge ends that call's carrier leg with a BYE, and
-- new calls go through node 2, inbound (sipp -> Kamailio -> node 2 ->
-- alice's client) and outbound (bob's client -> node 2 -> Kamailio ->
-- sipp), with the number and caller ID node 1 stored. The client of the
-- cut call hears of it from node 2: node 1's heartbeat in PostgreSQL stands
-- still past jingle_sip_node_timeout, so node 2 sends it the session-terminate
-- node 1 recorded the call for (plugin/jingle_sip/node_registry.lua). The
-- failover times are printed (docs/DEPLOY.md records them); only generous
-- bounds are asserted.
local socket = require "socket"
local process = require "spec.helpers.process"
local prosody = require "spec.helpers.prosody"
local postgres = require "spec.helpers.postgres"
local kamailio = require "spec.helpers.kamailio"
local sipp = require "spec.helpers.sipp"
local webrtc = require "spec.helpers.webrtc_client"

local USERS, PHONE = "users.example.org", "phone.example.net"
local DID = "+15557654321" -- alice's, assigned through node 1's admin shell
local BOB = "+15557650002" -- bob's number and caller ID, the same way
local CARRIER_IP = "127.0.0.2" -- the carriers' address (the edge's allow list)
local TONE = 440
local NODE_TIMEOUT = 3 -- jingle_sip_node_timeout on both nodes

local quote, read_file, write_file = process.quote, process.read_file, process.write_file

-- One SIP request from `ip` to the edge; the status code of its answer, or
-- nil when none came within `wait` seconds.
local function sip_request(ip, edge, method, wait)
	local udp = assert(socket.udp())
	assert(udp:setsockname(ip, 0))
	local _, lport = udp:getsockname()
	local branch = "z9hG4bK" .. math.random(1e9)
	udp:sendto(table.concat({
		("%s sip:%s:%d SIP/2.0"):format(method, edge.ip, edge.port),
		("Via: SIP/2.0/UDP %s:%d;branch=%s;rport"):format(ip, lport, branch),
		"Max-Forwards: 70",
		("From: <sip:probe@%s>;tag=%d"):format(ip, math.random(1e9)),
		("To: <sip:%s:%d>"):format(edge.ip, edge.port),
		("Call-ID: %d@%s"):format(math.random(1e9), ip),
		"CSeq: 1 " .. method,
		"Content-Length: 0", "", "",
	}, "\r\n"), edge.ip, edge.port)
	udp:settimeout(wait or 2)
	local reply = udp:receive()
	udp:close()
	return reply and tonumber(reply:match("^SIP/2%.0 (%d+)")) or nil
end

describe("two gateway nodes behind Kamailio, storage on PostgreSQL #lua54 #e2e", function()
	local pg, dns_pid, dir, users, edge
	local nodes, node_ports = {}, {}
	local carrier_port, dead_carrier_port

	-- A port free for both UDP and TCP (a node's SIP listens on both).
	local function free_sip_port()
		for _ = 1, 20 do
			local port = prosody.free_port()
			local udp = assert(socket.udp())
			local ok = udp:setsockname("127.0.0.1", port)
			udp:close()
			if ok then return port end
		end
		error("no free SIP port")
	end

	local function dispatcher()
		return {
			("1 sip:127.0.0.1:%d 8 10"):format(node_ports[1]), -- node 1, first
			("1 sip:127.0.0.1:%d 8 5"):format(node_ports[2]),
			-- Carriers, not probed until one fails: the first is dead.
			("2 sip:%s:%d 0 10"):format(CARRIER_IP, dead_carrier_port),
			("2 sip:%s:%d 0 5"):format(CARRIER_IP, carrier_port),
		}
	end

	-- Node i, up once its relay's SIP runs and its trunk check reached the
	-- edge; a SIP port another process took meanwhile gets another one
	-- (and the edge's dispatcher list with it).
	local function start_node(i, s2s_port, global)
		for attempt = 1, 3 do
			local node = prosody.start({
				domain = ("node%d.example.net"):format(i), phone_domain = PHONE, s2s_port = s2s_port,
				global = global,
				extra = table.concat({
					('jingle_sip_trunk = "sip:127.0.0.1:%d"'):format(edge.port),
					('jingle_sip_listen = "127.0.0.1:%d"'):format(node_ports[i]),
					'jingle_sip_rtp_address = "127.0.0.1"',
					'jingle_sip_dialplan = { "^%+1555" }',
					('jingle_sip_allow = { "%s" }'):format(USERS),
					('jingle_sip_node_id = "node%d"'):format(i),
					("jingle_sip_node_timeout = %d"):format(NODE_TIMEOUT),
				}, "\n"),
			})
			local deadline = socket.gettime() + 15
			repeat
				local log = node:log()
				if log:find("Trunk sip:127.0.0.1:" .. edge.port .. " is up", 1, true) then return node end
				local failed = log:find("Cannot start the media relay", 1, true)
				if failed or socket.gettime() > deadline then
					node:stop()
					assert(attempt < 3 and log:find("Address already in use", 1, true),
						("node %d did not start:\n%s"):format(i, log:sub(-3000)))
					node_ports[i] = free_sip_port()
					assert(edge:set_dispatcher(dispatcher()))
					break
				end
				socket.sleep(0.1)
			until false
		end
	end

	setup(function()
		pg = postgres.start()
		local ports = {}
		for _, name in ipairs({ "dns", "users_s2s", "s2s1", "s2s2", "carrier", "dead_carrier" }) do
			ports[name] = prosody.free_port()
		end
		carrier_port, dead_carrier_port = ports.carrier, ports.dead_carrier
		node_ports = { free_sip_port(), free_sip_port() }
		dir = ("%s/build/spec-ha/%d-%d"):format(prosody.repo, ports.dns, os.time())
		assert(os.execute("mkdir -p " .. quote(dir)))
		-- Names: SRV from the DNS server, the SRV targets from a hosts file.
		write_file(dir .. "/hosts", "127.0.0.1 node1.phone.example.net node2.phone.example.net xmpp.users.example.org\n")
		os.execute("chmod 755 " .. quote(dir) .. " && chmod 644 " .. quote(dir .. "/hosts"))
		dns_pid = process.spawn(("/usr/bin/python3 %s/spec/helpers/srv_dns.py %d 170 %s %s %s"):format(
			prosody.repo, ports.dns,
			quote(("%s=node1.phone.example.net:%d:10"):format(PHONE, ports.s2s1)),
			quote(("%s=node2.phone.example.net:%d:20"):format(PHONE, ports.s2s2)),
			quote(("%s=xmpp.users.example.org:%d"):format(USERS, ports.users_s2s))), dir .. "/dns.log")
		-- (a lookup before it listens is refused, and the s2s link fails)
		process.wait_ready({
			what = "spec/helpers/srv_dns.py", timeout = 10,
			ready = function() return read_file(dir .. "/dns.log"):find("ready", 1, true) end,
			alive = function() return process.alive(dns_pid) end,
			log = function() return read_file(dir .. "/dns.log") end,
			stop = function() os.execute("kill " .. tostring(dns_pid) .. " 2>/dev/null") end,
		})
		local resolver = ('unbound = { resolvconf = false, hoststxt = %q, forward = "127.0.0.1@%d" }')
			:format(dir .. "/hosts", ports.dns)
		users = prosody.start({ domain = USERS, phone_domain = false, s2s_port = ports.users_s2s,
			users = { alice = "alice-pw", bob = "bob-pw" }, global = resolver })
		-- The edge first: the nodes' trunk health checks find it up.
		edge = kamailio.start({
			dispatcher = dispatcher(),
			addresses = { ("1 %s 32 0 carriers"):format(CARRIER_IP) },
			defines = { DS_PING_INTERVAL = 1, FR_TIMER_INVITE = 1500,
				PIKE_UNIT = 1, PIKE_DENSITY = 20 },
		})
		-- Both nodes: the same storage, and the same dialback secret, so
		-- either can vouch for phone.example.net when the other one is asked.
		local global = table.concat({ resolver, 'storage = "sql"', "sql = " .. pg:prosody_sql(),
			'dialback_secret = "ha-failover-spec-shared-secret"' }, "\n")
		nodes[1] = start_node(1, ports.s2s1, global)
		-- Numbers and caller IDs go into PostgreSQL through node 1's shell:
		-- one before node 2 loads them, the rest while it runs (its calls
		-- read through to the store).
		local function node1(line)
			local ok, out = nodes[1]:shell(line)
			assert(ok, out)
		end
		node1(('jingle_sip:assign("%s", "bob@%s")'):format(BOB, USERS))
		nodes[2] = start_node(2, ports.s2s2, global)
		-- (its component may load a moment after its client port opens)
		local loaded_by = socket.gettime() + 10
		repeat
			local ok, out = nodes[2]:shell("jingle_sip:numbers()")
			local loaded = ok and out:find(BOB, 1, true)
			if not loaded then
				assert(socket.gettime() < loaded_by, "node 2 never loaded the numbers:\n" .. out)
				socket.sleep(0.2)
			end
		until loaded
		node1(('jingle_sip:assign("%s", "alice@%s")'):format(DID, USERS))
		node1(('jingle_sip:caller_id("bob@%s", "%s")'):format(USERS, BOB))
		-- The edge probed both nodes up.
		local deadline = socket.gettime() + 10
		while edge:destination_flags("sip:127.0.0.1:" .. node_ports[1]) ~= "AP"
			or edge:destination_flags("sip:127.0.0.1:" .. node_ports[2]) ~= "AP" do
			assert(socket.gettime() < deadline, "the edge never saw both nodes up:\n" .. edge:rpc("dispatcher.list"))
			socket.sleep(0.2)
		end
	end)

	teardown(function()
		if edge then edge:stop() end
		for _, node in pairs(nodes) do node:stop() end
		if users then users:stop() end
		if dns_pid then os.execute("kill " .. dns_pid .. " 2>/dev/null") end
		if pg then pg:stop() end
	end)

	local function outbound(name, user, args)
		return webrtc.start({ name = name, jid = user .. "@" .. USERS, password = user .. "-pw",
			port = users.c2s_port, args = { "--call", "+15550100@" .. PHONE, "--tone", tostring(TONE),
				"--codecs", "PCMU", table.unpack(args) } })
	end

	local function carrier()
		return sipp.start({ scenario = "uas_answer.xml", ip = CARRIER_IP, port = carrier_port })
	end

	it("should share numbers and caller IDs through PostgreSQL", function()
		-- Node 2 loaded what node 1 stored before it started. Its copy
		-- lacks alice's number and bob's caller ID, stored since: the last
		-- test's calls through node 2 find them by reading through.
		local ok, out = nodes[2]:shell("jingle_sip:numbers()")
		assert.is_true(ok, out)
		assert.truthy(out:find(BOB .. "%s+bob@users%.example%.org"), out)
		assert.is_nil(out:find(DID, 1, true), out)
		assert.is_nil(out:find("caller ID of bob", 1, true), out)
	end)

	it("should refuse strangers and drop floods at the edge", function()
		assert.equal(200, sip_request(CARRIER_IP, edge, "OPTIONS"))
		assert.equal(403, sip_request("127.0.0.3", edge, "OPTIONS"))
		-- 200 requests at once from one address: pike blocks it after 20 to
		-- 60 in a second; the rest get no answer at all.
		local udp = assert(socket.udp())
		assert(udp:setsockname("127.0.0.4", 0))
		local _, lport = udp:getsockname()
		for n = 1, 200 do
			udp:sendto(("OPTIONS sip:%s:%d SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.4:%d;branch=z9hG4bKflood%d\r\n"
				.. "Max-Forwards: 70\r\nFrom: <sip:flood@127.0.0.4>;tag=%d\r\nTo: <sip:edge@%s>\r\n"
				.. "Call-ID: flood%d\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
				:format(edge.ip, edge.port, lport, n, n, edge.ip, n), edge.ip, edge.port)
		end
		udp:settimeout(1)
		local answered = 0
		while udp:receive() do answered = answered + 1 end
		udp:close()
		assert.is_true(answered > 0 and answered < 100, ("%d of 200 flood requests answered"):format(answered))
		-- Each refusal counted: the 403s and the silent drops.
		assert.equal(200 - answered, edge:stat("edge_flood_dropped"), edge:rpc("stats.get_statistics all"))
		assert.equal(answered + 1, edge:stat("edge_source_refused"), edge:rpc("stats.get_statistics all"))
	end)

	it("should carry a call out through node 1 and the carrier that is up", function()
		local phone = carrier()
		finally(function() phone:kill() end)
		local client = outbound("ha-out-1", "bob", { "--expect-tone", tostring(TONE), "--duration", "3",
			"--timeout", "30" })
		local report, err = client:result(40)
		assert.is_not_nil(report, err)
		assert.equal(0, report.exit_code, client:log() .. nodes[1]:log():sub(-3000) .. edge:log():sub(-3000))
		assert.equal(0, phone:wait(10), phone:log())
		-- The first carrier never answered: marked down, the INVITE went on.
		assert.equal("IP", edge:destination_flags(("sip:%s:%d"):format(CARRIER_IP, dead_carrier_port)))
		assert.truthy(edge:log():find("failed over to sip:" .. CARRIER_IP .. ":" .. carrier_port, 1, true),
			edge:log():sub(-3000))
		-- Node 1 carried it, with bob's caller ID.
		assert.truthy(nodes[1]:log():find("Relay call %d+: first_media"), nodes[1]:log():sub(-3000))
		assert.is_nil(nodes[2]:log():find("Relay call %d+: first_media"))
		assert.truthy(phone:messages():find("From: <sip:" .. BOB .. "@", 1, true), phone:messages():sub(1, 2000))
		client:cleanup()
	end)

	it("should carry a call in through node 1 to the number's owner", function()
		local alice = webrtc.start({ name = "ha-in-1", jid = "alice@" .. USERS, password = "alice-pw",
			port = users.c2s_port, args = { "--answer", "--tone", tostring(TONE), "--expect-tone", tostring(TONE),
				"--codecs", "PCMU", "--timeout", "30" } })
		assert.is_true(alice:wait_ready(15), alice:log())
		local phone = sipp.start({ scenario = "uac_call.xml", ip = CARRIER_IP,
			remote = ("%s:%d"):format(edge.ip, edge.port), service = DID })
		finally(function() phone:kill() end)
		local report, err = alice:result(30)
		assert.is_not_nil(report, err)
		assert.equal(0, report.exit_code, alice:log() .. nodes[1]:log():sub(-3000) .. edge:log():sub(-3000))
		assert.equal(0, phone:wait(15), phone:log())
		assert.is_nil(nodes[2]:log():find("Relay call %d+: first_media"))
		alice:cleanup()
	end)

	it("should end a dead node's call at both ends and take new calls both ways through the other", function()
		-- A call through node 1, long enough to be cut; its client expects
		-- to be told by the node that survives.
		local phone = carrier()
		local doomed = outbound("ha-doomed", "bob", { "--duration", "60", "--timeout", "90",
			"--expect-reason", "connectivity-error" })
		finally(function()
			doomed:kill()
			phone:kill()
		end)
		local media_lines = select(2, nodes[1]:log():gsub("Relay call %d+: first_media", ""))
		local deadline = socket.gettime() + 20
		while select(2, nodes[1]:log():gsub("Relay call %d+: first_media", "")) <= media_lines do
			assert(socket.gettime() < deadline, "the call through node 1 never had media:\n" .. doomed:log())
			socket.sleep(0.1)
		end
		-- alice waits for the next inbound call (her server is not a node).
		local alice = webrtc.start({ name = "ha-in-2", jid = "alice@" .. USERS, password = "alice-pw",
			port = users.c2s_port, args = { "--answer", "--tone", tostring(TONE), "--expect-tone", tostring(TONE),
				"--codecs", "PCMU", "--timeout", "40" } })
		finally(function() alice:kill() end)
		assert.is_true(alice:wait_ready(15), alice:log())
		socket.sleep(1)

		-- Node 1 dies: no BYE, no session-terminate from it.
		local killed_at = socket.gettime()
		local pidfile = read_file(nodes[1].dir .. "/prosody.pid"):match("%d+")
		os.execute(("kill -KILL %s %s 2>/dev/null"):format(pidfile or "", nodes[1].pid))
		nodes[1].pid = nil

		-- A phone calls alice's number at once.
		local caller = sipp.start({ scenario = "uac_call.xml", ip = CARRIER_IP,
			remote = ("%s:%d"):format(edge.ip, edge.port), service = DID })
		finally(function() caller:kill() end)
		local inbound_media
		while not inbound_media do
			if nodes[2]:log():find("Relay call %d+: first_media") then inbound_media = socket.gettime() end
			if socket.gettime() - killed_at > 40 then break end
			socket.sleep(0.05)
		end

		-- Node 2 told the dead node's client, well before its ICE consent
		-- (30 s) would have.
		while doomed:running() and socket.gettime() - killed_at < 30 do socket.sleep(0.05) end
		local told_at = socket.gettime()
		local doomed_report, doomed_err = doomed:result(1)
		assert.is_not_nil(doomed_report, doomed_err)
		assert.equal("connectivity-error", doomed_report.termination_reason, doomed:log() .. nodes[2]:log():sub(-3000))
		assert.equal("gateway node failed", doomed_report.termination_text)
		assert.equal("remote", doomed_report.terminated_by)
		assert.equal(0, doomed_report.exit_code, doomed:log())
		assert.truthy(nodes[2]:log():find("Gateway node node1 failed", 1, true), nodes[2]:log():sub(-3000))
		local status_ok, status = nodes[2]:shell("jingle_sip:status()")
		assert.truthy(status:find("1 call(s) of failed nodes ended (1 node(s) taken over)", 1, true),
			tostring(status_ok) .. " " .. status)

		-- The edge ended the dead node's call toward the carrier.
		local rc = phone:wait(40)
		local bye_at = socket.gettime()
		assert.equal(0, rc, "the carrier got no BYE for the dead node's call:\n" .. phone:log() .. edge:log():sub(-3000))
		assert.truthy(phone:messages():find("\nBYE sip:", 1, true), phone:messages():sub(-2000))
		-- Node 1 is down at the edge; node 2 up.
		assert.equal("IP", edge:destination_flags("sip:127.0.0.1:" .. node_ports[1]))
		assert.equal("AP", edge:destination_flags("sip:127.0.0.1:" .. node_ports[2]))

		local report, err = alice:result(40)
		assert.is_not_nil(report, err)
		assert.equal(0, report.exit_code, alice:log() .. nodes[2]:log():sub(-3000) .. edge:log():sub(-3000))
		assert.equal(0, caller:wait(15), caller:log())
		assert.is_not_nil(inbound_media, "no media on node 2")

		-- Bob calls out again: his server's link to phone.example.net went with node
		-- 1; SRV gives node 2, which dials with bob's caller ID from PostgreSQL.
		local phone2 = carrier()
		finally(function() phone2:kill() end)
		local media_before = select(2, nodes[2]:log():gsub("Relay call %d+: first_media", ""))
		local placed_at = socket.gettime()
		local client = outbound("ha-out-2", "bob", { "--expect-tone", tostring(TONE), "--duration", "3",
			"--timeout", "30" })
		local outbound_media
		while not outbound_media and client:running() and socket.gettime() - placed_at < 30 do
			if select(2, nodes[2]:log():gsub("Relay call %d+: first_media", "")) > media_before then
				outbound_media = socket.gettime()
			end
			socket.sleep(0.05)
		end
		local out_report, out_err = client:result(40)
		assert.is_not_nil(out_report, out_err)
		assert.equal(0, out_report.exit_code, client:log() .. nodes[2]:log():sub(-3000) .. users:log():sub(-3000))
		assert.equal(0, phone2:wait(10), phone2:log())
		assert.truthy(phone2:messages():find("From: <sip:" .. BOB .. "@", 1, true), phone2:messages():sub(1, 2000))

		assert.is_not_nil(outbound_media, "no media on node 2 for the outbound call")
		local inbound_s, bye_s, told_s = inbound_media - killed_at, bye_at - killed_at, told_at - killed_at
		print(("\nfailover: node 1 killed -> first inbound call's media through node 2: %.1f s; "
			.. "-> the dead node's call ended at the carrier: %.1f s; -> its client's session-terminate "
			.. "from node 2: %.1f s (jingle_sip_node_timeout = %d); first outbound call after it "
			.. "(%.1f s after the kill): placed -> media through node 2 %.1f s")
			:format(inbound_s, bye_s, told_s, NODE_TIMEOUT, placed_at - killed_at, outbound_media - placed_at))
		-- Generous bounds, not performance targets (docs/DEPLOY.md).
		assert.is_true(inbound_s < 20, ("inbound failover took %.1f s"):format(inbound_s))
		assert.is_true(bye_s < 20, ("the BYE came %.1f s after the kill"):format(bye_s))
		-- The bound, a heartbeat period or two, and s2s to the client's server.
		assert.is_true(told_s < NODE_TIMEOUT + 10, ("the client was told %.1f s after the kill"):format(told_s))
		client:cleanup()
		alice:cleanup()
	end)
end)
