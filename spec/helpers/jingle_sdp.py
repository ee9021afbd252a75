"""Jingle <-> SDP conversion for the WebRTC test client.

aiortc speaks SDP offer/answer; XMPP clients speak Jingle. This module maps
one to the other for a single audio content:

- XEP-0166 Jingle contents (creator, name, senders),
- XEP-0167 RTP description (payload types, parameters),
- XEP-0293 rtcp-fb, XEP-0294 rtp-hdrext, XEP-0339 sources (ssrc/cname),
- XEP-0176 ICE-UDP transport (ufrag, pwd, candidates),
- XEP-0320 DTLS fingerprint with setup,
- XEP-0338 BUNDLE grouping,
- RFC 4733 telephone-event as an ordinary payload type.

aiortc drops codecs it does not implement (telephone-event among them) from
its own descriptions, so the caller adds or keeps telephone-event on the
Jingle side (see `add_telephone_events` and `ContentMap`).

Only the Python standard library and aiortc.sdp (for parsing aiortc's own
SDP) are used.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from aiortc.sdp import SessionDescription

NS_JINGLE = "urn:xmpp:jingle:1"
NS_RTP = "urn:xmpp:jingle:apps:rtp:1"
NS_RTCP_FB = "urn:xmpp:jingle:apps:rtp:rtcp-fb:0"
NS_HDREXT = "urn:xmpp:jingle:apps:rtp:rtp-hdrext:0"
NS_SSMA = "urn:xmpp:jingle:apps:rtp:ssma:0"
NS_ICE = "urn:xmpp:jingle:transports:ice-udp:1"
NS_DTLS = "urn:xmpp:jingle:apps:dtls:0"
NS_GROUP = "urn:xmpp:jingle:apps:grouping:0"

# aiortc's DTLS role names <-> SDP/XEP-0320 setup values.
ROLE_TO_SETUP = {"auto": "actpass", "client": "active", "server": "passive"}


def q(ns: str, name: str) -> str:
    """ElementTree's qualified name."""
    return f"{{{ns}}}{name}"


@dataclass
class PayloadType:
    """One XEP-0167 payload-type."""

    id: int
    name: str
    clockrate: int
    channels: int = 1
    parameters: Dict[str, str] = field(default_factory=dict)
    rtcp_fb: List[tuple] = field(default_factory=list)  # (type, subtype or None)


@dataclass
class ContentMap:
    """How one Jingle content maps to aiortc's media section.

    `name`/`creator` are what goes on the wire; `mid` is what aiortc calls
    the media section. They differ when we offer with a client-specific
    content name (Gajim's "voice") while aiortc numbers its sections "0".
    """

    name: str
    creator: str
    mid: str
    senders: str = "both"


# -- candidates ---------------------------------------------------------------

def candidate_to_element(cand, generation: int = 0) -> ET.Element:
    """An aiortc/aioice candidate (foundation, component, ...) as XEP-0176 XML."""
    el = ET.Element(q(NS_ICE, "candidate"), {
        "component": str(cand.component),
        "foundation": str(cand.foundation),
        "generation": str(generation),
        "id": f"c{cand.foundation[:8]}{cand.component}{cand.port}",
        "ip": cand.ip,
        "network": "0",
        "port": str(cand.port),
        "priority": str(cand.priority),
        "protocol": cand.protocol.lower(),
        "type": cand.type,
    })
    if getattr(cand, "relatedAddress", None):
        el.set("rel-addr", cand.relatedAddress)
    if getattr(cand, "relatedPort", None) is not None:
        el.set("rel-port", str(cand.relatedPort))
    return el


def candidate_sdp_from_element(el: ET.Element) -> str:
    """XEP-0176 candidate as the value of an SDP a=candidate line."""
    line = (f"{el.get('foundation', '1')} {el.get('component', '1')} "
            f"{el.get('protocol', 'udp')} {el.get('priority', '0')} {el.get('ip')} "
            f"{el.get('port')} typ {el.get('type', 'host')}")
    if el.get("rel-addr") is not None:
        line += f" raddr {el.get('rel-addr')}"
    if el.get("rel-port") is not None:
        line += f" rport {el.get('rel-port')}"
    return line


# -- SDP (from aiortc) -> Jingle ------------------------------------------------

@dataclass
class JingleOptions:
    """Client-emulation knobs for what we put into Jingle."""

    include_candidates: bool = True
    rtcp_mux: bool = True
    telephone_event: bool = True
    # Fingerprint setup to announce in an offer. XEP-0320 offers say
    # "actpass" (Conversations refuses anything else).
    offer_setup: str = "actpass"


def sdp_to_contents(sdp: str, contents: List[ContentMap], opts: JingleOptions, offer: bool,
                    extra_payloads: Optional[List[PayloadType]] = None) -> List[ET.Element]:
    """aiortc's local SDP as Jingle <content/> elements, one per ContentMap
    (matched by mid), plus a XEP-0338 <group/> when there is one. `offer`:
    whether this describes our offer (session-initiate) or our answer."""
    desc = SessionDescription.parse(sdp)
    out = []
    by_mid = {c.mid: c for c in contents}
    for media in desc.media:
        cmap = by_mid.get(media.rtp.muxId)
        if cmap is None:
            continue
        content = ET.Element(q(NS_JINGLE, "content"), {
            "creator": cmap.creator, "name": cmap.name, "senders": cmap.senders})
        description = ET.SubElement(content, q(NS_RTP, "description"), {"media": media.kind})
        payloads = [PayloadType(
            id=c.payloadType, name=c.mimeType.split("/", 1)[1], clockrate=c.clockRate,
            channels=c.channels or 1,
            parameters={k: str(v) for k, v in c.parameters.items()},
            rtcp_fb=[(fb.type, fb.parameter) for fb in c.rtcpFeedback])
            for c in media.rtp.codecs]
        if opts.telephone_event:
            payloads += extra_payloads or []
        for pt in payloads:
            description.append(payload_to_element(pt))
        for ext in media.rtp.headerExtensions:
            ET.SubElement(description, q(NS_HDREXT, "rtp-hdrext"),
                          {"id": str(ext.id), "uri": ext.uri})
        if opts.rtcp_mux and media.rtcp_mux:
            ET.SubElement(description, q(NS_RTP, "rtcp-mux"))
        for src in media.ssrc:
            source = ET.SubElement(description, q(NS_SSMA, "source"), {"ssrc": str(src.ssrc)})
            if src.cname:
                ET.SubElement(source, q(NS_SSMA, "parameter"), {"name": "cname", "value": src.cname})
        transport = ET.SubElement(content, q(NS_ICE, "transport"), {
            "ufrag": media.ice.usernameFragment, "pwd": media.ice.password})
        setup = opts.offer_setup if offer else ROLE_TO_SETUP[media.dtls.role]
        for fp in media.dtls.fingerprints:
            fpel = ET.SubElement(transport, q(NS_DTLS, "fingerprint"),
                                 {"hash": fp.algorithm, "setup": setup})
            fpel.text = fp.value
        if opts.include_candidates:
            for cand in media.ice_candidates:
                transport.append(candidate_to_element(cand))
        out.append(content)
    for group in desc.group:
        names = [by_mid[m].name for m in group.items if m in by_mid]
        if names:
            gel = ET.Element(q(NS_GROUP, "group"), {"semantics": group.semantic})
            for name in names:
                ET.SubElement(gel, q(NS_GROUP, "content"), {"name": name})
            out.append(gel)
    return out


def sdp_candidates(sdp: str, mid: str) -> list:
    """aiortc's gathered candidates of one media section."""
    for media in SessionDescription.parse(sdp).media:
        if media.rtp.muxId == mid:
            return list(media.ice_candidates)
    return []


def payload_to_element(pt: PayloadType) -> ET.Element:
    attrs = {"id": str(pt.id), "name": pt.name, "clockrate": str(pt.clockrate)}
    if pt.channels and pt.channels > 1:
        attrs["channels"] = str(pt.channels)
    el = ET.Element(q(NS_RTP, "payload-type"), attrs)
    for k, v in pt.parameters.items():
        ET.SubElement(el, q(NS_RTP, "parameter"), {"name": k, "value": v})
    for fb_type, fb_sub in pt.rtcp_fb:
        fb = ET.SubElement(el, q(NS_RTCP_FB, "rtcp-fb"), {"type": fb_type})
        if fb_sub:
            fb.set("subtype", fb_sub)
    return el


# -- Jingle -> SDP (for aiortc) ---------------------------------------------------

def parse_payloads(description: ET.Element) -> List[PayloadType]:
    out = []
    for el in description.findall(q(NS_RTP, "payload-type")):
        try:
            pt = PayloadType(id=int(el.get("id")), name=el.get("name", ""),
                             clockrate=int(el.get("clockrate", "8000")),
                             channels=int(el.get("channels", "1")))
        except (TypeError, ValueError):
            continue  # a payload-type without a usable id/clockrate
        for p in el.findall(q(NS_RTP, "parameter")):
            if p.get("name"):
                pt.parameters[p.get("name")] = p.get("value", "")
        for fb in el.findall(q(NS_RTCP_FB, "rtcp-fb")):
            pt.rtcp_fb.append((fb.get("type"), fb.get("subtype")))
        out.append(pt)
    return out


def contents_to_sdp(jingle: ET.Element, sdp_type: str, mid_of,
                    prefer: Optional[List[str]] = None) -> str:
    """A session-initiate/accept's audio contents as SDP for aiortc.

    mid_of(content_name) gives the a=mid for the content: the content name
    itself for a remote offer, aiortc's own mid for an answer to our offer.
    prefer: codec names to keep, in this order (telephone-event is always
    kept); aiortc answers with the first common codec of the offer and
    ignores setCodecPreferences when answering, so this is how an answerer
    picks a codec. Raises ValueError when no usable audio content is present.
    """
    lines = ["v=0", "o=- 0 0 IN IP4 0.0.0.0", "s=-", "t=0 0"]
    media_lines = []
    mids = []
    for content in jingle.findall(q(NS_JINGLE, "content")):
        description = content.find(q(NS_RTP, "description"))
        transport = content.find(q(NS_ICE, "transport"))
        if description is None or transport is None or description.get("media") != "audio":
            continue
        mid = mid_of(content.get("name"))
        mids.append(mid)
        payloads = parse_payloads(description)
        if prefer:
            rank = {name.lower(): i for i, name in enumerate(prefer)}
            rank["telephone-event"] = len(rank)
            payloads = sorted((p for p in payloads if p.name.lower() in rank),
                              key=lambda p: rank[p.name.lower()])
        if not payloads:
            raise ValueError("audio content without payload types")
        m = [f"m=audio 9 UDP/TLS/RTP/SAVPF {' '.join(str(p.id) for p in payloads)}",
             "c=IN IP4 0.0.0.0"]
        senders = content.get("senders", "both")
        m.append("a=" + {"both": "sendrecv", "none": "inactive"}.get(senders, "sendrecv"))
        for ext in description.findall(q(NS_HDREXT, "rtp-hdrext")):
            m.append(f"a=extmap:{ext.get('id')} {ext.get('uri')}")
        m.append(f"a=mid:{mid}")
        m.append("a=rtcp:9 IN IP4 0.0.0.0")
        if description.find(q(NS_RTP, "rtcp-mux")) is not None:
            m.append("a=rtcp-mux")
        for src in description.findall(q(NS_SSMA, "source")):
            cname = None
            for p in src.findall(q(NS_SSMA, "parameter")):
                if p.get("name") == "cname":
                    cname = p.get("value")
            if cname:
                m.append(f"a=ssrc:{src.get('ssrc')} cname:{cname}")
        for p in payloads:
            enc = f"{p.name}/{p.clockrate}" + (f"/{p.channels}" if p.channels > 1 else "")
            m.append(f"a=rtpmap:{p.id} {enc}")
            for fb_type, fb_sub in p.rtcp_fb:
                m.append(f"a=rtcp-fb:{p.id} {fb_type}" + (f" {fb_sub}" if fb_sub else ""))
            if p.parameters:
                m.append(f"a=fmtp:{p.id} " + ";".join(f"{k}={v}" for k, v in p.parameters.items()))
        for cand in transport.findall(q(NS_ICE, "candidate")):
            m.append("a=candidate:" + candidate_sdp_from_element(cand))
        m.append(f"a=ice-ufrag:{transport.get('ufrag')}")
        m.append(f"a=ice-pwd:{transport.get('pwd')}")
        fp = transport.find(q(NS_DTLS, "fingerprint"))
        if fp is None:
            raise ValueError("transport without a DTLS fingerprint")
        m.append(f"a=fingerprint:{fp.get('hash')} {(fp.text or '').strip()}")
        setup = fp.get("setup", "actpass")
        if sdp_type == "answer" and setup == "actpass":
            setup = "active"  # COMPAT: an answer must pick; actpass there means "you choose"
        m.append(f"a=setup:{setup}")
        media_lines += m
    if not mids:
        raise ValueError("no audio content with an ICE-UDP transport")
    lines.append("a=group:BUNDLE " + " ".join(mids))
    lines.append("a=msid-semantic:WMS *")
    return "\r\n".join(lines + media_lines) + "\r\n"


def telephone_events(description: ET.Element) -> List[PayloadType]:
    """The telephone-event payload types of a Jingle description."""
    return [p for p in parse_payloads(description) if p.name.lower() == "telephone-event"]
