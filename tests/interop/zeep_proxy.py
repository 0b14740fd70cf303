"""`ecapi proxy` between a zeep client and `ecapi serve`: every operation arrives unchanged (the
served simulator's journal matches the client's calls), a dropped connection and a fault pass
through as such, and the record holds every exchange with its envelopes.

Usage: python3 zeep_proxy.py PROXY_ENDPOINT SERVE_ENDPOINT RECORD_FILE
(a fresh `ecapi serve`, hosted profile, API 7.1; the proxy started with --record RECORD_FILE)
Exit status 0 when every check passes; each failure is printed.
"""

import json
import re
import sys
import urllib.request

import requests
import zeep
from zeep.exceptions import Fault

failures = []


def check(label, condition, detail=""):
    print(f"{'ok  ' if condition else 'FAIL'} {label}{': ' + str(detail) if detail and not condition else ''}")
    if not condition:
        failures.append(label)


def control(serve, command):
    request = urllib.request.Request(
        serve + "/control",
        data=json.dumps(command).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        reply = json.load(answer)
    if not reply.get("ok"):
        raise RuntimeError(f"control {command}: {reply}")
    return reply.get("value")


def main():
    proxy, serve, record = sys.argv[1], sys.argv[2], sys.argv[3]
    client = zeep.Client(proxy + "?wsdl", settings=zeep.Settings(strict=True))
    port = client.wsdl.services["ECAPI"].ports["BasicHttpBinding_IECAPI"]
    check("the WSDL through the proxy names the proxy", port.binding_options["address"] == proxy, port.binding_options["address"])
    service = client.service

    # Every operation, with the parameters as sent (strings, as they travel).
    calls = [
        ("InitStation", dict(Extension="1234")),
        ("InitUser", dict(Machine="WS-1", User="jsmith")),
        ("PortStatus", dict(Unit="1", Port="1")),
        ("StartRecording", dict(Unit="1", Port="1", maxRecordingTimeInSeconds=600)),
        ("AssignField", dict(Unit="1", Port="1", fieldName="fldClientID", fieldValue='A&B <Renée> "42"')),
        ("GetField", dict(Unit="1", Port="1", fieldName="fldClientID")),
        ("GetURL", dict(Unit="1", Port="1")),
        ("PauseRecording", dict(Unit="1", Port="1")),
        ("PortStatusEX", dict(Unit="1", Port="1")),
        ("ResumeRecording", dict(Unit="1", Port="1")),
        ("StopRecording", dict(Unit="1", Port="1")),
        ("StopRecording", dict(Unit="1", Port="1")),
        ("CancelRecording", dict(Unit="1", Port="1")),
        ("LogEvent", dict(Unit="1", Port="1", User="jsmith", Machine="WS-1", eventTimestamp="2026-01-15T10:00:00", eventType="Transfer", Parm1="é<>&", Parm2="", Parm3="")),
        ("DesktopPause", dict(User="jsmith")),
        ("DesktopResume", dict(User="jsmith")),
        ("InitStation", dict(Extension="")),
    ]
    codes = []
    for op, params in calls:
        codes.append(getattr(service, op)(**params).responseCode)
    check("the answers came back through the proxy", codes == [100] * 11 + [608, 100, 100, 100, 100, 659], codes)

    journal = control(serve, {"fn": "journal"})
    check("the served simulator saw every call, in order", [e["op"] for e in journal] == [op for op, _ in calls], [e["op"] for e in journal])
    for entry, (op, params) in zip(journal, calls):
        given = [[name, str(value)] for name, value in params.items() if str(value) != ""]
        check(f"{op} arrived with the parameters sent", sorted(entry["params"]) == sorted(given), (entry["params"], given))

    # A dropped connection reaches the client as a dropped connection.
    control(serve, {"fn": "wire_fault", "op": "PortStatus", "kind": "drop", "count": 1})
    try:
        service.PortStatus(Unit="1", Port="1")
        check("a dropped connection is dropped", False, "an answer came")
    except requests.exceptions.ConnectionError as error:
        check("a dropped connection is dropped", True)
    except Exception as error:
        check("a dropped connection is dropped", False, repr(error))

    # A fault reaches the client as the fault.
    control(serve, {"fn": "wire_fault", "op": "GetURL", "kind": "fault", "count": 1})
    try:
        service.GetURL(Unit="1", Port="1")
        check("a fault is a fault", False, "an answer came")
    except Fault as fault:
        check("a fault is a fault", "InternalServiceFault" in str(fault.code), fault.code)

    with open(record, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    exchanges = [r for r in records if r["kind"] == "exchange"]
    check("the record holds every exchange", len(exchanges) == len(calls) + 2, len(exchanges))
    for r, (op, params) in zip(exchanges, calls):
        ok = (
            r["operation"] == op
            and re.search(f"<(\\w+:)?{op}[ >]", r["request"])
            and f"<{op}Response " in (r["response"] or "")
        )
        check(f"the record of {op} holds both envelopes", ok, r)
    check("the record's AssignField value is intact", exchanges[4]["parameters"].get("fieldValue") == 'A&B <Renée> "42"', exchanges[4]["parameters"])
    dropped, fault = exchanges[-2], exchanges[-1]
    check("the record says dropped", dropped["outcome"] == "dropped" and dropped["response"] is None and dropped["status"] is None, dropped)
    check("the record holds the fault", fault["outcome"] == "fault" and fault["fault"]["code"] == "a:InternalServiceFault" and fault["status"] == 500, fault)

    if failures:
        print(f"{len(failures)} check(s) failed through the proxy")
        return 1
    print(f"zeep {zeep.__version__} through ecapi proxy: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
