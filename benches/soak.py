#!/usr/bin/env python3
"""Soak test of `ecapi serve` (run by benches/soak.sh; see benches/README.md).

Phase 1, bounded memory: a hosted `ecapi serve` gets 500,000 mixed SOAP requests (PortStatus,
StartRecording, AssignField, GetURL, LogEvent, PortStatusEX, StopRecording, InitStation) from four
client processes on kept-alive connections, one value in ten 8,000 characters long. The server's
resident memory (VmRSS from /proc/PID/status) is read after every 50,000 requests; the figure is
the last reading over the one after the first 50,000 (aim: within 2x).

Phase 2, listings never stall SOAP: a recorder `ecapi serve --db FILE` is given 50,000 recordings,
then lists all of them (`{"fn":"recordings","limit":null}` over the control interface) three times
while another process sends PortStatus on its own connection, one at a time, timing each; the figure
is the 99th percentile of those taken while a listing ran (aim: under 50 ms).

Phase 3, the proxy's memory stays bounded: the same 500,000 mixed requests go through
`ecapi proxy --record FILE` to a hosted `ecapi serve`; the proxy's VmRSS is read after every 50,000
exchanges, and the figure is the last reading over the one after the first 50,000 (aim: within 2x).
Every exchange must be in the record at the end (one line each, plus the summary line).

Usage: soak.py PATH_TO_ECAPI [TOTAL_REQUESTS] [RECORDINGS] [PROXY_EXCHANGES]
SOAK_PHASES (default "123") picks the phases to run, e.g. SOAK_PHASES=3 for the proxy alone.
"""

import http.client
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time

NS = "http://tempuri.org/"
LONG = "v" * 8000
WORKERS = 4
CHECK_EVERY = int(os.environ.get("SOAK_CHECK_EVERY", "50000"))


def envelope(op, params):
    body = "".join(f"<{k}>{v}</{k}>" for k, v in params)
    return (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        f'<{op} xmlns="{NS}">{body}</{op}></s:Body></s:Envelope>'
    ).encode()


class Client:
    """One kept-alive connection posting SOAP requests."""

    def __init__(self, host, port, path):
        self.conn = http.client.HTTPConnection(host, port, timeout=60)
        self.path = path

    def call(self, op, params):
        body = envelope(op, params)
        self.conn.request(
            "POST",
            self.path,
            body,
            {
                "Content-Type": "text/xml; charset=utf-8",
                "SOAPAction": f'"{NS}IECAPI/{op}"',
            },
        )
        answer = self.conn.getresponse()
        data = answer.read()
        if answer.status != 200 or b"responseCode" not in data:
            raise SystemExit(f"{op}: HTTP {answer.status} {data[:200]!r}")
        return data


def serve(binary, args, command="serve"):
    """Starts `ecapi serve` (or `ecapi proxy`) on a free port; answers the process and its
    (host, port, path)."""
    proc = subprocess.Popen(
        [binary, command, "--listen", "127.0.0.1:0", "--quiet", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    url = next((w for w in line.split() if w.startswith("http://")), None)
    if url is None:
        proc.kill()
        raise SystemExit(f"no endpoint printed: {line!r} {proc.stderr.read()!r}")
    rest = url[len("http://"):]
    hostport, path = rest.split("/", 1)
    host, port = hostport.rsplit(":", 1)
    return proc, (host, int(port), "/" + path)


def status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])  # kB
    return 0


def mixed(where, worker, count, done):
    """Worker of phase 1: `count` requests in cycles of eight on its own ports."""
    c = Client(*where)
    n = 0
    cycle = 0
    while n < count:
        port = str(1 + worker * 70 + cycle % 70)
        big = cycle % 10 == 0
        steps = [
            ("PortStatus", [("Unit", "1"), ("Port", port)]),
            ("StartRecording", [("Unit", "1"), ("Port", port), ("maxRecordingTimeInSeconds", "0")]),
            ("AssignField", [("Unit", "1"), ("Port", port), ("fieldName", "fldCampaign"),
                             ("fieldValue", LONG if big else f"c{cycle}")]),
            ("GetURL", [("Unit", "1"), ("Port", port)]),
            ("LogEvent", [("eventType", LONG if big else "Sale"),
                          ("eventTimestamp", "2026-11-23T10:00:00"), ("Unit", "1"), ("Port", port),
                          ("User", ""), ("Machine", ""), ("Parm1", "p" * 1000 if big else "a"),
                          ("Parm2", ""), ("Parm3", "")]),
            ("PortStatusEX", [("Unit", "1"), ("Port", port)]),
            ("StopRecording", [("Unit", "1"), ("Port", port)]),
            ("InitStation", [("Extension", str(1000 + cycle % 500))]),
        ]
        for op, params in steps:
            if n >= count:
                break
            c.call(op, params)
            n += 1
            if n % 1000 == 0:
                with done.get_lock():
                    done.value += 1000
        cycle += 1


def phase1(binary, total):
    proc, where = serve(binary, [])
    return measure(proc, where, total)


def phase3(binary, total):
    upstream, (host, port, path) = serve(binary, [])
    tmp = tempfile.mkdtemp(prefix="ecapi-soak-")
    record = os.path.join(tmp, "proxy.jsonl")
    proc, where = serve(
        binary, ["--upstream", f"http://{host}:{port}{path}", "--record", record], command="proxy"
    )
    result = measure(proc, where, total)
    upstream.terminate()
    upstream.wait()
    with open(record, "rb") as f:
        lines = sum(1 for _ in f)
    result["record_lines"] = lines
    result["record_mib"] = round(os.path.getsize(record) / 1048576, 1)
    os.remove(record)
    os.rmdir(tmp)
    return result


def measure(proc, where, total):
    """Phase 1's and 3's load: `total` mixed requests from four workers, VmRSS read as they go."""
    done = mp.Value("q", 0)
    per = total // WORKERS
    workers = [mp.Process(target=mixed, args=(where, w, per, done)) for w in range(WORKERS)]
    started = time.time()
    for w in workers:
        w.start()
    readings = []
    next_check = CHECK_EVERY
    while any(w.is_alive() for w in workers):
        time.sleep(0.05)
        while done.value >= next_check:
            readings.append((next_check, status(proc.pid, "VmRSS")))
            print(f"  {next_check:>7} requests: VmRSS {readings[-1][1] / 1024:.1f} MiB", flush=True)
            next_check += CHECK_EVERY
    for w in workers:
        w.join()
        if w.exitcode != 0:
            raise SystemExit("a client failed")
    elapsed = time.time() - started
    end_rss = status(proc.pid, "VmRSS")
    peak = status(proc.pid, "VmHWM")
    proc.terminate()
    proc.wait()
    first = readings[0][1] if readings else end_rss
    return {
        "requests": per * WORKERS,
        "seconds": round(elapsed, 1),
        "requests_per_second": round(per * WORKERS / elapsed),
        "rss_after_first_50000_mib": round(first / 1024, 1),
        "rss_end_mib": round(end_rss / 1024, 1),
        "rss_peak_mib": round(peak / 1024, 1),
        "ratio_end_over_first": round(end_rss / first, 2),
        "readings_mib": [(n, round(kb / 1024, 1)) for n, kb in readings],
    }


def populate(where, worker, count):
    c = Client(*where)
    for i in range(count):
        port = str(1 + worker * 70 + i % 70)
        c.call("StartRecording", [("Unit", "1"), ("Port", port), ("maxRecordingTimeInSeconds", "0")])
        c.call("StopRecording", [("Unit", "1"), ("Port", port)])


def latencies(where, stop, out):
    """Phase 2's SOAP client: PortStatus one at a time until told to stop; (start, seconds) pairs."""
    c = Client(*where)
    samples = []
    while not stop.is_set():
        t = time.perf_counter()
        c.call("PortStatus", [("Unit", "1"), ("Port", "280")])
        samples.append((time.time(), time.perf_counter() - t))
    out.put(samples)


def listing(where):
    host, port, path = where
    conn = http.client.HTTPConnection(host, port, timeout=300)
    body = json.dumps({"fn": "recordings", "limit": None})
    conn.request("POST", path + "/control", body, {"Content-Type": "application/json"})
    answer = conn.getresponse()
    data = answer.read()
    value = json.loads(data)
    if not value.get("ok"):
        raise SystemExit(f"listing refused: {value}")
    return len(value["value"]), len(data)


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(len(values) * p))]


def phase2(binary, recordings):
    tmp = tempfile.mkdtemp(prefix="ecapi-soak-")
    db = os.path.join(tmp, "soak.db")
    proc, where = serve(binary, ["--profile", "recorder", "--db", db])
    started = time.time()
    per = recordings // WORKERS
    workers = [mp.Process(target=populate, args=(where, w, per)) for w in range(WORKERS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
        if w.exitcode != 0:
            raise SystemExit("a client failed")
    populate_s = time.time() - started
    rss_before = status(proc.pid, "VmRSS")

    stop = mp.Event()
    out = mp.Queue()
    probe = mp.Process(target=latencies, args=(where, stop, out))
    probe.start()
    time.sleep(10)  # the baseline, without a listing
    windows = []
    sizes = []
    for _ in range(3):
        t0 = time.time()
        count, size = listing(where)
        windows.append((t0, time.time()))
        sizes.append((count, size))
        time.sleep(0.5)
    stop.set()
    samples = out.get()
    probe.join()
    rss_after = status(proc.pid, "VmRSS")
    peak = status(proc.pid, "VmHWM")
    proc.terminate()
    proc.wait()

    during = [s for (t, s) in samples if any(a <= t <= b for a, b in windows)]
    before = [s for (t, s) in samples if t < windows[0][0]]
    ms = lambda v: round(v * 1000, 2)
    return {
        "recordings": sizes[0][0],
        "listing_bytes": sizes[0][1],
        "populate_seconds": round(populate_s, 1),
        "listing_seconds": [round(b - a, 2) for a, b in windows],
        "soap_calls_during_listings": len(during),
        "soap_p50_ms_during": ms(percentile(during, 0.50)),
        "soap_p99_ms_during": ms(percentile(during, 0.99)),
        "soap_max_ms_during": ms(max(during) if during else float("nan")),
        "soap_over_50ms_during": sum(1 for s in during if s > 0.05),
        "soap_calls_baseline": len(before),
        "soap_p99_ms_baseline": ms(percentile(before, 0.99)),
        "soap_max_ms_baseline": ms(max(before) if before else float("nan")),
        "soap_over_50ms_baseline": sum(1 for s in before if s > 0.05),
        "rss_before_listings_mib": round(rss_before / 1024, 1),
        "rss_after_listings_mib": round(rss_after / 1024, 1),
        "rss_peak_mib": round(peak / 1024, 1),
    }


def main():
    binary = sys.argv[1]
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 500_000
    recordings = int(sys.argv[3]) if len(sys.argv) > 3 else 50_000
    exchanges = int(sys.argv[4]) if len(sys.argv) > 4 else 500_000
    phases = os.environ.get("SOAK_PHASES", "123")
    ok = True
    if "1" in phases:
        print(f"phase 1: {total} mixed requests against a hosted ecapi serve", flush=True)
        one = phase1(binary, total)
        print(json.dumps(one, indent=2), flush=True)
        ok = ok and one["ratio_end_over_first"] <= 2.0
    if "2" in phases:
        print(f"phase 2: {recordings} recordings in a recorder --db, listed while SOAP is timed",
              flush=True)
        two = phase2(binary, recordings)
        print(json.dumps(two, indent=2), flush=True)
        ok = ok and two["soap_p99_ms_during"] < 50
    if "3" in phases:
        print(f"phase 3: {exchanges} mixed exchanges through ecapi proxy --record to ecapi serve",
              flush=True)
        three = phase3(binary, exchanges)
        print(json.dumps(three, indent=2), flush=True)
        # Every exchange is a line, and the summary one more.
        ok = ok and three["ratio_end_over_first"] <= 2.0
        ok = ok and three["record_lines"] == three["requests"] + 1
    print("PASS" if ok else "FAIL: outside the aims", flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
