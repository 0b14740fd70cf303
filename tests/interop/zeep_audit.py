"""A zeep "CRM" with a payment flow against `ecapi serve --profile recorder`, through `ecapi proxy`:
InitUser for CORP\\asmith (whose desktop is recorded in examples/recorder.toml), start, pause, take
the card number, resume, stop. The careless flow pauses only the audio and assigns the card number
itself; the corrected flow also sends DesktopPause/DesktopResume and assigns a token. Then the
served simulator's findings (the control interface's `findings`, as sim_findings() reads them)
must name desktop-not-paused and card-data for the careless flow, with the guide's words, and be
empty for the corrected one.

Usage: python3 zeep_audit.py PROXY_ENDPOINT SERVE_ENDPOINT careless|corrected
Exit status 0 when every check passes; each failure is printed.
"""

import json
import sys
import urllib.request

import zeep

failures = []
CARD = "4111 1111 1111 1111"


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
    proxy, serve, flow = sys.argv[1], sys.argv[2], sys.argv[3]
    careless = flow == "careless"
    crm = zeep.Client(proxy + "?wsdl", settings=zeep.Settings(strict=True)).service
    login = "CORP\\asmith"

    seat = crm.InitUser(Machine="PC-042", User=login)
    check("InitUser answers 100", seat.responseCode == 100, seat.responseCode)
    unit, port = seat.Unit, seat.Port
    check("StartRecording answers 100", crm.StartRecording(Unit=unit, Port=port, maxRecordingTimeInSeconds=0).responseCode == 100)
    # The customer is about to read out the card number.
    check("PauseRecording answers 100", crm.PauseRecording(Unit=unit, Port=port).responseCode == 100)
    if not careless:
        check("DesktopPause answers 100", crm.DesktopPause(User=login).responseCode == 100)
    value = CARD if careless else "tok_8c1f2e"
    check("AssignField answers 100", crm.AssignField(Unit=unit, Port=port, fieldName="fldCustomerAccountNum", fieldValue=value).responseCode == 100)
    check("ResumeRecording answers 100", crm.ResumeRecording(Unit=unit, Port=port).responseCode == 100)
    if not careless:
        check("DesktopResume answers 100", crm.DesktopResume(User=login).responseCode == 100)
    # The desktop window (5 s either side) passes on the simulator's clock, not in real time.
    control(serve, {"fn": "advance", "seconds": 10})
    check("StopRecording answers 100", crm.StopRecording(Unit=unit, Port=port).responseCode == 100)

    findings = control(serve, {"fn": "findings"})
    rules = sorted({f["rule"] for f in findings})
    text = json.dumps(findings)
    check("no finding shows the card number in clear", "4111 1111 1111 1111" not in text)
    if careless:
        check("sim_findings names card-data and desktop-not-paused", rules == ["card-data", "desktop-not-paused"], rules)
        card = [f for f in findings if f["rule"] == "card-data"]
        check("card-data shows the number masked", card and "4111 11** **** 1111" in card[0]["message"], card)
        desk = [f for f in findings if f["rule"] == "desktop-not-paused"]
        check("desktop-not-paused names the pause and the resume", len(desk) == 2, desk)
        check("desktop-not-paused quotes the guide", desk and "send both a PauseRecording and a DesktopPause" in desk[0]["quote"], desk)
        check("desktop-not-paused names the exchange", desk and "PauseRecording Unit=1 Port=1" in desk[0]["exchanges"][0]["line"], desk)
        journal = control(serve, {"fn": "journal"})
        marked = [e["op"] for e in journal if e.get("findings")]
        check("the journal holds the findings on the exchanges they concern", marked == ["PauseRecording", "AssignField", "ResumeRecording"], marked)
        check("the journal shows the card number masked", CARD not in json.dumps(journal))
    else:
        check("the corrected flow has no finding", findings == [], findings)
    coverage = control(serve, {"fn": "coverage"})
    check("sim_coverage counts the answers", coverage["codes"]["StartRecording"]["100"] == 1, coverage)
    check("sim_coverage names codes never answered", 618 in coverage["never_answered"], coverage)

    if failures:
        print(f"{len(failures)} checks failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
