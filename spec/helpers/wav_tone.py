#!/usr/bin/python3
"""Dominant frequency and RMS level of a 16-bit PCM WAV file (the first
channel), over window_ms after the first skip_ms: the same measure as
webrtc_audio.Recorder.analyze. Prints JSON {frequency_hz, rms_dbfs}.

    wav_tone.py FILE [SKIP_MS [WINDOW_MS]]
"""
import json
import math
import sys
import wave

import numpy


def main() -> int:
    path = sys.argv[1]
    skip_ms = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    window_ms = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    with wave.open(path, "rb") as w:
        rate, channels = w.getframerate(), w.getnchannels()
        data = numpy.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    samples = data[::channels].astype(numpy.float64) / 32768.0
    skip = rate * skip_ms // 1000
    window = samples[skip:skip + rate * window_ms // 1000]
    result = {"frequency_hz": None, "rms_dbfs": None, "analyzed_ms": len(window) * 1000 // rate}
    if len(window) >= rate // 10:
        rms = float(numpy.sqrt(numpy.mean(window ** 2)))
        result["rms_dbfs"] = round(20 * math.log10(rms), 1) if rms > 0 else None
        spectrum = numpy.abs(numpy.fft.rfft(window * numpy.hanning(len(window))))
        spectrum[0] = 0
        k = int(numpy.argmax(spectrum))
        if rms > 0 and 0 < k < len(spectrum) - 1:
            a, b, c = spectrum[k - 1], spectrum[k], spectrum[k + 1]
            denom = a - 2 * b + c
            offset = 0.5 * (a - c) / denom if denom else 0.0
            result["frequency_hz"] = round((k + offset) * rate / len(window), 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
