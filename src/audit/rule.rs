//! The rules as data: each rule's id, severity, the guide section (or standard) it comes from with
//! the guide's sentence, and the advice that tells a CRM developer what to change. The catalogue
//! ([`RULES`]) is the one source for `ecapi audit --rules`, the reports and `docs/audit.md`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How much a finding matters. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Likely wrong; the CRM works, but not as the guide means it to.
    Warning,
    /// Wrong: data exposed or lost, or the CRM misbehaves against a real Encore.
    Error,
}

impl Severity {
    /// The word: `info`, `warning`, `error`.
    pub fn word(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// The severity a word names (`info`, `warning`, `error`), any case.
    pub fn from_word(word: &str) -> Option<Severity> {
        [Severity::Info, Severity::Warning, Severity::Error]
            .into_iter()
            .find(|s| s.word().eq_ignore_ascii_case(word.trim()))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// Which rule a finding breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleId {
    /// `card-data`.
    CardData,
    /// `desktop-not-paused`.
    DesktopNotPaused,
    /// `overlapping-requests`.
    OverlappingRequests,
    /// `retry-storm`.
    RetryStorm,
    /// `wire`.
    Wire,
    /// `state-unchecked`.
    StateUnchecked,
    /// `data-lost`.
    DataLost,
    /// `init-every-call`.
    InitEveryCall,
    /// `url-too-early`.
    UrlTooEarly,
}

impl RuleId {
    /// Every rule, in catalogue order.
    pub const ALL: [RuleId; 9] = [
        RuleId::CardData,
        RuleId::DesktopNotPaused,
        RuleId::OverlappingRequests,
        RuleId::RetryStorm,
        RuleId::Wire,
        RuleId::StateUnchecked,
        RuleId::DataLost,
        RuleId::InitEveryCall,
        RuleId::UrlTooEarly,
    ];

    /// The rule's entry in the catalogue.
    pub fn rule(self) -> &'static Rule {
        &RULES[self as usize]
    }

    /// The rule's id as users write it (`card-data`).
    pub fn name(self) -> &'static str {
        self.rule().name
    }

    /// The rule a name stands for, any case; `None` for an unknown name.
    pub fn from_name(name: &str) -> Option<RuleId> {
        RuleId::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(name.trim()))
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl<'de> Deserialize<'de> for RuleId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RuleId, D::Error> {
        let name = String::deserialize(d)?;
        RuleId::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("no audit rule named {name:?}")))
    }
}

impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// One rule of the catalogue.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    /// Its id.
    #[serde(skip)]
    pub id: RuleId,
    /// Its id as users write it (`--allow card-data`).
    #[serde(rename = "id")]
    pub name: &'static str,
    /// How much a finding matters.
    pub severity: Severity,
    /// What the rule checks, in one line.
    pub summary: &'static str,
    /// Where the rule comes from: the guide and section, or the standard.
    pub source: &'static str,
    /// The guide's (or standard's) own sentence.
    pub quote: &'static str,
    /// What the CRM developer should change.
    pub advice: &'static str,
}

/// The catalogue, in [`RuleId::ALL`]'s order.
pub static RULES: [Rule; 9] = [
    Rule {
        id: RuleId::CardData,
        name: "card-data",
        severity: Severity::Error,
        summary:
            "a request value is a payment card number (13 to 19 digits passing the Luhn check, \
                  spaces or dashes allowed)",
        source: "PCI DSS v4.0, requirement 3.3 and 3.4; Encore Web API guide 7.1, AssignField",
        quote: "AssignField writes a value to the specified database column in the audio/screen \
                recording record.",
        advice: "never send a card number to Encore: it is stored in clear in the recording's \
                 database record (AssignField), its events (LogEvent) and its logs; send a token \
                 or the masked number (first six, last four) instead",
    },
    Rule {
        id: RuleId::DesktopNotPaused,
        name: "desktop-not-paused",
        severity: Severity::Error,
        summary:
            "a PauseRecording (or ResumeRecording) for a port whose user has desktop \
                  recording, without a DesktopPause (DesktopResume) for that user within the window",
        source: "Encore Web API guide 7.1, Desktop Recording Requests: DesktopPause",
        quote: "If you wish to pause a recording to protect sensitive data, such as credit card \
                data, and the Encore system has both audio recording and desktop recording, you \
                will need to send both a PauseRecording and a DesktopPause to ensure the data is \
                protected.",
        advice: "send DesktopPause with the user's Windows login beside every PauseRecording (and \
                 DesktopResume beside every ResumeRecording); otherwise the screen, and the card \
                 number on it, is still being recorded",
    },
    Rule {
        id: RuleId::OverlappingRequests,
        name: "overlapping-requests",
        severity: Severity::Error,
        summary: "a request for a unit and port (or, for requests that name none, from one \
                  client) sent before the previous one was answered",
        source: "Encore Web API guide 7.1, Getting Started",
        quote: "For each request there is a response that must be received before the next \
                request is sent.",
        advice: "wait for each answer before sending the next request for the same port (queue \
                 the requests per port, or send them in one thread)",
    },
    Rule {
        id: RuleId::RetryStorm,
        name: "retry-storm",
        severity: Severity::Error,
        summary: "the same request answered with the same non-100 code more than the retry limit \
                  (3) within the window (10 s)",
        source: "Encore Web API guide 7.1, Response Codes; RFC 9110 section 9.2.2 (retrying)",
        quote: "Call control requests are only valid if the current recording state is valid for \
                the request.",
        advice: "a non-100 code is the recorder's answer, not a transient failure: read the code, \
                 fix the cause (state, licence, parameters), and retry only with a growing delay",
    },
    Rule {
        id: RuleId::Wire,
        name: "wire",
        severity: Severity::Error,
        summary: "the request reader noted something a WCF service reads differently (a parameter \
                  skipped or read as empty, a missing or wrong SOAPAction, a mustUnderstand \
                  header, a quota)",
        source: "wire.md, How the server reads a request (as WCF does)",
        quote:
            "WCF's DataContractSerializer operation formatter matches parameters by exact local \
                name and namespace, in the WSDL's order.",
        advice:
            "send the request exactly as the WSDL describes it: the note on each exchange says \
                 what to change",
    },
    Rule {
        id: RuleId::StateUnchecked,
        name: "state-unchecked",
        severity: Severity::Warning,
        summary: "a recording-control request answered 608, 609, 616 or 627 without a PortStatus \
                  or PortStatusEX for that port since the port's last change",
        source: "Encore Web API guide 7.1, Recording Control Requests",
        quote: "It is a good idea to always issue a PortStatus request to make sure the call \
                control request is valid for the current recording state.",
        advice: "ask PortStatus (or PortStatusEX) before a recording-control request whose state \
                 you do not know, and act on the state it reports",
    },
    Rule {
        id: RuleId::DataLost,
        name: "data-lost",
        severity: Severity::Warning,
        summary:
            "an AssignField or LogEvent that was refused: the data the CRM meant to attach is \
                  not in Encore",
        source: "Encore Web API guide 7.1, Data Assignment Requests",
        quote: "AssignField writes a value to the specified database column in the audio/screen \
                recording record.",
        advice:
            "check the code of every AssignField and LogEvent; keep the data and send it again \
                 once the cause (state, column, value) is fixed, or tell the user it was not saved",
    },
    Rule {
        id: RuleId::InitEveryCall,
        name: "init-every-call",
        severity: Severity::Warning,
        summary: "InitStation or InitUser repeated for the same extension or login within a call, \
                  or more often than once per interval (10 min), with the same answer",
        source: "Encore Web API guide 7.1, InitStation",
        quote: "This request should be issued when the application starts or anytime the \
                extension number changes.",
        advice: "call InitStation (or InitUser) once when the application starts and again only \
                 when the extension or login changes; keep the unit and port it answers",
    },
    Rule {
        id: RuleId::UrlTooEarly,
        name: "url-too-early",
        severity: Severity::Warning,
        summary: "a GetURL link opened before its recording stopped",
        source: "Encore Web API guide 7.1, Sample Application: Get URL",
        quote: "You cannot use the URL until the recording has stopped and the record is written \
                to the database.",
        advice: "open (or hand out) the recording's link only after StopRecording was answered 100",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_in_rule_order_and_names_are_unique_and_found_again() {
        for (i, id) in RuleId::ALL.into_iter().enumerate() {
            assert_eq!(RULES[i].id, id);
            assert_eq!(RuleId::from_name(id.name()), Some(id));
            assert_eq!(RuleId::from_name(&id.name().to_uppercase()), Some(id));
        }
        assert_eq!(RuleId::from_name("card"), None);
    }

    #[test]
    fn severities_order_from_info_to_error() {
        assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Error);
        assert_eq!(Severity::from_word("Warning"), Some(Severity::Warning));
        assert_eq!(Severity::from_word("fatal"), None);
    }
}
