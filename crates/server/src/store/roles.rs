//! Roles (issue 15): the named permission sets operators hold, built-in ones included.

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
        let rows: Vec<RoleRow> = sqlx::query_as(
            "SELECT name, permissions, builtin FROM roles ORDER BY builtin DESC, name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(role_from_row).collect()
    }

    pub async fn role(&self, name: &str) -> Result<Role, StoreError> {
        let row: RoleRow =
            sqlx::query_as("SELECT name, permissions, builtin FROM roles WHERE name = ?")
                .bind(name)
                .fetch_one(&self.pool)
                .await?;
        role_from_row(row)
    }

    /// Creates a role (checked by the caller); `Conflict` when the name is taken.
    pub async fn create_role(&self, role: &Role) -> Result<(), StoreError> {
        let json = serde_json::to_string(&role.permissions)
            .map_err(|e| super::json_error("role permissions", &e))?;
        sqlx::query(
            "INSERT INTO roles (name, permissions, builtin, created_at) VALUES (?, ?, 0, ?)",
        )
        .bind(&role.name)
        .bind(json)
        .bind(self.now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Replaces a role's permissions; `NotFound` for no such role or a built-in one. Returns
    /// the ids of the operators who hold it (their sockets must read the change).
    pub async fn update_role(&self, role: &Role) -> Result<Vec<i64>, StoreError> {
        let json = serde_json::to_string(&role.permissions)
            .map_err(|e| super::json_error("role permissions", &e))?;
        // A built-in role's permissions never change; only whether it requires a second
        // factor does.
        let done = sqlx::query(
            "UPDATE roles SET permissions = CASE WHEN builtin = 0 THEN ? \
             ELSE json_set(permissions, '$.second_factor', json(?)) END WHERE name = ?",
        )
        .bind(json)
        .bind(role.permissions.second_factor.to_string())
        .bind(&role.name)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM operators WHERE role = ?")
            .bind(&role.name)
            .fetch_all(&self.pool)
            .await?;
        Ok(ids.into_iter().map(|(id,)| id).collect())
    }
}
