<?php
// Interoperability check: PHP's SoapClient, generated from `ecapi serve`'s WSDL, calls every
// operation of the API version and gets the answers the specification requires (the same checks
// as zeep_check.py, from a second SOAP toolkit).
//
// Usage: php php_check.php ENDPOINT_URL API_VERSION   (a fresh `ecapi serve`, hosted profile)
// Exit status 0 when every check passes; each failure is printed.

const OK = 'Command executed as expected';
$failures = [];

function check(string $label, bool $condition, $detail = ''): void
{
    global $failures;
    $shown = (!$condition && $detail !== '') ? ': ' . json_encode($detail) : '';
    echo ($condition ? 'ok   ' : 'FAIL ') . $label . $shown . "\n";
    if (!$condition) {
        $failures[] = $label;
    }
}

/** Checks an operation's result: its code, its message when 100, and fields (null: not returned). */
function expect(string $label, $answer, int $code, array $fields = []): void
{
    $result = current((array) $answer);
    check("$label answers $code", isset($result->responseCode) && (int) $result->responseCode === $code, $result);
    if ($code === 100) {
        check("$label message", ($result->responseMessage ?? null) === OK, $result);
    }
    foreach ($fields as $name => $expected) {
        $actual = $result->$name ?? null;
        $good = is_callable($expected) ? $expected($actual) : $actual === $expected;
        check("$label $name", $good, $actual);
    }
}

[$_, $url, $api] = $argv;
$client = new SoapClient($url . '?wsdl', [
    'soap_version' => SOAP_1_1,
    'cache_wsdl' => WSDL_CACHE_NONE,
    'exceptions' => true,
    'trace' => true,
]);
$operations = array_map(fn($f) => preg_replace('/^\S+ (\w+)\(.*$/', '$1', $f), $client->__getFunctions());
sort($operations);
$v71 = ['DesktopPause', 'DesktopResume', 'GetField', 'PortStatusEX', 'ResumeRecording'];
$expected = $api === '7.1' ? 15 : 10;
check("the WSDL of $api has $expected operations", count($operations) === $expected, $operations);
if ($api === '7.0') {
    check('no 7.1 operation under 7.0', count(array_intersect($v71, $operations)) === 0, $operations);
}

expect('InitStation', $client->InitStation(['Extension' => '1234']), 100, ['Port' => '1', 'Unit' => '1']);
$user = $api === '7.1'
    ? $client->InitUser(['Machine' => 'WS-1', 'User' => 'jsmith'])
    : $client->InitUser(['userName' => 'jsmith', 'machineName' => 'WS-1']);
expect('InitUser', $user, 100, ['Port' => '2', 'Unit' => '1']);
// The request went as wire.md says: text/xml in utf-8, a quoted SOAPAction.
$headers = $client->__getLastRequestHeaders();
check('PHP sends text/xml; charset=utf-8', stripos($headers, 'Content-Type: text/xml; charset=utf-8') !== false, $headers);
check('PHP sends the quoted SOAPAction', strpos($headers, 'SOAPAction: "http://tempuri.org/IECAPI/InitUser"') !== false, $headers);
expect('InitStation empty', $client->InitStation(['Extension' => '']), 659, ['Port' => null, 'Unit' => null]);
expect('PortStatus', $client->PortStatus(['Unit' => '1', 'Port' => '1']), 100, ['portStatus' => 'NOT RECORDING']);
expect('PortStatus bad unit', $client->PortStatus(['Unit' => '2', 'Port' => '1']), 606, ['portStatus' => null]);
expect('StartRecording', $client->StartRecording(['Unit' => '1', 'Port' => '1', 'maxRecordingTimeInSeconds' => 600]), 100);
expect('StartRecording again', $client->StartRecording(['Unit' => '1', 'Port' => '1', 'maxRecordingTimeInSeconds' => 0]), 609);
expect('AssignField', $client->AssignField(['Unit' => '1', 'Port' => '1', 'fieldName' => 'fldClientID', 'fieldValue' => 'A&B <Renée> "42"']), 100);
expect('GetURL', $client->GetURL(['Unit' => '1', 'Port' => '1']), 100, [
    'URL' => fn($u) => is_string($u) && strpos($u, '/encore/urlplayer.aspx?fldCallIndex=') !== false && substr($u, -9) === '&siteid=1',
]);
expect('PauseRecording', $client->PauseRecording(['Unit' => '1', 'Port' => '1']), 100);
expect('PortStatus paused', $client->PortStatus(['Unit' => '1', 'Port' => '1']), 100, ['portStatus' => 'PAUSE']);
if ($api === '7.1') {
    expect('GetField', $client->GetField(['Unit' => '1', 'Port' => '1', 'fieldName' => 'fldClientID']), 100, ['fieldValue' => '123']);
    expect('PortStatusEX', $client->PortStatusEX(['Unit' => '1', 'Port' => '1']), 100, [
        'portStatus' => 'PAUSE',
        'stateDuration' => fn($d) => (string) $d === '20',
    ]);
    expect('ResumeRecording', $client->ResumeRecording(['Unit' => '1', 'Port' => '1']), 100);
    expect('ResumeRecording again', $client->ResumeRecording(['Unit' => '1', 'Port' => '1']), 627);
    expect('DesktopPause', $client->DesktopPause(['User' => 'jsmith']), 100);
    expect('DesktopResume', $client->DesktopResume(['User' => 'jsmith']), 100);
    expect('DesktopResume without user', $client->DesktopResume(['User' => '']), 662);
} else {
    expect('StartRecording after pause', $client->StartRecording(['Unit' => '1', 'Port' => '1', 'maxRecordingTimeInSeconds' => 0]), 100);
}
expect('StopRecording', $client->StopRecording(['Unit' => '1', 'Port' => '1']), 100);
expect('StopRecording again', $client->StopRecording(['Unit' => '1', 'Port' => '1']), 608);
expect('CancelRecording', $client->CancelRecording(['Unit' => '1', 'Port' => '1']), 100);
$event = ['Unit' => '1', 'Port' => '1', 'eventTimestamp' => '2026-01-15T10:00:00', 'eventType' => 'Transfer',
    'Parm1' => 'é<>&', 'Parm2' => '', 'Parm3' => ''];
$event += $api === '7.1' ? ['User' => 'jsmith', 'Machine' => 'WS-1'] : ['userName' => 'jsmith', 'machineName' => 'WS-1'];
expect('LogEvent', $client->LogEvent($event), 100);
$event['eventType'] = '';
expect('LogEvent without type', $client->LogEvent($event), 657);

// A request the service cannot read comes back as a SOAP fault PHP understands.
try {
    $body = $client->__doRequest(
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        . '<StartRecording xmlns="http://tempuri.org/"><Unit>1</Unit><Port>1</Port>'
        . '<maxRecordingTimeInSeconds>abc</maxRecordingTimeInSeconds></StartRecording></s:Body></s:Envelope>',
        $url,
        'http://tempuri.org/IECAPI/StartRecording',
        SOAP_1_1
    );
    check('an unreadable int is a fault', strpos((string) $body, 'a:DeserializationFailed') !== false, $body);
} catch (SoapFault $fault) {
    check('an unreadable int is a fault', strpos($fault->faultcode, 'DeserializationFailed') !== false, $fault->faultcode);
}
// A fault is a SoapFault with WCF's code (a client without the WSDL, naming no operation).
$raw = new SoapClient(null, ['location' => $url, 'uri' => 'http://tempuri.org/', 'soap_version' => SOAP_1_1]);
try {
    $raw->__soapCall('NoSuchOperation', [], ['soapaction' => 'http://tempuri.org/IECAPI/NoSuchOperation']);
    check('PHP reads the fault', false, 'no SoapFault');
} catch (SoapFault $fault) {
    check('PHP reads the fault', strpos($fault->faultcode, 'ActionNotSupported') !== false, $fault->faultcode);
}

if ($failures) {
    echo count($failures) . " check(s) failed under API $api\n";
    exit(1);
}
echo 'PHP ' . PHP_VERSION . " SoapClient: every check passed under API $api\n";
exit(0);
