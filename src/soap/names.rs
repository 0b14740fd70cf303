//! The namespaces and names of the SOAP contract: the fixed ones (SOAP 1.1, XML Schema, WCF's fault
//! namespaces) and the settings a deployment may change (service namespace, contract name, result
//! namespace, endpoint path), with the defaults of `wire.md`.

use crate::api::Operation;

/// The SOAP 1.1 envelope namespace.
pub const SOAP_ENV_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The namespace of WCF's addressing faults (`ActionNotSupported`).
pub const ADDRESSING_NONE_NS: &str = "http://schemas.microsoft.com/ws/2005/05/addressing/none";
/// The namespace of WCF's dispatcher faults (`DeserializationFailed`, `InternalServiceFault`).
pub const DISPATCHER_NS: &str =
    "http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher";
/// The XML Schema namespace.
pub const XS_NS: &str = "http://www.w3.org/2001/XMLSchema";
/// The WSDL 1.1 namespace.
pub const WSDL_NS: &str = "http://schemas.xmlsoap.org/wsdl/";
/// The WSDL 1.1 SOAP 1.1 binding namespace.
pub const WSDL_SOAP_NS: &str = "http://schemas.xmlsoap.org/wsdl/soap/";
/// The SOAP over HTTP transport URI used in WSDL bindings.
pub const SOAP_HTTP_TRANSPORT: &str = "http://schemas.xmlsoap.org/soap/http";

/// The names a deployment of the service may configure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// The service namespace: request and response wrapper elements, SOAPAction prefix.
    pub service_ns: String,
    /// The service contract (WSDL portType) name.
    pub contract: String,
    /// The data contract namespace of the result's fields.
    pub result_ns: String,
    /// The endpoint's path on the server.
    pub path: String,
}

impl Default for Names {
    fn default() -> Self {
        Names {
            service_ns: "http://tempuri.org/".to_string(),
            contract: "IECAPI".to_string(),
            result_ns: "http://schemas.datacontract.org/2004/07/ECAPI".to_string(),
            path: "/WebAPI/ECAPI.svc".to_string(),
        }
    }
}

impl Names {
    /// The SOAPAction of an operation, unquoted: WCF's `<namespace><contract>/<operation>`.
    pub fn action(&self, op: Operation) -> String {
        // Sized at once: a request's reading compares actions, and growing the text piece by
        // piece cost more than comparing.
        let mut action = String::with_capacity(
            self.service_ns.len() + self.contract.len() + op.name().len() + 2,
        );
        action.push_str(&self.service_ns);
        if !action.ends_with('/') {
            action.push('/');
        }
        action.push_str(&self.contract);
        action.push('/');
        action.push_str(op.name());
        action
    }

    /// Whether `action` (unquoted) is the SOAPAction of `op`: [`Names::action`] compared without
    /// building it, as the request reader does for every request.
    pub fn is_action(&self, op: Operation, action: &str) -> bool {
        self.action_name(action) == Some(op.name())
    }

    /// The operation name an action ends in when it is one of this service's actions
    /// (namespace, contract, `/`): [`Names::action`] read backwards, so that one comparison of
    /// the prefix finds the operation.
    pub fn action_name<'a>(&self, action: &'a str) -> Option<&'a str> {
        let rest = action.strip_prefix(self.service_ns.as_str())?;
        let rest = if self.service_ns.ends_with('/') {
            rest
        } else {
            rest.strip_prefix('/')?
        };
        rest.strip_prefix(self.contract.as_str())?.strip_prefix('/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_action_is_namespace_contract_and_operation() {
        assert_eq!(
            Names::default().action(Operation::InitStation),
            "http://tempuri.org/IECAPI/InitStation"
        );
    }

    #[test]
    fn is_action_agrees_with_the_action_built() {
        let slash = Names::default();
        let bare = Names {
            service_ns: "urn:encore".to_string(),
            contract: "IRecorder".to_string(),
            ..Names::default()
        };
        for names in [&slash, &bare] {
            for op in Operation::ALL {
                let action = names.action(op);
                for other in Operation::ALL {
                    assert_eq!(names.is_action(other, &action), other == op, "{action}");
                }
                assert!(!names.is_action(op, &action[..action.len() - 1]));
                assert!(!names.is_action(op, &format!("{action}x")));
                assert!(!names.is_action(op, &action.to_lowercase()));
            }
        }
        assert!(!bare.is_action(Operation::PortStatus, "urn:encoreIRecorder/PortStatus"));
        assert!(!slash.is_action(Operation::PortStatus, ""));
    }
}
