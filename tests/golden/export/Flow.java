// The flow of recorder_late_pause.rhai as it ran on the embedded simulator, profile recorder
// (Encore Web API 7.1): 8 requests, each checked against the code it was answered then. Made
// by `ecapi export`; it needs nothing of ecapi to run.
//
// Run it with Java 11 or later, as it is:
//
//   java Flow.java http://127.0.0.1:8080/WebAPI/ECAPI.svc
//
// The endpoint URL is the first argument, or ECAPI_ENDPOINT.
// Prints one line per request (operation, code, message, milliseconds); exits 0 when every
// code is the expected one, 1 naming the first request that is not, 2 on a usage error.

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/** The flow: its requests, one after the other, each checked against the code it expects. */
public class Flow {
  private static final String ENVELOPE_NS = "http://schemas.xmlsoap.org/soap/envelope/";
  private static final String SERVICE_NS = "http://tempuri.org/";
  private static final String ACTION_PREFIX = "http://tempuri.org/IECAPI/";

  /** The messages of the codes the flow expects, as the guide gives them. */
  private static final Map<Integer, String> MESSAGES =
      Map.ofEntries(
          Map.entry(100, "Command executed as expected"),
          Map.entry(608, "Warning: Port was not recording"),
          Map.entry(616, "Error: Port not in record or pause mode"));

  private final HttpClient http = HttpClient.newHttpClient();
  private final String endpoint;

  private Flow(String endpoint) {
    this.endpoint = endpoint;
  }

  public static void main(String[] args) {
    String endpoint = args.length > 0 ? args[0] : System.getenv("ECAPI_ENDPOINT");
    if (endpoint == null || endpoint.isEmpty()) {
      System.err.println("usage: java Flow.java ENDPOINT_URL (or set ECAPI_ENDPOINT)");
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
    // InitStation: guide 7.1, Initialization Requests > InitStation
    Answer r1 = request(1, "InitStation", 100, "Extension", "2001");
    String port = r1.field("Port");
    String unit = r1.field("Unit");

    // StartRecording: guide 7.1, Recording Control Requests > StartRecording
    request(2, "StartRecording", 100, "Unit", unit, "Port", port, "maxRecordingTimeInSeconds", "0");

    // AssignField: guide 7.1, Data Assignment Requests > AssignField
    request(
        3, "AssignField", 100,
        "Unit", unit,
        "Port", port,
        "fieldName", "fldCustomerAccountNum",
        "fieldValue", "ACC-40117");

    // GetField: guide 7.1, Information Requests > GetField
    Answer r4 =
        request(
            4, "GetField", 100,
            "Unit", unit,
            "Port", port,
            "fieldName", "fldCustomerAccountNum");
    String value = r4.field("fieldValue");

    // AssignField: guide 7.1, Data Assignment Requests > AssignField
    request(
        5, "AssignField", 100,
        "Unit", unit,
        "Port", port,
        "fieldName", "fldClientID",
        "fieldValue", value);

    // StopRecording: guide 7.1, Recording Control Requests > StopRecording
    request(6, "StopRecording", 100, "Unit", unit, "Port", port);

    // PauseRecording: guide 7.1, Recording Control Requests > PauseRecording
    request(7, "PauseRecording", 608, "Unit", unit, "Port", port);

    // StopRecording: guide 7.1, Recording Control Requests > StopRecording
    request(8, "StopRecording", 616, "Unit", unit, "Port", port);
  }

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
            .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8))
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
