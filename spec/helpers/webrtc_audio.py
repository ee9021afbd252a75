"""Audio for the WebRTC test client: a sine tone source, a recorder with
dominant-frequency detection, and RFC 4733 telephone-event send/receive.

DTMF and aiortc 1.4: aiortc has no DTMF API (no RTCDTMFSender, and it drops
telephone-event from negotiation because it has no such codec). RFC 4733
events are plain RTP packets in the audio stream, so this module handles
them at aiortc's RTP boundary, on the RTCDtlsTransport instance:
- sending: `_send_rtp(bytes)` receives each RTP packet of the sender before
  SRTP protection; while a digit is pressed, `DtmfSender` rewrites the audio
  packets into telephone-event packets (same SSRC and sequence numbers, the
  event's start timestamp, RFC 4733 section 2.5 layout), as a phone does;
- receiving: `_handle_rtp_data(bytes, arrival_ms)` gets each decrypted RTP
  packet; `DtmfReceiver` takes the telephone-event ones out and passes the
  rest on. Without this aiortc would drop them as unknown payload type.
Both are private aiortc methods (checked for in `install`); the aiortc
version is pinned by Debian (1.4.0).
"""

import asyncio
import fractions
import math
import struct
import time
from typing import Dict, List, Optional

import numpy
from av import AudioFrame
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtp import is_rtcp

FRAME_MS = 20
DTMF_EVENTS = "0123456789*#ABCD"


class ToneTrack(MediaStreamTrack):
    """An audio track of a sine tone, 20 ms frames, paced in real time.

    frequency 0 sends silence. sample_rate 48000 or 8000; aiortc's encoders
    resample as their codec needs.
    """

    kind = "audio"

    def __init__(self, frequency: float, sample_rate: int = 48000, level: float = 0.3):
        super().__init__()
        self.frequency = frequency
        self.sample_rate = sample_rate
        self.amplitude = int(32767 * level)
        self.samples = sample_rate * FRAME_MS // 1000
        self._pts = 0
        self._start: Optional[float] = None
        self.frames_sent = 0

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            wait = self._start + self._pts / self.sample_rate - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        n = numpy.arange(self._pts, self._pts + self.samples)
        wave = self.amplitude * numpy.sin(2 * math.pi * self.frequency * n / self.sample_rate)
        frame = AudioFrame.from_ndarray(wave.astype(numpy.int16).reshape(1, -1),
                                        format="s16", layout="mono")
        frame.sample_rate = self.sample_rate
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, self.sample_rate)
        self._pts += self.samples
        self.frames_sent += 1
        return frame


class Recorder:
    """Consumes a received audio track, keeping mono samples for analysis."""

    def __init__(self):
        self.chunks: List[numpy.ndarray] = []
        self.sample_rate: Optional[int] = None
        self.frames = 0
        self.first_frame_time: Optional[float] = None
        self._task: Optional[asyncio.Task] = None

    def start(self, track: MediaStreamTrack) -> None:
        self._task = asyncio.ensure_future(self._run(track))

    async def _run(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                if self.first_frame_time is None:
                    self.first_frame_time = time.monotonic()
                channels = len(frame.layout.channels)
                data = frame.to_ndarray().reshape(-1)
                if channels > 1:  # packed s16: interleaved samples; keep the first channel
                    data = data[::channels]
                self.sample_rate = frame.sample_rate
                self.chunks.append(data.astype(numpy.float64) / 32768.0)
                self.frames += 1
        except MediaStreamError:
            pass

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    def analyze(self, skip_ms: int = 500, window_ms: int = 2000) -> dict:
        """tone_of() over what was received."""
        result = {"frames": self.frames, "sample_rate": self.sample_rate}
        samples = numpy.concatenate(self.chunks) if self.chunks else numpy.zeros(0)
        result.update(tone_of(samples, self.sample_rate or 0, skip_ms, window_ms))
        return result


def tone_of(samples, sample_rate: int, skip_ms: int = 500, window_ms: int = 2000) -> dict:
    """Dominant frequency (Hann-windowed FFT with parabolic peak
    interpolation) and RMS level of samples in [-1, 1] over window_ms after
    the first skip_ms."""
    result = {"frequency_hz": None, "rms": None, "rms_dbfs": None, "analyzed_ms": 0}
    if not sample_rate or len(samples) == 0:
        return result
    skip = sample_rate * skip_ms // 1000
    window = samples[skip:skip + sample_rate * window_ms // 1000]
    if len(window) < sample_rate // 10:  # under 100 ms: too short to tell
        return result
    rms = float(numpy.sqrt(numpy.mean(window ** 2)))
    result["rms"] = round(rms, 5)
    result["rms_dbfs"] = round(20 * math.log10(rms), 1) if rms > 0 else None
    result["analyzed_ms"] = len(window) * 1000 // sample_rate
    spectrum = numpy.abs(numpy.fft.rfft(window * numpy.hanning(len(window))))
    spectrum[0] = 0  # DC
    k = int(numpy.argmax(spectrum))
    if rms > 0 and 0 < k < len(spectrum) - 1:
        a, b, c = spectrum[k - 1], spectrum[k], spectrum[k + 1]
        denom = a - 2 * b + c
        offset = 0.5 * (a - c) / denom if denom else 0.0
        result["frequency_hz"] = round((k + offset) * sample_rate / len(window), 1)
    return result


# -- RFC 4733 ---------------------------------------------------------------------

def _rtp_header_length(data: bytes) -> Optional[int]:
    """Length of the RTP header (fixed part, CSRCs, extension), or None."""
    if len(data) < 12 or data[0] >> 6 != 2:
        return None
    length = 12 + 4 * (data[0] & 0x0F)
    if data[0] & 0x10:
        if len(data) < length + 4:
            return None
        length += 4 + 4 * struct.unpack_from("!H", data, length + 2)[0]
    return length if length <= len(data) else None


def _check_private(transport, name: str) -> None:
    if not callable(getattr(transport, name, None)):
        raise RuntimeError(f"aiortc's RTCDtlsTransport has no {name}: "
                           "RFC 4733 hooks need aiortc 1.4")


class DtmfSender:
    """Turns audio packets of our RTP stream into RFC 4733 events while a
    digit is pressed (RFC 4733 2.5: the event's packets share its start
    timestamp, the first has the marker bit, the last three have E set)."""

    def __init__(self, payload_type: int, clock_rate: int, duration_ms: int = 200,
                 gap_ms: int = 100, volume: int = 10):
        self.payload_type = payload_type
        self.clock_rate = clock_rate
        self.duration = clock_rate * duration_ms // 1000
        self.frame_units = clock_rate * FRAME_MS // 1000
        self.gap_packets = max(1, gap_ms // FRAME_MS)
        self.volume = volume
        self.queue: List[str] = []
        self.sent: List[dict] = []
        self._event: Optional[dict] = None
        self._gap = 0
        self._original = None

    def install(self, transport) -> None:
        _check_private(transport, "_send_rtp")
        self._original = transport._send_rtp
        transport._send_rtp = self._send_rtp

    def press(self, digits: str) -> None:
        for d in digits.upper():
            if d not in DTMF_EVENTS:
                raise ValueError(f"not a DTMF digit: {d!r}")
            self.queue.append(d)

    @property
    def busy(self) -> bool:
        return bool(self.queue) or self._event is not None

    async def _send_rtp(self, data: bytes) -> None:
        await self._original(self._rewrite(data))

    def _rewrite(self, data: bytes) -> bytes:
        hlen = _rtp_header_length(data)
        if hlen is None or is_rtcp(data):
            return data  # RTCP shares _send_rtp; leave it alone
        if self._event is None:
            if self._gap > 0:
                self._gap -= 1
                return data
            if not self.queue:
                return data
            digit = self.queue.pop(0)
            ts = struct.unpack_from("!I", data, 4)[0]
            self._event = {"digit": digit, "ts": ts, "ends": 0, "marker": True,
                           "time": time.time()}
        ev = self._event
        ts_now = struct.unpack_from("!I", data, 4)[0]
        # Duration so far: from the event start to the end of this packet's frame.
        elapsed = (ts_now - ev["ts"]) % (1 << 32) + self.frame_units
        end = elapsed >= self.duration or ev["ends"] > 0
        duration = min(self.duration if end else elapsed, 0xFFFF)
        if end:
            ev["ends"] += 1
        payload = struct.pack("!BBH", DTMF_EVENTS.index(ev["digit"]),
                              (0x80 if end else 0) | self.volume, duration)
        marker = 0x80 if ev["marker"] else 0
        ev["marker"] = False
        header = bytearray(data[:hlen])
        header[1] = marker | self.payload_type
        struct.pack_into("!I", header, 4, ev["ts"])
        if ev["ends"] >= 3:
            self.sent.append({"digit": ev["digit"], "time": ev["time"],
                              "duration_ms": duration * 1000 // self.clock_rate})
            self._event = None
            self._gap = self.gap_packets
        return bytes(header) + payload


class DtmfReceiver:
    """Takes RFC 4733 packets out of the decrypted RTP stream and records the
    events (one per start timestamp); other packets go on to aiortc."""

    def __init__(self, payload_types: Dict[int, int]):
        self.payload_types = payload_types  # payload type -> clock rate
        self.events: List[dict] = []
        self.packets = 0
        self._by_ts: Dict[tuple, dict] = {}
        self._original = None

    def install(self, transport) -> None:
        _check_private(transport, "_handle_rtp_data")
        self._original = transport._handle_rtp_data
        transport._handle_rtp_data = self._handle_rtp_data

    async def _handle_rtp_data(self, data: bytes, arrival_time_ms: int) -> None:
        hlen = _rtp_header_length(data)
        pt = data[1] & 0x7F if len(data) > 1 else None
        if hlen is not None and pt in self.payload_types and len(data) >= hlen + 4:
            self.packets += 1
            self._record(pt, data, hlen)
            return
        await self._original(data, arrival_time_ms)

    def _record(self, pt: int, data: bytes, hlen: int) -> None:
        ssrc, ts = struct.unpack_from("!I", data, 8)[0], struct.unpack_from("!I", data, 4)[0]
        event, flags, duration = struct.unpack_from("!BBH", data, hlen)
        key = (ssrc, ts)
        ev = self._by_ts.get(key)
        if ev is None:
            digit = DTMF_EVENTS[event] if event < len(DTMF_EVENTS) else f"event-{event}"
            ev = {"digit": digit, "time": time.time(), "volume": flags & 0x3F,
                  "payload_type": pt, "end": False, "duration_ms": 0}
            self._by_ts[key] = ev
            self.events.append(ev)
        ev["duration_ms"] = max(ev["duration_ms"], duration * 1000 // self.payload_types[pt])
        if flags & 0x80:
            ev["end"] = True

    @property
    def digits(self) -> str:
        return "".join(e["digit"] for e in self.events if len(e["digit"]) == 1)
