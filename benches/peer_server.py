"""The peer server of issue 21: the PortStatus exchange of the Encore Web API as a Python team would
serve it, for `ecapi serve` to be measured against (benches/speed.sh, benches/README.md).

A WSGI application on waitress (its defaults: four threads) that reads the SOAP 1.1 envelope with
lxml, checks the SOAPAction, reads Unit and Port, looks the port up in its own table of port
states and builds the answer with lxml: the same bytes `ecapi serve` answers to PortStatus on the
hosted profile (`<a:portStatus>NOT RECORDING</a:portStatus>` for a port never started), with the
same Content-Type. Anything else gets a SOAP fault (500) or 404/405, as WCF would.

    python3 benches/peer_server.py PORT          (listens on 127.0.0.1 only)

Needs lxml and waitress (`python3 -m pip install lxml waitress`; speed.sh installs them).
"""

import sys

import waitress
from lxml import etree

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE = "http://tempuri.org/"
CONTRACT = "http://schemas.datacontract.org/2004/07/ECAPI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PATH = "/WebAPI/ECAPI.svc"
ACTION = '"http://tempuri.org/IECAPI/PortStatus"'
CONTENT_TYPE = "text/xml; charset=utf-8"

# The port states this server knows; a port never started is not recording.
PORTS = {}

# One parser for every request: no network access, no entities, as a careful team would set it.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)


def answer(code, message, status):
    """The PortStatus answer, built element by element."""
    envelope = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"s": SOAP})
    body = etree.SubElement(envelope, f"{{{SOAP}}}Body")
    response = etree.SubElement(body, f"{{{SERVICE}}}PortStatusResponse", nsmap={None: SERVICE})
    result = etree.SubElement(
        response, f"{{{SERVICE}}}PortStatusResult", nsmap={"a": CONTRACT, "i": XSI}
    )
    etree.SubElement(result, f"{{{CONTRACT}}}responseCode").text = str(code)
    etree.SubElement(result, f"{{{CONTRACT}}}responseMessage").text = message
    etree.SubElement(result, f"{{{CONTRACT}}}portStatus").text = status
    return etree.tostring(envelope)


def fault(text):
    envelope = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"s": SOAP})
    body = etree.SubElement(envelope, f"{{{SOAP}}}Body")
    f = etree.SubElement(body, f"{{{SOAP}}}Fault")
    etree.SubElement(f, "faultcode").text = "s:Client"
    etree.SubElement(f, "faultstring").text = text
    return etree.tostring(envelope)


def app(environ, start_response):
    def send(status, body, content_type=CONTENT_TYPE):
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    if environ["PATH_INFO"] != PATH:
        return send("404 Not Found", b"", "text/plain")
    if environ["REQUEST_METHOD"] != "POST":
        return send("405 Method Not Allowed", b"", "text/plain")
    if environ.get("HTTP_SOAPACTION") != ACTION:
        return send("500 Internal Server Error", fault("unknown SOAPAction"))
    length = int(environ.get("CONTENT_LENGTH") or 0)
    try:
        root = etree.fromstring(environ["wsgi.input"].read(length), PARSER)
    except etree.XMLSyntaxError as e:
        return send("500 Internal Server Error", fault(f"not XML: {e}"))
    call = root.find(f"{{{SOAP}}}Body/{{{SERVICE}}}PortStatus")
    if call is None:
        return send("500 Internal Server Error", fault("no PortStatus in the Body"))
    unit = call.findtext(f"{{{SERVICE}}}Unit", "").strip()
    port = call.findtext(f"{{{SERVICE}}}Port", "").strip()
    status = PORTS.get((unit, port), "NOT RECORDING")
    return send("200 OK", answer(100, "Command executed as expected", status))


if __name__ == "__main__":
    waitress.serve(app, host="127.0.0.1", port=int(sys.argv[1]), ident=None, _quiet=True)
