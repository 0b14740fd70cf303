//! Parameter checks that both profiles make in the same words. The required parameters (659, 654,
//! 652, 657, 662) answer before anything else, whatever the profile, so [`required`] runs once for
//! every request; the text of a LogEvent (653) is checked by each profile after Unit and Port.

use super::refusal::{Answer, Refusal};
use crate::api::{ApiVersion, Operation, Param, Request, ResponseCode};

/// The longest Parm1..Parm3 the event table holds, in characters.
pub const PARM_LENGTH: usize = 1024;

/// The required parameters of the request's operation: the first checks of all.
#[inline]
pub fn required(req: &Request) -> Answer<()> {
    match req.op() {
        // The port operations' Unit and Port are checked by each profile (606, 611): nothing to
        // check here, answered inline on every such request's path.
        Operation::StartRecording
        | Operation::StopRecording
        | Operation::PauseRecording
        | Operation::ResumeRecording
        | Operation::CancelRecording
        | Operation::GetUrl
        | Operation::PortStatus
        | Operation::PortStatusEx => Ok(()),
        _ => required_by(req),
    }
}

/// [`required`] for the operations that have required parameters.
fn required_by(req: &Request) -> Answer<()> {
    match req.op() {
        Operation::InitStation => present(req, Param::Extension, ResponseCode::ExtensionRequired),
        Operation::InitUser => present(req, Param::User, ResponseCode::UserAndMachineRequired)
            .and_then(|()| present(req, Param::Machine, ResponseCode::UserAndMachineRequired)),
        Operation::AssignField | Operation::GetField => field_params(req),
        Operation::LogEvent => event_type(req),
        Operation::DesktopPause | Operation::DesktopResume => {
            present(req, Param::User, ResponseCode::UserNameRequired)
        }
        _ => Ok(()),
    }
}

/// A parameter that must not be empty (or blank), answered with `code` when it is.
fn present(req: &Request, param: Param, code: ResponseCode) -> Answer<()> {
    if req.get(param).trim().is_empty() {
        return Err(Refusal::new(
            code,
            format!("{} is empty", param.wire_name(ApiVersion::V7_1)),
        ));
    }
    Ok(())
}

/// AssignField needs a field name and value, GetField a name: 652 otherwise. Other operations pass.
fn field_params(req: &Request) -> Answer<()> {
    let op = req.op();
    if !matches!(op, Operation::AssignField | Operation::GetField) {
        return Ok(());
    }
    let name_empty = req.get(Param::FieldName).trim().is_empty();
    let value_empty = op == Operation::AssignField && req.get(Param::FieldValue).is_empty();
    if name_empty || value_empty {
        let which = if name_empty {
            "fieldName"
        } else {
            "fieldValue"
        };
        return Err(Refusal::new(
            ResponseCode::FieldNameAndValueRequired,
            format!("{which} is empty"),
        ));
    }
    Ok(())
}

/// A LogEvent needs an event type: 657 otherwise.
fn event_type(req: &Request) -> Answer<()> {
    if req.get(Param::EventType).trim().is_empty() {
        return Err(Refusal::new(
            ResponseCode::EventTypeRequired,
            "eventType is empty",
        ));
    }
    Ok(())
}

/// A LogEvent needs a timestamp, and no Parm longer than the column: 653 otherwise.
pub fn event_text(req: &Request, api: ApiVersion) -> Answer<()> {
    if req.get(Param::EventTimestamp).trim().is_empty() {
        return Err(Refusal::new(
            ResponseCode::UnexpectedError,
            "eventTimestamp is empty",
        ));
    }
    for p in [Param::Parm1, Param::Parm2, Param::Parm3] {
        let len = req.get(p).chars().count();
        if len > PARM_LENGTH {
            return Err(Refusal::new(
                ResponseCode::UnexpectedError,
                format!(
                    "{} is {len} characters long; the column holds {PARM_LENGTH}",
                    p.wire_name(api)
                ),
            ));
        }
    }
    Ok(())
}
