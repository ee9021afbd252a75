#!/usr/bin/python3
"""The dominant tone of a 16-bit PCM WAV file (a SIP phone's recording), as
JSON: {"frequency_hz", "rms_dbfs", "analyzed_ms", "sample_rate"}.

    wav_tone.py FILE [SKIP_MS] [WINDOW_MS]
"""
import json
import sys
import wave

import numpy

from webrtc_audio import tone_of


def main() -> None:
    path = sys.argv[1]
    skip_ms = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    window_ms = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    with wave.open(path, "rb") as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        data = w.readframes(w.getnframes())
    if width != 2:
        raise SystemExit(f"{path}: {8 * width}-bit samples, expected 16")
    samples = numpy.frombuffer(data, dtype="<i2").astype(numpy.float64) / 32768.0
    if channels > 1:
        samples = samples.reshape(-1, channels)[:, 0]
    result = tone_of(samples, rate, skip_ms, window_ms)
    result["sample_rate"] = rate
    print(json.dumps(result))


if __name__ == "__main__":
    main()
