//! SOAP 1.1 faults, written exactly as WCF writes them and read from any SOAP 1.1 server.
//!
//! WCF puts the faultcode's namespace declaration on the `faultcode` element itself and tags the
//! faultstring with `xml:lang`; clients that match faults by qualified code (WCF's own, zeep) depend
//! on those namespaces, so they come from [`super::names`] and never vary.

use super::names::{ADDRESSING_NONE_NS, DISPATCHER_NS, SOAP_ENV_NS};
use super::xml::{push_attr, push_text, Item, Pull, XmlError};

/// A SOAP 1.1 fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The prefix the faultcode is written with (`a`, or `s` for the envelope namespace).
    pub prefix: String,
    /// The faultcode's local name (`ActionNotSupported`).
    pub local: String,
    /// The faultcode's namespace, when it could be resolved.
    pub ns: Option<String>,
    /// The faultstring.
    pub string: String,
}

impl Fault {
    /// The fault for a SOAPAction (or body element) that names no operation of the contract.
    pub fn action_not_supported(action: &str) -> Fault {
        Fault::wcf(
            ADDRESSING_NONE_NS,
            "ActionNotSupported",
            format!(
                "The message with Action '{action}' cannot be processed at the receiver, due to a \
                 ContractFilter mismatch at the EndpointDispatcher. This may be because of either a \
                 contract mismatch (mismatched Actions between sender and receiver) or a \
                 binding/security mismatch between the sender and the receiver.  Check that sender \
                 and receiver have the same contract and the same binding (including security \
                 requirements, e.g. Message, Transport, None)."
            ),
        )
    }

    /// The fault for a parameter whose text cannot be read as its type (only `xs:int` can fail).
    pub fn deserialization_failed(ns: &str, param: &str, value: &str) -> Fault {
        Fault::wcf(
            DISPATCHER_NS,
            "DeserializationFailed",
            format!(
                "The formatter threw an exception while trying to deserialize the message: There was \
                 an error while trying to deserialize parameter {ns}:{param}. The InnerException \
                 message was 'There was an error deserializing the object of type System.Int32. The \
                 value '{value}' cannot be parsed as the type 'Int32'.'.  Please see InnerException \
                 for more details."
            ),
        )
    }

    /// The fault WCF's operation formatter answers when the body's element is not the one the
    /// SOAPAction's operation expects.
    pub fn wrong_body(ns: &str, expected: &str, found: &str) -> Fault {
        Fault::wcf(
            DISPATCHER_NS,
            "DeserializationFailed",
            format!(
                "The formatter threw an exception while trying to deserialize the message: Error in \
                 deserializing body of request message for operation '{expected}'. OperationFormatter \
                 encountered an invalid Message body. Expected to find node type 'Element' with name \
                 '{expected}' and namespace '{ns}'. Found node type 'Element' with name '{found}' and \
                 namespace '{ns}'"
            ),
        )
    }

    /// The fault WCF's formatter answers when the body element is not the operation's request
    /// element: `found` is the element's qualified name as written (WCF prints `reader.Name`,
    /// prefix included), `found_ns` its namespace. Source: CoreWCF
    /// `Dispatcher/DataContractSerializerOperationFormatter.cs` (`SFxInvalidMessageBody`) and
    /// `OperationFormatter.cs` (`SFxErrorDeserializingRequestBodyMore`, "Error in deserializing body
    /// of request message for operation"); `wire.md` step 7.
    pub fn invalid_body(ns: &str, expected: &str, found: &str, found_ns: &str) -> Fault {
        Fault::wcf(
            DISPATCHER_NS,
            "DeserializationFailed",
            format!(
                "The formatter threw an exception while trying to deserialize the message: Error in \
                 deserializing body of request message for operation '{expected}'. OperationFormatter \
                 encountered an invalid Message body. Expected to find node type 'Element' with name \
                 '{expected}' and namespace '{ns}'. Found node type 'Element' with name '{found}' and \
                 namespace '{found_ns}'"
            ),
        )
    }

    /// The fault for a body that holds no element at all. Source: CoreWCF
    /// `Dispatcher/OperationFormatter.cs` (`SFxInvalidMessageBodyEmptyMessage`).
    pub fn empty_body(expected: &str) -> Fault {
        Fault::wcf(
            DISPATCHER_NS,
            "DeserializationFailed",
            format!(
                "The formatter threw an exception while trying to deserialize the message: Error in \
                 deserializing body of request message for operation '{expected}'. The \
                 OperationFormatter could not deserialize any information from the Message because \
                 the Message is empty (IsEmpty = true)."
            ),
        )
    }

    /// The fault for a parameter the serializer could not read, with the serializer's own
    /// message (`inner`). Source: CoreWCF `Dispatcher/DataContractSerializerOperationFormatter.cs`
    /// (`SFxInvalidMessageBodyErrorDeserializingParameterMore`) wrapped by
    /// `OperationFormatter.cs` (`SFxErrorDeserializingRequestBody`... "The formatter threw an
    /// exception while trying to deserialize the message").
    pub fn parameter_failed(ns: &str, param: &str, inner: &str) -> Fault {
        Fault::wcf(
            DISPATCHER_NS,
            "DeserializationFailed",
            format!(
                "The formatter threw an exception while trying to deserialize the message: There was \
                 an error while trying to deserialize parameter {ns}:{param}. The InnerException \
                 message was '{inner}'.  Please see InnerException for more details."
            ),
        )
    }

    /// The fault for a string value over the reader quota `maxStringContentLength`, at 1-based
    /// `line` and `position` of the document. Source: the quota text of CoreWCF
    /// `Xml/XmlExceptionHelper.cs` (`ThrowMaxStringContentLengthExceeded`, resource
    /// `XmlMaxStringContentLengthExceeded`) with its line information (`XmlLineInfo`), as WCF
    /// services quote it: "The maximum string content length quota (8192) has been exceeded while
    /// reading XML data. This quota may be increased by changing the MaxStringContentLength property
    /// on the XmlDictionaryReaderQuotas object used when creating the XML reader. Line 15, position
    /// 12089."
    pub fn string_quota(
        ns: &str,
        param: &str,
        quota: usize,
        line: usize,
        position: usize,
    ) -> Fault {
        Fault::parameter_failed(
            ns,
            param,
            &format!(
                "There was an error deserializing the object of type System.String. The maximum \
                 string content length quota ({quota}) has been exceeded while reading XML data. \
                 This quota may be increased by changing the MaxStringContentLength property on the \
                 XmlDictionaryReaderQuotas object used when creating the XML reader. Line {line}, \
                 position {position}."
            ),
        )
    }

    /// The fault for a string parameter holding an element (`child`, qualified name as written, in
    /// `child_ns`). Source: CoreWCF `Xml/XmlExceptionHelper.cs` (`XmlEndElementExpected`: "End
    /// element '{0}' from namespace '{1}' expected. Found {2}.").
    pub fn string_with_child(
        ns: &str,
        param: &str,
        child: &str,
        child_ns: &str,
        line: usize,
        position: usize,
    ) -> Fault {
        Fault::parameter_failed(
            ns,
            param,
            &format!(
                "There was an error deserializing the object of type System.String. End element \
                 '{param}' from namespace '{ns}' expected. Found element '{child}' from namespace \
                 '{child_ns}'. Line {line}, position {position}."
            ),
        )
    }

    /// The fault for a SOAP 1.2 envelope sent to a SOAP 1.1 endpoint: `s:VersionMismatch` (`wire.md`
    /// step 4), with the text of WCF's encoder check (`EncoderEnvelopeVersionMismatch`, CoreWCF
    /// `Channels/Message.cs` and `EnvelopeVersion.ToString()`).
    pub fn version_mismatch() -> Fault {
        Fault {
            prefix: "s".to_string(),
            local: "VersionMismatch".to_string(),
            ns: Some(SOAP_ENV_NS.to_string()),
            string: "The envelope version of the incoming message (Soap12 \
                     (http://www.w3.org/2003/05/soap-envelope)) does not match that of the encoder \
                     (Soap11 (http://schemas.xmlsoap.org/soap/envelope/)). Make sure the binding is \
                     configured with the same version as the expected messages."
                .to_string(),
        }
    }

    /// The fault for a header entry marked `mustUnderstand` that the service does not understand:
    /// `s:MustUnderstand` (`wire.md` step 5). Source: CoreWCF `MustUnderstandSoapException.cs`
    /// and its resource `SFxHeaderNotUnderstood`, quoted in full by WCF clients: "The header
    /// 'Action' from the namespace 'http://www.w3.org/2005/08/addressing' was not understood by the
    /// recipient of this message, causing the message to not be processed.  This error typically
    /// indicates…".
    pub fn must_understand(local: &str, ns: &str) -> Fault {
        Fault {
            prefix: "s".to_string(),
            local: "MustUnderstand".to_string(),
            ns: Some(SOAP_ENV_NS.to_string()),
            string: format!(
                "The header '{local}' from the namespace '{ns}' was not understood by the recipient \
                 of this message, causing the message to not be processed.  This error typically \
                 indicates that the sender of this message has enabled a communication protocol \
                 that the receiver cannot process.  Please ensure that the configuration of the \
                 client's binding is consistent with the service's binding."
            ),
        }
    }

    /// The fault for any other failure inside the service.
    pub fn internal_service_fault() -> Fault {
        Fault::wcf(
            DISPATCHER_NS,
            "InternalServiceFault",
            "The server was unable to process the request due to an internal error.  For more \
             information about the error, either turn on IncludeExceptionDetailInFaults (either \
             from ServiceBehaviorAttribute or from the <serviceDebug> configuration behavior) on \
             the server in order to send the exception information back to the client, or turn on \
             tracing as per the Microsoft .NET Framework SDK documentation and inspect the server \
             trace logs."
                .to_string(),
        )
    }

    /// The fault for a message that is not a readable SOAP 1.1 envelope: SOAP 1.1's own `Client`
    /// code, which every toolkit understands as "the sender got the message wrong".
    pub fn client(reason: &str) -> Fault {
        Fault {
            prefix: "s".to_string(),
            local: "Client".to_string(),
            ns: Some(SOAP_ENV_NS.to_string()),
            string: format!("The message could not be read: {reason}"),
        }
    }

    fn wcf(ns: &str, local: &str, string: String) -> Fault {
        Fault {
            prefix: "a".to_string(),
            local: local.to_string(),
            ns: Some(ns.to_string()),
            string,
        }
    }

    /// The faultcode as written on the wire, e.g. `a:ActionNotSupported`.
    pub fn code(&self) -> String {
        if self.prefix.is_empty() {
            self.local.clone()
        } else {
            format!("{}:{}", self.prefix, self.local)
        }
    }

    /// The whole fault envelope, as WCF sends it with HTTP 500.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(256 + self.string.len());
        out.push_str("<s:Envelope xmlns:s=\"");
        out.push_str(SOAP_ENV_NS);
        out.push_str("\"><s:Body><s:Fault><faultcode");
        // The envelope already binds `s`; any other prefix is declared where it is used.
        match &self.ns {
            Some(ns) if self.prefix != "s" && !self.prefix.is_empty() => {
                out.push_str(" xmlns:");
                out.push_str(&self.prefix);
                out.push_str("=\"");
                push_attr(&mut out, ns);
                out.push('"');
            }
            _ => {}
        }
        out.push('>');
        push_text(&mut out, &self.code());
        out.push_str("</faultcode><faultstring xml:lang=\"en-US\">");
        push_text(&mut out, &self.string);
        out.push_str("</faultstring></s:Fault></s:Body></s:Envelope>");
        out
    }

    /// Reads a fault's children; `pull` has just opened the `Fault` element.
    pub(crate) fn read(pull: &mut Pull<'_>) -> Result<Fault, XmlError> {
        let mut fault = Fault {
            prefix: String::new(),
            local: String::new(),
            ns: None,
            string: String::new(),
        };
        loop {
            match pull.next_in()? {
                Item::Start { local, .. } if local == "faultcode" => {
                    // The code's prefix is resolved while the faultcode element's own
                    // declarations are still in scope, i.e. before its end is read.
                    let mut text = String::new();
                    loop {
                        match pull.next_in()? {
                            Item::Text(t) => text.push_str(&t),
                            Item::Start { .. } => pull.skip_element()?,
                            Item::End => break,
                        }
                        let qname = text.trim();
                        let (ns, local) = pull.resolve_qname(qname);
                        fault.ns = ns;
                        fault.local = local;
                        fault.prefix = qname
                            .split_once(':')
                            .map(|(p, _)| p.to_string())
                            .unwrap_or_default();
                    }
                }
                Item::Start { local, .. } if local == "faultstring" => {
                    fault.string = pull.text_of_element()?;
                }
                Item::Start { .. } => pull.skip_element()?,
                Item::Text(_) => {}
                Item::End => return Ok(fault),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_not_supported_is_written_as_wcf_writes_it() {
        let xml = Fault::action_not_supported("http://tempuri.org/IECAPI/Nope").encode();
        assert!(xml.starts_with(
            "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><s:Fault>\
             <faultcode xmlns:a=\"http://schemas.microsoft.com/ws/2005/05/addressing/none\">\
             a:ActionNotSupported</faultcode><faultstring xml:lang=\"en-US\">The message with Action \
             'http://tempuri.org/IECAPI/Nope' cannot be processed"
        ));
    }

    #[test]
    fn a_client_fault_uses_the_envelope_prefix_without_redeclaring_it() {
        let xml = Fault::client("empty").encode();
        assert!(xml.contains("<faultcode>s:Client</faultcode>"), "{xml}");
    }
}
