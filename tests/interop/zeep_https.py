"""Interoperability over HTTPS with basic authentication: zeep (through requests) trusts the CA that
`ecapi serve --tls-self-signed DIR` wrote, sends the credentials of `--basic-auth`, reads the WSDL
and calls PortStatus; without the CA the handshake is refused, without the credentials the answer
is IIS's 401.

Usage: python3 zeep_https.py ENDPOINT_URL CA_PEM USER PASSWORD
Exit status 0 when every check passes; each failure is printed.
"""

import sys

import requests
import zeep
from requests.auth import HTTPBasicAuth
from zeep.transports import Transport

failures = []


def check(label, condition, detail=""):
    status = "ok  " if condition else "FAIL"
    print(f"{status} {label}{': ' + str(detail) if detail and not condition else ''}")
    if not condition:
        failures.append(label)


def main():
    url, ca, user, password = sys.argv[1:5]
    check("the endpoint is https", url.startswith("https://"), url)

    session = requests.Session()
    # requests lets REQUESTS_CA_BUNDLE (set on many machines) win over a session's own `verify`;
    # the CA given here must be the one used.
    session.trust_env = False
    session.verify = ca
    session.auth = HTTPBasicAuth(user, password)
    client = zeep.Client(url + "?wsdl", transport=Transport(session=session),
                         settings=zeep.Settings(strict=True))
    address = client.wsdl.services["ECAPI"].ports["BasicHttpBinding_IECAPI"].binding_options["address"]
    check("the WSDL names the https endpoint", address.startswith("https://"), address)
    result = client.service.PortStatus(Unit="1", Port="1")
    check("PortStatus over HTTPS answers 100", result.responseCode == 100, result)
    check("PortStatus status", result.portStatus == "NOT RECORDING", result.portStatus)

    try:
        requests.get(url + "?wsdl", auth=HTTPBasicAuth(user, password), timeout=10)
        check("without the CA the certificate is refused", False, "the request succeeded")
    except requests.exceptions.SSLError as e:
        check("without the CA the certificate is refused", "CERTIFICATE_VERIFY_FAILED" in str(e), e)

    answer = requests.get(url + "?wsdl", verify=ca, timeout=10)
    check("without credentials: 401", answer.status_code == 401, answer.status_code)
    challenge = answer.headers.get("WWW-Authenticate", "")
    check("the challenge is Basic with a realm", challenge.startswith('Basic realm="'), challenge)
    wrong = requests.get(url + "?wsdl", verify=ca, auth=HTTPBasicAuth(user, "wrong"), timeout=10)
    check("wrong credentials: 401", wrong.status_code == 401, wrong.status_code)

    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all HTTPS checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
