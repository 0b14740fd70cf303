//! The recorder's directory of recorded users: which unit and port an extension or a Windows login
//! is recorded on, and whose desktop is recorded.

use crate::simulator::config::UserConfig;

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// No port for that extension or login.
    None,
    /// Exactly one port: unit and port.
    One(String, u32),
    /// More than one port.
    Several(usize),
}

/// The recorded users.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    users: Vec<UserConfig>,
}

impl Directory {
    /// A directory of the configured users.
    pub fn new(users: Vec<UserConfig>) -> Directory {
        Directory { users }
    }

    fn lookup<'a>(&'a self, matches: impl Fn(&UserConfig) -> bool) -> Lookup {
        let mut ports: Vec<(&'a str, u32)> = self
            .users
            .iter()
            .filter(|u| matches(u))
            .map(|u| (u.unit.as_str(), u.port))
            .collect();
        ports.sort_unstable();
        ports.dedup();
        match ports.as_slice() {
            [] => Lookup::None,
            [(unit, port)] => Lookup::One(unit.to_string(), *port),
            several => Lookup::Several(several.len()),
        }
    }

    /// The port of a phone extension (InitStation); blanks around it do not count.
    pub fn by_extension(&self, extension: &str) -> Lookup {
        let ext = extension.trim();
        self.lookup(|u| u.extension.as_deref() == Some(ext))
    }

    /// The port of a Windows login ID (InitUser), matched without regard to case.
    pub fn by_login(&self, login: &str) -> Lookup {
        let login = login.trim().to_lowercase();
        self.lookup(|u| u.login.as_deref().map(str::to_lowercase) == Some(login.clone()))
    }

    /// The configured login of a user whose desktop is recorded, matched without regard to case.
    pub fn desktop_login(&self, login: &str) -> Option<&str> {
        let login = login.trim().to_lowercase();
        self.users
            .iter()
            .filter(|u| u.desktop)
            .filter_map(|u| u.login.as_deref())
            .find(|l| l.to_lowercase() == login)
    }

    /// The configured logins whose desktop is recorded, each once.
    pub fn desktop_logins(&self) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for l in self
            .users
            .iter()
            .filter(|u| u.desktop)
            .filter_map(|u| u.login.as_ref())
        {
            if !seen.iter().any(|s| s.eq_ignore_ascii_case(l)) {
                seen.push(l.clone());
            }
        }
        seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(ext: &str, login: &str, port: u32, desktop: bool) -> UserConfig {
        UserConfig {
            extension: (!ext.is_empty()).then(|| ext.to_string()),
            login: (!login.is_empty()).then(|| login.to_string()),
            unit: "1".to_string(),
            port,
            desktop,
        }
    }

    fn directory() -> Directory {
        Directory::new(vec![
            user("100", "CORP\\Smith", 1, true),
            user("200", "jones", 2, false),
            user("300", "", 3, false),
            user("300", "", 4, false),
            user("", "shared", 5, false),
            user("", "SHARED", 6, false),
        ])
    }

    #[test]
    fn an_extension_finds_none_one_or_several_ports() {
        let d = directory();
        assert_eq!(d.by_extension("999"), Lookup::None);
        assert_eq!(d.by_extension(" 100 "), Lookup::One("1".to_string(), 1));
        assert_eq!(d.by_extension("300"), Lookup::Several(2));
    }

    #[test]
    fn a_login_is_matched_without_regard_to_case() {
        let d = directory();
        assert_eq!(d.by_login("corp\\smith"), Lookup::One("1".to_string(), 1));
        assert_eq!(d.by_login("Shared"), Lookup::Several(2));
        assert_eq!(d.by_login("nobody"), Lookup::None);
    }

    #[test]
    fn only_users_with_desktop_recording_have_a_desktop() {
        let d = directory();
        assert_eq!(d.desktop_login("CORP\\SMITH"), Some("CORP\\Smith"));
        assert_eq!(d.desktop_login("jones"), None);
        assert_eq!(d.desktop_logins(), ["CORP\\Smith"]);
    }
}
