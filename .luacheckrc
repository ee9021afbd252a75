-- luacheck configuration for all Lua in the repository.
std = "lua54"
max_line_length = 120
exclude_files = { "build/**", "web/node_modules/**" }

files["plugin/mod_jingle_sip.lua"] = {
	-- Prosody's module environment.
	globals = { "module" },
	read_globals = { "prosody" },
}
files["ffi/**/*.lua"] = { read_globals = { "jit" } }
files["spec/**/*.lua"] = { std = "+busted" }
files["scripts/*.lua"] = { read_globals = { "arg" } }
