#!/bin/sh
# The flow of screen_pop.rhai as it ran on the embedded simulator, profile hosted (Encore
# Web API 7.1): 9 requests, each checked against the code it was answered then. Made by
# `ecapi export`; it needs nothing of ecapi to run.
#
# Run it with a POSIX shell and curl:
#
#   sh flow.sh http://127.0.0.1:8080/WebAPI/ECAPI.svc
#
# The endpoint URL is the first argument, or ECAPI_ENDPOINT.
# Prints one line per request (operation, code, message, milliseconds); exits 0 when every
# code is the expected one, 1 naming the first request that is not, 2 on a usage error.
set -u

endpoint=${1:-${ECAPI_ENDPOINT:-}}
if [ -z "$endpoint" ]; then
	echo "usage: sh flow.sh ENDPOINT_URL (or set ECAPI_ENDPOINT)" >&2
	exit 2
fi

# Ends the flow: fail N OPERATION WHY.
fail() {
	echo "FAIL #$1 $2: $3" >&2
	exit 1
}

# The text of an element of the last answer ($body), found by its local name.
field() {
	printf '%s' "$body" | sed -n "s/.*<\([A-Za-z0-9_]*:\)\{0,1\}$1\( [^>]*\)\{0,1\}>\([^<]*\)<\/.*/\3/p"
}

# XML text as plain text, for the printed message.
plain() {
	sed -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&quot;/"/g' -e "s/&apos;/'/g" -e 's/&amp;/\&/g'
}

# Sends one request and checks its code: request N OPERATION CODE 'MESSAGE' BODY, where CODE and
# MESSAGE are the expected answer and BODY the operation's element. The answer stays in $body.
request() {
	envelope="<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>$5</s:Body></s:Envelope>"
	out=$(printf '%s' "$envelope" | curl -sS -w '\n%{http_code} %{time_total}' \
		-H 'Content-Type: text/xml; charset=utf-8' \
		-H "SOAPAction: \"http://tempuri.org/IECAPI/$2\"" \
		--data-binary @- "$endpoint") || fail "$1" "$2" "no answer"
	body=$(printf '%s\n' "$out" | sed '$d')
	status=$(printf '%s\n' "$out" | sed -n '$s/ .*//p')
	ms=$(printf '%s\n' "$out" | sed -n '$s/.* //p' | awk '{ printf "%d", $1 * 1000 }')
	if [ "$status" != 200 ]; then
		fail "$1" "$2" "HTTP $status $(field faultstring | plain)"
	fi
	code=$(field responseCode)
	message=$(field responseMessage | plain)
	printf '%-15s %s %s %s ms\n' "$2" "$code" "$message" "$ms"
	if [ "$code" != "$3" ]; then
		fail "$1" "$2" "expected $3 ($4), got $code ($message)"
	fi
}

# InitStation: guide 7.1, Initialization Requests > InitStation
request 1 InitStation 100 'Command executed as expected' \
	"<InitStation xmlns=\"http://tempuri.org/\"><Extension>4021</Extension></InitStation>"
port=$(field Port)
unit=$(field Unit)

# PortStatus: guide 7.1, Information Requests > PortStatus
request 2 PortStatus 100 'Command executed as expected' \
	"<PortStatus xmlns=\"http://tempuri.org/\"><Unit>${unit}</Unit><Port>${port}</Port></PortStatus>"

# StartRecording: guide 7.1, Recording Control Requests > StartRecording
request 3 StartRecording 100 'Command executed as expected' \
	"<StartRecording xmlns=\"http://tempuri.org/\"><Unit>${unit}</Unit><Port>${port}</Port><maxRecordingTimeInSeconds>0</maxRecordingTimeInSeconds></StartRecording>"

# AssignField: guide 7.1, Data Assignment Requests > AssignField
request 4 AssignField 100 'Command executed as expected' \
	"<AssignField xmlns=\"http://tempuri.org/\"><Unit>${unit}</Unit><Port>${port}</Port><fieldName>fldCustomerAccountNum</fieldName><fieldValue>ACC-778812</fieldValue></AssignField>"

# AssignField: guide 7.1, Data Assignment Requests > AssignField
request 5 AssignField 100 'Command executed as expected' \
	"<AssignField xmlns=\"http://tempuri.org/\"><Unit>${unit}</Unit><Port>${port}</Port><fieldName>fldCampaign</fieldName><fieldValue>Winter renewals</fieldValue></AssignField>"

# AssignField: guide 7.1, Data Assignment Requests > AssignField
request 6 AssignField 100 'Command executed as expected' \
	"<AssignField xmlns=\"http://tempuri.org/\"><Unit>${unit}</Unit><Port>${port}</Port><fieldName>fldCallCategory</fieldName><fieldValue>Billing</fieldValue></AssignField>"

# GetURL: guide 7.1, Information Requests > GetURL
request 7 GetURL 100 'Command executed as expected' \
	"<GetURL xmlns=\"http://tempuri.org/\"><Unit>${unit}</Unit><Port>${port}</Port></GetURL>"

# StopRecording: guide 7.1, Recording Control Requests > StopRecording
request 8 StopRecording 100 'Command executed as expected' \
	"<StopRecording xmlns=\"http://tempuri.org/\"><Unit>${unit}</Unit><Port>${port}</Port></StopRecording>"

# PortStatus: guide 7.1, Information Requests > PortStatus
request 9 PortStatus 100 'Command executed as expected' \
	"<PortStatus xmlns=\"http://tempuri.org/\"><Unit>${unit}</Unit><Port>${port}</Port></PortStatus>"
