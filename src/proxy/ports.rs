//! Which unit and port one server handed out for another's: when two servers answer the same
//! InitStation or InitUser with different ports (the hosted service's counter, a recorder's
//! directory), a later request on the first server's port must go to the second's port on the
//! second server, or every comparison after the first would compare two different ports.

use crate::api::{Param, Request, Response};

/// Reference (unit, port) → other (unit, port), learnt from pairs of Init answers.
#[derive(Debug, Default, Clone)]
pub struct PortMap {
    pairs: Vec<((String, String), (String, String))>,
}

impl PortMap {
    /// Learns from the two answers to the same Init request: when both handed out a unit and a
    /// port, the reference's now stand for the other's.
    pub fn learn(&mut self, reference: &Response, other: &Response) {
        let (Some(ru), Some(rp), Some(ou), Some(op)) = (
            reference.unit(),
            reference.port(),
            other.unit(),
            other.port(),
        ) else {
            return;
        };
        let key = (ru.to_string(), rp.to_string());
        self.pairs.retain(|(k, _)| *k != key);
        self.pairs.push((key, (ou.to_string(), op.to_string())));
    }

    /// The request with its unit and port replaced by the other server's, when they are a pair
    /// learnt from Init answers; otherwise unchanged.
    pub fn translate(&self, request: &Request) -> Request {
        let unit = request.get(Param::Unit).trim();
        let port = request.get(Param::Port).trim();
        match self
            .pairs
            .iter()
            .find(|((u, p), _)| u.trim() == unit && p.trim() == port)
        {
            Some((_, (u, p))) => request
                .clone()
                .with(Param::Unit, u.as_str())
                .with(Param::Port, p.as_str()),
            None => request.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Operation;

    #[test]
    fn a_later_request_on_the_references_port_goes_to_the_others() {
        let init = |unit: &str, port: &str| {
            let mut r = Response::ok(Operation::InitStation);
            r.set_unit(unit);
            r.set_port(port);
            r
        };
        let mut map = PortMap::default();
        map.learn(&init("1", "3"), &init("1", "7"));
        let stop = Request::new(Operation::StopRecording)
            .with(Param::Unit, "1")
            .with(Param::Port, "3");
        assert_eq!(map.translate(&stop).get(Param::Port), "7");
        let other = stop.clone().with(Param::Port, "4");
        assert_eq!(map.translate(&other), other);
    }
}
