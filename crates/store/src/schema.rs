//! The tables the generic record operations work on: names, key and column types.
//!
//! The DDL is in `migrations/{sqlite,postgres}`; a test checks that every column named here
//! exists in both.

/// How a column's values are bound and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    /// `TEXT`.
    Text,
    /// `DOUBLE PRECISION`.
    Real,
    /// `BIGINT` (SQLite `INTEGER`).
    Int,
}

/// One column.
#[derive(Debug, Clone, Copy)]
pub struct Col {
    /// Column name.
    pub name: &'static str,
    /// Its type.
    pub ty: ColType,
}

/// A table handled by the generic record operations.
#[derive(Debug)]
pub struct Table {
    /// Table name.
    pub name: &'static str,
    /// Entity name in the audit trail and the API.
    pub entity: &'static str,
    /// Primary key column.
    pub key: &'static str,
    /// Whether the database assigns the key (an auto-incrementing integer).
    pub auto_key: bool,
    /// Every column, the key first.
    pub cols: &'static [Col],
    /// Whether the table has `created_at`/`updated_at` (set by the store).
    pub timestamps: bool,
}

impl Table {
    /// The column with this name.
    pub fn col(&self, name: &str) -> Option<&'static Col> {
        self.cols.iter().find(|c| c.name == name)
    }
}

macro_rules! cols {
    ($($name:ident : $ty:ident),* $(,)?) => {
        &[$(Col { name: stringify!($name), ty: ColType::$ty }),*]
    };
}

/// 行政区划.
pub const DIVISIONS: Table = Table {
    name: "divisions",
    entity: "division",
    key: "code",
    auto_key: false,
    cols: cols!(code: Text, name: Text, level: Int, parent_code: Text, updated_at: Int),
    timestamps: false,
};

/// 社区.
pub const COMMUNITIES: Table = Table {
    name: "communities",
    entity: "community",
    key: "id",
    auto_key: false,
    cols: cols!(
        id: Text, name: Text, division_code: Text, lon: Real, lat: Real, population: Real,
        households: Real, elderly: Real, children_0_3: Real, boundary: Text,
        created_at: Int, updated_at: Int
    ),
    timestamps: true,
};

/// 服务机构.
pub const PROVIDERS: Table = Table {
    name: "providers",
    entity: "provider",
    key: "uscc",
    auto_key: false,
    cols: cols!(
        uscc: Text, kind: Text, name: Text, address: Text, division_code: Text,
        contact_name: Text, contact_phone: Text, created_at: Int, updated_at: Int
    ),
    timestamps: true,
};

/// 服务设施/网点.
pub const FACILITIES: Table = Table {
    name: "facilities",
    entity: "facility",
    key: "id",
    auto_key: false,
    cols: cols!(
        id: Text, name: Text, category: Text, lon: Real, lat: Real, capacity: Real,
        floor_area_m2: Real, provider_code: Text, operator_name: Text, opening_hours: Text,
        address: Text, division_code: Text, listing_number: Text, credit_commitment_date: Text,
        created_at: Int, updated_at: Int
    ),
    timestamps: true,
};

/// 从业人员.
pub const PRACTITIONERS: Table = Table {
    name: "practitioners",
    entity: "practitioner",
    key: "id",
    auto_key: true,
    cols: cols!(
        id: Int, provider_code: Text, name: Text, kind: Text, phone: Text,
        id_number_masked: Text, id_number_hash: Text, certificates: Text,
        created_at: Int, updated_at: Int
    ),
    timestamps: true,
};

/// 居民.
pub const RESIDENTS: Table = Table {
    name: "residents",
    entity: "resident",
    key: "id",
    auto_key: true,
    cols: cols!(
        id: Int, community_id: Text, name: Text, phone: Text, id_number_masked: Text,
        id_number_hash: Text, address: Text, user_id: Int, created_at: Int, updated_at: Int
    ),
    timestamps: true,
};

/// 账户.
pub const USERS: Table = Table {
    name: "users",
    entity: "user",
    key: "id",
    auto_key: true,
    cols: cols!(
        id: Int, username: Text, password_hash: Text, role: Text, display_name: Text,
        provider_code: Text, community_id: Text, disabled: Int, created_at: Int, updated_at: Int
    ),
    timestamps: true,
};

/// API tokens for integrations (only a hash of each token is kept).
pub const API_TOKENS: Table = Table {
    name: "api_tokens",
    entity: "api_token",
    key: "id",
    auto_key: true,
    cols: cols!(id: Int, token_hash: Text, user_id: Int, name: Text, created_at: Int, expires_at: Int),
    timestamps: false,
};

/// Audit trail of every change.
pub const AUDIT_LOG: Table = Table {
    name: "audit_log",
    entity: "audit",
    key: "id",
    auto_key: true,
    cols: cols!(
        id: Int, at: Int, actor_id: Int, actor_role: Text, action: Text, entity: Text,
        entity_id: Text, request_id: Text, detail: Text
    ),
    timestamps: false,
};

/// Log of staff reads of personal data.
pub const ACCESS_LOG: Table = Table {
    name: "access_log",
    entity: "access",
    key: "id",
    auto_key: true,
    cols: cols!(
        id: Int, at: Int, user_id: Int, role: Text, entity: Text, entity_id: Text,
        fields: Text, request_id: Text
    ),
    timestamps: false,
};

/// Imported assessment runs (`livingcircle assess` outputs).
pub const ASSESSMENT_RUNS: Table = Table {
    name: "assessment_runs",
    entity: "assessment",
    key: "id",
    auto_key: true,
    cols: cols!(
        id: Int, created_at: Int, created_by: Int, label: Text, shortcomings: Int, indicators: Int
    ),
    timestamps: false,
};

/// Rows of an assessment run's CSV files, kept whole as JSON objects.
pub const ASSESSMENT_ROWS: Table = Table {
    name: "assessment_rows",
    entity: "assessment_row",
    key: "id",
    auto_key: true,
    cols: cols!(id: Int, run_id: Int, kind: Text, line: Int, community_id: Text, data: Text),
    timestamps: false,
};

/// Browser sessions (only a hash of each session token is kept).
pub const SESSIONS: Table = Table {
    name: "sessions",
    entity: "session",
    key: "token_hash",
    auto_key: false,
    cols: cols!(token_hash: Text, user_id: Int, csrf_token: Text, created_at: Int, expires_at: Int),
    timestamps: false,
};

/// Failed logins, for throttling.
pub const LOGIN_FAILURES: Table = Table {
    name: "login_failures",
    entity: "login_failure",
    key: "id",
    auto_key: true,
    cols: cols!(id: Int, username: Text, at: Int),
    timestamps: false,
};

/// Key-value settings of the deployment (e.g. the key of ID-number fingerprints).
pub const SETTINGS: Table = Table {
    name: "settings",
    entity: "setting",
    key: "key",
    auto_key: false,
    cols: cols!(key: Text, value: Text),
    timestamps: false,
};

/// Every table of the generic operations.
pub const TABLES: &[&Table] = &[
    &DIVISIONS,
    &COMMUNITIES,
    &PROVIDERS,
    &FACILITIES,
    &PRACTITIONERS,
    &RESIDENTS,
    &USERS,
    &API_TOKENS,
    &AUDIT_LOG,
    &ACCESS_LOG,
    &ASSESSMENT_RUNS,
    &ASSESSMENT_ROWS,
    &SESSIONS,
    &LOGIN_FAILURES,
    &SETTINGS,
];
