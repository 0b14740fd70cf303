"""A hold scheduled with sim_at, met by a zeep client alone: the CRM under test drives the served
recorder, the simulator puts the call on hold on its own once its clock passes the due time, and
the client reads SUSPENDED.

Usage: python3 zeep_scheduled_hold.py ENDPOINT_URL
   (a fresh `ecapi serve --profile recorder --config examples/recorder.toml --clock real`)
The test's own steps go through the control interface (JSON at ENDPOINT_URL/control): scheduling
the hold 30 s ahead and moving the clock 29.5 s; the last half second passes in real time while
the client polls, so the hold fires before the simulator answers one of the client's requests.
Exit status 0 when every check passes.
"""

import json
import sys
import time
import urllib.request

import zeep


def control(url, command):
    request = urllib.request.Request(
        url + "/control",
        data=json.dumps(command).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        body = json.load(answer)
    if not body.get("ok"):
        raise SystemExit(f"control {command['fn']} refused: {body}")
    return body.get("value")


def main():
    url = sys.argv[1]
    failures = []

    def check(label, condition, detail=""):
        print(f"{'ok  ' if condition else 'FAIL'} {label}{': ' + str(detail) if not condition else ''}")
        if not condition:
            failures.append(label)

    service = zeep.Client(url + "?wsdl", settings=zeep.Settings(strict=True)).service
    station = service.InitStation(Extension="2001")
    check("InitStation answers 100", station.responseCode == 100, station)
    unit, port = station.Unit, station.Port
    started = service.StartRecording(Unit=unit, Port=port, maxRecordingTimeInSeconds=0)
    check("StartRecording answers 100", started.responseCode == 100, started)

    control(url, {"fn": "at", "seconds": 30, "event": "hold", "unit": unit, "port": port})
    before = service.PortStatus(Unit=unit, Port=port).portStatus
    check("before the due time the call records", before == "RECORD", before)
    control(url, {"fn": "advance", "seconds": 29.5})

    # From here on only the client talks to the simulator.
    deadline = time.monotonic() + 10
    status = None
    while time.monotonic() < deadline:
        status = service.PortStatus(Unit=unit, Port=port).portStatus
        if status == "SUSPENDED":
            break
        time.sleep(0.1)
    check("the scheduled hold is met as SUSPENDED", status == "SUSPENDED", status)
    fired = control(url, {"fn": "scheduled"})
    check("the hold fired and is listed as done", [e["outcome"] for e in fired] == ["done"], fired)
    url_answer = service.GetURL(Unit=unit, Port=port)
    check("GetURL on hold answers 608", url_answer.responseCode == 608, url_answer)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
