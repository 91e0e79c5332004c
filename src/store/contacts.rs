//! The `contacts`, `identities` and `identity_links` tables: one person across platforms.

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, Tx};

#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    pub id: i64,
    pub contact_id: i64,
    pub channel: String,
    pub handle: String,
    pub display_name: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    pub id: i64,
    pub display_name: Option<String>,
    pub created_at: i64,
    pub identities: Vec<Identity>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub id: i64,
    pub identity_id: i64,
    pub from_contact: i64,
    pub to_contact: i64,
    pub evidence: String,
    pub actor: String,
    pub created_at: i64,
    pub undone_at: Option<i64>,
    pub undone_by: Option<String>,
}

/// The contact of a platform handle; an unknown handle gets a new contact. Returns
/// (identity, created).
pub async fn resolve(
    tx: &mut Tx,
    channel: &str,
    handle: &str,
    display_name: Option<&str>,
    now_ms: i64,
) -> Result<(Identity, bool), StoreError> {
    if let Some(found) = identity_by_handle(tx, channel, handle).await? {
        return Ok((found, false));
    }
    let contact_id: i64 =
        sqlx::query("INSERT INTO contacts (display_name, created_at) VALUES ($1, $2) RETURNING id")
            .bind(display_name)
            .bind(now_ms)
            .fetch_one(&mut **tx)
            .await?
            .try_get("id")?;
    let id: i64 = sqlx::query(
        "INSERT INTO identities (contact_id, channel, handle, display_name, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(contact_id)
    .bind(channel)
    .bind(handle)
    .bind(display_name)
    .bind(now_ms)
    .fetch_one(&mut **tx)
    .await?
    .try_get("id")?;
    Ok((
        Identity {
            id,
            contact_id,
            channel: channel.into(),
            handle: handle.into(),
            display_name: display_name.map(Into::into),
            created_at: now_ms,
        },
        true,
    ))
}

const IDENTITY_COLUMNS: &str = "id, contact_id, channel, handle, display_name, created_at";

fn identity(r: &sqlx::any::AnyRow) -> Result<Identity, sqlx::Error> {
    Ok(Identity {
        id: r.try_get("id")?,
        contact_id: r.try_get("contact_id")?,
        channel: r.try_get("channel")?,
        handle: r.try_get("handle")?,
        display_name: r.try_get("display_name")?,
        created_at: r.try_get("created_at")?,
    })
}

async fn identity_by_handle(
    tx: &mut Tx,
    channel: &str,
    handle: &str,
) -> Result<Option<Identity>, StoreError> {
    let sql =
        format!("SELECT {IDENTITY_COLUMNS} FROM identities WHERE channel = $1 AND handle = $2");
    let row = sqlx::query(&sql)
        .bind(channel)
        .bind(handle)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.as_ref().map(identity).transpose()?)
}

pub async fn get(store: &Store, id: i64) -> Result<Contact, StoreError> {
    let row = sqlx::query("SELECT id, display_name, created_at FROM contacts WHERE id = $1")
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("contact {id}")))?;
    let sql =
        format!("SELECT {IDENTITY_COLUMNS} FROM identities WHERE contact_id = $1 ORDER BY id");
    let identities = sqlx::query(&sql)
        .bind(id)
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(identity)
        .collect::<Result<_, _>>()?;
    Ok(Contact {
        id: row.try_get("id")?,
        display_name: row.try_get("display_name")?,
        created_at: row.try_get("created_at")?,
        identities,
    })
}

pub async fn identity_by_id(tx: &mut Tx, id: i64) -> Result<Identity, StoreError> {
    let sql = format!("SELECT {IDENTITY_COLUMNS} FROM identities WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("identity {id}")))?;
    Ok(identity(&row)?)
}

/// Move an identity (and its conversations) to another contact, keeping the evidence.
pub async fn link(
    tx: &mut Tx,
    identity_id: i64,
    to_contact: i64,
    evidence: &str,
    actor: &str,
    now_ms: i64,
) -> Result<Link, StoreError> {
    let ident = identity_by_id(tx, identity_id).await?;
    if ident.contact_id == to_contact {
        return Err(StoreError::Conflict(format!(
            "identity {identity_id} already belongs to contact {to_contact}"
        )));
    }
    let exists = sqlx::query("SELECT id FROM contacts WHERE id = $1")
        .bind(to_contact)
        .fetch_optional(&mut **tx)
        .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound(format!("contact {to_contact}")));
    }
    move_identity(tx, identity_id, to_contact, now_ms).await?;
    let id: i64 = sqlx::query(
        "INSERT INTO identity_links (identity_id, from_contact, to_contact, evidence, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(identity_id)
    .bind(ident.contact_id)
    .bind(to_contact)
    .bind(evidence)
    .bind(actor)
    .bind(now_ms)
    .fetch_one(&mut **tx)
    .await?
    .try_get("id")?;
    link_by_id(tx, id).await
}

/// Undo a link: the identity goes back to the contact it came from.
pub async fn undo(tx: &mut Tx, link_id: i64, actor: &str, now_ms: i64) -> Result<Link, StoreError> {
    let link = link_by_id(tx, link_id).await?;
    if link.undone_at.is_some() {
        return Err(StoreError::Conflict(format!(
            "link {link_id} was already undone"
        )));
    }
    let ident = identity_by_id(tx, link.identity_id).await?;
    if ident.contact_id != link.to_contact {
        return Err(StoreError::Conflict(format!(
            "identity {} has moved since link {link_id}; undo the later link first",
            link.identity_id
        )));
    }
    move_identity(tx, link.identity_id, link.from_contact, now_ms).await?;
    sqlx::query("UPDATE identity_links SET undone_at = $1, undone_by = $2 WHERE id = $3")
        .bind(now_ms)
        .bind(actor)
        .bind(link_id)
        .execute(&mut **tx)
        .await?;
    link_by_id(tx, link_id).await
}

async fn move_identity(
    tx: &mut Tx,
    identity_id: i64,
    to: i64,
    now_ms: i64,
) -> Result<(), StoreError> {
    let ident = identity_by_id(tx, identity_id).await?;
    sqlx::query("UPDATE identities SET contact_id = $1 WHERE id = $2")
        .bind(to)
        .bind(identity_id)
        .execute(&mut **tx)
        .await?;
    // Conversations follow the handle they were written from.
    sqlx::query(
        "UPDATE conversations SET contact_id = $1, updated_at = $2 \
         WHERE contact_id = $3 AND channel = $4 AND id IN \
         (SELECT DISTINCT m.conversation_id FROM messages m WHERE m.author = $5)",
    )
    .bind(to)
    .bind(now_ms)
    .bind(ident.contact_id)
    .bind(&ident.channel)
    .bind(&ident.handle)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn link_by_id(tx: &mut Tx, id: i64) -> Result<Link, StoreError> {
    let r = sqlx::query(
        "SELECT id, identity_id, from_contact, to_contact, evidence, actor, created_at, undone_at, undone_by \
         FROM identity_links WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("link {id}")))?;
    Ok(Link {
        id: r.try_get("id")?,
        identity_id: r.try_get("identity_id")?,
        from_contact: r.try_get("from_contact")?,
        to_contact: r.try_get("to_contact")?,
        evidence: r.try_get("evidence")?,
        actor: r.try_get("actor")?,
        created_at: r.try_get("created_at")?,
        undone_at: r.try_get("undone_at")?,
        undone_by: r.try_get("undone_by")?,
    })
}

pub async fn links_of(store: &Store, contact_id: i64) -> Result<Vec<Link>, StoreError> {
    let rows = sqlx::query(
        "SELECT id FROM identity_links WHERE from_contact = $1 OR to_contact = $2 ORDER BY id",
    )
    .bind(contact_id)
    .bind(contact_id)
    .fetch_all(&store.pool)
    .await?;
    let mut tx = store.begin().await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(link_by_id(&mut tx, r.try_get("id")?).await?);
    }
    tx.commit().await?;
    Ok(out)
}
