#!/usr/bin/env node
// The flow of payment.rhai as it ran on the embedded simulator, profile hosted (Encore Web
// API 7.1): 11 requests, each checked against the code it was answered then. Made by `ecapi
// export`; it needs nothing of ecapi to run.
//
// Run it with Node.js and node-soap (npm install soap):
//
//   node flow.js http://127.0.0.1:8080/WebAPI/ECAPI.svc
//
// The endpoint URL is the first argument, or ECAPI_ENDPOINT.
// Prints one line per request (operation, code, message, milliseconds); exits 0 when every
// code is the expected one, 1 naming the first request that is not, 2 on a usage error.
"use strict";

const soap = require("soap");

/** The messages of the codes the flow expects, as the guide gives them. */
const MESSAGES = {
  100: "Command executed as expected",
};

/** A request got no answer, or not the expected code. */
class FlowFailed extends Error {}

/** Sends one request, prints its line and checks its code against the expected one. */
async function request(client, n, operation, expected, args) {
  const started = process.hrtime.bigint();
  let answer;
  try {
    [answer] = await client[`${operation}Async`](args);
  } catch (e) {
    throw new FlowFailed(`#${n} ${operation}: no answer: ${e.message}`);
  }
  const result = answer[`${operation}Result`];
  const ms = Number((process.hrtime.bigint() - started) / 1000000n);
  const code = Number(result.responseCode);
  console.log(
    `${operation.padEnd(15)} ${code} ${result.responseMessage} ${ms} ms`,
  );
  if (code !== expected) {
    throw new FlowFailed(
      `#${n} ${operation}: expected ${expected} (${MESSAGES[expected]}), ` +
        `got ${code} (${result.responseMessage})`,
    );
  }
  return result;
}

/** The requests, in the order the flow sent them. */
async function flow(client) {
  // InitStation: guide 7.1, Initialization Requests > InitStation
  const r1 = await request(client, 1, "InitStation", 100, {
    Extension: "4022",
  });
  const port = r1.Port;
  const unit = r1.Unit;

  // StartRecording: guide 7.1, Recording Control Requests > StartRecording
  await request(client, 2, "StartRecording", 100, {
    Unit: unit,
    Port: port,
    maxRecordingTimeInSeconds: 0,
  });

  // AssignField: guide 7.1, Data Assignment Requests > AssignField
  await request(client, 3, "AssignField", 100, {
    Unit: unit,
    Port: port,
    fieldName: "fldClientID",
    fieldValue: "C-20931",
  });

  // PauseRecording: guide 7.1, Recording Control Requests > PauseRecording
  await request(client, 4, "PauseRecording", 100, { Unit: unit, Port: port });

  // DesktopPause: guide 7.1, Desktop Recording Requests > DesktopPause
  await request(client, 5, "DesktopPause", 100, { User: "jsmith" });

  // PortStatus: guide 7.1, Information Requests > PortStatus
  await request(client, 6, "PortStatus", 100, { Unit: unit, Port: port });

  // ResumeRecording: guide 7.1, Recording Control Requests > ResumeRecording
  await request(client, 7, "ResumeRecording", 100, { Unit: unit, Port: port });

  // DesktopResume: guide 7.1, Desktop Recording Requests > DesktopResume
  await request(client, 8, "DesktopResume", 100, { User: "jsmith" });

  // PortStatus: guide 7.1, Information Requests > PortStatus
  await request(client, 9, "PortStatus", 100, { Unit: unit, Port: port });

  // AssignField: guide 7.1, Data Assignment Requests > AssignField
  await request(client, 10, "AssignField", 100, {
    Unit: unit,
    Port: port,
    fieldName: "fldCallCategory",
    fieldValue: "Card payment",
  });

  // StopRecording: guide 7.1, Recording Control Requests > StopRecording
  await request(client, 11, "StopRecording", 100, { Unit: unit, Port: port });
}

async function main() {
  const endpoint = process.argv[2] || process.env.ECAPI_ENDPOINT;
  if (!endpoint) {
    console.error("usage: node flow.js ENDPOINT_URL (or set ECAPI_ENDPOINT)");
    return 2;
  }
  let client;
  try {
    client = await soap.createClientAsync(`${endpoint}?wsdl`, { endpoint });
  } catch (e) {
    // node-soap's message goes on with the whole answer; its first line says it.
    const why = e.message.split("\n")[0];
    console.error(`FAIL cannot read the service description: ${why}`);
    return 1;
  }
  try {
    await flow(client);
  } catch (e) {
    if (!(e instanceof FlowFailed)) {
      throw e;
    }
    console.error(`FAIL ${e.message}`);
    return 1;
  }
  return 0;
}

main().then(
  (status) => process.exit(status),
  (e) => {
    console.error(`FAIL ${e.message}`);
    process.exit(1);
  },
);
