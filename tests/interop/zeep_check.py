"""Interoperability check: a client that zeep generates from `ecapi serve`'s WSDL, in strict mode,
calls every operation of the API version and gets the answers the specification requires.

Usage: python3 zeep_check.py ENDPOINT_URL API_VERSION   (a fresh `ecapi serve`, hosted profile)
Exit status 0 when every check passes; each failure is printed.
"""

import sys

import zeep
from zeep.exceptions import Fault

OK = "Command executed as expected"

failures = []


def check(label, condition, detail=""):
    status = "ok  " if condition else "FAIL"
    print(f"{status} {label}{': ' + str(detail) if detail and not condition else ''}")
    if not condition:
        failures.append(label)


def expect(label, result, code, **fields):
    check(f"{label} answers {code}", result.responseCode == code, result)
    if code == 100:
        check(f"{label} message", result.responseMessage == OK, result.responseMessage)
    for name, expected in fields.items():
        actual = getattr(result, name)
        good = expected(actual) if callable(expected) else actual == expected
        check(f"{label} {name}", good, actual)
    return result


def main():
    url, api = sys.argv[1], sys.argv[2]
    client = zeep.Client(url + "?wsdl", settings=zeep.Settings(strict=True))
    service = client.service
    operations = sorted(client.wsdl.services["ECAPI"].ports["BasicHttpBinding_IECAPI"].binding._operations)
    v71 = ["DesktopPause", "DesktopResume", "GetField", "PortStatusEX", "ResumeRecording"]
    expected_ops = 15 if api == "7.1" else 10
    check(f"the WSDL of {api} has {expected_ops} operations", len(operations) == expected_ops, operations)
    if api == "7.0":
        check("no 7.1 operation under 7.0", not any(op in operations for op in v71), operations)

    expect("InitStation", service.InitStation(Extension="1234"), 100, Port="1", Unit="1")
    if api == "7.1":
        user = service.InitUser(Machine="WS-1", User="jsmith")
    else:
        user = service.InitUser(userName="jsmith", machineName="WS-1")
    expect("InitUser", user, 100, Port="2", Unit="1")
    expect("InitStation empty", service.InitStation(Extension=""), 659, Port=None, Unit=None)
    expect("PortStatus", service.PortStatus(Unit="1", Port="1"), 100, portStatus="NOT RECORDING")
    expect("PortStatus bad unit", service.PortStatus(Unit="2", Port="1"), 606, portStatus=None)
    expect("StartRecording", service.StartRecording(Unit="1", Port="1", maxRecordingTimeInSeconds=600), 100)
    expect("StartRecording again", service.StartRecording(Unit="1", Port="1", maxRecordingTimeInSeconds=0), 609)
    expect(
        "AssignField",
        service.AssignField(Unit="1", Port="1", fieldName="fldClientID", fieldValue="A&B <Renée> \"42\""),
        100,
    )
    expect(
        "GetURL",
        service.GetURL(Unit="1", Port="1"),
        100,
        URL=lambda u: u is not None and "/encore/urlplayer.aspx?fldCallIndex=" in u and u.endswith("&siteid=1"),
    )
    expect("PauseRecording", service.PauseRecording(Unit="1", Port="1"), 100)
    expect("PortStatus paused", service.PortStatus(Unit="1", Port="1"), 100, portStatus="PAUSE")
    if api == "7.1":
        expect("GetField", service.GetField(Unit="1", Port="1", fieldName="fldClientID"), 100, fieldValue="123")
        expect("PortStatusEX", service.PortStatusEX(Unit="1", Port="1"), 100, portStatus="PAUSE", stateDuration=20)
        expect("ResumeRecording", service.ResumeRecording(Unit="1", Port="1"), 100)
        expect("ResumeRecording again", service.ResumeRecording(Unit="1", Port="1"), 627)
        expect("DesktopPause", service.DesktopPause(User="jsmith"), 100)
        expect("DesktopResume", service.DesktopResume(User="jsmith"), 100)
        expect("DesktopResume without user", service.DesktopResume(User=""), 662)
    else:
        expect("StartRecording after pause", service.StartRecording(Unit="1", Port="1", maxRecordingTimeInSeconds=0), 100)
    expect("StopRecording", service.StopRecording(Unit="1", Port="1"), 100)
    expect("StopRecording again", service.StopRecording(Unit="1", Port="1"), 608)
    expect("CancelRecording", service.CancelRecording(Unit="1", Port="1"), 100)
    event = dict(Unit="1", Port="1", eventTimestamp="2026-01-15T10:00:00", eventType="Transfer", Parm1="é<>&", Parm2="", Parm3="")
    if api == "7.1":
        event.update(User="jsmith", Machine="WS-1")
    else:
        event.update(userName="jsmith", machineName="WS-1")
    expect("LogEvent", service.LogEvent(**event), 100)
    event["eventType"] = ""
    expect("LogEvent without type", service.LogEvent(**event), 657)

    # A request the service cannot read comes back as a SOAP fault zeep understands.
    try:
        client.transport.post_xml(
            url,
            zeep.loader.parse_xml(
                b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
                b'<StartRecording xmlns="http://tempuri.org/"><Unit>1</Unit><Port>1</Port>'
                b"<maxRecordingTimeInSeconds>abc</maxRecordingTimeInSeconds></StartRecording></s:Body></s:Envelope>",
                client.transport,
            ),
            {"SOAPAction": '"http://tempuri.org/IECAPI/StartRecording"', "Content-Type": "text/xml; charset=utf-8"},
        ).raise_for_status()
        check("an unreadable int is a fault", False, "HTTP 2xx")
    except Exception as error:  # requests raises HTTPError for the 500
        response = getattr(error, "response", None)
        body = response.content if response is not None else b""
        check("an unreadable int is a fault", response is not None and response.status_code == 500, error)
        binding = client.wsdl.services["ECAPI"].ports["BasicHttpBinding_IECAPI"].binding
        try:
            binding.process_error(zeep.loader.parse_xml(body, client.transport), None)
            check("zeep reads the fault", False, "no Fault raised")
        except Fault as fault:
            check("zeep reads the fault", "DeserializationFailed" in str(fault.code), fault.code)

    if failures:
        print(f"{len(failures)} check(s) failed under API {api}")
        return 1
    print(f"zeep {zeep.__version__}: every check passed under API {api}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
