// The flow of screen_pop.rhai as it ran on the embedded simulator, profile hosted (Encore
// Web API 7.1): 9 requests, each checked against the code it was answered then. Made by
// `ecapi export`; it needs nothing of ecapi to run.
//
// Build and run it with Mono (or .NET Framework's csc):
//
//   mcs -r:System.ServiceModel -r:System.Runtime.Serialization Program.cs
//   mono Program.exe http://127.0.0.1:8080/WebAPI/ECAPI.svc
//
// or with modern .NET and the .csproj beside it: dotnet run -- ENDPOINT_URL
//
// The endpoint URL is the first argument, or ECAPI_ENDPOINT.
// Prints one line per request (operation, code, message, milliseconds); exits 0 when every
// code is the expected one, 1 naming the first request that is not, 2 on a usage error.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.Serialization;
using System.ServiceModel;

namespace EcapiFlow
{
    /// <summary>The operations the flow uses, as the service's contract names them.</summary>
    [ServiceContract(Namespace = "http://tempuri.org/", Name = "IECAPI")]
    public interface IECAPI
    {
        // InitStation: guide 7.1, Initialization Requests > InitStation
        [OperationContract(Action = "http://tempuri.org/IECAPI/InitStation", ReplyAction = "http://tempuri.org/IECAPI/InitStationResponse")]
        InitStationResult InitStation(string Extension);

        // StartRecording: guide 7.1, Recording Control Requests > StartRecording
        [OperationContract(Action = "http://tempuri.org/IECAPI/StartRecording", ReplyAction = "http://tempuri.org/IECAPI/StartRecordingResponse")]
        Result StartRecording(string Unit, string Port, int maxRecordingTimeInSeconds);

        // StopRecording: guide 7.1, Recording Control Requests > StopRecording
        [OperationContract(Action = "http://tempuri.org/IECAPI/StopRecording", ReplyAction = "http://tempuri.org/IECAPI/StopRecordingResponse")]
        Result StopRecording(string Unit, string Port);

        // AssignField: guide 7.1, Data Assignment Requests > AssignField
        [OperationContract(Action = "http://tempuri.org/IECAPI/AssignField", ReplyAction = "http://tempuri.org/IECAPI/AssignFieldResponse")]
        Result AssignField(string Unit, string Port, string fieldName, string fieldValue);

        // GetURL: guide 7.1, Information Requests > GetURL
        [OperationContract(Action = "http://tempuri.org/IECAPI/GetURL", ReplyAction = "http://tempuri.org/IECAPI/GetURLResponse")]
        GetURLResult GetURL(string Unit, string Port);

        // PortStatus: guide 7.1, Information Requests > PortStatus
        [OperationContract(Action = "http://tempuri.org/IECAPI/PortStatus", ReplyAction = "http://tempuri.org/IECAPI/PortStatusResponse")]
        PortStatusResult PortStatus(string Unit, string Port);
    }

    /// <summary>What every answer carries: the code and its message.</summary>
    [DataContract(Namespace = "http://schemas.datacontract.org/2004/07/ECAPI")]
    public class Result
    {
        [DataMember(Order = 0)]
        public int responseCode;

        [DataMember(Order = 1)]
        public string responseMessage;
    }

    /// <summary>InitStation's answer.</summary>
    [DataContract(Namespace = "http://schemas.datacontract.org/2004/07/ECAPI")]
    public class InitStationResult : Result
    {
        [DataMember(Order = 2)]
        public string Port;

        [DataMember(Order = 2)]
        public string Unit;
    }

    /// <summary>GetURL's answer.</summary>
    [DataContract(Namespace = "http://schemas.datacontract.org/2004/07/ECAPI")]
    public class GetURLResult : Result
    {
        [DataMember(Order = 2)]
        public string URL;
    }

    /// <summary>PortStatus's answer.</summary>
    [DataContract(Namespace = "http://schemas.datacontract.org/2004/07/ECAPI")]
    public class PortStatusResult : Result
    {
        [DataMember(Order = 2)]
        public string portStatus;
    }

    /// <summary>A request got no answer, or not the expected code.</summary>
    public class FlowFailedException : Exception
    {
        public FlowFailedException(string message)
            : base(message) { }
    }

    public static class Program
    {
        /// <summary>The messages of the codes the flow expects, as the guide gives them.</summary>
        private static readonly Dictionary<int, string> Messages = new Dictionary<int, string>
        {
            { 100, "Command executed as expected" },
        };

        public static int Main(string[] args)
        {
            string endpoint =
                args.Length > 0 ? args[0] : Environment.GetEnvironmentVariable("ECAPI_ENDPOINT");
            if (string.IsNullOrEmpty(endpoint))
            {
                Console.Error.WriteLine("usage: Program ENDPOINT_URL (or set ECAPI_ENDPOINT)");
                return 2;
            }
            var binding = new BasicHttpBinding();
            var factory = new ChannelFactory<IECAPI>(binding, new EndpointAddress(endpoint));
            IECAPI service = factory.CreateChannel();
            try
            {
                Run(service);
            }
            catch (FlowFailedException e)
            {
                Console.Error.WriteLine("FAIL " + e.Message);
                return 1;
            }
            finally
            {
                ((IClientChannel)service).Abort();
                factory.Abort();
            }
            return 0;
        }

        /// <summary>The requests, in the order the flow sent them.</summary>
        private static void Run(IECAPI service)
        {
            // InitStation: guide 7.1, Initialization Requests > InitStation
            var r1 = Request(1, "InitStation", 100, () => service.InitStation("4021"));
            string port = r1.Port;
            string unit = r1.Unit;

            // PortStatus: guide 7.1, Information Requests > PortStatus
            Request(2, "PortStatus", 100, () => service.PortStatus(unit, port));

            // StartRecording: guide 7.1, Recording Control Requests > StartRecording
            Request(3, "StartRecording", 100, () => service.StartRecording(unit, port, 0));

            // AssignField: guide 7.1, Data Assignment Requests > AssignField
            Request(4, "AssignField", 100, () => service.AssignField(unit, port, "fldCustomerAccountNum", "ACC-778812"));

            // AssignField: guide 7.1, Data Assignment Requests > AssignField
            Request(5, "AssignField", 100, () => service.AssignField(unit, port, "fldCampaign", "Winter renewals"));

            // AssignField: guide 7.1, Data Assignment Requests > AssignField
            Request(6, "AssignField", 100, () => service.AssignField(unit, port, "fldCallCategory", "Billing"));

            // GetURL: guide 7.1, Information Requests > GetURL
            Request(7, "GetURL", 100, () => service.GetURL(unit, port));

            // StopRecording: guide 7.1, Recording Control Requests > StopRecording
            Request(8, "StopRecording", 100, () => service.StopRecording(unit, port));

            // PortStatus: guide 7.1, Information Requests > PortStatus
            Request(9, "PortStatus", 100, () => service.PortStatus(unit, port));
        }

        /// <summary>Sends one request, prints its line and checks its code.</summary>
        private static T Request<T>(int n, string operation, int expected, Func<T> send)
            where T : Result
        {
            string what = "#" + n + " " + operation + ": ";
            var watch = Stopwatch.StartNew();
            T result;
            try
            {
                result = send();
            }
            catch (CommunicationException e)
            {
                throw new FlowFailedException(what + "no answer: " + e.Message);
            }
            catch (TimeoutException e)
            {
                throw new FlowFailedException(what + "no answer: " + e.Message);
            }
            catch (System.Net.WebException e)
            {
                // Mono's WCF lets an HTTP error (401, 404) out as it is.
                throw new FlowFailedException(what + "no answer: " + e.Message);
            }
            if (result == null)
            {
                throw new FlowFailedException(what + "an answer without a result");
            }
            Console.WriteLine(
                "{0,-15} {1} {2} {3} ms",
                operation,
                result.responseCode,
                result.responseMessage,
                watch.ElapsedMilliseconds);
            if (result.responseCode != expected)
            {
                throw new FlowFailedException(
                    what + "expected " + expected + " (" + Messages[expected] + "), got "
                        + result.responseCode + " (" + result.responseMessage + ")");
            }
            return result;
        }
    }
}
