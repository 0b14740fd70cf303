// Interoperability check: a client that node-soap builds from `ecapi serve`'s ?wsdl (following its
// ?xsd=xsdN imports, as for any WCF service) calls every operation of the API version and gets the
// answers the specification requires.
//
// Usage: node node_check.js ENDPOINT_URL API_VERSION   (a fresh `ecapi serve`, hosted profile;
// NODE_PATH must reach the `soap` package)
// Exit status 0 when every check passes; each failure is printed.
"use strict";

const soap = require("soap");

const OK = "Command executed as expected";
let failures = 0;

function check(label, condition, detail) {
  console.log(`${condition ? "ok  " : "FAIL"} ${label}${condition ? "" : ": " + JSON.stringify(detail)}`);
  if (!condition) failures++;
}

// node-soap gives a field that did not come back as undefined and a nil one as an object with
// attributes; both read as "not returned".
function text(value) {
  if (value === undefined || value === null || typeof value === "object") return undefined;
  return String(value);
}

async function expect(label, call, args, code, fields = {}) {
  const [answer] = await call(args);
  const result = answer[Object.keys(answer)[0]];
  check(`${label} answers ${code}`, Number(result.responseCode) === code, result);
  if (code === 100) check(`${label} message`, result.responseMessage === OK, result.responseMessage);
  for (const [name, expected] of Object.entries(fields)) {
    const actual = text(result[name]);
    const good = typeof expected === "function" ? expected(actual) : actual === expected;
    check(`${label} ${name}`, good, actual);
  }
  return result;
}

async function main() {
  const [url, api] = process.argv.slice(2);
  // No endpoint given: the client sends to the WSDL's soap:address (through a proxy, the proxy's).
  const client = await soap.createClientAsync(url + "?wsdl");
  const description = client.describe().ECAPI.BasicHttpBinding_IECAPI;
  const operations = Object.keys(description).sort();
  const v71 = ["DesktopPause", "DesktopResume", "GetField", "PortStatusEX", "ResumeRecording"];
  const expectedOps = api === "7.1" ? 15 : 10;
  check(`the WSDL of ${api} has ${expectedOps} operations`, operations.length === expectedOps, operations);
  if (api === "7.0") check("no 7.1 operation under 7.0", !operations.some((op) => v71.includes(op)), operations);
  const op = (name) => client[name + "Async"].bind(client);
  // The SOAPAction of each request, as node-soap sends it (from the binding).
  let lastAction = null;
  const hook = client.httpClient.request.bind(client.httpClient);
  client.httpClient.request = (rurl, data, callback, headers, ...rest) => {
    lastAction = headers && headers.SOAPAction;
    return hook(rurl, data, callback, headers, ...rest);
  };

  await expect("InitStation", op("InitStation"), { Extension: "1234" }, 100, { Port: "1", Unit: "1" });
  check("the SOAPAction is the WSDL's", lastAction === '"http://tempuri.org/IECAPI/InitStation"', lastAction);
  const user = api === "7.1" ? { Machine: "WS-1", User: "jsmith" } : { userName: "jsmith", machineName: "WS-1" };
  await expect("InitUser", op("InitUser"), user, 100, { Port: "2", Unit: "1" });
  await expect("InitStation empty", op("InitStation"), { Extension: "" }, 659, { Port: undefined, Unit: undefined });
  await expect("PortStatus", op("PortStatus"), { Unit: "1", Port: "1" }, 100, { portStatus: "NOT RECORDING" });
  await expect("PortStatus bad unit", op("PortStatus"), { Unit: "2", Port: "1" }, 606, { portStatus: undefined });
  await expect("StartRecording", op("StartRecording"), { Unit: "1", Port: "1", maxRecordingTimeInSeconds: 600 }, 100);
  await expect("StartRecording again", op("StartRecording"), { Unit: "1", Port: "1", maxRecordingTimeInSeconds: 0 }, 609);
  await expect(
    "AssignField",
    op("AssignField"),
    { Unit: "1", Port: "1", fieldName: "fldClientID", fieldValue: 'A&B <Renée> "42"' },
    100,
  );
  await expect("GetURL", op("GetURL"), { Unit: "1", Port: "1" }, 100, {
    URL: (u) => u !== undefined && u.includes("/encore/urlplayer.aspx?fldCallIndex=") && u.endsWith("&siteid=1"),
  });
  await expect("PauseRecording", op("PauseRecording"), { Unit: "1", Port: "1" }, 100);
  await expect("PortStatus paused", op("PortStatus"), { Unit: "1", Port: "1" }, 100, { portStatus: "PAUSE" });
  if (api === "7.1") {
    await expect("GetField", op("GetField"), { Unit: "1", Port: "1", fieldName: "fldClientID" }, 100, { fieldValue: "123" });
    await expect("PortStatusEX", op("PortStatusEX"), { Unit: "1", Port: "1" }, 100, { portStatus: "PAUSE", stateDuration: "20" });
    await expect("ResumeRecording", op("ResumeRecording"), { Unit: "1", Port: "1" }, 100);
    await expect("ResumeRecording again", op("ResumeRecording"), { Unit: "1", Port: "1" }, 627);
    await expect("DesktopPause", op("DesktopPause"), { User: "jsmith" }, 100);
    await expect("DesktopResume", op("DesktopResume"), { User: "jsmith" }, 100);
    await expect("DesktopResume without user", op("DesktopResume"), { User: "" }, 662);
  } else {
    await expect("StartRecording after pause", op("StartRecording"), { Unit: "1", Port: "1", maxRecordingTimeInSeconds: 0 }, 100);
  }
  await expect("StopRecording", op("StopRecording"), { Unit: "1", Port: "1" }, 100);
  await expect("StopRecording again", op("StopRecording"), { Unit: "1", Port: "1" }, 608);
  await expect("CancelRecording", op("CancelRecording"), { Unit: "1", Port: "1" }, 100);
  const who = api === "7.1" ? { User: "jsmith", Machine: "WS-1" } : { userName: "jsmith", machineName: "WS-1" };
  // Keys in the WSDL's order: node-soap writes them in the order given.
  const event = (type) => ({
    Unit: "1",
    Port: "1",
    ...who,
    eventTimestamp: "2026-01-15T10:00:00",
    eventType: type,
    Parm1: "é<>&",
    Parm2: "",
    Parm3: "",
  });
  await expect("LogEvent", op("LogEvent"), event("Transfer"), 100);
  await expect("LogEvent without type", op("LogEvent"), event(""), 657);

  if (failures > 0) {
    console.log(`${failures} check(s) failed under API ${api}`);
    return 1;
  }
  console.log(`node-soap ${require("soap/package.json").version}: every check passed under API ${api}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.log(`FAIL ${error && error.stack ? error.stack : error}`);
    process.exit(1);
  },
);
