//! The flow in C# as a WCF client: a `[ServiceContract]` interface with the operations the flow
//! uses, data contracts for their results (a `Result` with the code and message, and one type per
//! operation that returns more), and a `ChannelFactory` over `BasicHttpBinding` (HTTPS and basic
//! authentication when the flow used them). One `Program.cs` that compiles with .NET Framework's
//! `csc` or Mono's `mcs` against `System.ServiceModel`, and [`csproj`] for modern .NET. Laid out
//! as `dotnet format` leaves it (Allman braces, four spaces).

use super::flow::{Flow, Step, Value};
use super::template::{comment, fill};
use crate::api::{Operation, ResultField};

const PROGRAM: &str = r##"{{header}}
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.Serialization;
using System.ServiceModel;

namespace EcapiFlow
{
    /// <summary>The operations the flow uses, as the service's contract names them.</summary>
    [ServiceContract(Namespace = "{{service_ns}}", Name = "{{contract}}")]
    public interface IECAPI
    {
{{operations}}    }

    /// <summary>What every answer carries: the code and its message.</summary>
    [DataContract(Namespace = "{{result_ns}}")]
    public class Result
    {
        [DataMember(Order = 0)]
        public int responseCode;

        [DataMember(Order = 1)]
        public string responseMessage;
    }
{{results}}
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
{{messages}}        };

        public static int Main(string[] args)
        {
            string endpoint =
                args.Length > 0 ? args[0] : Environment.GetEnvironmentVariable("ECAPI_ENDPOINT");
            if (string.IsNullOrEmpty(endpoint))
            {
                Console.Error.WriteLine("usage: Program ENDPOINT_URL (or set ECAPI_ENDPOINT)");
                return 2;
            }
{{binding}}            var factory = new ChannelFactory<IECAPI>(binding, new EndpointAddress(endpoint));
{{credentials}}            IECAPI service = factory.CreateChannel();
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
{{steps}}        }

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
{{need}}    }
}
"##;

const OPERATION: &str = r##"        // {{comment}}
        [OperationContract(Action = "{{action}}", ReplyAction = "{{action}}Response")]
        {{result}} {{op}}({{params}});
"##;

const RESULT: &str = r##"
    /// <summary>{{op}}'s answer.</summary>
    [DataContract(Namespace = "{{result_ns}}")]
    public class {{op}}Result : Result
    {
{{members}}    }
"##;

const NEED: &str = r##"
        /// <summary>A value the flow takes from the environment.</summary>
        private static string Need(string name, string what)
        {
            string value = Environment.GetEnvironmentVariable(name);
            if (value == null)
            {
                Console.Error.WriteLine("set " + name + ": the " + what + " withheld by --redact");
                Environment.Exit(2);
            }
            return value;
        }
"##;

const CREDENTIALS: &str = r##"            factory.Credentials.UserName.UserName = Environment.GetEnvironmentVariable("ECAPI_USER");
            factory.Credentials.UserName.Password =
                Environment.GetEnvironmentVariable("ECAPI_PASSWORD") ?? "";
"##;

const CSPROJ: &str = r##"<Project Sdk="Microsoft.NET.Sdk">
  <!-- {{about}} -->
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net8.0</TargetFramework>
    <ImplicitUsings>disable</ImplicitUsings>
    <Nullable>disable</Nullable>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="System.ServiceModel.Http" Version="8.0.0" />
  </ItemGroup>
</Project>
"##;

/// The program for a flow.
pub fn write(flow: &Flow) -> String {
    let api = flow.origin.api;
    let names = crate::soap::Names::default();
    let mut header = super::summary(flow);
    header.push(String::new());
    header.push("Build and run it with Mono (or .NET Framework's csc):".to_string());
    header.push(String::new());
    header.push(
        "  mcs -r:System.ServiceModel -r:System.Runtime.Serialization Program.cs".to_string(),
    );
    header.push("  mono Program.exe http://127.0.0.1:8080/WebAPI/ECAPI.svc".to_string());
    header.push(String::new());
    header.push(
        "or with modern .NET and the .csproj beside it: dotnet run -- ENDPOINT_URL".to_string(),
    );
    header.push(String::new());
    header.extend(super::usage_notes(flow));

    // The operations used, in the guide's order, each once.
    let used: Vec<Operation> = Operation::ALL
        .into_iter()
        .filter(|op| flow.steps.iter().any(|s| s.op == *op))
        .collect();
    let operations: String = used
        .iter()
        .enumerate()
        .map(|(i, op)| {
            let params: Vec<String> = op
                .params(api)
                .iter()
                .map(|p| {
                    let ty = if p.is_int() { "int" } else { "string" };
                    format!("{ty} {}", p.wire_name(api))
                })
                .collect();
            let result = if op.result_fields().is_empty() {
                "Result".to_string()
            } else {
                format!("{}Result", op.name())
            };
            let sep = if i == 0 { "" } else { "\n" };
            let text = fill(
                OPERATION,
                &[
                    ("comment", &super::step_comment(*op, api)),
                    ("action", &names.action(*op)),
                    ("result", &result),
                    ("op", op.name()),
                    ("params", &params.join(", ")),
                ],
            );
            format!("{sep}{text}")
        })
        .collect();
    let results: String = used
        .iter()
        .filter(|op| !op.result_fields().is_empty())
        .map(|op| {
            let members: Vec<String> = op
                .result_fields()
                .iter()
                .map(|f| {
                    let ty = if *f == ResultField::StateDuration {
                        "int?"
                    } else {
                        "string"
                    };
                    format!(
                        "        [DataMember(Order = 2)]\n        public {ty} {};\n",
                        f.wire_name()
                    )
                })
                .collect();
            fill(
                RESULT,
                &[
                    ("op", op.name()),
                    ("result_ns", &names.result_ns),
                    ("members", &members.join("\n")),
                ],
            )
        })
        .collect();

    let mut steps = String::new();
    for input in &flow.inputs {
        steps.push_str(&format!(
            "            string {} = Need({}, {});\n",
            input.camel(),
            lit(&input.env()),
            lit(input.param.wire_name(api))
        ));
    }
    for (i, step) in flow.steps.iter().enumerate() {
        if i > 0 || !flow.inputs.is_empty() {
            steps.push('\n');
        }
        steps.push_str(&write_step(flow, i, step));
    }

    let o = &flow.origin;
    let binding = match (o.https, o.basic_auth) {
        (false, false) => "            var binding = new BasicHttpBinding();\n".to_string(),
        (true, false) => {
            "            var binding = new BasicHttpBinding(BasicHttpSecurityMode.Transport);\n"
                .to_string()
        }
        (https, true) => format!(
            "            var binding = new BasicHttpBinding(BasicHttpSecurityMode.{});\n            \
             binding.Security.Transport.ClientCredentialType = HttpClientCredentialType.Basic;\n",
            if https {
                "Transport"
            } else {
                "TransportCredentialOnly"
            }
        ),
    };
    let credentials = if o.basic_auth { CREDENTIALS } else { "" };
    let need = if flow.inputs.is_empty() { "" } else { NEED };
    let messages: String = super::expected_codes(flow)
        .iter()
        .map(|(code, message)| format!("            {{ {code}, {} }},\n", lit(message)))
        .collect();
    fill(
        PROGRAM,
        &[
            ("header", &comment("// ", &header)),
            ("service_ns", &names.service_ns),
            ("contract", &names.contract),
            ("result_ns", &names.result_ns),
            ("operations", &operations),
            ("results", &results),
            ("binding", &binding),
            ("credentials", credentials),
            ("steps", &steps),
            ("need", need),
            ("messages", &messages),
        ],
    )
}

/// The project file for modern .NET, for a program saved as `program`.
pub fn csproj(flow: &Flow, program: &str) -> String {
    // An XML comment may not hold a double dash, so `dotnet run -- URL` is said in words.
    let about = format!(
        "{program}, the flow of {}, for modern .NET: dotnet run, then a double dash and the \
         endpoint URL",
        flow.origin.source
    );
    fill(CSPROJ, &[("about", &about.replace("--", "-"))])
}

fn write_step(flow: &Flow, i: usize, step: &Step) -> String {
    let api = flow.origin.api;
    let args: Vec<String> = step
        .args
        .iter()
        .map(|arg| match &arg.value {
            Value::Literal(text) if arg.param.is_int() => match text.trim() {
                "" => "0".to_string(),
                t => t.to_string(),
            },
            Value::Literal(text) => lit(text),
            Value::Answer { step, field } => flow.steps[*step]
                .variable(*field)
                .expect("a field used later is bound")
                .to_string(),
            Value::Input(at) => flow.inputs[*at].camel(),
        })
        .collect();
    let call = format!(
        "Request({}, {}, {}, () => service.{}({}))",
        i + 1,
        lit(step.op.name()),
        step.expected,
        step.op.name(),
        args.join(", ")
    );
    let mut out = format!("            // {}\n", super::step_comment(step.op, api));
    if step.bound.is_empty() {
        out.push_str(&format!("            {call};\n"));
    } else {
        out.push_str(&format!("            var r{} = {call};\n", i + 1));
        for (field, var) in &step.bound {
            out.push_str(&format!(
                "            string {var} = r{}.{};\n",
                i + 1,
                field.wire_name()
            ));
        }
    }
    out
}

/// A C# string literal.
fn lit(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ApiVersion;

    fn flow(https: bool, basic_auth: bool) -> Flow {
        let mut flow = super::super::example(Operation::GetUrl, ApiVersion::V7_1);
        flow.origin.https = https;
        flow.origin.basic_auth = basic_auth;
        flow
    }

    #[test]
    fn the_binding_follows_what_the_flow_used_https_and_basic_authentication() {
        let plain = write(&flow(false, false));
        assert!(plain.contains("new BasicHttpBinding();"));
        assert!(!plain.contains("Credentials"));
        let https = write(&flow(true, false));
        assert!(https.contains("new BasicHttpBinding(BasicHttpSecurityMode.Transport);"));
        let auth = write(&flow(false, true));
        assert!(
            auth.contains("new BasicHttpBinding(BasicHttpSecurityMode.TransportCredentialOnly);")
        );
        assert!(auth.contains("HttpClientCredentialType.Basic"));
        assert!(auth.contains("factory.Credentials.UserName.UserName"));
        let both = write(&flow(true, true));
        assert!(both.contains("new BasicHttpBinding(BasicHttpSecurityMode.Transport);"));
        assert!(both.contains("HttpClientCredentialType.Basic"));
    }

    #[test]
    fn only_the_operations_used_are_in_the_contract_with_their_result_types() {
        let text = write(&flow(false, false));
        assert!(text.contains("GetURLResult GetURL(string Unit, string Port);"));
        assert!(text.contains("public class GetURLResult : Result"));
        assert!(!text.contains("InitStation("));
        assert_eq!(text.matches("[OperationContract(").count(), 1);
    }
}
