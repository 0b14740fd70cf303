//! API versions: 7.0 (November 2018 guide) and 7.1 (June 2020 guide, the default).

use std::fmt;
use std::str::FromStr;

/// A version of the Encore Web API. 7.1 added five operations and renamed two parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ApiVersion {
    /// The 7.0 guide: ten operations, `userName`/`machineName`.
    V7_0,
    /// The 7.1 guide: fifteen operations, `User`/`Machine`. The default.
    #[default]
    V7_1,
}

impl ApiVersion {
    /// Every version, oldest first.
    pub const ALL: [ApiVersion; 2] = [ApiVersion::V7_0, ApiVersion::V7_1];

    /// The version as users write it: `7.0` or `7.1`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V7_0 => "7.0",
            ApiVersion::V7_1 => "7.1",
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A version string that is neither `7.0` nor `7.1`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown API version `{0}`: expected 7.0 or 7.1")]
pub struct UnknownVersion(pub String);

impl FromStr for ApiVersion {
    type Err = UnknownVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "7.0" | "7" => Ok(ApiVersion::V7_0),
            "7.1" => Ok(ApiVersion::V7_1),
            other => Err(UnknownVersion(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_versions_and_rejects_others() {
        assert_eq!("7.0".parse::<ApiVersion>().unwrap(), ApiVersion::V7_0);
        assert_eq!(" 7.1 ".parse::<ApiVersion>().unwrap(), ApiVersion::V7_1);
        let err = "8.0".parse::<ApiVersion>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown API version `8.0`: expected 7.0 or 7.1"
        );
    }

    #[test]
    fn default_version_is_7_1() {
        assert_eq!(ApiVersion::default(), ApiVersion::V7_1);
    }
}
