//! Roles (issue 15): the named permission sets operators hold, built-in ones included.

use super::db;
use super::{Store, StoreError};
use confide_protocol::roles::{Permissions, Role};

type RoleRow = (String, String, bool);

fn role_from_row((name, permissions, builtin): RoleRow) -> Result<Role, StoreError> {
    Ok(Role {
        name,
        permissions: serde_json::from_str::<Permissions>(&permissions)
            .map_err(|e| super::json_error("role permissions", &e))?,
        builtin,
    })
}

impl Store {
    /// Every role, built-in ones first, then by name.
    pub async fn roles(&self) -> Result<Vec<Role>, StoreError> {
        let rows: Vec<RoleRow> = db::query_as(
            "SELECT name, permissions, builtin FROM roles ORDER BY builtin DESC, name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(role_from_row).collect()
    }

    pub async fn role(&self, name: &str) -> Result<Role, StoreError> {
        let row: RoleRow =
            db::query_as("SELECT name, permissions, builtin FROM roles WHERE name = ?")
                .bind(name)
                .fetch_one(&self.pool)
                .await?;
        role_from_row(row)
    }

    /// Creates a role (checked by the caller); `Conflict` when the name is taken.
    pub async fn create_role(&self, role: &Role) -> Result<(), StoreError> {
        let json = serde_json::to_string(&role.permissions)
            .map_err(|e| super::json_error("role permissions", &e))?;
        db::query(
            "INSERT INTO roles (name, permissions, builtin, created_at) VALUES (?, ?, FALSE, ?)",
        )
        .bind(&role.name)
        .bind(json)
        .bind(self.now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Replaces a role's permissions (of a built-in role, only whether it requires a second
    /// factor); `NotFound` for no such role. Returns
    /// the ids of the operators who hold it (their sockets must read the change).
    pub async fn update_role(&self, role: &Role) -> Result<Vec<i64>, StoreError> {
        let json = serde_json::to_string(&role.permissions)
            .map_err(|e| super::json_error("role permissions", &e))?;
        let mut tx = self.pool.begin().await?;
        let Some((builtin, stored)): Option<(bool, String)> =
            db::query_as("SELECT builtin, permissions FROM roles WHERE name = ?")
                .bind(&role.name)
                .fetch_optional(&mut tx)
                .await?
        else {
            return Err(StoreError::NotFound);
        };
        // A built-in role's permissions never change; only whether it requires a second
        // factor does.
        let json = if builtin {
            let mut kept: Permissions = serde_json::from_str(&stored)
                .map_err(|e| super::json_error("role permissions", &e))?;
            kept.second_factor = role.permissions.second_factor;
            serde_json::to_string(&kept).map_err(|e| super::json_error("role permissions", &e))?
        } else {
            json
        };
        db::query("UPDATE roles SET permissions = ? WHERE name = ?")
            .bind(json)
            .bind(&role.name)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        let ids: Vec<(i64,)> = db::query_as("SELECT id FROM operators WHERE role = ?")
            .bind(&role.name)
            .fetch_all(&self.pool)
            .await?;
        Ok(ids.into_iter().map(|(id,)| id).collect())
    }
}
