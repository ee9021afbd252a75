-- LuaRocks packaging, named the way Prosody's community modules are
-- (`prosodyctl install mod_jingle_sip` asks luarocks for "mod_jingle_sip").
-- The build type `make` drives the project Makefile: `make all`, then
-- `make install LUADIR=...`, which puts mod_jingle_sip/ (module, Lua API and
-- the relay libraries) into the tree's share/lua/5.x/, where Prosody 0.12's
-- plugin loader looks for installed modules.
rockspec_format = "3.0"
package = "mod_jingle_sip"
version = "scm-1"
source = {
	url = "git+file:///srv/git/jingle-sip.git",
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
	"lua >= 5.1",
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
