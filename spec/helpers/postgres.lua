-- A PostgreSQL cluster of the spec's own (Debian's postgresql 15): initdb
-- into a fresh directory under /tmp, the server on a free port of
-- 127.0.0.1 (its unix socket in that directory, never /var/run), trust
-- authentication for one superuser role, and stopped with the spec. As root
-- it runs as the postgres user (PostgreSQL refuses to run as root); the
-- machine's own clusters (pg_lsclusters) are never touched.
local process = require "spec.helpers.process"
local prosody = require "spec.helpers.prosody"

local M = {}

M.bin = "/usr/lib/postgresql/15/bin"

local quote, sh, capture, read_file = process.quote, process.sh, process.capture, process.read_file

local function as_postgres(cmd)
	if prosody.is_root then return "runuser -u postgres -- " .. cmd end
	return cmd
end

local Cluster = {}
Cluster.__index = Cluster

function Cluster:log() return read_file(self.dir .. "/server.log") end

--- The `sql` option of a Prosody whose storage lives in this cluster.
function Cluster:prosody_sql()
	return ('{ driver = "PostgreSQL", database = %q, username = %q, host = "127.0.0.1", port = %d }')
		:format(self.database, self.user, self.port)
end

function Cluster:stop()
	if not self.dir then return end
	-- immediate: a test cluster needs no checkpoint on the way out.
	sh(as_postgres(("%s/pg_ctl stop -D %s -m immediate -w -t 10 >/dev/null 2>&1"):format(M.bin,
		quote(self.dir .. "/data"))))
	sh("rm -rf " .. quote(self.dir))
	self.dir = nil
end

--- Starts a cluster. opts.user (default "prosody"): the superuser role,
-- with trust authentication; opts.database (default "postgres"). Returns
-- an instance with port, user, database, dir, log(), prosody_sql(), stop().
function M.start(opts)
	opts = opts or {}
	local self = setmetatable({ user = opts.user or "prosody", database = opts.database or "postgres" }, Cluster)
	self.port = prosody.free_port()
	self.dir = capture("mktemp -d /tmp/jsip-pg-XXXXXX"):match("%S+")
	assert(self.dir, "mktemp failed")
	if prosody.is_root then assert(sh("chown postgres: " .. quote(self.dir))) end
	local data = self.dir .. "/data"
	local out = capture(as_postgres(("%s/initdb -D %s -U %s --auth=trust --no-sync -E UTF8 --locale=C 2>&1")
		:format(M.bin, quote(data), quote(self.user))))
	if not read_file(data .. "/PG_VERSION"):match("%d") then
		self:stop()
		error("initdb failed:\n" .. out)
	end
	local options = ("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c max_connections=40")
		:format(self.port, self.dir)
	out = capture(as_postgres(("%s/pg_ctl start -w -t 30 -D %s -l %s -o %s 2>&1"):format(M.bin, quote(data),
		quote(self.dir .. "/server.log"), quote(options))))
	-- (pg_ctl -w returns once it answers; its log says so, or why not)
	process.wait_ready({
		what = "PostgreSQL", timeout = 30, tail = false,
		ready = function() return self:log():find("ready to accept connections", 1, true) end,
		log = function() return out .. self:log() end,
		stop = function() self:stop() end,
	})
	return self
end

return M
