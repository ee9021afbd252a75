-- Keeps ffi/callrelay/cdef.lua equal to the public header's declarations.
--
--   lua5.4 scripts/check-cdef.lua HEADER CDEF          fail if they differ
--   lua5.4 scripts/check-cdef.lua HEADER CDEF --write  regenerate CDEF
--
-- The declarations are the header's text between the CR_CDEF_BEGIN and
-- CR_CDEF_END markers, without comments, preprocessor lines and the
-- CR_EXPORT macro, which ffi.cdef cannot read.
local header_path, cdef_path, mode = arg[1], arg[2], arg[3]
assert(header_path and cdef_path, "usage: check-cdef.lua HEADER CDEF [--write]")

local function read(path)
	local f = assert(io.open(path, "rb"))
	local s = f:read("a")
	f:close()
	return s
end

local function declarations(header)
	local body = header:match("/%* CR_CDEF_BEGIN %*/\n(.-)/%* CR_CDEF_END %*/")
	assert(body, header_path .. ": no CR_CDEF_BEGIN/CR_CDEF_END markers")
	body = body:gsub("/%*.-%*/", "")
	body = body:gsub("\n#[^\n]*", "\n")
	body = body:gsub("CR_EXPORT%s+", "")
	local lines = {}
	for line in body:gmatch("[^\n]*") do
		line = line:gsub("%s+$", "")
		if line:match("%S") then lines[#lines + 1] = line end
	end
	return table.concat(lines, "\n") .. "\n"
end

local wanted = declarations(read(header_path))

local generated = "-- Generated from relay/include/callrelay.h by scripts/check-cdef.lua\n"
	.. "-- (`make check-cdef` fails when this file and the header differ).\n"
	.. "return [[\n" .. wanted .. "]]\n"

if mode == "--write" then
	local f = assert(io.open(cdef_path, "wb"))
	f:write(generated)
	f:close()
	print("check-cdef: wrote " .. cdef_path)
	return
end

local ok, current = pcall(dofile, cdef_path)
if not ok or current ~= wanted then
	io.stderr:write("check-cdef: " .. cdef_path .. " differs from " .. header_path
		.. "; run: lua5.4 scripts/check-cdef.lua " .. header_path .. " " .. cdef_path .. " --write\n")
	os.exit(1)
end
print("check-cdef: ffi declarations match " .. header_path)
