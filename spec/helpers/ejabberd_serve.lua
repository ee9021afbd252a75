-- Runs spec/helpers/ejabberd.lua's ejabberd for a test that is not Lua (the
-- browser tests, web/test/other_server.test.mjs): starts it, prints one
-- JSON line describing it, and stops everything when its stdin closes (the
-- test ended, or died).
-- Usage: lua5.4 spec/helpers/ejabberd_serve.lua DOMAIN [user=password ...] [peer@domain=port ...]
package.path = "./?.lua;" .. package.path
local ejabberd = require "spec.helpers.ejabberd"

local domain = assert(arg[1], "usage: ejabberd_serve.lua DOMAIN [user=password ...] [peer@domain=port ...]")
local users, peers = {}, {}
for i = 2, #arg do
	local peer, port = arg[i]:match("^peer@([^=]+)=(%d+)$")
	if peer then
		peers[peer] = tonumber(port)
	else
		local user, password = arg[i]:match("^([^=]+)=(.*)$")
		users[assert(user, "bad argument " .. arg[i])] = password
	end
end

local ok, server = pcall(ejabberd.start, { domain = domain, users = users, peers = peers, lifetime = 600 })
if not ok then
	io.stderr:write(tostring(server), "\n")
	os.exit(1)
end
io.write(('{"c2s_port":%d,"http_port":%d,"websocket_url":"ws://127.0.0.1:%d/ws","prosody_resolver":%q}\n')
	:format(server.c2s_port, server.http_port, server.http_port, ejabberd.prosody_resolver(server.hosts_file)))
io.flush()
io.read("a") -- until the test closes our stdin
server:stop()
