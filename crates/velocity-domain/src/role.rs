//! Workspace roles and what each may do.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A member's (or API key's) role in one workspace, from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Member,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Member, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    /// Create, update, delete and restore records.
    pub fn can_write_records(self) -> bool {
        !matches!(self, Role::Viewer)
    }

    /// Manage members and API keys.
    pub fn can_administer(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    /// Whether a holder of `self` may grant or take away `other`: only owners touch owners.
    pub fn can_manage(self, other: Role) -> bool {
        match other {
            Role::Owner => self == Role::Owner,
            _ => self.can_administer(),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("unknown role `{s}`; expected one of owner, admin, member, viewer")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewers_read_only_and_admins_manage_all_but_owners() {
        assert!(!Role::Viewer.can_write_records());
        assert!(Role::Member.can_write_records());
        assert!(!Role::Member.can_administer());
        assert!(Role::Admin.can_manage(Role::Member));
        assert!(!Role::Admin.can_manage(Role::Owner));
        assert!(Role::Owner.can_manage(Role::Owner));
        assert_eq!("admin".parse::<Role>(), Ok(Role::Admin));
        assert!("root".parse::<Role>().is_err());
    }
}
