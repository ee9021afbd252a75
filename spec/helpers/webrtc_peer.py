#!/usr/bin/python3
"""A WebRTC peer standing in for a browser, for spec/ffi/real_call_spec.lua.

Debian's aiortc (python3-aiortc 1.4) behaves like a browser offerer: it makes
the SDP offer (ICE controlling, DTLS setup=actpass, rtcp-mux, opus/PCMU/PCMA),
sends a 440 Hz sine tone, and reads the audio that comes back.

Lua's io.popen is one-way, so signaling goes through files in DIR, each
written to a temporary name and renamed so the reader never sees half a file:

  DIR/offer.sdp    written here: the offer, with every candidate
  DIR/answer.sdp   written by the spec: the relay's answer (setup=active)
  DIR/result.txt   written here: key=value lines (packets, detected frequency)

Every wait is bounded; the peer gives up with a result line error=... and a
non-zero exit. Packets stay on loopback: aioice is told that 127.0.0.1 is the
only host address, and no STUN/TURN server is configured.

`webrtc_peer.py --free-ports` prints free ports for the spec instead.
"""
import asyncio
import fractions
import math
import os
import re
import socket
import sys
import time

import numpy


def free_ports():
    """Prints key=port lines: ports free now on 127.0.0.1 (UDP, and TCP for SIP)."""
    held = []

    def bindable(port, tcp):
        kinds = [socket.SOCK_DGRAM] + ([socket.SOCK_STREAM] if tcp else [])
        socks = []
        try:
            for kind in kinds:
                s = socket.socket(socket.AF_INET, kind)
                socks.append(s)
                s.bind(("127.0.0.1", port))
        except OSError:
            for s in socks:
                s.close()
            return False
        held.extend(socks)  # keep them until every port is chosen
        return True

    # The test ports' range, as spec/helpers/prosody.lua's: 10000-16299, or
    # JINGLE_SIP_TEST_PORTS="LO-HI" (scripts/run-tests.sh gives each suite
    # it runs side by side a block of its own).
    lo, hi = 10000, 16299
    m = re.match(r"^(\d+)-(\d+)$", os.environ.get("JINGLE_SIP_TEST_PORTS", ""))
    if m and 1024 <= int(m.group(1)) and int(m.group(2)) <= 65535 \
            and int(m.group(2)) - int(m.group(1)) >= 64:
        lo, hi = int(m.group(1)), int(m.group(2))
    span = (hi - lo + 1 - 20) // 2 * 2

    def block(count, tcp=False):
        # count consecutive ports from an even base, none of them in use,
        # in the test ports' range: below the relay's default RTP range and
        # the kernel's ephemeral range, whose ports any program on the
        # machine may take before the relay or sipp binds.
        base = lo + (os.getpid() * 37 + int(time.time() * 1000)) % span // 2 * 2
        for _ in range(5000):
            base = lo + (base - lo + 16) % span
            mark = len(held)
            if all(bindable(base + i, tcp) for i in range(count)):
                return base
            for s in held[mark:]:
                s.close()
            del held[mark:]
        raise SystemExit("no free ports")

    out = {
        "relay_sip": block(1, tcp=True),
        "trunk_sip": block(1, tcp=True),
        # sipp's -mp port; its RTP echo binds the next ports too.
        "trunk_media": block(4),
        "relay_rtp_min": block(8),
        "ice_min": block(8),
    }
    for s in held:
        s.close()
    for key, port in out.items():
        print(f"{key}={port}")


def write_file(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


async def wait_file(path, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                return f.read()
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{os.path.basename(path)} did not come within {timeout} s")


def dominant_frequency(samples, rate):
    """The strongest frequency in samples (Hann window, parabolic peak interpolation)."""
    x = numpy.asarray(samples, dtype=numpy.float64)
    x = x - x.mean()
    spectrum = numpy.abs(numpy.fft.rfft(x * numpy.hanning(len(x))))
    spectrum[0] = 0.0
    k = int(numpy.argmax(spectrum))
    if 0 < k < len(spectrum) - 1:
        a, b, c = spectrum[k - 1], spectrum[k], spectrum[k + 1]
        denom = a - 2 * b + c
        if denom != 0:
            k = k + 0.5 * (a - c) / denom
    return k * rate / len(x)


async def run(directory, tone_hz, seconds):
    import aioice.ice
    from aiortc import (MediaStreamTrack, RTCConfiguration, RTCPeerConnection,
                        RTCSessionDescription)
    from aiortc.mediastreams import MediaStreamError
    from av import AudioFrame

    # Loopback only (the project's test rule); aioice skips 127.0.0.1 itself.
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

    class Tone(MediaStreamTrack):
        """A paced sine tone, 20 ms frames of 8 kHz mono s16."""

        kind = "audio"

        def __init__(self, hz, rate=8000):
            super().__init__()
            self.hz, self.rate, self.samples = hz, rate, rate // 50
            self.pts, self.start = 0, None

        async def recv(self):
            if self.start is None:
                self.start = time.monotonic()
            else:
                delay = self.start + self.pts / self.rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            n = numpy.arange(self.pts, self.pts + self.samples)
            pcm = (numpy.sin(2 * math.pi * self.hz * n / self.rate) * 12000).astype(numpy.int16)
            frame = AudioFrame(format="s16", layout="mono", samples=self.samples)
            frame.planes[0].update(pcm.tobytes())
            frame.sample_rate = self.rate
            frame.pts = self.pts
            frame.time_base = fractions.Fraction(1, self.rate)
            self.pts += self.samples
            return frame

    received = {"samples": [], "rate": None, "frames": 0}
    readers = []
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))

    @pc.on("track")
    def on_track(track):
        async def read():
            while True:
                try:
                    frame = await track.recv()
                except MediaStreamError:
                    return
                received["frames"] += 1
                received["rate"] = frame.sample_rate
                received["samples"].append(frame.to_ndarray().reshape(-1))

        readers.append(asyncio.ensure_future(read()))

    result = {}
    try:
        pc.addTransceiver(Tone(tone_hz), direction="sendrecv")
        await pc.setLocalDescription(await pc.createOffer())  # gathers every candidate
        write_file(os.path.join(directory, "offer.sdp"), pc.localDescription.sdp)
        answer = await wait_file(os.path.join(directory, "answer.sdp"), 30)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        deadline = time.monotonic() + 15
        while pc.connectionState != "connected":
            if pc.connectionState in ("failed", "closed") or time.monotonic() > deadline:
                raise RuntimeError(f"connection state {pc.connectionState}")
            await asyncio.sleep(0.05)
        connected_at = time.monotonic()
        # Let the tone run; wait longer (bounded) if the echo is slow to start.
        while time.monotonic() - connected_at < seconds or (
                received["frames"] < 50 * seconds // 2 and time.monotonic() - connected_at < seconds + 5):
            await asyncio.sleep(0.1)
        for stat in (await pc.getStats()).values():
            if stat.type == "outbound-rtp":
                result["packets_sent"] = stat.packetsSent
            elif stat.type == "inbound-rtp":
                result["packets_received"] = stat.packetsReceived
        result["frames_received"] = received["frames"]
        result["connected_s"] = "%.2f" % (connected_at - started)
        if received["frames"] < 25:
            raise RuntimeError(f"only {received['frames']} audio frames came back")
        # The last second: the jitter buffer and the echo path have settled.
        samples = numpy.concatenate(received["samples"])
        rate = received["rate"]
        tail = samples[-rate:] if len(samples) >= rate else samples
        result["rate"] = rate
        result["frequency"] = "%.1f" % dominant_frequency(tail, rate)
        result["peak"] = int(numpy.max(numpy.abs(tail)))
        result["status"] = "ok"
    except Exception as e:  # reported to the spec, which fails with it
        result["status"] = "error"
        result["error"] = f"{type(e).__name__}: {e}".replace("\n", " ")
    finally:
        for r in readers:
            r.cancel()
        await pc.close()
    write_file(os.path.join(directory, "result.txt"),
               "".join(f"{k}={v}\n" for k, v in result.items()))
    return 0 if result["status"] == "ok" else 1


started = time.monotonic()

if __name__ == "__main__":
    if sys.argv[1:] == ["--free-ports"]:
        free_ports()
        sys.exit(0)
    if len(sys.argv) != 4:
        sys.exit("usage: webrtc_peer.py DIR TONE_HZ SECONDS | --free-ports")
    sys.exit(asyncio.run(run(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]))))
