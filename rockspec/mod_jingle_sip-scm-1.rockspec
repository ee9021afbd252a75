-- LuaRocks packaging, named the way Prosody's community modules are
-- (`prosodyctl install mod_jingle_sip` asks luarocks for "mod_jingle_sip").
-- The build type `make` drives the project Makefile: `make all`, then
-- `make install LUADIR=...`, which puts mod_jingle_sip/ (module, Lua API and
-- the relay libraries) into the tree's share/lua/5.x/, where Prosody 0.12's
-- plugin loader looks for installed modules.
rockspec_format = "3.0"
package = "mod_jingle_sip"
version = "scm-1"
-- The source is the tarball of the checkout that `make dist` zips with a
-- copy of this rockspec into build/dist/mod_jingle_sip-scm-1.src.rock: the
-- file `prosodyctl install` takes (it runs luarocks in Prosody's data directory,
-- where no relative path of a checkout resolves). `luarocks make` in a
-- checkout builds the checkout itself and does not read this.
source = {
	url = "mod_jingle_sip-scm-1.tar.gz",
}
description = {
	summary = "Phone calls for XMPP users: a Jingle to SIP gateway for Prosody",
	detailed = [[
mod_jingle_sip lets XMPP clients (Conversations, Dino, Gajim, Movim, web)
place and receive phone calls over a SIP trunk. Phone numbers appear as JIDs
on a component. Media runs in libcallrelay (libnice, OpenSSL, libsrtp2,
Sofia-SIP, GStreamer), loaded into Prosody through a small Lua binding.
]],
	license = "MIT",
	labels = { "prosody", "xmpp", "jingle", "sip", "voip" },
}
dependencies = {
	-- Prosody on Debian runs Lua 5.4, and the rock builds callrelay_core.so
	-- against the Lua 5.4 headers: that C module loads into Lua 5.4 only.
	"lua >= 5.4, < 5.5",
}
build = {
	type = "make",
	build_target = "all",
	install_target = "install",
	build_variables = {
		LUA54_CFLAGS = "-I$(LUA_INCDIR)",
	},
	install_variables = {
		LUADIR = "$(LUADIR)",
		PREFIX = "$(PREFIX)",
	},
}
