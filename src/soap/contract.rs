//! What a client needs to know to address one server: the service namespace, and for each
//! operation its SOAPAction and the element names of its parameters in order. It comes from the
//! server's WSDL when that can be read ([`crate::soap::read_contract`]), else from the defaults.

use std::fmt;

use super::Names;
use crate::api::{ApiVersion, Operation, Param};

/// Where a [`Contract`] came from, for `describe()` and `--trace`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContractSource {
    /// The defaults of the wire contract.
    Defaults,
    /// The defaults, because the server's WSDL could not be used (the reason).
    DefaultsBecause(String),
    /// The server's WSDL at that URL.
    Wsdl(String),
}

impl fmt::Display for ContractSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContractSource::Defaults => f.write_str("default contract"),
            ContractSource::DefaultsBecause(why) => write!(f, "default contract ({why})"),
            ContractSource::Wsdl(url) => write!(f, "contract from {url}"),
        }
    }
}

/// How one operation is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationShape {
    /// The operation.
    pub op: Operation,
    /// The SOAPAction header value, unquoted.
    pub action: String,
    /// The namespace of the wrapper element and its parameters.
    pub ns: String,
    /// The parameter elements in order, with the parameter each carries (`None`: one this client
    /// does not know, which is left out).
    pub params: Vec<(String, Option<Param>)>,
}

/// How to address every operation of one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    /// The names in use.
    pub names: Names,
    /// One shape per operation of the API version.
    pub operations: Vec<OperationShape>,
    /// Where this came from.
    pub source: ContractSource,
}

impl Contract {
    /// The contract of `wire.md` for an API version and a set of names.
    pub fn defaults(version: ApiVersion, names: &Names) -> Contract {
        Contract {
            operations: Operation::ALL
                .into_iter()
                .filter(|op| op.exists_in(version))
                .map(|op| OperationShape::default_for(op, version, names))
                .collect(),
            names: names.clone(),
            source: ContractSource::Defaults,
        }
    }

    /// How to send an operation, if the contract has it.
    pub fn shape(&self, op: Operation) -> Option<&OperationShape> {
        self.operations.iter().find(|s| s.op == op)
    }
}

impl OperationShape {
    /// The shape `wire.md` gives an operation.
    pub fn default_for(op: Operation, version: ApiVersion, names: &Names) -> OperationShape {
        OperationShape {
            op,
            action: names.action(op),
            ns: names.service_ns.clone(),
            params: op
                .params(version)
                .iter()
                .map(|p| (p.wire_name(version).to_string(), Some(*p)))
                .collect(),
        }
    }
}
