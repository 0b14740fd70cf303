// Interoperability check: the WCF proxy that Mono's svcutil generates from `ecapi serve`'s
// description, compiled unchanged beside this file, calls every operation of the API version and
// gets the answers the specification requires.
//
// Build: mcs -define:V71 (for 7.1) -r:System.ServiceModel -r:System.Runtime.Serialization
//        dotnet_check.cs <generated proxy>.cs
// Usage: mono dotnet_check.exe ENDPOINT_URL API_VERSION   (a fresh `ecapi serve`, hosted profile)
// Exit status 0 when every check passes; each failure is printed.

using System;
using System.ServiceModel;

static class DotnetCheck
{
    const string OK = "Command executed as expected";
    static int failures;

    static void Check(string label, bool condition, object detail)
    {
        Console.WriteLine((condition ? "ok   " : "FAIL ") + label + (condition ? "" : ": " + detail));
        if (!condition)
            failures++;
    }

    // The code, then the message when the code is 100; each field compared as text ("" for a field
    // that did not come back).
    static void Expect(string label, int code, string message, int expected, params string[] fields)
    {
        Check(label + " answers " + expected, code == expected, code + " " + message);
        if (expected == 100)
            Check(label + " message", message == OK, message);
        for (int i = 0; i + 1 < fields.Length; i += 2)
            Check(label + " field " + (i / 2 + 1), fields[i] == fields[i + 1],
                  "got '" + fields[i] + "', expected '" + fields[i + 1] + "'");
    }

    static string Text(object value)
    {
        return value == null ? "" : value.ToString();
    }

    static int Main(string[] args)
    {
        string url = args[0], api = args[1];
        var binding = new BasicHttpBinding();
        var client = new ECAPIClient(binding, new EndpointAddress(url));

        var station = client.InitStation("1234");
        Expect("InitStation", station.responseCode, station.responseMessage, 100,
               Text(station.Port), "1", Text(station.Unit), "1");
#if V71
        var user = client.InitUser("WS-1", "jsmith");
#else
        var user = client.InitUser("jsmith", "WS-1");
#endif
        Expect("InitUser", user.responseCode, user.responseMessage, 100,
               Text(user.Port), "2", Text(user.Unit), "1");
        // A .NET client sends a null string as i:nil="true": WCF reads it as null, the service as empty.
        var nil = client.InitStation(null);
        Expect("InitStation null", nil.responseCode, nil.responseMessage, 659,
               Text(nil.Port), "", Text(nil.Unit), "");
        var status = client.PortStatus("1", "1");
        Expect("PortStatus", status.responseCode, status.responseMessage, 100,
               Text(status.portStatus), "NOT RECORDING");
        var badUnit = client.PortStatus("2", "1");
        Expect("PortStatus bad unit", badUnit.responseCode, badUnit.responseMessage, 606,
               Text(badUnit.portStatus), "");
        var start = client.StartRecording("1", "1", 600);
        Expect("StartRecording", start.responseCode, start.responseMessage, 100);
        var again = client.StartRecording("1", "1", 0);
        Expect("StartRecording again", again.responseCode, again.responseMessage, 609);
        var assign = client.AssignField("1", "1", "fldClientID", "A&B <Renée> \"42\"");
        Expect("AssignField", assign.responseCode, assign.responseMessage, 100);
        var link = client.GetURL("1", "1");
        Expect("GetURL", link.responseCode, link.responseMessage, 100);
        string u = Text(link.URL);
        Check("GetURL URL", u.Contains("/encore/urlplayer.aspx?fldCallIndex=") && u.EndsWith("&siteid=1"), u);
        var pause = client.PauseRecording("1", "1");
        Expect("PauseRecording", pause.responseCode, pause.responseMessage, 100);
        var paused = client.PortStatus("1", "1");
        Expect("PortStatus paused", paused.responseCode, paused.responseMessage, 100,
               Text(paused.portStatus), "PAUSE");
#if V71
        var field = client.GetField("1", "1", "fldClientID");
        Expect("GetField", field.responseCode, field.responseMessage, 100, Text(field.fieldValue), "123");
        var ex = client.PortStatusEX("1", "1");
        Expect("PortStatusEX", ex.responseCode, ex.responseMessage, 100,
               Text(ex.portStatus), "PAUSE", Text(ex.stateDuration), "20");
        var resume = client.ResumeRecording("1", "1");
        Expect("ResumeRecording", resume.responseCode, resume.responseMessage, 100);
        var resumeAgain = client.ResumeRecording("1", "1");
        Expect("ResumeRecording again", resumeAgain.responseCode, resumeAgain.responseMessage, 627);
        var dp = client.DesktopPause("jsmith");
        Expect("DesktopPause", dp.responseCode, dp.responseMessage, 100);
        var dr = client.DesktopResume("jsmith");
        Expect("DesktopResume", dr.responseCode, dr.responseMessage, 100);
        var drNil = client.DesktopResume(null);
        Expect("DesktopResume without user", drNil.responseCode, drNil.responseMessage, 662);
#else
        var restart = client.StartRecording("1", "1", 0);
        Expect("StartRecording after pause", restart.responseCode, restart.responseMessage, 100);
#endif
        var stop = client.StopRecording("1", "1");
        Expect("StopRecording", stop.responseCode, stop.responseMessage, 100);
        var stopAgain = client.StopRecording("1", "1");
        Expect("StopRecording again", stopAgain.responseCode, stopAgain.responseMessage, 608);
        var cancel = client.CancelRecording("1", "1");
        Expect("CancelRecording", cancel.responseCode, cancel.responseMessage, 100);
        // Parm2 and Parm3 null, as a .NET CRM leaves them: they travel as i:nil="true".
        var ev = client.LogEvent("1", "1", "jsmith", "WS-1", "2026-01-15T10:00:00", "Transfer", "é<>&", null, null);
        Expect("LogEvent", ev.responseCode, ev.responseMessage, 100);
        var noType = client.LogEvent("1", "1", "jsmith", "WS-1", "2026-01-15T10:00:00", null, "", null, null);
        Expect("LogEvent without type", noType.responseCode, noType.responseMessage, 657);
        client.Close();

        if (failures > 0) {
            Console.WriteLine(failures + " check(s) failed under API " + api);
            return 1;
        }
        Console.WriteLine("Mono " + Environment.Version + " WCF proxy: every check passed under API " + api);
        return 0;
    }
}
