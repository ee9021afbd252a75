#!/usr/bin/python3
"""A real-WebRTC XMPP client for the end-to-end specs: places or answers one
Jingle audio call with aiortc (ICE, DTLS-SRTP, Opus/G.711) over slixmpp,
sends a sine tone, records what arrives, and writes a JSON report.

Run it with Debian's interpreter, which has python3-aiortc and
python3-slixmpp:

  /usr/bin/python3 spec/helpers/webrtc_client.py --jid alice@localhost \\
      --password pw --port 5222 --call bob@localhost --jmi --tone 440 \\
      --duration 4 --json-out alice.json
  /usr/bin/python3 spec/helpers/webrtc_client.py --jid bob@localhost \\
      --password pw --port 5222 --resource phone --answer --tone 660 \\
      --json-out bob.json

See `--help` for the client-emulation options (content name/creator,
telephone-event, rtcp-mux, trickle), and `Call.result` for the report. The
exit status is 0 when the call went as expected (connected and hung up with
"success", or ended with --expect-reason; the --expect-tone arrived), 1
otherwise, 3 on --timeout. spec/helpers/webrtc_client.lua drives it from
busted.

The JSON report (times in seconds since start):
  jid, role (caller|callee), mode (jmi|direct), sid, peer (full JID)
  states            [{state, t, ...}]: online, jmi-*-sent/received,
                    session-*-sent/received, pc-connecting, connected,
                    hangup, ended, pc-closed
  connected         ICE+DTLS came up (aiortc connectionState "connected")
  termination_reason, termination_text, terminated_by (local|remote)
  jmi               proceed | reject | retract | null; jmi_finish
  codec             "opus/48000", "PCMU/8000", ...
  telephone_event   {payload_type, clockrate} usable for sending, or null
  audio             {frequency_hz, rms, rms_dbfs, frames, sample_rate,
                    analyzed_ms}: received audio, --window-ms after --skip-ms
  rtp               packets_sent/received, bytes_sent, packets_lost (aiortc's
                    RTP stats), remote_packets_lost, round_trip_time,
                    telephone_event_packets_received, transport {...}
  selected_pair     {local_address, local_port, local_type, remote_...}
  dtmf_sent, dtmf_received ("123#"), dtmf_events [{digit, end,
                    duration_ms, volume, payload_type, time}]
  xep0181_acked     digits of --xep0181 the gateway acknowledged ("159")
  xep0181_errors    [{digit, condition, text}] the iq errors it answered
  candidates_sent (by transport-info), candidates_received,
  transport_info_received
  jingle            [{dir in|out, action, xml}] every Jingle payload
  errors, timeout, elapsed_s, exit_code

Network: loopback only. aioice gathers host candidates from every interface
and deliberately skips 127.0.0.1; `restrict_ice_to_loopback` replaces its
address enumeration so the only candidate is 127.0.0.1, and no STUN server
is configured (aiortc would otherwise default to a public one).
"""

import argparse
import asyncio
import base64
import hashlib
import json
import logging
import os
import random
import string
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional

# slixmpp warns at import that it uses the pure-Python stringprep: harmless here.
logging.getLogger("slixmpp.stringprep").setLevel(logging.ERROR)

import aioice.ice  # noqa: E402 (after the logging tweak above)
import slixmpp  # noqa: E402
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.sdp import SessionDescription, candidate_from_sdp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream.handler import Callback, CoroutineCallback
from slixmpp.xmlstream.matcher import MatchXPath

# Next to this file; Python puts a script's directory on sys.path. Keep the
# source tree free of __pycache__.
sys.dont_write_bytecode = True
import jingle_sdp as js
from webrtc_audio import DtmfReceiver, DtmfSender, Recorder, ToneTrack

NS_JMI = "urn:xmpp:jingle-message:0"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
DISCO_NAME = "jingle-sip test client"
NS_RTP_INFO = "urn:xmpp:jingle:apps:rtp:info:1"
NS_DTMF = "urn:xmpp:jingle:dtmf:0"  # XEP-0181 v0.12
JMI_ELEMENTS = ("propose", "ringing", "proceed", "reject", "retract", "finish")
NS_HINTS = "urn:xmpp:hints"

EXIT_OK, EXIT_FAILED, EXIT_TIMEOUT = 0, 1, 3

# The telephone-event payload types we offer (PT, clock rate), one per
# audio clock rate we offer, like libwebrtc-based clients do.
OFFER_TELEPHONE_EVENTS = [(101, 48000), (126, 8000)]

log = logging.getLogger("webrtc_client")


def restrict_ice_to_loopback() -> None:
    """Make aioice gather exactly one host candidate, 127.0.0.1 (see module doc)."""
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


def jingle_reason(jingle: ET.Element) -> tuple:
    """(condition, text) of a Jingle <reason/>, or (None, None)."""
    reason = jingle.find(js.q(js.NS_JINGLE, "reason"))
    if reason is None:
        return None, None
    cond, text = None, None
    for child in reason:
        tag = child.tag.split("}", 1)[-1]
        if tag == "text":
            text = child.text
        elif cond is None:
            cond = tag
    return cond, text


def reason_element(condition: str, text: Optional[str] = None) -> ET.Element:
    reason = ET.Element(js.q(js.NS_JINGLE, "reason"))
    ET.SubElement(reason, js.q(js.NS_JINGLE, condition))
    if text:
        ET.SubElement(reason, js.q(js.NS_JINGLE, "text")).text = text
    return reason


class Call:
    """One call: XMPP signalling (JMI + Jingle) and the aiortc peer connection."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.t0 = time.monotonic()
        self.result: Dict = {
            "jid": None, "role": "caller" if args.call else "callee",
            "mode": "jmi" if args.jmi else "direct", "states": [], "connected": False,
            "termination_reason": None, "termination_text": None, "terminated_by": None,
            "jmi": None, "sid": None, "peer": None, "codec": None, "telephone_event": None,
            "tone_sent_hz": args.tone, "audio": {}, "rtp": {}, "selected_pair": None,
            "dtmf_sent": "", "dtmf_received": "", "dtmf_events": [],
            "xep0181_acked": "", "xep0181_errors": [],
            "candidates_sent": 0, "candidates_received": 0, "transport_info_received": 0,
            "jingle": [], "errors": [],
        }
        self.xmpp = slixmpp.ClientXMPP(f"{args.jid}/{args.resource}", args.password)
        self.xmpp["feature_mechanisms"].unencrypted_plain = True
        self.xmpp.add_event_handler("session_start", self._on_session_start)
        self.xmpp.add_event_handler("failed_all_auth", self._on_failed_auth)
        # slixmpp's "message" event needs a <body/>: match JMI payloads ourselves.
        for name in JMI_ELEMENTS:
            self.xmpp.register_handler(Callback(
                f"jmi-{name}", MatchXPath(f"{{jabber:client}}message/{{{NS_JMI}}}{name}"),
                self._on_message))
        self.xmpp.register_handler(CoroutineCallback(
            "jingle", MatchXPath(f"{{jabber:client}}iq/{{{js.NS_JINGLE}}}jingle"), self._on_jingle))
        self.xmpp.register_handler(Callback(
            "disco-info", MatchXPath(f"{{jabber:client}}iq/{{{NS_DISCO_INFO}}}query"), self._on_disco_info))
        self.online = asyncio.Event()
        self.ended = asyncio.Event()
        self.remote_answered: asyncio.Future = asyncio.get_running_loop().create_future()
        self.jmi_answer: asyncio.Future = asyncio.get_running_loop().create_future()
        self.sid: Optional[str] = None
        self.peer: Optional[str] = None
        self.pc: Optional[RTCPeerConnection] = None
        self.contents: List[js.ContentMap] = []
        self.pending_candidates: List[tuple] = []  # (content name, <candidate/>)
        self.remote_set = False
        self.recorder = Recorder()
        self.track: Optional[ToneTrack] = None
        self.dtmf_sender: Optional[DtmfSender] = None
        self.dtmf_receiver: Optional[DtmfReceiver] = None
        self.te_payloads: List[js.PayloadType] = []
        self.connected_at: Optional[float] = None
        self.hanging_up = False
        self.opts = js.JingleOptions(include_candidates=args.candidates in ("inline", "both"),
                                     rtcp_mux=not args.no_rtcp_mux,
                                     telephone_event=not args.no_telephone_event)

    # -- bookkeeping -------------------------------------------------------------

    def state(self, name: str, **extra) -> None:
        entry = {"state": name, "t": round(time.monotonic() - self.t0, 3), **extra}
        self.result["states"].append(entry)
        log.info("%s %s", name, extra or "")

    def error(self, text: str) -> None:
        self.result["errors"].append(text)
        log.error("%s", text)

    def end(self, reason: Optional[str], by: str, text: Optional[str] = None) -> None:
        if self.ended.is_set():
            return
        self.result["termination_reason"] = reason
        self.result["termination_text"] = text
        self.result["terminated_by"] = by
        self.state("ended", reason=reason, by=by)
        self.ended.set()

    # -- XMPP ----------------------------------------------------------------------

    async def _on_session_start(self, _event) -> None:
        presence = self.xmpp.make_presence()
        if self.args.caps_node:  # XEP-0115: who we claim to be (Dino, Gajim, ...)
            presence.xml.append(ET.Element("{http://jabber.org/protocol/caps}c", {
                "hash": "sha-1", "node": self.args.caps_node, "ver": self.caps_ver()}))
        presence.send()
        self.result["jid"] = str(self.xmpp.boundjid)
        self.state("online", jid=str(self.xmpp.boundjid))
        self.online.set()
        if self.args.ready_file:  # lets a spec start the caller only once we can be called
            # presence.send() only queues it: a ping to our server answered
            # means the server has handled the presence before it (a server
            # handles one session's stanzas in order), so a call placed once
            # the file exists finds us available (XEP-0199; an error reply
            # proves the same).
            ping = self.xmpp.make_iq_get(ito=self.xmpp.boundjid.domain)
            ping.append(ET.Element("{urn:xmpp:ping}ping"))
            try:
                await ping.send(timeout=10)
            except IqError:
                pass
            except IqTimeout:
                log.warning("no answer to our ping: ready without knowing the presence arrived")
            with open(self.args.ready_file, "w", encoding="utf-8") as f:
                f.write(str(self.xmpp.boundjid) + "\n")

    def _on_failed_auth(self, _event) -> None:
        self.error("authentication failed")
        self.end("failed-auth", "local")

    def log_jingle(self, direction: str, jingle: ET.Element) -> None:
        """Keeps each Jingle payload for the report, so specs can check
        what went over the wire (content names, setup, payload types)."""
        self.result["jingle"].append({"dir": direction, "action": jingle.get("action"),
                                      "xml": ET.tostring(jingle, encoding="unicode")})

    def jingle_element(self, action: str, *children: ET.Element) -> ET.Element:
        el = ET.Element(js.q(js.NS_JINGLE, "jingle"), {"action": action, "sid": self.sid})
        if action == "session-initiate":
            el.set("initiator", str(self.xmpp.boundjid))
        elif action == "session-accept":
            el.set("responder", str(self.xmpp.boundjid))
        for c in children:
            el.append(c)
        return el

    async def send_jingle(self, action: str, *children: ET.Element, timeout: float = 10) -> bool:
        iq = self.xmpp.make_iq_set(ito=self.peer)
        jingle = self.jingle_element(action, *children)
        self.log_jingle("out", jingle)
        iq.xml.append(jingle)
        try:
            await iq.send(timeout=timeout)
            return True
        except IqError as exc:
            cond = exc.iq["error"]["condition"]
            self.error(f"{action} answered with error {cond}")
            return False
        except IqTimeout:
            self.error(f"{action} not answered in {timeout} s")
            return False

    async def send_xep0181(self, digits: str, duration_ms: int) -> None:
        """XEP-0181 v0.12: one session-info <dtmf/> per digit, each
        awaited; errors are reported, not fatal (the spec checks them)."""
        for d in digits:
            iq = self.xmpp.make_iq_set(ito=self.peer)
            dtmf = ET.Element(f"{{{NS_DTMF}}}dtmf", {"code": d, "duration": str(duration_ms)})
            jingle = self.jingle_element("session-info", dtmf)
            self.log_jingle("out", jingle)
            iq.xml.append(jingle)
            try:
                await iq.send(timeout=10)
                self.result["xep0181_acked"] += d
            except IqError as exc:
                self.result["xep0181_errors"].append({"digit": d, "condition": exc.iq["error"]["condition"],
                                                      "text": exc.iq["error"]["text"]})
            except IqTimeout:
                self.error(f"XEP-0181 digit {d} not answered in 10 s")

    def send_jmi(self, to: str, name: str, reason: Optional[str] = None, mtype: str = "chat",
                 description: bool = False) -> None:
        msg = self.xmpp.make_message(mto=to, mtype=mtype)
        el = ET.SubElement(msg.xml, js.q(NS_JMI, name), {"id": self.sid})
        if description:
            ET.SubElement(el, js.q(js.NS_RTP, "description"), {"media": "audio"})
        if reason:
            el.append(reason_element(reason))
        ET.SubElement(msg.xml, js.q(NS_HINTS, "store"))
        msg.send()
        self.state(f"jmi-{name}-sent", to=to)

    def _on_disco_info(self, iq) -> None:
        """What a Jingle phone client says about itself (XEP-0030): Jingle RTP
        audio over ICE-UDP with DTLS, and JMI unless --no-jmi (a client like
        an old Gajim, which only a direct session-initiate can ring)."""
        if iq["type"] != "get":
            return
        self.state("disco-info-received", sender=str(iq["from"]))
        self.result["disco_info_asked"] = self.result.get("disco_info_asked", 0) + 1
        reply = iq.reply(clear=True)
        query = ET.SubElement(reply.xml, f"{{{NS_DISCO_INFO}}}query")
        node = iq.xml.find(f"{{{NS_DISCO_INFO}}}query").get("node")
        if node:
            query.set("node", node)
        ET.SubElement(query, f"{{{NS_DISCO_INFO}}}identity",
                      {"category": "client", "type": "phone", "name": DISCO_NAME})
        for var in self.disco_features():
            ET.SubElement(query, f"{{{NS_DISCO_INFO}}}feature", {"var": var})
        reply.send()

    def disco_features(self) -> List[str]:
        features = [NS_DISCO_INFO, js.NS_JINGLE, js.NS_RTP, "urn:xmpp:jingle:apps:rtp:audio",
                    js.NS_ICE, "urn:xmpp:jingle:apps:dtls:0"]
        if not self.args.no_jmi:
            features.append(NS_JMI)
        return features

    def caps_ver(self) -> str:
        """XEP-0115 v1.6 section 5.1: sha-1 over our identity and features."""
        s = f"client/phone//{DISCO_NAME}<" + "".join(f + "<" for f in sorted(self.disco_features()))
        return base64.b64encode(hashlib.sha1(s.encode()).digest()).decode()

    def _on_message(self, msg) -> None:
        """XEP-0353 messages. Only this call's are acted on: Prosody hands a
        new session what was stored while we were offline (earlier runs'
        proposals, finishes), marked with a XEP-0203 delay; those are stale."""
        delayed = msg.xml.find("{urn:xmpp:delay}delay") is not None
        for child in msg.xml:
            if not child.tag.startswith(f"{{{NS_JMI}}}"):
                continue
            name, sid = child.tag.split("}", 1)[1], child.get("id")
            sender = str(msg["from"])
            if delayed or (name != "propose" and sid != self.sid):
                log.info("ignoring %s JMI %s from %s (id %s)",
                         "delayed" if delayed else "foreign", name, sender, sid)
                continue
            self.state(f"jmi-{name}-received", sender=sender)
            if self.args.no_jmi:
                continue  # a client without XEP-0353 does not know these elements
            if name == "propose":
                self._on_propose(child, sender)
            elif name == "proceed" and not self.jmi_answer.done():
                self.jmi_answer.set_result(("proceed", sender, (None, None)))
            elif name == "reject" and not self.jmi_answer.done():
                self.jmi_answer.set_result(("reject", sender, jingle_reason(child)))
            elif name == "retract":
                reason, text = jingle_reason(child)
                self.result["jmi"] = "retract"
                self.end(reason or "cancel", "remote", text)
            elif name == "finish":
                self.result["jmi_finish"] = jingle_reason(child)[0]

    async def _on_jingle(self, iq) -> None:
        jingle = iq.xml.find(js.q(js.NS_JINGLE, "jingle"))
        action, sid = jingle.get("action"), jingle.get("sid")
        sender = str(iq["from"])
        if action != "session-initiate" and sid != self.sid:
            reply = iq.reply()
            reply["type"] = "error"
            reply["error"]["type"] = "cancel"
            reply["error"]["condition"] = "item-not-found"
            reply["error"].xml.append(ET.Element("{urn:xmpp:jingle:errors:1}unknown-session"))
            reply.send()  # XEP-0166 7.2
            return
        iq.reply().send()  # acknowledge first (XEP-0166 7.2), then act
        self.log_jingle("in", jingle)
        self.state(f"{action}-received", sender=sender)
        try:
            if action == "session-initiate":
                await self._on_session_initiate(jingle, sender)
            elif action == "session-accept":
                if not self.remote_answered.done():
                    self.remote_answered.set_result(jingle)
            elif action == "transport-info":
                self.result["transport_info_received"] += 1
                for content in jingle.findall(js.q(js.NS_JINGLE, "content")):
                    transport = content.find(js.q(js.NS_ICE, "transport"))
                    if transport is not None:
                        for cand in transport.findall(js.q(js.NS_ICE, "candidate")):
                            await self.add_remote_candidate(content.get("name"), cand)
            elif action == "session-terminate":
                reason, text = jingle_reason(jingle)
                self.end(reason, "remote", text)
        except Exception as exc:  # pylint: disable=broad-except
            self.error(f"handling {action}: {exc!r}")
            await self.hangup("failed-application", str(exc))

    # -- media -----------------------------------------------------------------------

    def new_peer_connection(self) -> RTCPeerConnection:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.track = ToneTrack(self.args.tone, self.args.sample_rate)

        @pc.on("track")
        def on_track(track):
            if track.kind == "audio":
                self.recorder.start(track)

        @pc.on("connectionstatechange")
        async def on_state():
            self.state(f"pc-{pc.connectionState}")
            if pc.connectionState == "connected" and self.connected_at is None:
                self.connected_at = time.monotonic()
                self.result["connected"] = True
                self.state("connected")
                asyncio.ensure_future(self._media_phase())
            elif pc.connectionState == "failed":
                await self.hangup("connectivity-error", "ICE/DTLS failed")

        self.pc = pc
        return pc

    def add_track(self) -> None:
        self.pc.addTrack(self.track)
        if self.args.ice_credentials_length:
            # RFC 8839 allows ice-ufrag and ice-pwd of up to 256 ice-chars;
            # aioice makes 4 and 22. Longer ones before the description is
            # made, so the SDP, the Jingle transport and every STUN check
            # carry them.
            n = self.args.ice_credentials_length
            chars = string.ascii_letters + string.digits + "+/"
            gatherer = self.pc.getTransceivers()[0].sender.transport.transport.iceGatherer
            gatherer._connection.local_username = "".join(random.choice(chars) for _ in range(n))
            gatherer._connection.local_password = "".join(random.choice(chars) for _ in range(n))
        if self.args.codecs:
            wanted = [c.lower() for c in self.args.codecs.split(",")]
            caps = RTCRtpSender.getCapabilities("audio").codecs
            prefs = [c for w in wanted for c in caps if c.mimeType.lower() == f"audio/{w}"]
            self.pc.getTransceivers()[0].setCodecPreferences(prefs)

    def mid_for(self, name: str) -> str:
        for c in self.contents:
            if c.name == name:
                return c.mid
        return name

    async def add_remote_candidate(self, content_name: str, el: ET.Element) -> None:
        self.result["candidates_received"] += 1
        if not self.remote_set:
            self.pending_candidates.append((content_name, el))
            return
        cand = candidate_from_sdp(js.candidate_sdp_from_element(el))
        cand.sdpMid = self.mid_for(content_name)
        await self.pc.addIceCandidate(cand)

    async def set_remote(self, jingle: ET.Element, sdp_type: str) -> None:
        prefer = self.args.codecs.split(",") if self.args.codecs and sdp_type == "offer" else None
        sdp = js.contents_to_sdp(jingle, sdp_type, self.mid_for, prefer)
        log.debug("remote %s:\n%s", sdp_type, sdp)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=sdp_type))
        self.remote_set = True
        for name, el in self.pending_candidates:
            self.result["candidates_received"] -= 1  # counted when queued
            await self.add_remote_candidate(name, el)
        self.pending_candidates = []

    @staticmethod
    def video_content(audio: ET.Element) -> ET.Element:
        """A video content beside our audio one, as video-call clients
        offer: same ICE credentials and fingerprint, VP8. The gateway
        carries audio only and must decline it the way our client (by its
        caps) can parse."""
        content = ET.Element(js.q(js.NS_JINGLE, "content"),
                             {"creator": audio.get("creator"), "name": "video", "senders": "both"})
        description = ET.SubElement(content, js.q(js.NS_RTP, "description"), {"media": "video"})
        ET.SubElement(description, js.q(js.NS_RTP, "payload-type"),
                      {"id": "96", "name": "VP8", "clockrate": "90000"})
        transport = audio.find(js.q(js.NS_ICE, "transport"))
        video_transport = ET.SubElement(content, transport.tag,
                                        {"ufrag": transport.get("ufrag"), "pwd": transport.get("pwd")})
        for fp in transport:
            if fp.tag.endswith("}fingerprint"):
                video_transport.append(fp)
        return content

    def local_contents(self, offer: bool) -> List[ET.Element]:
        return js.sdp_to_contents(self.pc.localDescription.sdp, self.contents, self.opts,
                                  offer, self.te_payloads)

    async def trickle_candidates(self) -> None:
        """Our candidates (again), one transport-info each (--candidates
        trickle/early/both). aiortc gathers them all before it hands out its
        description, so this is trickle in form only, which is what the
        other side has to cope with."""
        if self.args.candidates == "inline":
            return
        for cmap in self.contents:
            desc = SessionDescription.parse(self.pc.localDescription.sdp)
            ufrag = pwd = None
            for media in desc.media:
                if media.rtp.muxId == cmap.mid:
                    ufrag, pwd = media.ice.usernameFragment, media.ice.password
            for cand in js.sdp_candidates(self.pc.localDescription.sdp, cmap.mid):
                content = ET.Element(js.q(js.NS_JINGLE, "content"),
                                     {"creator": cmap.creator, "name": cmap.name})
                transport = ET.SubElement(content, js.q(js.NS_ICE, "transport"),
                                          {"ufrag": ufrag, "pwd": pwd})
                transport.append(js.candidate_to_element(cand))
                if await self.send_jingle("transport-info", content):
                    self.result["candidates_sent"] += 1

    def negotiated(self, answer_sdp: str, remote_te: List[js.PayloadType]) -> None:
        """Record the codec in use and set up RFC 4733 for its clock rate."""
        media = SessionDescription.parse(answer_sdp).media[0]
        codecs = [c for c in media.rtp.codecs if c.mimeType.lower() != "audio/telephone-event"]
        if not codecs:
            return
        codec = codecs[0]
        self.result["codec"] = f"{codec.mimeType.split('/')[1]}/{codec.clockRate}"
        transport = self.pc.getSenders()[0].transport
        if not self.opts.telephone_event:
            remote_te = []  # not offered/accepted by us: neither sent nor expected
        te = [p for p in remote_te if p.clockrate == codec.clockRate]
        if remote_te:
            self.dtmf_receiver = DtmfReceiver({p.id: p.clockrate for p in remote_te})
            self.dtmf_receiver.install(transport)
        if te:
            self.result["telephone_event"] = {"payload_type": te[0].id, "clockrate": te[0].clockrate}
            self.dtmf_sender = DtmfSender(te[0].id, te[0].clockrate, self.args.dtmf_duration)
            self.dtmf_sender.install(transport)

    async def _hold_and_resume(self) -> None:
        """XEP-0167 §7.2: <hold/>, then <unhold/>, as session-info."""
        at, length = (float(x) for x in self.args.hold.split(","))
        await asyncio.sleep(at)
        for kind in ("hold", "unhold"):
            if self.ended.is_set():
                return
            if await self.send_jingle("session-info", ET.Element(js.q(NS_RTP_INFO, kind))):
                self.state(f"{kind}-sent")
            await asyncio.sleep(length)

    async def _go_unavailable(self) -> None:
        """Directed unavailable presence to the peer mid-call, the stream kept open."""
        await asyncio.sleep(self.args.unavailable_at)
        if not self.ended.is_set():
            self.xmpp.send_presence(pto=self.peer, ptype="unavailable")
            self.state("unavailable-sent")

    async def _media_phase(self) -> None:
        if self.args.hold:
            asyncio.ensure_future(self._hold_and_resume())
        if self.args.unavailable_at is not None:
            asyncio.ensure_future(self._go_unavailable())
        if self.args.dtmf:
            await asyncio.sleep(self.args.dtmf_delay)
            if self.dtmf_sender is None:
                self.error("DTMF requested but no telephone-event was negotiated")
            else:
                self.dtmf_sender.press(self.args.dtmf)
        if self.args.xep0181:
            await asyncio.sleep(self.args.dtmf_delay)
            await self.send_xep0181(self.args.xep0181, self.args.dtmf_duration)
        if self.args.duration > 0:
            remaining = self.connected_at + self.args.duration - time.monotonic()
            if remaining > 0:
                await asyncio.sleep(remaining)
            await self.hangup("success")

    async def hangup(self, reason: str, text: Optional[str] = None) -> None:
        """Ends the call from our side: JMI retract if only proposed, else
        session-terminate (and JMI finish). The call counts as ended once
        the peer has been told, so the run loop never cuts the stream first."""
        if self.ended.is_set() or self.hanging_up:
            return
        self.hanging_up = True
        self.state("hangup", reason=reason)
        if self.args.call and self.args.jmi and self.sid and not self.jmi_answer.done():
            self.send_jmi(self.args.call, "retract", reason)  # proposed, not yet answered
        elif self.peer and self.sid:
            await self.send_jingle("session-terminate", reason_element(reason, text), timeout=3)
            if self.result["mode"] == "jmi":
                self.send_jmi(self.peer, "finish", reason)
        self.end(reason, "local", text)

    async def unless_ended(self, fut: asyncio.Future) -> bool:
        """Waits for fut or the end of the call; True if fut completed."""
        ended = asyncio.ensure_future(self.ended.wait())
        await asyncio.wait([fut, ended], return_when=asyncio.FIRST_COMPLETED)
        ended.cancel()
        return fut.done()

    # -- outbound ----------------------------------------------------------------------

    async def place_call(self) -> None:
        args = self.args
        self.sid = uuid.uuid4().hex
        self.result["sid"] = self.sid
        if args.jmi:
            self.send_jmi(args.call, "propose", description=True)
            if not await self.unless_ended(self.jmi_answer):
                return
            kind, sender, (reason, text) = self.jmi_answer.result()
            self.result["jmi"] = kind
            if kind == "reject":
                self.end(reason or "decline", "remote", text)
                return
            self.peer = sender
        else:
            # A user's device needs its full JID; a gateway's phone JID is
            # bare, and that is where Gajim and Movim send session-initiate.
            self.peer = args.call
        self.result["peer"] = self.peer
        pc = self.new_peer_connection()
        self.add_track()
        await pc.setLocalDescription(await pc.createOffer())
        mid = pc.getTransceivers()[0].mid
        self.contents = [js.ContentMap(name=args.content_name or mid, creator=args.creator, mid=mid)]
        if self.opts.telephone_event:
            self.te_payloads = [js.PayloadType(id=pt, name="telephone-event", clockrate=rate)
                                for pt, rate in OFFER_TELEPHONE_EVENTS]
        offer = self.local_contents(offer=True)
        if args.offer_video:
            offer.append(self.video_content(offer[0]))
        if not await self.send_jingle("session-initiate", *offer):
            self.end("failed-application", "local", "session-initiate refused")
            return
        self.state("session-initiate-sent", to=self.peer)
        await self.trickle_candidates()
        if not await self.unless_ended(self.remote_answered):
            return
        accept = self.remote_answered.result()
        description = accept.find(f"{js.q(js.NS_JINGLE, 'content')}/{js.q(js.NS_RTP, 'description')}")
        await self.set_remote(accept, "answer")
        self.negotiated(pc.remoteDescription.sdp,
                        js.telephone_events(description) if description is not None else [])

    # -- inbound -------------------------------------------------------------------------

    def _on_propose(self, propose: ET.Element, sender: str) -> None:
        if self.args.no_jmi:
            return  # a client without XEP-0353 does not know what a propose is
        if not self.args.answer or self.sid is not None:
            return  # one call per client (a busy answer to JMI is not needed by the specs)
        self.sid = propose.get("id")
        self.peer = sender
        self.result.update(sid=self.sid, peer=sender)
        # Ring at once: Conversations gives up on a proposal that gets
        # neither a receipt nor <ringing/> within seconds (docs/INTEROP.md#11).
        self.send_jmi(sender, "ringing")
        asyncio.ensure_future(self._answer_proposal(sender))

    async def _answer_proposal(self, sender: str) -> None:
        await asyncio.sleep(self.args.answer_delay)
        if self.ended.is_set():
            return  # retracted while ringing
        if self.args.reject:
            self.send_jmi(sender, "reject", self.args.reject)
            self.result["jmi"] = "reject"
            self.end(self.args.reject, "local")
            return
        self.send_jmi(sender, "proceed")
        self.result["jmi"] = "proceed"

    async def _on_session_initiate(self, jingle: ET.Element, sender: str) -> None:
        if self.pc is not None and jingle.get("sid") == self.sid:
            return  # a repeated session-initiate: already being answered
        if not self.args.answer or (self.sid is not None and jingle.get("sid") != self.sid) \
                or self.pc is not None:
            # Not calling-in mode, or a second call: one call per client, say busy.
            self.state("busy-sent", to=sender)
            iq = self.xmpp.make_iq_set(ito=sender)
            el = ET.SubElement(iq.xml, js.q(js.NS_JINGLE, "jingle"),
                               {"action": "session-terminate", "sid": jingle.get("sid")})
            el.append(reason_element("busy"))
            iq.send()  # its answer does not matter to this call
            return
        self.sid = jingle.get("sid")
        self.peer = sender
        self.result.update(sid=self.sid, peer=sender)
        if self.args.reject and self.result["jmi"] is None:
            await asyncio.sleep(self.args.answer_delay)
            await self.hangup(self.args.reject)
            return
        contents = jingle.findall(js.q(js.NS_JINGLE, "content"))
        self.contents = [js.ContentMap(name=c.get("name"), creator=c.get("creator", "initiator"),
                                       mid=c.get("name"), senders=c.get("senders", "both"))
                         for c in contents
                         if c.find(js.q(js.NS_RTP, "description")) is not None]
        remote_te = []
        for c in contents:
            d = c.find(js.q(js.NS_RTP, "description"))
            if d is not None:
                remote_te += js.telephone_events(d)
        pc = self.new_peer_connection()
        await self.set_remote(jingle, "offer")
        self.add_track()
        if self.result["jmi"] is None and self.args.answer_delay:
            await asyncio.sleep(self.args.answer_delay)
        await pc.setLocalDescription(await pc.createAnswer())
        self.negotiated(pc.localDescription.sdp, remote_te)
        if self.opts.telephone_event and self.result["telephone_event"]:
            te = self.result["telephone_event"]
            self.te_payloads = [js.PayloadType(id=te["payload_type"], name="telephone-event",
                                               clockrate=te["clockrate"])]
        if self.args.candidates == "early":  # before session-accept (XEP-0176 allows it)
            await self.trickle_candidates()
        if not await self.send_jingle("session-accept", *self.local_contents(offer=False)):
            self.end("failed-application", "local", "session-accept refused")
            return
        self.state("session-accept-sent")
        if self.args.candidates != "early":
            await self.trickle_candidates()

    # -- run -------------------------------------------------------------------------------

    async def run(self) -> None:
        self.xmpp.connect(address=(self.args.host, self.args.port), force_starttls=False,
                          disable_starttls=True)
        online = asyncio.ensure_future(self.online.wait())
        ended = asyncio.ensure_future(self.ended.wait())
        await asyncio.wait([online, ended], return_when=asyncio.FIRST_COMPLETED)
        if self.ended.is_set():
            return
        if self.args.call:
            await self.place_call()
        await self.ended.wait()

    async def finish(self) -> None:
        """Collect statistics and audio analysis, then close everything."""
        if self.pc is not None:
            await self.collect_stats()
            await self.recorder.stop()
            try:
                await self.pc.close()
            except Exception as exc:  # pylint: disable=broad-except
                self.error(f"closing the peer connection: {exc!r}")
        self.result["audio"] = self.recorder.analyze(self.args.skip_ms, self.args.window_ms)
        if self.dtmf_sender:
            self.result["dtmf_sent"] = "".join(e["digit"] for e in self.dtmf_sender.sent)
        if self.dtmf_receiver:
            self.result["dtmf_received"] = self.dtmf_receiver.digits
            self.result["dtmf_events"] = self.dtmf_receiver.events
            rtp = self.result["rtp"]
            rtp["telephone_event_packets_received"] = self.dtmf_receiver.packets
            # aiortc never sees the telephone-event packets we take out of the
            # stream and counts their sequence numbers as lost.
            if "packets_lost" in rtp:
                rtp["packets_lost"] = max(0, rtp["packets_lost"] - self.dtmf_receiver.packets)
        self.xmpp.disconnect(wait=1)
        try:
            await asyncio.wait_for(self.xmpp.disconnected, 2)
        except asyncio.TimeoutError:
            pass

    async def collect_stats(self) -> None:
        rtp = self.result["rtp"]
        rtp.update(packets_sent=0, packets_received=0, bytes_sent=0, packets_lost=0)
        try:
            report = await self.pc.getStats()
        except Exception as exc:  # pylint: disable=broad-except
            self.error(f"getStats: {exc!r}")
            return
        for stat in report.values():
            if stat.type == "outbound-rtp":
                rtp["packets_sent"] += stat.packetsSent
                rtp["bytes_sent"] += stat.bytesSent
            elif stat.type == "inbound-rtp":
                rtp["packets_received"] += stat.packetsReceived
                rtp["packets_lost"] += stat.packetsLost
            elif stat.type == "remote-inbound-rtp":
                rtp["remote_packets_lost"] = stat.packetsLost
                rtp["round_trip_time"] = stat.roundTripTime
            elif stat.type == "transport":
                rtp["transport"] = {
                    "packets_sent": stat.packetsSent, "packets_received": stat.packetsReceived,
                    "bytes_sent": stat.bytesSent, "bytes_received": stat.bytesReceived,
                    "ice_role": stat.iceRole, "dtls_state": stat.dtlsState}
        # aiortc's stats have no candidate pair: read aioice's nominated pair.
        try:
            ice = self.pc.getSenders()[0].transport.transport
            pair = ice._connection._nominated.get(1)  # pylint: disable=protected-access
        except (AttributeError, IndexError):
            pair = None
        if pair is not None:
            local, remote = pair.local_candidate, pair.remote_candidate
            self.result["selected_pair"] = {
                "local_address": local.host, "local_port": local.port, "local_type": local.type,
                "remote_address": remote.host, "remote_port": remote.port,
                "remote_type": remote.type,
            }


def parse_args(argv: List[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jid", required=True, help="bare JID to log in as")
    p.add_argument("--password", required=True)
    p.add_argument("--resource", default="webrtc")
    p.add_argument("--host", default="127.0.0.1", help="c2s address (plain TCP)")
    p.add_argument("--port", type=int, default=5222)
    role = p.add_mutually_exclusive_group(required=True)
    role.add_argument("--call", metavar="JID", help="place a call (a user's full JID, or a gateway's phone JID, without --jmi)")
    role.add_argument("--answer", action="store_true", help="wait for a call and answer it")
    p.add_argument("--no-jmi", action="store_true",
                   help="act as a client without JMI: not in disco#info, proposals ignored")
    p.add_argument("--jmi", action="store_true",
                   help="propose by XEP-0353 first (Conversations, Dino); else session-initiate"
                   " directly (Gajim, Movim)")
    p.add_argument("--reject", metavar="REASON",
                   help="answer mode: reject with this Jingle reason (decline, busy, ...), by JMI"
                   " <reject/> if proposed, else by session-terminate")
    p.add_argument("--answer-delay", type=float, default=0.0,
                   help="seconds to ring before proceed/accept/reject")
    p.add_argument("--tone", type=float, default=440.0, help="tone to send, Hz (0: silence)")
    p.add_argument("--sample-rate", type=int, choices=(8000, 48000), default=48000)
    p.add_argument("--codecs", help="codec preference, e.g. opus,PCMU (default: aiortc's)")
    p.add_argument("--ice-credentials-length", type=int, default=0,
                   help="our ice-ufrag and ice-pwd this long (RFC 8839: up to 256; default aioice's)")
    p.add_argument("--duration", type=float, default=0.0,
                   help="hang up this many seconds after media connected (0: wait for the peer)")
    p.add_argument("--timeout", type=float, default=25.0, help="overall bound, seconds")
    p.add_argument("--skip-ms", type=int, default=500, help="received audio to skip before analysis")
    p.add_argument("--window-ms", type=int, default=2000, help="analysis window")
    p.add_argument("--expect-tone", type=float, help="fail unless this tone (within 2%%) arrived")
    p.add_argument("--expect-reason", help="fail unless the call ended with this reason")
    p.add_argument("--expect-dtmf", help="fail unless exactly these RFC 4733 digits arrived")
    p.add_argument("--dtmf", help="RFC 4733 digits to press once connected")
    p.add_argument("--xep0181", metavar="DIGITS", help="digits to send once connected as XEP-0181"
                   " <dtmf/> session-info, one iq each (for clients without RFC 4733)")
    p.add_argument("--dtmf-delay", type=float, default=1.0, help="seconds after connect")
    p.add_argument("--dtmf-duration", type=int, default=200, help="ms per digit")
    p.add_argument("--unavailable-at", type=float, metavar="AT",
                   help="send the peer unavailable presence AT seconds after connect (stream stays open)")
    p.add_argument("--hold", metavar="AT,LENGTH", help="session-info hold AT seconds after"
                   " connect, unhold LENGTH seconds later")
    p.add_argument("--caps-node", help="XEP-0115 caps node in our presence (e.g. https://dino.im)")
    p.add_argument("--offer-video", action="store_true",
                   help="offer a video content beside the audio one (outbound session-initiate)")
    p.add_argument("--content-name", help="our offer's content name (default aiortc's mid"
                   " '0', as Conversations; Gajim: voice)")
    p.add_argument("--creator", default="initiator", help="our offer's content creator")
    p.add_argument("--no-telephone-event", action="store_true", help="offer/accept no"
                   " telephone-event (Dino)")
    p.add_argument("--no-rtcp-mux", action="store_true",
                   help="omit <rtcp-mux/> (aiortc still muxes: it has one ICE component)")
    p.add_argument("--candidates", choices=("inline", "trickle", "early", "both"), default="inline",
                   help="our candidates: in session-initiate/accept (inline), only in"
                   " transport-info one by one after it (trickle; answering: early = before"
                   " session-accept), or both")
    p.add_argument("--json-out", help="write the result here (default stdout)")
    p.add_argument("--ready-file", help="write our full JID here once logged in and available")
    p.add_argument("--verbose", "-v", action="count", default=0)
    return p.parse_args(argv)


def verdict(result: Dict, args: argparse.Namespace) -> int:
    if result.get("timeout"):
        return EXIT_TIMEOUT
    if args.expect_reason:
        ok = result["termination_reason"] == args.expect_reason
        if not ok:
            result["errors"].append(f"expected reason {args.expect_reason}, got "
                                    f"{result['termination_reason']}")
    else:
        ok = result["connected"] and result["termination_reason"] == "success"
    if args.expect_dtmf is not None and result["dtmf_received"] != args.expect_dtmf.upper():
        result["errors"].append(f"expected DTMF {args.expect_dtmf}, got {result['dtmf_received']!r}")
        ok = False
    if args.expect_tone:
        freq = result["audio"].get("frequency_hz")
        if freq is None or abs(freq - args.expect_tone) > 0.02 * args.expect_tone:
            result["errors"].append(f"expected {args.expect_tone} Hz, detected {freq}")
            ok = False
    return EXIT_OK if ok else EXIT_FAILED


async def amain(args: argparse.Namespace) -> int:
    restrict_ice_to_loopback()
    call = Call(args)
    try:
        await asyncio.wait_for(call.run(), args.timeout)
    except asyncio.TimeoutError:
        call.result["timeout"] = True
        call.error(f"timed out after {args.timeout} s")
        await call.hangup("timeout")
    except Exception as exc:  # pylint: disable=broad-except
        # Test tooling must always leave a report behind.
        call.error(f"unexpected error: {exc!r}")
        await call.hangup("failed-application", str(exc))
    try:
        await asyncio.wait_for(call.finish(), 10)
    except asyncio.TimeoutError:
        call.error("cleanup timed out")
    except Exception as exc:  # pylint: disable=broad-except
        call.error(f"cleanup failed: {exc!r}")
    call.result["elapsed_s"] = round(time.monotonic() - call.t0, 3)
    code = verdict(call.result, args)
    call.result["exit_code"] = code
    text = json.dumps(call.result, indent=2, default=str)
    if args.json_out:
        with open(args.json_out + ".tmp", "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.replace(args.json_out + ".tmp", args.json_out)
    else:
        print(text)
    return code


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
        format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stderr)
    return asyncio.run(amain(args))


if __name__ == "__main__":
    sys.exit(main())
