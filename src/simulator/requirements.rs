//! What the simulator requires of each parameter, as data: which parameters must not be empty
//! (and the code answered when one is), and the form each must have, per profile. `ecapi ops`
//! and the REPL's help show it, so a user reads the rules the checks apply (`behavior.md`)
//! without meeting each refusal first; a test sends each required parameter empty and expects the
//! code written here.

use crate::api::{ApiVersion, Operation, Param, ResponseCode};

/// One parameter's requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    /// The parameter.
    pub param: Param,
    /// The code answered when it is empty (or only blanks), when it must be given.
    pub when_empty: Option<ResponseCode>,
    /// The form it must have, and what each profile answers otherwise.
    pub form: &'static str,
}

const UNIT: &str = "hosted: 1; recorder: a configured unit ID (606 otherwise)";
const PORT: &str = "a whole number: hosted 1 to 288, recorder a port of that unit (611 otherwise)";

/// The requirement on each parameter of `op` under `api`, in the WSDL's order.
pub fn requirements(op: Operation, api: ApiVersion) -> Vec<Requirement> {
    op.params(api)
        .iter()
        .map(|&param| requirement(op, param, api))
        .collect()
}

fn requirement(op: Operation, param: Param, api: ApiVersion) -> Requirement {
    use Operation as O;
    use Param as P;
    use ResponseCode as C;
    let (when_empty, form) = match (op, param) {
        (O::InitStation, P::Extension) => (
            Some(C::ExtensionRequired),
            "any text; recorder: an extension of its directory (660 when no user has it, 661 \
             when it is on several ports)",
        ),
        (O::InitUser, P::User) => (
            Some(C::UserAndMachineRequired),
            "a Windows login ID (DOMAIN\\user); recorder: a login of its directory (655 when no \
             user has it, 656 when it is on several ports)",
        ),
        (O::InitUser, P::Machine) => (Some(C::UserAndMachineRequired), "any text"),
        (O::LogEvent, P::Unit) => (
            None,
            "optional; given with Port, it must name a port (hosted: 1; recorder: a configured \
             unit, 606 otherwise)",
        ),
        (O::LogEvent, P::Port) => (
            None,
            "optional; given with Unit, a port of that unit (611 otherwise)",
        ),
        (O::LogEvent, P::User) if api >= ApiVersion::V7_1 => (
            None,
            "optional; without Unit and Port, ties the event to this user's port",
        ),
        (O::LogEvent, P::User | P::Machine) => (None, "optional; stored with the event"),
        (O::LogEvent, P::EventTimestamp) => (
            Some(C::UnexpectedError),
            "any text, stored as sent (e.g. 2026-01-15T10:30:00)",
        ),
        (O::LogEvent, P::EventType) => (Some(C::EventTypeRequired), "any text"),
        (O::LogEvent, P::Parm1 | P::Parm2 | P::Parm3) => {
            (None, "optional; at most 1,024 characters (653 when longer)")
        }
        (_, P::Unit) => (Some(C::UnitDoesNotExist), UNIT),
        (_, P::Port) => (Some(C::PortDoesNotExist), PORT),
        (_, P::MaxRecordingTime) => (
            None,
            "a whole number of seconds, 0 or more (0 or absent: the system's maximum; negative: \
             653; not a number: fault a:DeserializationFailed)",
        ),
        (O::AssignField, P::FieldName) => (
            Some(C::FieldNameAndValueRequired),
            "a database column; recorder: a configured column (653 otherwise)",
        ),
        (O::AssignField, P::FieldValue) => (
            Some(C::FieldNameAndValueRequired),
            "any text (blanks count as a value); recorder: fits the column's type and length \
             (653 otherwise)",
        ),
        (O::GetField, P::FieldName) => (
            Some(C::FieldNameAndValueRequired),
            "a database column; hosted: any, answered 123; recorder: a configured column (653 \
             otherwise)",
        ),
        (O::DesktopPause | O::DesktopResume, P::User) => (
            Some(C::UserNameRequired),
            "a Windows login ID; recorder: a user of its directory with desktop recording (663 \
             otherwise)",
        ),
        _ => (None, "any text"),
    };
    Requirement {
        param,
        when_empty,
        form,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Request;
    use crate::simulator::{Settings, Simulator};

    /// A request with every parameter of `op` filled in plausibly except `empty`.
    fn request(op: Operation, api: ApiVersion, empty: Param) -> Request {
        let mut req = Request::new(op);
        for &p in op.params(api) {
            let value = match p {
                _ if p == empty => "",
                P::Unit => "1",
                P::Port => "3",
                P::MaxRecordingTime => "0",
                P::Extension => "1234",
                P::User => "jsmith",
                P::Machine => "WS-1",
                P::FieldName => "fldClientID",
                P::FieldValue => "42",
                P::EventTimestamp => "2026-01-15T10:30:00",
                P::EventType => "Transfer",
                P::Parm1 | P::Parm2 | P::Parm3 => "x",
            };
            req.set(p, value);
        }
        req
    }
    use Param as P;

    #[test]
    fn each_required_parameter_sent_empty_gets_the_code_written_here() {
        for api in ApiVersion::ALL {
            for op in Operation::ALL.into_iter().filter(|op| op.exists_in(api)) {
                for r in requirements(op, api) {
                    let Some(code) = r.when_empty else { continue };
                    let mut sim = Simulator::hosted(Settings {
                        api,
                        ..Settings::default()
                    });
                    let answer = sim.handle(&request(op, api, r.param)).unwrap();
                    assert_eq!(
                        answer.response.code,
                        code.code(),
                        "{op} with {:?} empty under {api}",
                        r.param
                    );
                }
            }
        }
    }

    #[test]
    fn every_parameter_of_every_operation_has_a_form() {
        for api in ApiVersion::ALL {
            for op in Operation::ALL {
                assert_eq!(requirements(op, api).len(), op.params(api).len());
                assert!(requirements(op, api).iter().all(|r| !r.form.is_empty()));
            }
        }
    }
}
