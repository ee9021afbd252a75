-- A real ejabberd (Debian's package, 23.01) for a spec: one XMPP domain with
-- its users, carbons and MAM on (as its operators run it), linked by
-- server-to-server dialback without TLS to the spec's Prosody. Everything
-- listens on loopback and stops with the spec:
--
--  * ejabberd finds its s2s peers through DNS (SRV, then the SRV target's
--    address). A DNS server of the spec's own (spec/helpers/srv_dns.py, on a
--    free port) answers `_xmpp-server._tcp.<peer>` with `localhost:<port>`,
--    and the Erlang VM is pointed at it alone by an inetrc file (ERL_INETRC),
--    so the machine's resolver is never asked.
--  * Prosody finds ejabberd without SRV: a hosts file of the spec's (given to
--    its resolver, libunbound, as `unbound = { hoststxt = FILE }`) maps the
--    domain to a loopback address of its own, 127.x.y.z, where ejabberd's
--    s2s listens on the default port 5269 (Prosody has no per-peer port).
--  * The Erlang port mapper (epmd) that ejabberdctl starts runs on a free
--    port of its own (ERL_EPMD_PORT), bound to loopback, and is stopped too.
local process = require "spec.helpers.process"
local prosody = require "spec.helpers.prosody"

local M = {}

local repo = prosody.repo

M.python = "/usr/bin/python3"

local quote, sh, capture = process.quote, process.sh, process.capture
local read_file, write_file = process.read_file, process.write_file

local Instance = {}
Instance.__index = Instance

function Instance:log()
	return read_file(self.dir .. "/ejabberd.log") .. read_file(self.dir .. "/stdout.log")
end

-- ejabberdctl against this node, as the ejabberd user. Returns ok, output.
function Instance:ctl(args)
	local out = capture(("%s runuser -u ejabberd -- ejabberdctl --config-dir %s --node %s %s 2>&1; echo \"exit=$?\"")
		:format(self.env, self.dir, self.node, args))
	local code = tonumber(out:match("exit=(%d+)%s*$"))
	return code == 0, (out:gsub("exit=%d+%s*$", ""))
end

function Instance:register(user, password)
	local ok, out = self:ctl(("register %s %s %s"):format(user, self.domain, password))
	assert(ok, "ejabberdctl register failed: " .. out)
end

function Instance:stop()
	-- The Erlang VM (beam.smp) runs in the process group that setsid gave
	-- ejabberdctl; the DNS server and epmd are on their own.
	if self.pgid then
		process.terminate("-" .. self.pgid)
		self.pgid = nil
	end
	if self.epmd_port then
		-- (it refuses while a node is registered: after the VM is gone)
		sh(("ERL_EPMD_PORT=%d epmd -kill >/dev/null 2>&1"):format(self.epmd_port))
		self.epmd_port = nil
	end
	if self.dns_pid then sh("kill -TERM " .. self.dns_pid .. " 2>/dev/null") end
	self.dns_pid = nil
end

local function config(self, opts)
	return table.concat({
		"hosts:",
		"  - " .. self.domain,
		"loglevel: info",
		"log_rotate_count: 0",
		"certfiles: []",
		-- Dialback without TLS: the test servers have no certificates
		-- (Debian's default is `required`).
		"s2s_use_starttls: false",
		"s2s_dns_timeout: 2",
		"s2s_dns_retries: 1",
		"auth_method: internal",
		"listen:",
		("  - port: %d"):format(self.c2s_port),
		'    ip: "127.0.0.1"',
		"    module: ejabberd_c2s",
		"    starttls_required: false",
		"  - port: 5269",
		('    ip: "%s"'):format(self.s2s_address),
		"    module: ejabberd_s2s_in",
		("  - port: %d"):format(self.http_port),
		'    ip: "127.0.0.1"',
		"    module: ejabberd_http",
		"    request_handlers:",
		"      /ws: ejabberd_http_ws",
		"acl:",
		"  local:",
		'    user_regexp: ""',
		"access_rules:",
		"  local:",
		"    allow: local",
		"  c2s:",
		"    allow: all",
		"modules:",
		"  mod_roster: {}",
		"  mod_disco: {}",
		"  mod_caps: {}",
		"  mod_carboncopy: {}",
		"  mod_mam:",
		"    db_type: mnesia",
		"    default: always",
		"  mod_offline: {}",
		"  mod_ping: {}",
		"  mod_stream_mgmt: {}",
		"  mod_last: {}",
		"  mod_s2s_dialback: {}",
		opts.extra or "",
	}, "\n") .. "\n"
end

--- Starts the DNS server, then ejabberd serving opts.domain.
-- opts.peers: { [domain] = s2s port on 127.0.0.1 } (the Prosody's hosts);
-- opts.users: { name = password }. Returns an instance with domain,
-- c2s_port, http_port (WebSocket at /ws), s2s_address, hosts_file (for
-- Prosody's resolver), log(), ctl(), register(), stop().
function M.start(opts)
	local self = setmetatable({ domain = opts.domain }, Instance)
	self.c2s_port = prosody.free_port()
	self.http_port = prosody.free_port()
	self.epmd_port = prosody.free_port()
	self.dns_port = prosody.free_port()
	-- A loopback address of this run's own: ejabberd's s2s port is 5269.
	math.randomseed(os.time() + self.c2s_port)
	self.s2s_address = ("127.%d.%d.%d"):format(math.random(16, 250), math.random(1, 250), math.random(2, 250))
	self.dir = ("%s/build/spec-ejabberd/%d-%d"):format(repo, self.c2s_port, os.time())
	self.node = ("jsip%d@localhost"):format(self.c2s_port)
	assert(sh("mkdir -p " .. quote(self.dir .. "/db")))

	-- DNS: the SRV records of the peers.
	local records = {}
	for domain, port in pairs(opts.peers or {}) do
		records[#records + 1] = quote(("%s=localhost:%d"):format(domain, port))
	end
	self.dns_pid = process.spawn(("%s %s/spec/helpers/srv_dns.py %d %d %s"):format(M.python, repo, self.dns_port,
		opts.lifetime or 300, table.concat(records, " ")), self.dir .. "/dns.log")
	assert(self.dns_pid, "the DNS server did not start")
	process.wait_ready({ -- (a lookup before it listens is refused)
		what = "the DNS server (spec/helpers/srv_dns.py)", timeout = 10,
		ready = function() return read_file(self.dir .. "/dns.log"):find("ready", 1, true) end,
		alive = function() return process.alive(self.dns_pid) end,
		log = function() return read_file(self.dir .. "/dns.log") end,
		stop = function() self:stop() end,
	})

	-- resolv_conf "" first: no /etc/resolv.conf, whose servers would
	-- otherwise replace ours.
	write_file(self.dir .. "/inetrc", ("{resolv_conf, \"\"}.\n{nameserver, {127,0,0,1}, %d}.\n")
		:format(self.dns_port))
	write_file(self.dir .. "/hosts", ("%s %s\n"):format(self.s2s_address, self.domain))
	self.hosts_file = self.dir .. "/hosts"
	write_file(self.dir .. "/ejabberd.yml", config(self, opts))
	assert(sh(("chown -R ejabberd: %s && chmod 755 %s && chmod 644 %s"):format(quote(self.dir), quote(self.dir),
		quote(self.hosts_file))))

	self.env = ("env HOME=%s EJABBERD_CONFIG_PATH=%s/ejabberd.yml ERL_INETRC=%s/inetrc ERL_EPMD_PORT=%d "
		.. "ERL_EPMD_ADDRESS=127.0.0.1"):format(self.dir, self.dir, self.dir, self.epmd_port)
	-- setsid: ejabberdctl, erl and beam.smp share one process group to stop.
	self.pgid = process.spawn(
		("%s runuser -u ejabberd -- ejabberdctl --config-dir %s --logs %s --spool %s/db --node %s foreground")
			:format(self.env, self.dir, self.dir, self.dir, self.node),
		self.dir .. "/stdout.log", { setsid = true })
	assert(self.pgid, "ejabberd did not start")
	process.wait_ready({
		what = "ejabberd", timeout = 30,
		ready = function() return read_file(self.dir .. "/stdout.log"):find("is started in the node", 1, true) end,
		alive = function() return process.alive(self.pgid) end,
		log = function() return self:log() end,
		stop = function() self:stop() end,
	})
	for user, password in pairs(opts.users or {}) do self:register(user, password) end
	return self
end

--- The Prosody global option that makes its resolver read `hosts_file`.
function M.prosody_resolver(hosts_file)
	return ("unbound = { hoststxt = %q, resolvconf = false }"):format(hosts_file)
end

return M
