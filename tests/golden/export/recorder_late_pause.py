#!/usr/bin/env python3
"""The flow of recorder_late_pause.rhai as it ran on the embedded simulator, profile recorder
(Encore Web API 7.1): 8 requests, each checked against the code it was answered then. Made
by `ecapi export`; it needs nothing of ecapi to run.

Run it with Python 3 and zeep (pip install zeep), which builds the client from the
server's WSDL:

    python3 flow.py http://127.0.0.1:8080/WebAPI/ECAPI.svc

The endpoint URL is the first argument, or ECAPI_ENDPOINT.
ECAPI_PARAM_FIELD_NAME: the fieldName withheld by --redact.
ECAPI_PARAM_FIELD_NAME2: the fieldName withheld by --redact (its value number 2).
Prints one line per request (operation, code, message, milliseconds); exits 0 when every
code is the expected one, 1 naming the first request that is not, 2 on a usage error.
"""

import os
import sys
import time

import requests
import zeep

BINDING = "{http://tempuri.org/}BasicHttpBinding_IECAPI"

# The messages of the codes the flow expects, as the guide gives them.
MESSAGES = {
    100: "Command executed as expected",
    608: "Warning: Port was not recording",
    616: "Error: Port not in record or pause mode",
}


class FlowFailed(Exception):
    """A request got no answer, or not the expected code."""


def need(name, what):
    """A value the flow takes from the environment."""
    value = os.environ.get(name)
    if value is None:
        print(f"set {name}: the {what} withheld by --redact", file=sys.stderr)
        sys.exit(2)
    return value


def request(service, n, operation, expected, **params):
    """Sends one request, prints its line and checks its code against the expected one."""
    started = time.perf_counter()
    try:
        result = getattr(service, operation)(**params)
    except (zeep.exceptions.Error, requests.RequestException) as e:
        raise FlowFailed(f"#{n} {operation}: no answer: {e}") from e
    ms = round((time.perf_counter() - started) * 1000)
    print(f"{operation:<15} {result.responseCode} {result.responseMessage} {ms} ms")
    if result.responseCode != expected:
        raise FlowFailed(
            f"#{n} {operation}: expected {expected} ({MESSAGES[expected]}), "
            f"got {result.responseCode} ({result.responseMessage})"
        )
    return result


def flow(service):
    """The requests, in the order the flow sent them."""
    field_name = need("ECAPI_PARAM_FIELD_NAME", "fieldName")
    field_name2 = need("ECAPI_PARAM_FIELD_NAME2", "fieldName")

    # InitStation: guide 7.1, Initialization Requests > InitStation
    result = request(service, 1, "InitStation", 100, Extension="2001")
    port = result.Port
    unit = result.Unit

    # StartRecording: guide 7.1, Recording Control Requests > StartRecording
    request(
        service,
        2,
        "StartRecording",
        100,
        Unit=unit,
        Port=port,
        maxRecordingTimeInSeconds=0,
    )

    # AssignField: guide 7.1, Data Assignment Requests > AssignField
    request(
        service,
        3,
        "AssignField",
        100,
        Unit=unit,
        Port=port,
        fieldName=field_name,
        fieldValue="ACC-40117",
    )

    # GetField: guide 7.1, Information Requests > GetField
    result = request(
        service, 4, "GetField", 100, Unit=unit, Port=port, fieldName=field_name
    )
    value = result.fieldValue

    # AssignField: guide 7.1, Data Assignment Requests > AssignField
    request(
        service,
        5,
        "AssignField",
        100,
        Unit=unit,
        Port=port,
        fieldName=field_name2,
        fieldValue=value,
    )

    # StopRecording: guide 7.1, Recording Control Requests > StopRecording
    request(service, 6, "StopRecording", 100, Unit=unit, Port=port)

    # PauseRecording: guide 7.1, Recording Control Requests > PauseRecording
    request(service, 7, "PauseRecording", 608, Unit=unit, Port=port)

    # StopRecording: guide 7.1, Recording Control Requests > StopRecording
    request(service, 8, "StopRecording", 616, Unit=unit, Port=port)


def main():
    endpoint = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ECAPI_ENDPOINT")
    if not endpoint:
        print(
            "usage: python3 flow.py ENDPOINT_URL (or set ECAPI_ENDPOINT)",
            file=sys.stderr,
        )
        return 2
    try:
        client = zeep.Client(endpoint + "?wsdl")
    except (zeep.exceptions.Error, requests.RequestException) as e:
        print(f"FAIL cannot read the service description: {e}", file=sys.stderr)
        return 1
    try:
        flow(client.create_service(BINDING, endpoint))
    except FlowFailed as e:
        print(f"FAIL {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
