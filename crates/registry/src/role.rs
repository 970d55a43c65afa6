//! Account roles of the service platform.

use std::fmt;
use std::str::FromStr;

/// The role of an account. Every endpoint lists the roles it admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 居民: sees and edits their own resident record.
    Resident,
    /// 服务机构工作人员: edits their own provider's outlets and practitioners.
    ProviderStaff,
    /// 社区工作者: keeps their own community and its residents.
    CommunityWorker,
    /// 监管部门: reads everything, keeps the registry of communities, outlets and providers.
    Regulator,
    /// 系统管理员: everything, including accounts and the audit trail.
    Admin,
}

impl Role {
    /// All roles, in order.
    pub const ALL: [Role; 5] = [
        Role::Resident,
        Role::ProviderStaff,
        Role::CommunityWorker,
        Role::Regulator,
        Role::Admin,
    ];

    /// Stable key, as stored and in JSON.
    pub fn key(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::ProviderStaff => "provider_staff",
            Role::CommunityWorker => "community_worker",
            Role::Regulator => "regulator",
            Role::Admin => "admin",
        }
    }

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Role::Resident => "居民",
            Role::ProviderStaff => "服务机构工作人员",
            Role::CommunityWorker => "社区工作者",
            Role::Regulator => "监管部门",
            Role::Admin => "系统管理员",
        }
    }

    /// Whether this is a staff role (its reads of personal data go to the access log).
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Resident)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A role key that is not known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role '{0}' (resident, provider_staff, community_worker, regulator, admin)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.key() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in account.
    Authenticated,
    /// Signed-in accounts with one of these roles.
    Roles(&'static [Role]),
}

impl Access {
    /// Whether a caller with `role` (`None` when not signed in) passes.
    pub fn admits(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Access::Public, _) => true,
            (_, None) => false,
            (Access::Authenticated, Some(_)) => true,
            (Access::Roles(rs), Some(r)) => rs.contains(&r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_access_admits() {
        for r in Role::ALL {
            assert_eq!(r.key().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().is_err());
        let staff = Access::Roles(&[Role::Regulator, Role::Admin]);
        assert!(staff.admits(Some(Role::Admin)));
        assert!(!staff.admits(Some(Role::Resident)));
        assert!(!staff.admits(None));
        assert!(Access::Public.admits(None));
        assert!(!Access::Authenticated.admits(None));
    }
}
