-- Wireshark dissector for librpmsg bus captures (pcapng, link type USER0 = 147).
-- Install: copy to ~/.local/lib/wireshark/plugins/ (or run `make install`), or use
-- `tshark -X lua_script:rpmsg.lua`. Record layout: doc/capture.md.

local rpmsg = Proto("rpmsg", "RPMsg bus capture")
local ns = Proto("rpmsg_ns", "RPMsg name service")
local glink = Proto("glink", "Qualcomm GLINK control")
local smd = Proto("smd", "Qualcomm SMD channel state")
local scp = Proto("scp", "MediaTek SCP IPI")

local events = { [1] = "message", [2] = "channel add", [3] = "channel remove", [4] = "control" }
local dirs = { [0] = "tx", [1] = "rx" }
local transports = { [0] = "other", [1] = "virtio", [2] = "glink", [3] = "smd", [4] = "scp",
	[5] = "loopback" }
local ns_flags = { [0] = "create", [1] = "destroy" }
local glink_cmds = { [0] = "VERSION", [1] = "VERSION_ACK", [2] = "OPEN", [3] = "CLOSE",
	[4] = "OPEN_ACK", [5] = "INTENT", [6] = "RX_DONE", [7] = "RX_INTENT_REQ",
	[8] = "RX_INTENT_REQ_ACK", [9] = "TX_DATA", [10] = "ZERO_COPY_TX_DATA", [11] = "CLOSE_ACK",
	[12] = "TX_DATA_CONT", [13] = "READ_NOTIF", [14] = "RX_DONE_W_REUSE", [15] = "SIGNALS",
	[16] = "TRACER_PKT", [17] = "TRACER_PKT_CONT" }
local smd_states = { [0] = "CLOSED", [1] = "OPENING", [2] = "OPENED", [3] = "FLUSHING",
	[4] = "CLOSING", [5] = "RESET", [6] = "RESET_OPENING" }

local f = {
	version = ProtoField.uint8("rpmsg.version", "Record version"),
	event = ProtoField.uint8("rpmsg.event", "Event", base.DEC, events),
	dir = ProtoField.uint8("rpmsg.dir", "Direction", base.DEC, dirs),
	transport = ProtoField.uint8("rpmsg.transport", "Transport", base.DEC, transports),
	src = ProtoField.uint32("rpmsg.src", "Source address"),
	dst = ProtoField.uint32("rpmsg.dst", "Destination address"),
	flags = ProtoField.uint16("rpmsg.flags", "Flags", base.HEX),
	code = ProtoField.uint16("rpmsg.code", "Control code"),
	len = ProtoField.uint32("rpmsg.len", "Payload length"),
	reserved = ProtoField.uint32("rpmsg.reserved", "Reserved", base.HEX),
	payload = ProtoField.bytes("rpmsg.payload", "Payload"),
	channel = ProtoField.string("rpmsg.channel.name", "Channel name"),
	truncated = ProtoField.bool("rpmsg.truncated", "Payload cut at the snap length"),
}
rpmsg.fields = f

local nf = {
	name = ProtoField.string("rpmsg.ns.name", "Name"),
	addr = ProtoField.uint32("rpmsg.ns.addr", "Address"),
	flags = ProtoField.uint32("rpmsg.ns.flags", "Flags", base.DEC, ns_flags),
}
ns.fields = nf

local gf = {
	cmd = ProtoField.uint16("glink.cmd", "Command", base.DEC, glink_cmds),
	param1 = ProtoField.uint16("glink.param1", "Param 1"),
	param2 = ProtoField.uint32("glink.param2", "Param 2"),
	name = ProtoField.string("glink.name", "Channel name"),
}
glink.fields = gf

local sf = { state = ProtoField.uint16("smd.state", "Channel state", base.DEC, smd_states),
	channel = ProtoField.string("smd.channel", "Channel") }
smd.fields = sf
-- SCP control records: the INIT (IPI 0) and name-service (IPI 255) messages no endpoint
-- sees, and the watchdog status (code 256, not an IPI id).
local scp_kinds = { [0] = "INIT", [255] = "NS", [256] = "WATCHDOG" }
local pf = { ipi = ProtoField.uint16("scp.ipi", "IPI id", base.DEC, scp_kinds),
	fw = ProtoField.string("scp.fw_version", "Firmware version"),
	ns_name = ProtoField.string("scp.ns.name", "Announced name"),
	ns_id = ProtoField.uint32("scp.ns.id", "Announced IPI id"),
	status = ProtoField.uint32("scp.status", "SCP_TO_HOST status", base.HEX) }
scp.fields = pf

local e_short = ProtoExpert.new("rpmsg.short", "Record shorter than its 24-byte header",
	expert.group.MALFORMED, expert.severity.ERROR)
local e_ns = ProtoExpert.new("rpmsg.ns.short", "Name-service message shorter than 40 bytes",
	expert.group.MALFORMED, expert.severity.WARN)
rpmsg.experts = { e_short, e_ns }

local function cstring(range)
	-- up to the first NUL; never past the range
	local s = range:raw()
	local nul = s:find("\0", 1, true)
	return nul and s:sub(1, nul - 1) or s
end

local function dissect_ns(body, pinfo, tree)
	local t = tree:add(ns, body)
	if body:len() < 40 then
		t:add_proto_expert_info(e_ns)
		return
	end
	local name = cstring(body(0, 32))
	t:add(nf.name, body(0, 32), name)
	t:add_le(nf.addr, body(32, 4))
	t:add_le(nf.flags, body(36, 4))
	local fl = body(36, 4):le_uint()
	pinfo.cols.info:append(string.format(" NS %s \"%s\" at %d", ns_flags[fl] or tostring(fl), name,
		body(32, 4):le_uint()))
end

local function dissect_control(tr, code, body, pinfo, tree)
	if tr == 2 then
		local t = tree:add(glink, body)
		t:add(gf.cmd, code)
		local name = glink_cmds[code] or ("cmd " .. code)
		pinfo.cols.info:append(" GLINK " .. name)
		if body:len() >= 8 then
			t:add_le(gf.param1, body(2, 2))
			t:add_le(gf.param2, body(4, 4))
			if code == 2 and body:len() > 8 then
				local n = cstring(body(8))
				t:add(gf.name, body(8), n)
				pinfo.cols.info:append(" \"" .. n .. "\"")
			end
		end
	elseif tr == 3 then
		local t = tree:add(smd, body)
		t:add(sf.state, code)
		local ch = ""
		if body:len() > 0 then
			ch = cstring(body)
			t:add(sf.channel, body, ch)
		end
		pinfo.cols.info:append(" SMD " .. (ch ~= "" and ("\"" .. ch .. "\" ") or "") .. "state " ..
			(smd_states[code] or tostring(code)))
	elseif tr == 4 then
		local t = tree:add(scp, body)
		t:add(pf.ipi, code)
		pinfo.cols.info:append(" SCP " .. (scp_kinds[code] or ("IPI " .. code)))
		if code == 0 and body:len() >= 36 then
			local v = cstring(body(4, 32))
			t:add(pf.fw, body(4, 32), v)
			pinfo.cols.info:append(" \"" .. v .. "\"")
		elseif code == 255 and body:len() >= 36 then
			local n = cstring(body(0, 32))
			t:add(pf.ns_name, body(0, 32), n)
			t:add_le(pf.ns_id, body(32, 4))
			pinfo.cols.info:append(string.format(" \"%s\" at IPI %d", n, body(32, 4):le_uint()))
		elseif code == 256 and body:len() >= 4 then
			t:add_le(pf.status, body(0, 4))
		end
	else
		pinfo.cols.info:append(" control " .. code)
	end
end

function rpmsg.dissector(tvb, pinfo, tree)
	pinfo.cols.protocol = "RPMsg"
	local t = tree:add(rpmsg, tvb())
	if tvb:len() < 24 then
		t:add_proto_expert_info(e_short)
		pinfo.cols.info = "malformed record"
		return
	end
	local ev = tvb(1, 1):uint()
	local dir = tvb(2, 1):uint()
	local tr = tvb(3, 1):uint()
	local src = tvb(4, 4):le_uint()
	local dst = tvb(8, 4):le_uint()
	local code = tvb(14, 2):le_uint()
	local len = tvb(16, 4):le_uint()
	t:add(f.version, tvb(0, 1))
	t:add(f.event, tvb(1, 1))
	t:add(f.dir, tvb(2, 1))
	t:add(f.transport, tvb(3, 1))
	t:add_le(f.src, tvb(4, 4))
	t:add_le(f.dst, tvb(8, 4))
	t:add_le(f.flags, tvb(12, 2))
	t:add_le(f.code, tvb(14, 2))
	t:add_le(f.len, tvb(16, 4))
	t:add_le(f.reserved, tvb(20, 4))
	local avail = tvb:len() - 24
	local body = avail > 0 and tvb(24, avail) or nil
	if avail < len then
		t:add(f.truncated, true)
	end
	local function addr(a) return a == 0xFFFFFFFF and "ANY" or tostring(a) end
	pinfo.cols.src = addr(src)
	pinfo.cols.dst = addr(dst)
	pinfo.cols.info = string.format("%s %s %s -> %s len %d", transports[tr] or "?", dirs[dir] or "?",
		addr(src), addr(dst), len)
	if ev == 1 then
		if body then t:add(f.payload, body) end
		if dst == 53 and body then dissect_ns(body, pinfo, t) end
	elseif ev == 2 or ev == 3 then
		pinfo.cols.info = string.format("%s %s %s (src %s, dst %s)", transports[tr] or "?",
			events[ev], body and cstring(body) or "", addr(src), addr(dst))
		if body then t:add(f.channel, body, cstring(body)) end
	elseif ev == 4 then
		if body then t:add(f.payload, body) end
		dissect_control(tr, code, body or tvb(24, 0), pinfo, t)
	else
		pinfo.cols.info = "unknown event " .. ev
	end
end

DissectorTable.get("wtap_encap"):add(wtap.USER0, rpmsg)
