"""The zeep side of benches/client_vs_zeep.sh: PortStatus calls one after the other through a zeep
client built from the server's WSDL (one requests.Session, so one kept-alive connection).
Prints calls/s. Usage: client_vs_zeep.py ENDPOINT_URL CALLS"""
import sys
import time

import zeep

url, calls = sys.argv[1], int(sys.argv[2])
client = zeep.Client(url + "?wsdl")
for _ in range(200):  # warm-up: connection, caches
    client.service.PortStatus(Unit="1", Port="1")
started = time.perf_counter()
for _ in range(calls):
    r = client.service.PortStatus(Unit="1", Port="1")
    if r.responseCode != 100:
        raise SystemExit(f"PortStatus answered {r.responseCode}")
print(calls / (time.perf_counter() - started))
