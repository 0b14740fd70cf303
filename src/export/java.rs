//! The flow in Java with the JDK alone: `java.net.http.HttpClient` sends each envelope, the JDK's
//! DOM parser reads the answer. One file, run as it is with `java Flow.java` (Java 11 or later).
//! Laid out as google-java-format does (two-space indent, 100 columns).

use super::flow::{Flow, Step, Value};
use super::template::{comment, fill};

const PROGRAM: &str = r##"{{header}}
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
{{imports}}import java.util.Map;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/** The flow: its requests, one after the other, each checked against the code it expects. */
public class Flow {
  private static final String ENVELOPE_NS = "http://schemas.xmlsoap.org/soap/envelope/";
  private static final String SERVICE_NS = "{{service_ns}}";
  private static final String ACTION_PREFIX = "{{action_prefix}}";

  /** The messages of the codes the flow expects, as the guide gives them. */
  private static final Map<Integer, String> MESSAGES =
      Map.ofEntries(
{{messages}});

  private final HttpClient http = HttpClient.newHttpClient();
  private final String endpoint;

  private Flow(String endpoint) {
    this.endpoint = endpoint;
  }

  public static void main(String[] args) {
    String endpoint = args.length > 0 ? args[0] : System.getenv("ECAPI_ENDPOINT");
    if (endpoint == null || endpoint.isEmpty()) {
      System.err.println("usage: java {{file}} ENDPOINT_URL (or set ECAPI_ENDPOINT)");
      System.exit(2);
    }
    try {
      new Flow(endpoint).run();
    } catch (FlowFailed e) {
      System.err.println("FAIL " + e.getMessage());
      System.exit(1);
    }
  }

  /** The requests, in the order the flow sent them. */
  private void run() throws FlowFailed {
{{steps}}  }

  /** Sends one request, prints its line and checks its code against the expected one. */
  private Answer request(int n, String operation, int expected, String... params)
      throws FlowFailed {
    StringBuilder body = new StringBuilder();
    body.append("<s:Envelope xmlns:s=\"").append(ENVELOPE_NS).append("\"><s:Body>");
    body.append('<').append(operation).append(" xmlns=\"").append(SERVICE_NS).append("\">");
    for (int i = 0; i < params.length; i += 2) {
      body.append('<').append(params[i]).append('>');
      body.append(escape(params[i + 1]));
      body.append("</").append(params[i]).append('>');
    }
    body.append("</").append(operation).append("></s:Body></s:Envelope>");
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(endpoint))
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", "\"" + ACTION_PREFIX + operation + "\"")
{{auth_header}}            .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8))
            .build();
    String what = "#" + n + " " + operation + ": ";
    long started = System.nanoTime();
    HttpResponse<byte[]> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new FlowFailed(what + "no answer: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FlowFailed(what + "interrupted");
    }
    long ms = (System.nanoTime() - started) / 1_000_000;
    if (response.statusCode() != 200) {
      throw new FlowFailed(
          what + "HTTP " + response.statusCode() + " " + Answer.faultOf(response.body()));
    }
    Answer answer = Answer.parse(response.body(), what);
    int code = Integer.parseInt(answer.field("responseCode").trim());
    String got = answer.field("responseMessage");
    System.out.printf("%-15s %d %s %d ms%n", operation, code, got, ms);
    if (code != expected) {
      throw new FlowFailed(
          what + "expected " + expected + " (" + MESSAGES.get(expected) + "), got " + code + " ("
              + got + ")");
    }
    return answer;
  }
{{need}}
  /** Text escaped for XML element content. */
  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  /** An answer's envelope, read. */
  private static final class Answer {
    private final Document document;

    private Answer(Document document) {
      this.document = document;
    }

    static Answer parse(byte[] body, String what) throws FlowFailed {
      try {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        DocumentBuilder builder = factory.newDocumentBuilder();
        // The error is reported here, not printed by the parser as well.
        builder.setErrorHandler(null);
        return new Answer(builder.parse(new ByteArrayInputStream(body)));
      } catch (Exception e) {
        throw new FlowFailed(what + "an answer that is not XML: " + e.getMessage());
      }
    }

    /** The faultstring of a fault, or "" when the body is none (an error page, nothing). */
    static String faultOf(byte[] body) {
      try {
        return parse(body, "").field("faultstring");
      } catch (FlowFailed e) {
        return "";
      }
    }

    /** The text of the first element of that local name, in any namespace; "" when absent. */
    String field(String name) {
      NodeList found = document.getElementsByTagNameNS("*", name);
      return found.getLength() == 0 ? "" : found.item(0).getTextContent();
    }
  }

  /** A request got no answer, or not the expected code. */
  private static final class FlowFailed extends Exception {
    FlowFailed(String message) {
      super(message);
    }
  }
}
"##;

const NEED: &str = r##"
  /** A value the flow takes from the environment. */
  private static String need(String name, String what) {
    String value = System.getenv(name);
    if (value == null) {
      System.err.println("set " + name + ": the " + what + " withheld by --redact");
      System.exit(2);
    }
    return value;
  }
"##;

const AUTH: &str = r##"
  /** Basic authentication, from ECAPI_USER and ECAPI_PASSWORD. */
  private static String authorization() {
    String user = System.getenv("ECAPI_USER");
    String password = System.getenv("ECAPI_PASSWORD");
    String pair = (user == null ? "" : user) + ":" + (password == null ? "" : password);
    return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
  }
"##;

/// The program for a flow.
pub fn write(flow: &Flow) -> String {
    let mut header = super::summary(flow);
    header.push(String::new());
    header.push("Run it with Java 11 or later, as it is:".to_string());
    header.push(String::new());
    header.push("  java Flow.java http://127.0.0.1:8080/WebAPI/ECAPI.svc".to_string());
    header.push(String::new());
    header.extend(super::usage_notes(flow));
    let mut steps = String::new();
    for input in &flow.inputs {
        steps.push_str(&format!(
            "    String {} = need({}, {});\n",
            input.camel(),
            lit(&input.env()),
            lit(input.param.wire_name(flow.origin.api))
        ));
    }
    for (i, step) in flow.steps.iter().enumerate() {
        if i > 0 || !flow.inputs.is_empty() {
            steps.push('\n');
        }
        steps.push_str(&write_step(flow, i, step));
    }
    let names = crate::soap::Names::default();
    let action_prefix = names.action(crate::api::Operation::InitStation);
    let action_prefix = action_prefix.trim_end_matches("InitStation");
    let messages: Vec<String> = super::expected_codes(flow)
        .iter()
        .map(|(code, message)| format!("          Map.entry({code}, {})", lit(message)))
        .collect();
    let mut helpers = String::new();
    if !flow.inputs.is_empty() {
        helpers.push_str(NEED);
    }
    let (imports, auth_header) = if flow.origin.basic_auth {
        helpers.push_str(AUTH);
        (
            "import java.util.Base64;\n",
            "            .header(\"Authorization\", authorization())\n",
        )
    } else {
        ("", "")
    };
    fill(
        PROGRAM,
        &[
            ("header", &comment("// ", &header)),
            ("imports", imports),
            ("service_ns", &names.service_ns),
            ("action_prefix", action_prefix),
            ("file", super::Lang::Java.file_name()),
            ("steps", &steps),
            ("auth_header", auth_header),
            ("need", &helpers),
            ("messages", &messages.join(",\n")),
        ],
    )
}

fn write_step(flow: &Flow, i: usize, step: &Step) -> String {
    let api = flow.origin.api;
    let mut args = vec![
        (i + 1).to_string(),
        lit(step.op.name()),
        step.expected.to_string(),
    ];
    for arg in &step.args {
        args.push(lit(arg.param.wire_name(api)));
        args.push(match &arg.value {
            Value::Literal(text) if arg.param.is_int() && text.trim().is_empty() => lit("0"),
            Value::Literal(text) => lit(text),
            Value::Answer { step, field } => flow.steps[*step]
                .variable(*field)
                .expect("a field used later is bound")
                .to_string(),
            Value::Input(at) => flow.inputs[*at].camel(),
        });
    }
    let mut out = format!("    // {}\n", super::step_comment(step.op, api));
    let assign = (!step.bound.is_empty()).then(|| format!("Answer r{} = ", i + 1));
    out.push_str(&call(assign.as_deref(), &args));
    for (field, var) in &step.bound {
        out.push_str(&format!(
            "    String {var} = r{}.field({});\n",
            i + 1,
            lit(field.wire_name())
        ));
    }
    out
}

/// `request(…)` as google-java-format lays it out: on one line within 100 columns, else the
/// arguments on the next line, else one argument per line (parameter name and value together).
fn call(assign: Option<&str>, args: &[String]) -> String {
    const WIDTH: usize = 100;
    let joined = args.join(", ");
    let lead = assign.unwrap_or("");
    let one = format!("    {lead}request({joined});");
    if one.chars().count() <= WIDTH {
        return one + "\n";
    }
    // Breaking after `=` first, as the formatter does, then inside the call.
    let (mut out, indent) = match assign {
        Some(a) => {
            let next = format!("        request({joined});");
            if next.chars().count() <= WIDTH {
                return format!("    {}\n{next}\n", a.trim_end());
            }
            (
                format!("    {}\n        request(\n", a.trim_end()),
                "            ",
            )
        }
        None => ("    request(\n".to_string(), "        "),
    };
    // The fixed arguments on one line, then each parameter's name and value on a line.
    let (fixed, pairs) = args.split_at(3);
    let mut lines = vec![fixed.join(", ")];
    for pair in pairs.chunks(2) {
        lines.push(pair.join(", "));
    }
    let count = lines.len();
    for (i, line) in lines.into_iter().enumerate() {
        out.push_str(indent);
        out.push_str(&line);
        out.push_str(if i + 1 == count { ");\n" } else { ",\n" });
    }
    out
}

/// A Java string literal.
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

    #[test]
    fn literals_escape_quotes_backslashes_and_controls() {
        assert_eq!(lit("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
    }
}
