-- Prosody's own descriptor exhaustion (plugin/jingle_sip/fd_watch.lua) seen
-- through Prosody's real util.logger: the lines Prosody 0.12 writes when
-- accept() or storage fail with EMFILE/ENFILE are counted, others are not,
-- and the error line is rate-limited. spec/e2e/prosody_fd_spec.lua runs it
-- in a real Prosody under a low descriptor limit.
local logger = require "util.logger"
local format = require "util.format".format
local fd_watch = require "jingle_sip.fd_watch"

describe("jingle_sip.fd_watch #lua54", function()
	local events, unsubscribe

	before_each(function()
		logger.reset()
		fd_watch.install(logger, format)
		events = {}
		unsubscribe = fd_watch.subscribe("phone.localhost:jingle_sip", function(e) events[#events + 1] = e end)
	end)
	after_each(function() unsubscribe() end)

	it("should tell EMFILE and ENFILE apart by their text and ignore the rest", function()
		assert.equal("EMFILE", fd_watch.classify("accept: Too many open files"))
		assert.equal("ENFILE", fd_watch.classify("Too many open files in system"))
		assert.is_nil(fd_watch.classify("Connection refused"))
	end)

	it("should count server_epoll's failed accept (a debug line) and datamanager's storage errors", function()
		logger.init("servAbC")("debug", fd_watch.ACCEPT_FAILED, "Too many open files", 10)
		logger.init("servAbC")("debug", fd_watch.ACCEPT_FAILED, "timeout", 10)
		logger.init("datamanager")("error", "Failed to load %s storage ('%s') for user: %s@%s", "roster",
			"/var/lib/prosody/localhost/roster/bob.dat: Too many open files", "bob", "localhost")
		logger.init("localhost:sql")("warn", "SQL: %s", "unable to open database file: Too many open files in system")
		logger.init("servAbC")("debug", "Too many open files") -- other debug lines are not even formatted
		assert.equal(3, #events)
		assert.same({ "accept", "EMFILE", 10 }, { events[1].where, events[1].kind, events[1].pause })
		assert.same({ "storage", "EMFILE" }, { events[2].where, events[2].kind })
		assert.same({ "other", "ENFILE" }, { events[3].where, events[3].kind })
	end)

	it("should not count its own module's reports, and keep its sinks across a log reload", function()
		logger.init("phone.localhost:jingle_sip")("error", "Media relay: out of file descriptors (%s)",
			"EMFILE: Too many open files")
		assert.equal(0, #events)
		logger.reset() -- what loggingmanager.reload_logging() does first
		logger.init("datamanager")("error", "Unable to write to %s storage ('%s') for user: %s@%s", "roster",
			"Too many open files", "alice", "localhost")
		assert.equal(1, #events)
		unsubscribe()
		logger.init("datamanager")("error", "Unable to write: Too many open files")
		assert.equal(1, #events)
	end)

	it("should count every event and log at error level at most once a second", function()
		local lines, t = {}, 100
		local counter = fd_watch.counter(function(level, fmt, ...)
			lines[#lines + 1] = level .. " " .. format(fmt, ...)
		end, function() return t end)
		for _ = 1, 5 do counter.on_event({ kind = "EMFILE", where = "accept", text = "accept(): Too many open files",
			pause = 10 }) end
		t = 101.5
		counter.on_event({ kind = "EMFILE", where = "storage", text = "roster storage: Too many open files" })
		assert.same({ accept = 5, storage = 1, other = 0 }, counter.counts)
		assert.equal(6, counter.total)
		assert.equal(2, #lines)
		assert.truthy(lines[1]:find("^error Prosody is out of file descriptors %(EMFILE%) in accept: "
			.. "accept%(%): Too many open files, the listener pauses for 10 s; 1 time since"), lines[1])
		assert.truthy(lines[2]:find("in storage: roster storage: Too many open files; 5 times since", 1, false),
			lines[2])
	end)
end)
