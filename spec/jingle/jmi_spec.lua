local H = dofile("spec/jingle/helper.lua")
local jmi = require "jingle_sip.jingle.jmi"
local st = require "util.stanza"

local PHONE = "+15551234567@phone.example.net"

local function names(list)
	local out = {}
	for i, m in ipairs(list) do
		local child = m.tags[1]
		out[i] = child.name .. " -> " .. m.attr.to
	end
	return out
end

describe("jingle.jmi", function()
	describe("#parse()", function()
		it("should read Conversations' propose with receipt request", function()
			local m = assert(jmi.parse(H.stanza("conversations_propose.xml")))
			assert.same({
				action = "propose", namespace = "urn:xmpp:jingle-message:0", id = "Wm9cUDcYRyPQ-S8yWMxMHg",
				from = "alice@example.org/Conversations.Ab3d", to = PHONE, type = "chat",
				message_id = "jm-propose-Wm9cUDcYRyPQ-S8yWMxMHg",
				descriptions = { { namespace = "urn:xmpp:jingle:apps:rtp:1", media = "audio" } },
				receipt_requested = true,
			}, m)
		end)

		it("should read Dino's and Movim's proposes and their media", function()
			local d = assert(jmi.parse(H.stanza("dino_propose.xml")))
			assert.same({ audio = true }, jmi.media(d))
			assert.is_false(d.receipt_requested)
			local m = assert(jmi.parse(H.stanza("movim_propose.xml")))
			assert.same({ audio = true, video = true }, jmi.media(m))
		end)

		it("should keep Conversations' OMEMO <device/> in proceed out of the way", function()
			local m = assert(jmi.parse(H.stanza("conversations_proceed.xml")))
			assert.equal("proceed", m.action)
			assert.equal("device", m.unknown[1].name)
		end)

		it("should read Conversations' reason-less reject", function()
			local m = assert(jmi.parse(H.stanza("conversations_reject.xml")))
			assert.equal("reject", m.action)
			assert.is_nil(m.reason)
		end)

		it("should read reasons, tie-break and migrated", function()
			local msg = jmi.build("finish", { from = "a@b/c", to = "d@e", id = "s1",
				reason = { condition = "expired", text = "Session migrated" }, migrated_to = "s2" })
			local m = assert(jmi.parse(H.rewire(msg)))
			assert.same({ condition = "expired", text = "Session migrated" }, m.reason)
			assert.equal("s2", m.migrated_to)
			local r = assert(jmi.parse(H.rewire(jmi.build("reject", { id = "s1", reason = "expired", tie_break = true }))))
			assert.is_true(r.tie_break)
		end)

		it("should accept the :1 and StanzaJS namespaces", function()
			for _, ns in ipairs({ "urn:xmpp:jingle-message:1", "urn:xmpp:jingle:jingle-message:0" }) do
				local m = assert(jmi.parse(st.message({ from = "a@b/c", to = PHONE })
					:tag("propose", { xmlns = ns, id = "s9" })
					:tag("description", { xmlns = "urn:xmpp:jingle:apps:rtp:1", media = "audio" })))
				assert.equal(ns, m.namespace)
			end
		end)

		it("should unwrap a carbon copy and say so", function()
			local inner = H.stanza("conversations_proceed.xml")
			local carbon = st.message({ from = "bob@example.org", to = "bob@example.org/other" })
				:tag("received", { xmlns = "urn:xmpp:carbons:2" })
				:tag("forwarded", { xmlns = "urn:xmpp:forward:0" }):add_child(inner)
			local m = assert(jmi.parse(carbon))
			assert.equal("received", m.carbon)
			assert.equal("bob@example.org/Conversations.Zz9q", m.from)
		end)

		it("should refuse malformed messages without raising", function()
			assert.same({ nil, { condition = "bad-request", text = "propose without id" } },
				{ jmi.parse(st.message({}):tag("propose", { xmlns = "urn:xmpp:jingle-message:0" })) })
			assert.same({ nil, { condition = "bad-request", text = "propose without description" } },
				{ jmi.parse(st.message({}):tag("propose", { xmlns = "urn:xmpp:jingle-message:0", id = "x" })) })
			assert.same({ nil, { condition = "bad-request", text = "no jingle message" } },
				{ jmi.parse(st.message({}):tag("body"):text("hi")) })
			for _, garbage in ipairs({ nil, 1, "x", {}, { name = "message" } }) do
				local m, err = jmi.parse(garbage)
				assert.is_nil(m)
				assert.equal("bad-request", err.condition)
			end
		end)
	end)

	describe("#answer_propose() (client calls a phone)", function()
		it("should answer Conversations at once: receipt, ringing, proceed to its full JID", function()
			local m = assert(jmi.parse(H.stanza("conversations_propose.xml")))
			local a = jmi.answer_propose(m)
			assert.is_true(a.accept)
			assert.same({ "received -> alice@example.org/Conversations.Ab3d", "ringing -> alice@example.org/Conversations.Ab3d",
				"proceed -> alice@example.org/Conversations.Ab3d" }, names(a.send))
			assert.equal("<message from='+15551234567@phone.example.net' id='rcpt-jm-propose-Wm9cUDcYRyPQ-S8yWMxMHg'"
				.. " to='alice@example.org/Conversations.Ab3d'><received xmlns='urn:xmpp:receipts'"
				.. " id='jm-propose-Wm9cUDcYRyPQ-S8yWMxMHg'/></message>", H.canon(H.rewire(a.send[1])))
			assert.equal("<message from='+15551234567@phone.example.net' id='jm-proceed-Wm9cUDcYRyPQ-S8yWMxMHg'"
				.. " to='alice@example.org/Conversations.Ab3d' type='chat'><proceed xmlns='urn:xmpp:jingle-message:0'"
				.. " id='Wm9cUDcYRyPQ-S8yWMxMHg'/><store xmlns='urn:xmpp:hints'/></message>", H.canon(H.rewire(a.send[3])))
			assert.same({ sid = "Wm9cUDcYRyPQ-S8yWMxMHg", local_jid = PHONE,
				peer_jid = "alice@example.org/Conversations.Ab3d", namespace = "urn:xmpp:jingle-message:0" }, a.call)
		end)

		it("should send no receipt to Dino, which asks none", function()
			local a = jmi.answer_propose(assert(jmi.parse(H.stanza("dino_propose.xml"))), { ringing = false })
			assert.same({ "proceed -> carol@example.org/dino.5f1a" }, names(a.send))
		end)

		it("should answer the :1 namespace with accept, in :1", function()
			local m = assert(jmi.parse(st.message({ from = "g@h/i", to = PHONE, id = "m1" })
				:tag("propose", { xmlns = "urn:xmpp:jingle-message:1", id = "s9" })
				:tag("description", { xmlns = "urn:xmpp:jingle:apps:rtp:1", media = "audio" })))
			local a = jmi.answer_propose(m, { ringing = false })
			assert.equal("accept", a.send[1].tags[1].name)
			assert.equal("urn:xmpp:jingle-message:1", a.send[1].tags[1].attr.xmlns)
		end)

		it("should reject a video-only propose: this is a phone gateway", function()
			local m = assert(jmi.parse(st.message({ from = "g@h/i", to = PHONE })
				:tag("propose", { xmlns = "urn:xmpp:jingle-message:0", id = "s9" })
				:tag("description", { xmlns = "urn:xmpp:jingle:apps:rtp:1", media = "video" })))
			local a = jmi.answer_propose(m)
			assert.is_false(a.accept)
			local r = assert(jmi.parse(H.rewire(a.send[1])))
			assert.equal("reject", r.action)
			assert.same({ condition = "unsupported-applications", text = "Audio calls only" }, r.reason)
		end)
	end)

	describe("inbound calls (a phone calls a user)", function()
		local call
		before_each(function()
			call = { sid = "c0ffee11", local_jid = "+15557654321@phone.example.net", peer_jid = "bob@example.org",
				namespace = "urn:xmpp:jingle-message:0" }
		end)

		it("should ring every device with one propose to the bare JID", function()
			local m = assert(jmi.parse(H.rewire(jmi.ring(call))))
			assert.equal("bob@example.org", m.to)
			assert.equal("chat", m.type)
			assert.same({ audio = true }, jmi.media(m))
			assert.is_true(m.receipt_requested)
		end)

		it("should carry the store hint a sleeping client's server needs to keep and push it", function()
			-- XEP-0334: a server with no session online stores the propose
			-- offline, which is what makes mod_cloud_notify (and other servers'
			-- push modules) wake a mobile client (README.md "Users of other servers").
			local stanza = H.rewire(jmi.ring(call))
			assert.is_not_nil(stanza:get_child("store", "urn:xmpp:hints"), tostring(stanza))
		end)

		it("should initiate to the first device that proceeds", function()
			local d = jmi.on_answer(call, assert(jmi.parse(H.stanza("conversations_proceed.xml"))))
			assert.same({ kind = "proceed", initiate_to = "bob@example.org/Conversations.Zz9q", send = {} }, d)
		end)

		it("should retract toward a second device that proceeds too late", function()
			call.answered_by = "bob@example.org/dino.1"
			local d = jmi.on_answer(call, assert(jmi.parse(H.stanza("conversations_proceed.xml"))))
			assert.equal("duplicate", d.kind)
			local r = assert(jmi.parse(H.rewire(d.send[1])))
			assert.equal("retract", r.action)
			assert.equal("bob@example.org/Conversations.Zz9q", r.to)
			assert.same({ condition = "cancel", text = "Answered on another device" }, r.reason)
		end)

		it("should report reject, ringing and finish; ignore strangers, other sids and carbons", function()
			assert.equal("reject", jmi.on_answer(call, assert(jmi.parse(H.stanza("conversations_reject.xml")))).kind)
			local function from_bob(action, id, from)
				return assert(jmi.parse(st.message({ from = from or "bob@example.org/x", to = call.local_jid })
					:tag(action, { xmlns = "urn:xmpp:jingle-message:0", id = id or "c0ffee11" })))
			end
			assert.equal("ringing", jmi.on_answer(call, from_bob("ringing")).kind)
			assert.equal("finish", jmi.on_answer(call, from_bob("finish")).kind)
			assert.equal("finish", jmi.on_answer(call, from_bob("retract")).kind)
			assert.equal("ignore", jmi.on_answer(call, from_bob("proceed", "other")).kind)
			assert.equal("ignore", jmi.on_answer(call, from_bob("proceed", nil, "mallory@evil.example/x")).kind)
			assert.equal("ignore", jmi.on_answer(call, nil).kind)
		end)

		it("should retract and finish to the bare JID, and reject to the proposer", function()
			local r = assert(jmi.parse(H.rewire(jmi.retract(call))))
			assert.same({ "retract", "bob@example.org", "cancel" }, { r.action, r.to, r.reason.condition })
			local f = assert(jmi.parse(H.rewire(jmi.finish({ sid = "s", local_jid = PHONE,
				peer_jid = "alice@example.org/Conversations.Ab3d" }))))
			assert.same({ "finish", "alice@example.org", "success" }, { f.action, f.to, f.reason.condition })
			local j = assert(jmi.parse(H.rewire(jmi.reject({ sid = "s", local_jid = PHONE, peer_jid = "a@b/c" }))))
			assert.same({ "reject", "a@b/c", "busy" }, { j.action, j.to, j.reason.condition })
		end)
	end)
end)
